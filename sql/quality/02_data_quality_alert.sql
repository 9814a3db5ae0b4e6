-- Template (Jinja, rendered by OPS.CREATE_DATA_QUALITY_ALERT, snowpark_procs/app_warehouse.py): the data-quality
-- alert on the app's own warehouse. Not run at install: it needs EXECUTE ALERT, which the consumer grants.
-- Fires once per data quality run with a failed 'error' check. It looks at the newest run rather than at
-- SNOWFLAKE.ALERT.LAST_SUCCESSFUL_SCHEDULED_TIME(): the local warehouse does not emulate that function, and
-- "newest run, not alerted yet" also means a run is never alerted twice (or missed) when the alert's
-- schedule and the graph's drift apart. The event row is what a notification integration forwards.
-- OPS.RUN_DATA_QUALITY runs it (EXECUTE ALERT) right after each quality run, while the warehouse is still up from
-- the Gold refresh, so a failure is raised within the run and costs no resume of its own; the daily schedule is
-- only a backstop (an hourly one would resume the warehouse 24 more times a day).
CREATE OR REPLACE ALERT OPS.DATA_QUALITY_ALERT
    WAREHOUSE = {{ app_warehouse }}
    SCHEDULE = 'USING CRON 15 6 * * * UTC'
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
