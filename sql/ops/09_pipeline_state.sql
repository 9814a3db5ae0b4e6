-- The app's scheduled work starts and stops here (snowpark_procs/pipeline_state.py says why): an install is
-- STOPPED until the consumer has approved egress and registered a member, then calls OPS.START_PIPELINE()
-- (the Setup page's Start button). Upgrades keep the recorded state: the setup script re-creates tasks and
-- dynamic tables and ends with OPS.APPLY_PIPELINE_STATE().
MERGE INTO CONFIG.SETTINGS AS s
USING (SELECT 'pipeline_state' AS SETTING_KEY, 'STOPPED' AS SETTING_VALUE) AS d
ON s.SETTING_KEY = d.SETTING_KEY
WHEN NOT MATCHED THEN INSERT (SETTING_KEY, SETTING_VALUE, UPDATED_AT) VALUES (d.SETTING_KEY, d.SETTING_VALUE, SYSDATE());

CREATE OR REPLACE PROCEDURE OPS.START_PIPELINE()
    RETURNS VARIANT
    LANGUAGE PYTHON
    RUNTIME_VERSION = '3.11'
    PACKAGES = ('snowflake-snowpark-python')
    IMPORTS = ('/python/snowpark_procs.zip')
    HANDLER = 'snowpark_procs.pipeline_state.start'
    EXECUTE AS OWNER;

CREATE OR REPLACE PROCEDURE OPS.STOP_PIPELINE()
    RETURNS VARIANT
    LANGUAGE PYTHON
    RUNTIME_VERSION = '3.11'
    PACKAGES = ('snowflake-snowpark-python')
    IMPORTS = ('/python/snowpark_procs.zip')
    HANDLER = 'snowpark_procs.pipeline_state.stop'
    EXECUTE AS OWNER;

CREATE OR REPLACE PROCEDURE OPS.APPLY_PIPELINE_STATE()
    RETURNS VARIANT
    LANGUAGE PYTHON
    RUNTIME_VERSION = '3.11'
    PACKAGES = ('snowflake-snowpark-python')
    IMPORTS = ('/python/snowpark_procs.zip')
    HANDLER = 'snowpark_procs.pipeline_state.apply'
    EXECUTE AS OWNER;

-- The data-quality alert needs EXECUTE ALERT, which an app may request but the consumer must grant
-- (https://docs.snowflake.com/en/developer-guide/native-apps/requesting-privs): it cannot be created at install,
-- so OPS.START_PIPELINE creates it through this procedure when the grant is there.
CREATE OR REPLACE PROCEDURE OPS.CREATE_DATA_QUALITY_ALERT()
    RETURNS VARCHAR
    LANGUAGE SQL
    EXECUTE AS OWNER
AS
$$
BEGIN
    -- Fires once per data quality run with a failed 'error' check. It looks at the newest run rather than at
    -- SNOWFLAKE.ALERT.LAST_SUCCESSFUL_SCHEDULED_TIME(): the local warehouse does not emulate that function, and
    -- "newest run, not alerted yet" also means a run is never alerted twice (or missed) when the alert's
    -- schedule and the graph's drift apart. The event row is what a notification integration forwards.
    CREATE OR REPLACE ALERT OPS.DATA_QUALITY_ALERT
        WAREHOUSE = WHOOP_PLATFORM_WH
        SCHEDULE = '60 MINUTE'
    IF (EXISTS (
        SELECT 1
        FROM OPS.DQ_RESULTS AS r
        WHERE r.RUN_ID = (SELECT MAX_BY(RUN_ID, STARTED_AT) FROM OPS.DQ_RUNS)
            AND NOT r.PASSED
            AND r.SEVERITY = 'error'
            AND NOT EXISTS (SELECT 1 FROM OPS.ALERT_EVENTS AS e WHERE e.RUN_ID = r.RUN_ID)
    ))
    THEN
        INSERT INTO OPS.ALERT_EVENTS (RAISED_AT, ALERT_NAME, RUN_ID, FAILED_CHECKS, DETAIL)
        SELECT SYSDATE(), 'OPS.DATA_QUALITY_ALERT', r.RUN_ID, COUNT(*),
            LISTAGG(r.TABLE_NAME || '.' || r.CHECK_NAME, ', ') WITHIN GROUP (ORDER BY r.TABLE_NAME, r.CHECK_NAME)
        FROM OPS.DQ_RESULTS AS r
        WHERE r.RUN_ID = (SELECT MAX_BY(RUN_ID, STARTED_AT) FROM OPS.DQ_RUNS)
            AND NOT r.PASSED
            AND r.SEVERITY = 'error'
            AND NOT EXISTS (SELECT 1 FROM OPS.ALERT_EVENTS AS e WHERE e.RUN_ID = r.RUN_ID)
        GROUP BY r.RUN_ID;
    RETURN 'OPS.DATA_QUALITY_ALERT created';
END;
$$;
