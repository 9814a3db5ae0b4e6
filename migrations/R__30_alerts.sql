-- Forwards the app's data quality events (OPS.ALERT_EVENTS, written by OPS.DATA_QUALITY_ALERT) by e-mail
-- through the notification integration of V1.0.2. Owned by WHOOP_ADMIN, which reads OPS through app_admin.
CREATE OR REPLACE ALERT {{ reporting_database }}.GOVERNANCE.DQ_NOTIFY_ALERT
    WAREHOUSE = {{ alert_warehouse }}
    SCHEDULE = '60 MINUTE'
    COMMENT = 'E-mails the operators when the app raised a data quality alert since the last check'
IF (EXISTS (
    SELECT 1
    FROM {{ app_database }}.OPS.ALERT_EVENTS AS e
    WHERE e.RAISED_AT > SNOWFLAKE.ALERT.LAST_SUCCESSFUL_SCHEDULED_TIME()
))
THEN
    CALL SYSTEM$SEND_EMAIL(
        'WHOOP_ALERTS_{{ env | upper }}',
        '{{ alert_recipients }}',
        'WHOOP platform ({{ env }}): data quality check failed',
        'A data quality check failed. See {{ app_database }}.OPS.ALERT_EVENTS and OPS.DQ_RESULTS; runbook: docs/runbook.md'
    );

ALTER ALERT {{ reporting_database }}.GOVERNANCE.DQ_NOTIFY_ALERT RESUME;

CREATE OR REPLACE ALERT {{ reporting_database }}.GOVERNANCE.INGEST_FAILURE_ALERT
    WAREHOUSE = {{ alert_warehouse }}
    SCHEDULE = '60 MINUTE'
    COMMENT = 'E-mails the operators when an ingest run failed for a member since the last check'
IF (EXISTS (
    SELECT 1
    FROM {{ app_database }}.OPS.INGEST_RUNS AS r
    WHERE r.STATUS = 'FAILED' AND r.FINISHED_AT > SNOWFLAKE.ALERT.LAST_SUCCESSFUL_SCHEDULED_TIME()
))
THEN
    CALL SYSTEM$SEND_EMAIL(
        'WHOOP_ALERTS_{{ env | upper }}',
        '{{ alert_recipients }}',
        'WHOOP platform ({{ env }}): an ingest run failed',
        'An ingest run failed. See {{ app_database }}.OPS.INGEST_RUNS (ERROR_MESSAGE); runbook: docs/runbook.md'
    );

ALTER ALERT {{ reporting_database }}.GOVERNANCE.INGEST_FAILURE_ALERT RESUME;

CREATE OR REPLACE ALERT {{ reporting_database }}.GOVERNANCE.REAUTHORIZATION_ALERT
    WAREHOUSE = {{ alert_warehouse }}
    SCHEDULE = '60 MINUTE'
    COMMENT = 'E-mails the operators when a member''s WHOOP grant stopped working since the last check'
IF (EXISTS (
    SELECT 1
    FROM {{ app_database }}.OPS.INGEST_RUNS AS r
    WHERE r.STATUS = 'NEEDS_REAUTHORIZATION' AND r.FINISHED_AT > SNOWFLAKE.ALERT.LAST_SUCCESSFUL_SCHEDULED_TIME()
))
THEN
    CALL SYSTEM$SEND_EMAIL(
        'WHOOP_ALERTS_{{ env | upper }}',
        '{{ alert_recipients }}',
        'WHOOP platform ({{ env }}): a member needs to authorize again',
        'A member''s WHOOP grant was refused. Reconnect them (app/README.md); runbook: docs/runbook.md'
    );

ALTER ALERT {{ reporting_database }}.GOVERNANCE.REAUTHORIZATION_ALERT RESUME;
