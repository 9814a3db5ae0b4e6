-- Runs after every deploy (schemachange always-script): SELECT on every REPORTING view for WHOOP_VIEWER, athletes
-- and coaches, whose rows the views' row access policy narrows to the members the app maps their user to
-- (modules/policies.sql). Always, not repeatable: R__10_reporting_views.sql replaces views when it changes, and a
-- replaced view has lost its grants. The views are owned by the deploying role (WHOOP_ADMIN), which may grant on them
-- (https://docs.snowflake.com/en/sql-reference/sql/grant-privilege, "ON ALL").
GRANT SELECT ON ALL VIEWS IN SCHEMA {{ reporting_database }}.REPORTING TO ROLE WHOOP_VIEWER;
