-- WHOOP Platform: Native App setup script. Runs on install and on every upgrade, so every statement
-- is idempotent. Code objects live in the versioned schema `core` (replaced per version); data lives in
-- plain schemas that survive upgrades. Stage paths ('/sql/…', '/python/…', '/streamlit/') are relative
-- to the app stage root laid out by snowflake.yml.

-- 1. Application roles. app_admin runs the pipeline and connects members; app_viewer reads Gold and
--    the dashboard; app_reporting reads only the REPORTING secure views (the BI tool's role).
CREATE APPLICATION ROLE IF NOT EXISTS app_admin;
CREATE APPLICATION ROLE IF NOT EXISTS app_viewer;
CREATE APPLICATION ROLE IF NOT EXISTS app_reporting;
GRANT APPLICATION ROLE app_viewer TO APPLICATION ROLE app_admin;

-- 2. Schemas. Data schemas are not versioned: Bronze history must outlive an upgrade.
CREATE OR ALTER VERSIONED SCHEMA core;
CREATE SCHEMA IF NOT EXISTS config;     -- network rule and secrets (never granted to consumers)
CREATE SCHEMA IF NOT EXISTS bronze;
CREATE SCHEMA IF NOT EXISTS silver;
CREATE SCHEMA IF NOT EXISTS gold;
CREATE SCHEMA IF NOT EXISTS reporting;
CREATE SCHEMA IF NOT EXISTS ops;

-- 3. The app's own warehouse (manifest privilege CREATE WAREHOUSE): Gold dynamic tables name it to refresh.
CREATE WAREHOUSE IF NOT EXISTS whoop_platform_wh
  WAREHOUSE_SIZE = 'XSMALL' AUTO_SUSPEND = 60 AUTO_RESUME = TRUE INITIALLY_SUSPENDED = TRUE;

-- 4. Egress to WHOOP. The app creates the rule and the integration (manifest privilege CREATE EXTERNAL
--    ACCESS INTEGRATION); no request leaves Snowflake until the consumer approves the specification,
--    whose HOST_PORTS must match the rule. Secrets hold the app-managed OAuth state (DESIGN §3): the
--    client credentials and the current refresh token, which the ingest procedure rewrites after each
--    refresh because WHOOP rotates it. Created empty here, filled by core.connect_member.
CREATE OR REPLACE NETWORK RULE config.whoop_api_rule
  MODE = EGRESS TYPE = HOST_PORT VALUE_LIST = ('api.prod.whoop.com');
CREATE SECRET IF NOT EXISTS config.whoop_client TYPE = GENERIC_STRING SECRET_STRING = '{}';
CREATE SECRET IF NOT EXISTS config.whoop_refresh_token TYPE = GENERIC_STRING SECRET_STRING = '';
CREATE OR REPLACE EXTERNAL ACCESS INTEGRATION whoop_platform_eai
  ALLOWED_NETWORK_RULES = (config.whoop_api_rule)
  ALLOWED_AUTHENTICATION_SECRETS = (config.whoop_client, config.whoop_refresh_token)
  ENABLED = TRUE;
ALTER APPLICATION SET SPECIFICATION whoop_api_egress
  TYPE = EXTERNAL_ACCESS
  LABEL = 'WHOOP API egress'
  DESCRIPTION = 'Lets the ingest procedure read your WHOOP data (cycles, recovery, sleep, workouts, profile) over HTTPS'
  HOST_PORTS = ('api.prod.whoop.com');

-- 5. Pipeline SQL, in layer order: bronze, silver, gold, reporting, ops. One line per file; a static test
--    (tests/static/test_native_app.py) fails when a file under sql/ is missing here or out of order.
-- BEGIN PIPELINE FILES
EXECUTE IMMEDIATE FROM '/sql/bronze/00_ingest_task.sql';
EXECUTE IMMEDIATE FROM '/sql/bronze/01_raw_cycle.sql';
EXECUTE IMMEDIATE FROM '/sql/silver/01_cycle.sql';
EXECUTE IMMEDIATE FROM '/sql/silver/02_merge_cycle.sql';
EXECUTE IMMEDIATE FROM '/sql/gold/01_fact_strain.sql';
EXECUTE IMMEDIATE FROM '/sql/ops/01_config.sql';
EXECUTE IMMEDIATE FROM '/sql/ops/02_procedures.sql';
EXECUTE IMMEDIATE FROM '/sql/ops/09_resume_tasks.sql';
-- END PIPELINE FILES

-- 6. Procedures. EXECUTE AS OWNER is the only mode a setup script may create; the handler package is
--    the zip built by infra/native_app_zip.py (a package cannot be imported file by file).
CREATE OR REPLACE PROCEDURE core.ingest_whoop(resource VARCHAR DEFAULT 'all')
  RETURNS VARIANT
  LANGUAGE PYTHON
  RUNTIME_VERSION = '3.11'
  PACKAGES = ('snowflake-snowpark-python', 'requests', 'pydantic', 'pandas', 'numpy')
  IMPORTS = ('/python/snowpark_procs.zip')
  HANDLER = 'snowpark_procs.ingest.main'
  EXTERNAL_ACCESS_INTEGRATIONS = (whoop_platform_eai)
  SECRETS = ('whoop_client' = config.whoop_client, 'whoop_refresh_token' = config.whoop_refresh_token)
  EXECUTE AS OWNER;

-- Stores a member's WHOOP OAuth client and first refresh token. Values are passed through JSON and
-- quote-escaped before the dynamic ALTER SECRET, which takes no bind variables.
CREATE OR REPLACE PROCEDURE core.connect_member(client_id VARCHAR, client_secret VARCHAR, refresh_token VARCHAR)
  RETURNS VARCHAR
  LANGUAGE SQL
  EXECUTE AS OWNER
AS
$$
DECLARE
  client_json VARCHAR DEFAULT TO_JSON(OBJECT_CONSTRUCT('client_id', client_id, 'client_secret', client_secret));
BEGIN
  IF (client_id IS NULL OR client_secret IS NULL OR refresh_token IS NULL) THEN
    RETURN 'client_id, client_secret and refresh_token are all required';
  END IF;
  EXECUTE IMMEDIATE 'ALTER SECRET config.whoop_client SET SECRET_STRING = '''
    || REPLACE(REPLACE(client_json, '\\', '\\\\'), '''', '\\''') || '''';
  EXECUTE IMMEDIATE 'ALTER SECRET config.whoop_refresh_token SET SECRET_STRING = '''
    || REPLACE(REPLACE(refresh_token, '\\', '\\\\'), '''', '\\''') || '''';
  RETURN 'member connected; run CALL core.ingest_whoop() or wait for the hourly task';
END;
$$;

-- 7. Default Streamlit (manifest artifacts.default_streamlit).
CREATE OR REPLACE STREAMLIT core.dashboard
  FROM '/streamlit/'
  MAIN_FILE = 'streamlit_app.py'
  TITLE = 'WHOOP Platform';

-- 8. Grants. Object-level grants on tables and views live next to their definitions in sql/ (a secure
--    view for app_reporting is granted in its own file), so this block covers schemas and core objects.
GRANT USAGE ON SCHEMA core TO APPLICATION ROLE app_viewer;
GRANT USAGE ON SCHEMA core TO APPLICATION ROLE app_reporting;
GRANT USAGE ON SCHEMA gold TO APPLICATION ROLE app_viewer;
GRANT USAGE ON SCHEMA reporting TO APPLICATION ROLE app_viewer;
GRANT USAGE ON SCHEMA reporting TO APPLICATION ROLE app_reporting;
GRANT USAGE ON SCHEMA bronze TO APPLICATION ROLE app_admin;
GRANT USAGE ON SCHEMA silver TO APPLICATION ROLE app_admin;
GRANT USAGE ON SCHEMA ops TO APPLICATION ROLE app_admin;
GRANT USAGE ON PROCEDURE core.ingest_whoop(VARCHAR) TO APPLICATION ROLE app_admin;
GRANT USAGE ON PROCEDURE core.connect_member(VARCHAR, VARCHAR, VARCHAR) TO APPLICATION ROLE app_admin;
GRANT USAGE ON STREAMLIT core.dashboard TO APPLICATION ROLE app_viewer;
