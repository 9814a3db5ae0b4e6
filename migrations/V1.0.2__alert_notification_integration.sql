-- E-mail notification integration for data quality alerts ({{ env }}). The app's OPS.DATA_QUALITY_ALERT
-- writes OPS.ALERT_EVENTS; GOVERNANCE.DQ_NOTIFY_ALERT (R__30_alerts.sql) forwards new events by e-mail.
-- Recipients must be verified users of the account (Snowflake refuses unverified addresses).
CREATE NOTIFICATION INTEGRATION IF NOT EXISTS WHOOP_ALERTS_{{ env | upper }}
    TYPE = EMAIL
    ENABLED = TRUE
    ALLOWED_RECIPIENTS = ('{{ alert_recipients }}')
    COMMENT = 'WHOOP platform data quality alerts ({{ env }})';
