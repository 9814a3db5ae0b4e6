-- E-mail notification integration for the alerts that reach athletes and coaches ({{ env }}): the app writes them to
-- its outbox (OPS.MEMBER_ALERT_DELIVERIES) because an app cannot hold a notification integration, and
-- GOVERNANCE.MEMBER_ALERTS_NOTIFY (R__30_alerts.sql) sends them through this one. No ALLOWED_RECIPIENTS: the
-- recipients are whoever the app's member-to-viewer mapping names, and an integration without the list may send to
-- any user of the account who has verified their e-mail address
-- (https://docs.snowflake.com/en/user-guide/email-stored-procedures). A webhook integration named
-- WHOOP_MEMBER_ALERTS_WEBHOOK_{{ env | upper }}, where the account has one, gets each alert as JSON too.
CREATE NOTIFICATION INTEGRATION IF NOT EXISTS WHOOP_MEMBER_ALERTS_{{ env | upper }}
    TYPE = EMAIL
    ENABLED = TRUE
    COMMENT = 'WHOOP platform alerts to athletes and coaches ({{ env }}): any verified e-mail of the account';
