-- The task graph's root: the scheduled ingest that loads Bronze. Every task of a graph lives in one
-- schema (OPS); the Silver MERGE tasks hang off this root with AFTER.
CREATE SCHEMA IF NOT EXISTS OPS;

CREATE OR REPLACE TASK OPS.WHOOP_PIPELINE_ROOT
    USER_TASK_MANAGED_INITIAL_WAREHOUSE_SIZE = 'XSMALL'
    SCHEDULE = 'USING CRON 5,35 * * * * UTC'
AS
CALL OPS.INGEST_WHOOP('all');
