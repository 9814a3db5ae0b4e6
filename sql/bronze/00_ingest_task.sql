-- The task graph's root: the scheduled ingest that loads Bronze. Every task of a graph lives in one
-- schema (OPS); the Silver MERGE tasks hang off this root with AFTER.
CREATE SCHEMA IF NOT EXISTS OPS;

-- A member whose ingest fails fails the graph run (its finalizer, sql/quality/01_data_quality.sql) so the task
-- history tells the truth, but the schedule must keep running for the other members: without
-- SUSPEND_TASK_AFTER_NUM_FAILURES = 0, ten failed runs in a row (a WHOOP outage of five hours) would suspend the
-- graph (the default is 10: https://docs.snowflake.com/en/release-notes/bcr-bundles/2023_08/bcr-1412).
CREATE OR REPLACE TASK OPS.WHOOP_PIPELINE_ROOT
    USER_TASK_MANAGED_INITIAL_WAREHOUSE_SIZE = 'XSMALL'
    SCHEDULE = 'USING CRON 5,35 * * * * UTC'
    SUSPEND_TASK_AFTER_NUM_FAILURES = 0
AS
CALL OPS.INGEST_WHOOP('all');
