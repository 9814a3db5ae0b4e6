-- Forwards the app's data quality events (OPS.ALERT_EVENTS, written by OPS.DATA_QUALITY_ALERT) by e-mail
-- through the notification integration of V1.0.2. Owned by WHOOP_ADMIN, which reads OPS through app_admin.
{#- An alert of the operators' account, declared once: it checks `condition` (SELECT 1 FROM the app's `source`, one
    row per event) on its schedule and, when a row is there, runs `action`; created suspended, so it is resumed. -#}
{% macro alert(name, comment, source, condition, action, schedule="60 MINUTE") -%}
CREATE OR REPLACE ALERT {{ reporting_database }}.GOVERNANCE.{{ name }}
    WAREHOUSE = {{ alert_warehouse }}
    SCHEDULE = '{{ schedule }}'
    COMMENT = '{{ comment }}'
IF (EXISTS (
    SELECT 1
    FROM {{ app_database }}.OPS.{{ source }}
    WHERE {{ condition }}
))
THEN
    {{ action }};

ALTER ALERT {{ reporting_database }}.GOVERNANCE.{{ name }} RESUME;
{%- endmacro %}

{#- The operators' e-mail for an event since the alert last ran. -#}
{% macro email(name, comment, source, condition, subject, body) -%}
{{ alert(name, comment, source, condition ~ " > SNOWFLAKE.ALERT.LAST_SUCCESSFUL_SCHEDULED_TIME()",
    "CALL SYSTEM$SEND_EMAIL(
        'WHOOP_ALERTS_" ~ env | upper ~ "',
        '" ~ alert_recipients ~ "',
        'WHOOP platform (" ~ env ~ "): " ~ subject ~ "',
        '" ~ body ~ "'
    )") }}
{%- endmacro %}

{{ email("DQ_NOTIFY_ALERT", "E-mails the operators when the app raised a data quality alert since the last check",
    "ALERT_EVENTS AS e", "e.RAISED_AT", "data quality check failed",
    "A data quality check failed. See " ~ app_database ~ ".OPS.ALERT_EVENTS and OPS.DQ_RESULTS; runbook: docs/runbook.md")
}}

{{ email("INGEST_FAILURE_ALERT", "E-mails the operators when an ingest run failed for a member since the last check",
    "INGEST_RUNS AS r", "r.STATUS = 'FAILED' AND r.FINISHED_AT", "an ingest run failed",
    "An ingest run failed. See " ~ app_database ~ ".OPS.INGEST_RUNS (ERROR_MESSAGE); runbook: docs/runbook.md") }}

{{ email("REAUTHORIZATION_ALERT",
    "E-mails the operators when a member''s WHOOP grant stopped working since the last check",
    "INGEST_RUNS AS r", "r.STATUS = 'NEEDS_REAUTHORIZATION' AND r.FINISHED_AT", "a member needs to authorize again",
    "A member''s WHOOP grant was refused. Reconnect them (app/README.md); runbook: docs/runbook.md") }}

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

{{ alert("MEMBER_ALERTS_NOTIFY", "Sends the alerts the app raised for athletes and coaches (its pending deliveries)",
    "MEMBER_ALERT_DELIVERIES AS d", "d.STATUS = 'PENDING'",
    "CALL " ~ reporting_database ~ ".GOVERNANCE.DELIVER_MEMBER_ALERTS()", schedule="15 MINUTE") }}
