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

-- Alerts that reach athletes and coaches (issue 16 item 3). The app evaluates its rules after each daily scoring run
-- and writes one delivery per mapped viewer (its OPS.MEMBER_ALERT_DELIVERIES); it cannot send them itself (an app
-- holds no notification integration: sql/ops/11_member_alerts.sql). This procedure, owned by WHOOP_ADMIN (which
-- reads and marks the outbox through app_admin), sends each pending one with SYSTEM$SEND_SNOWFLAKE_NOTIFICATION
-- (https://docs.snowflake.com/en/sql-reference/stored-procedures/system_send_snowflake_notification) to the address
-- the mapping holds, posts each alert once to the webhook integration where the account has one, and reports back
-- with the app's OPS.MARK_ALERT_DELIVERIES, so nothing is sent twice.
CREATE OR REPLACE PROCEDURE {{ reporting_database }}.GOVERNANCE.DELIVER_MEMBER_ALERTS()
    RETURNS VARCHAR
    LANGUAGE PYTHON
    RUNTIME_VERSION = '3.11'
    PACKAGES = ('snowflake-snowpark-python')
    HANDLER = 'deliver'
    EXECUTE AS OWNER
    COMMENT = 'Sends the app''s pending member alerts by e-mail (and webhook), then marks them in the app'
AS
$$
import json

APP = "{{ app_database }}"
EMAIL = "WHOOP_MEMBER_ALERTS_{{ env | upper }}"
WEBHOOK = "WHOOP_MEMBER_ALERTS_WEBHOOK_{{ env | upper }}"


def _send(session, message, config):
    session.sql("CALL SYSTEM$SEND_SNOWFLAKE_NOTIFICATION(?, ?)", params=[message, config]).collect()


def _mark(session, ids, status, detail):
    if ids:
        session.sql(
            f"CALL {APP}.OPS.MARK_ALERT_DELIVERIES(?, ?, ?)", params=[json.dumps(ids), status, detail[:1000]]
        ).collect()


def deliver(session):
    rows = session.sql(
        "SELECT d.DELIVERY_ID, d.EVENT_ID, d.MEMBER_NAME, d.RECIPIENT_USER, d.RECIPIENT_EMAIL, d.SUBJECT, d.BODY "
        f"FROM {APP}.OPS.MEMBER_ALERT_DELIVERIES AS d WHERE d.STATUS = 'PENDING' ORDER BY d.CREATED_AT, d.DELIVERY_ID"
    ).collect()
    webhook = bool(session.sql(f"SHOW NOTIFICATION INTEGRATIONS LIKE '{WEBHOOK}'").collect())
    sent, failed, posted = [], 0, set()
    for delivery_id, event_id, member, user, email, subject, body in rows:
        try:
            _send(session, json.dumps({"text/plain": body}), json.dumps({EMAIL: {"subject": subject, "toAddress": [email]}}))
            sent.append(delivery_id)
        except Exception as e:
            failed += 1
            _mark(session, [delivery_id], "FAILED", f"{EMAIL}: {' '.join(str(e).split())}")
        if webhook and event_id not in posted:
            posted.add(event_id)
            payload = {"event_id": event_id, "member": member, "subject": subject, "text": body}
            _send(session, json.dumps({"application/json": json.dumps(payload)}), json.dumps({WEBHOOK: {}}))
    _mark(session, sent, "SENT", f"e-mail via {EMAIL}")
    return f"{len(sent)} sent, {failed} failed, {len(posted)} posted to the webhook"
$$;

CREATE OR REPLACE ALERT {{ reporting_database }}.GOVERNANCE.MEMBER_ALERTS_NOTIFY
    WAREHOUSE = {{ alert_warehouse }}
    SCHEDULE = '15 MINUTE'
    COMMENT = 'Sends the alerts the app raised for athletes and coaches (its pending deliveries)'
IF (EXISTS (
    SELECT 1
    FROM {{ app_database }}.OPS.MEMBER_ALERT_DELIVERIES AS d
    WHERE d.STATUS = 'PENDING'
))
THEN
    CALL {{ reporting_database }}.GOVERNANCE.DELIVER_MEMBER_ALERTS();

ALTER ALERT {{ reporting_database }}.GOVERNANCE.MEMBER_ALERTS_NOTIFY RESUME;
