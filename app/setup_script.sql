-- WHOOP Platform: Native App setup script. Runs on install and on every upgrade, so every statement
-- is idempotent. Code objects live in the versioned schema `core` (replaced per version); data lives in
-- plain schemas that survive upgrades. Stage paths ('/sql/…', '/python/…', '/streamlit/') are relative
-- to the app stage root laid out by snowflake.yml.

-- 1. Application roles. app_admin runs the pipeline, connects members, says who may see whom and reads every
--    member; app_viewer (an athlete) and app_coach (a coach) use the dashboard and read the VIEWER views, which
--    hold only the members CONFIG.MEMBER_VIEWERS maps the user to (sql/ops/10_member_access.sql);
--    app_reporting reads only the REPORTING secure views (the BI tool's role).
CREATE APPLICATION ROLE IF NOT EXISTS app_admin;
CREATE APPLICATION ROLE IF NOT EXISTS app_viewer;
CREATE APPLICATION ROLE IF NOT EXISTS app_coach;
CREATE APPLICATION ROLE IF NOT EXISTS app_reporting;
GRANT APPLICATION ROLE app_viewer TO APPLICATION ROLE app_coach;
GRANT APPLICATION ROLE app_coach TO APPLICATION ROLE app_admin;

-- 2. Schemas. Data schemas are not versioned: Bronze history must outlive an upgrade.
CREATE OR ALTER VERSIONED SCHEMA core;
CREATE SCHEMA IF NOT EXISTS config;     -- network rule and secrets (never granted to consumers)
CREATE SCHEMA IF NOT EXISTS bronze;
CREATE SCHEMA IF NOT EXISTS silver;
CREATE SCHEMA IF NOT EXISTS gold;
CREATE SCHEMA IF NOT EXISTS reporting;
CREATE SCHEMA IF NOT EXISTS ops;
CREATE SCHEMA IF NOT EXISTS ml;         -- forecasts, evaluations, anomalies, the Model Registry (sql/ml/)
CREATE SCHEMA IF NOT EXISTS viewer;     -- member data per viewer: secure views only (OPS.BUILD_VIEWER_VIEWS)

-- 3. The app's own warehouse (manifest privilege CREATE WAREHOUSE), which the Gold dynamic tables name to refresh,
--    is created by OPS.BUILD_GOLD below with a name derived from the app's (snowpark_procs/app_warehouse.py).

-- 4. Egress to WHOOP. The app creates the rule and the integration (manifest privilege CREATE EXTERNAL
--    ACCESS INTEGRATION); no request leaves Snowflake until the consumer approves the specification,
--    whose HOST_PORTS must match the rule. Secrets hold the app-managed OAuth state (DESIGN §3): the
--    client credentials and the current refresh token, which the ingest procedure rewrites after each
--    refresh because WHOOP rotates it. Created by sql/ops/02_procedures.sql, filled by ops.set_whoop_client and ops.register_member.
-- The rule, the secrets, the integration and the procedures themselves are in sql/ops/02_procedures.sql,
-- which runs locally too; only the specification below is specific to the Native App.
ALTER APPLICATION SET SPECIFICATION whoop_api_egress
  TYPE = EXTERNAL_ACCESS
  LABEL = 'WHOOP API egress'
  DESCRIPTION = 'Lets the ingest procedure read your WHOOP data (cycles, recovery, sleep, workouts, profile) over HTTPS'
  HOST_PORTS = ('api.prod.whoop.com');
-- Optional Snowflake-managed OAuth (DESIGN §3): the API_AUTHENTICATION integration OPS.CONNECT_MEMBER_OAUTH
-- creates needs the manifest's CREATE SECURITY INTEGRATION and this specification, approved like the egress one
-- (https://docs.snowflake.com/en/developer-guide/native-apps/requesting-app-specs-sec-integ,
-- https://docs.snowflake.com/en/sql-reference/sql/alter-application-set-app-spec). The app-managed mode needs
-- neither; it is the default.
ALTER APPLICATION SET SPECIFICATION whoop_oauth
  TYPE = SECURITY_INTEGRATION
  LABEL = 'WHOOP sign-in (Snowflake-managed OAuth)'
  DESCRIPTION = 'Lets Snowflake keep and refresh each member''s WHOOP OAuth token in a secret, if you choose that mode'
  OAUTH_TYPE = 'AUTHORIZATION_CODE'
  OAUTH_TOKEN_ENDPOINT = 'https://api.prod.whoop.com/oauth/oauth2/token'
  OAUTH_AUTHORIZATION_ENDPOINT = 'https://api.prod.whoop.com/oauth/oauth2/auth'
  OAUTH_ALLOWED_SCOPES = ('offline', 'read:recovery', 'read:cycles', 'read:workout', 'read:sleep', 'read:profile',
    'read:body_measurement');

-- 5. Pipeline SQL, in layer order: config, bronze, silver, quality, ml, ops. One line per file; a static test
--    (tests/static/test_native_app.py) fails when a file under sql/ is missing here (or from a procedure's IMPORTS:
--    the sql/gold/ templates, run by OPS.BUILD_GOLD) or out of order.
EXECUTE IMMEDIATE FROM '/sql/config/01_config.sql';
EXECUTE IMMEDIATE FROM '/sql/bronze/00_ingest_task.sql';
EXECUTE IMMEDIATE FROM '/sql/bronze/01_raw_cycle.sql';
EXECUTE IMMEDIATE FROM '/sql/bronze/02_raw_export.sql';
EXECUTE IMMEDIATE FROM '/sql/bronze/03_raw_api_resources.sql';
EXECUTE IMMEDIATE FROM '/sql/silver/00_quarantine.sql';
EXECUTE IMMEDIATE FROM '/sql/silver/09_create_from_templates.sql';
-- Silver (one shape, an entity per file) and OPS.RUN_DATA_QUALITY (checks as rows): templates the procedure
-- renders and runs (sql/silver/09_create_from_templates.sql).
CALL OPS.CREATE_FROM_TEMPLATES();
EXECUTE IMMEDIATE FROM '/sql/quality/01_data_quality.sql';
EXECUTE IMMEDIATE FROM '/sql/ml/01_ml.sql';
EXECUTE IMMEDIATE FROM '/sql/ops/01_build_gold.sql';
EXECUTE IMMEDIATE FROM '/sql/ops/02_procedures.sql';
EXECUTE IMMEDIATE FROM '/sql/ops/03_run_status.sql';
EXECUTE IMMEDIATE FROM '/sql/ops/09_pipeline_state.sql';
EXECUTE IMMEDIATE FROM '/sql/ops/10_member_access.sql';
EXECUTE IMMEDIATE FROM '/sql/ops/11_member_alerts.sql';
EXECUTE IMMEDIATE FROM '/sql/ops/12_import_export.sql';
EXECUTE IMMEDIATE FROM '/sql/ops/14_app_status.sql';
-- Gold: the app's warehouse (named after the app) and the sql/gold/ templates, which name it (sql/ops/01_build_gold.sql).
CALL OPS.BUILD_GOLD();
-- VIEWER: one secure view per member table (Gold's, ML's, the per-member OPS ones) with only the rows the querying
-- user may see; built from the tables' columns, so after Gold.
CALL OPS.BUILD_VIEWER_VIEWS();
-- The network rule, the external access integration (named after this app, so two installs in one account do not
-- share it) and each WHOOP-calling procedure's integration and secrets: created or updated, never replaced.
CALL OPS.CONFIGURE_EGRESS();
-- Tasks and dynamic tables were (re)created above; put them in the recorded state (STOPPED until the consumer
-- calls OPS.START_PIPELINE(); an upgrade keeps a started pipeline running).
CALL OPS.APPLY_PIPELINE_STATE();

-- 7. Default Streamlit (manifest artifacts.default_streamlit).
CREATE OR REPLACE STREAMLIT core.dashboard
  FROM '/streamlit/'
  MAIN_FILE = 'streamlit_app.py'
  TITLE = 'WHOOP Platform';

-- 8. Grants. Object-level grants on tables and views live next to their definitions in sql/ (a secure
--    view for app_reporting is granted in its own file), so this block covers schemas and core objects.
--    Only app_admin may call the member procedures (REGISTER_MEMBER, CONNECT_MEMBER_OAUTH): the role matrix
--    (infra/governance/role_matrix.yml) lists every grant here, and a test fails on one it does not allow.
GRANT USAGE ON SCHEMA core TO APPLICATION ROLE app_viewer;
GRANT USAGE ON SCHEMA core TO APPLICATION ROLE app_reporting;
GRANT USAGE ON SCHEMA viewer TO APPLICATION ROLE app_viewer;
GRANT USAGE ON SCHEMA gold TO APPLICATION ROLE app_admin;
GRANT USAGE ON SCHEMA reporting TO APPLICATION ROLE app_viewer;
GRANT USAGE ON SCHEMA reporting TO APPLICATION ROLE app_reporting;
GRANT USAGE ON SCHEMA bronze TO APPLICATION ROLE app_admin;
GRANT USAGE ON SCHEMA silver TO APPLICATION ROLE app_admin;
GRANT USAGE ON SCHEMA ops TO APPLICATION ROLE app_admin;
GRANT USAGE ON PROCEDURE ops.ingest_whoop(VARCHAR, VARCHAR, NUMBER) TO APPLICATION ROLE app_admin;
GRANT USAGE ON PROCEDURE ops.register_member(VARCHAR, VARCHAR, NUMBER) TO APPLICATION ROLE app_admin;
GRANT USAGE ON PROCEDURE ops.set_whoop_client(VARCHAR, VARCHAR) TO APPLICATION ROLE app_admin;
GRANT USAGE ON PROCEDURE ops.connect_member_oauth(VARCHAR, NUMBER) TO APPLICATION ROLE app_admin;
GRANT USAGE ON PROCEDURE ops.start_member_oauth(VARCHAR) TO APPLICATION ROLE app_admin;
GRANT USAGE ON PROCEDURE ops.finish_member_oauth(VARCHAR) TO APPLICATION ROLE app_admin;
GRANT USAGE ON PROCEDURE ops.forget_member(VARCHAR) TO APPLICATION ROLE app_admin;
GRANT USAGE ON PROCEDURE ops.start_pipeline() TO APPLICATION ROLE app_admin;
GRANT USAGE ON PROCEDURE ops.stop_pipeline() TO APPLICATION ROLE app_admin;
GRANT USAGE ON PROCEDURE ops.run_status(VARCHAR) TO APPLICATION ROLE app_admin;
GRANT USAGE ON PROCEDURE ops.app_status() TO APPLICATION ROLE app_admin;
GRANT USAGE ON PROCEDURE ops.run_pipeline() TO APPLICATION ROLE app_admin;
GRANT USAGE ON PROCEDURE ops.backtest_ml(VARCHAR) TO APPLICATION ROLE app_admin;
GRANT USAGE ON SCHEMA ml TO APPLICATION ROLE app_admin;
GRANT USAGE ON PROCEDURE ops.grant_member_access(VARCHAR, VARCHAR, VARCHAR, VARCHAR) TO APPLICATION ROLE app_admin;
GRANT USAGE ON PROCEDURE ops.revoke_member_access(VARCHAR, VARCHAR) TO APPLICATION ROLE app_admin;
-- alerts (sql/ops/11_member_alerts.sql): evaluate on demand; the account's sender reports what it sent
GRANT USAGE ON PROCEDURE ops.evaluate_member_alerts() TO APPLICATION ROLE app_admin;
GRANT USAGE ON PROCEDURE ops.mark_alert_deliveries(VARCHAR, VARCHAR, VARCHAR) TO APPLICATION ROLE app_admin;
-- the CSV export (sql/ops/12_import_export.sql): app_admin stages the files and calls the import
GRANT READ, WRITE ON STAGE bronze.export_stage TO APPLICATION ROLE app_admin;
GRANT USAGE ON PROCEDURE ops.import_export(VARCHAR, VARCHAR, BOOLEAN) TO APPLICATION ROLE app_admin;
GRANT USAGE ON PROCEDURE ops.train_ml(VARCHAR) TO APPLICATION ROLE app_admin;
GRANT USAGE ON PROCEDURE ops.score_ml() TO APPLICATION ROLE app_admin;
GRANT USAGE ON PROCEDURE ops.what_if_sleep(VARCHAR, FLOAT) TO APPLICATION ROLE app_admin;
GRANT USAGE ON PROCEDURE ops.detect_anomalies_ml() TO APPLICATION ROLE app_admin;
GRANT USAGE ON STREAMLIT core.dashboard TO APPLICATION ROLE app_viewer;
-- Gold and the ML outputs (forecasts, evaluations, anomalies, drivers, behaviour effects), every member's rows, are
-- read by app_admin only (the account's REPORTING views are owned by a role holding it, and filter with their row
-- access policy); athletes and coaches read the VIEWER views (granted by OPS.BUILD_VIEWER_VIEWS). The operational
-- tables (run logs, quality results, quarantine, alert events) and the who-may-see-whom mapping are app_admin's,
-- for the runbook, the account's e-mail alerts and the REPORTING row access policy.
GRANT SELECT ON ALL TABLES IN SCHEMA gold TO APPLICATION ROLE app_admin;
GRANT SELECT ON ALL DYNAMIC TABLES IN SCHEMA gold TO APPLICATION ROLE app_admin;
GRANT SELECT ON ALL TABLES IN SCHEMA ml TO APPLICATION ROLE app_admin;
GRANT SELECT ON ALL TABLES IN SCHEMA ops TO APPLICATION ROLE app_admin;
GRANT SELECT ON VIEW ops.member_viewers TO APPLICATION ROLE app_admin;
