-- The task graph's root: ingest on a schedule. Children (Silver MERGEs) hang off it with AFTER.
CREATE OR REPLACE TASK OPS.WHOOP_PIPELINE_ROOT
    WAREHOUSE = WHOOP_TRANSFORM_WH
    SCHEDULE = 'USING CRON 15 * * * * UTC'
AS
CALL OPS.INGEST_WHOOP('cycle');
