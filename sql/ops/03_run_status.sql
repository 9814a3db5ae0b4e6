-- What the newest run of the ingest task graph did (snowpark_procs/run_status.py): per member the status, where it
-- stopped and the new versions (OPS.INGEST_RUNS), each task's state (the app's INFORMATION_SCHEMA.TASK_HISTORY), an
-- overall status (SUCCEEDED, FAILED, SKIPPED or NO_RUN) and one line saying who and why. For callers other than the
-- `whoop` CLI (Snowsight, monitoring): CALL OPS.RUN_STATUS() for the newest graph run, or pass a GRAPH_RUN_GROUP_ID.
CREATE OR REPLACE PROCEDURE OPS.RUN_STATUS(GRAPH_RUN_ID VARCHAR DEFAULT NULL)
    RETURNS VARIANT
    LANGUAGE PYTHON
    RUNTIME_VERSION = '3.11'
    PACKAGES = ('snowflake-snowpark-python')
    IMPORTS = ('/python/snowpark_procs.zip')
    HANDLER = 'snowpark_procs.run_status.status'
    EXECUTE AS OWNER;
