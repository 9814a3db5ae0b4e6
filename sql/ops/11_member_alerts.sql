-- Alerts that reach the athlete and their coaches (issue 16 item 3). The rules are data (CONFIG.ALERT_RULES); after
-- every ingest graph run (its finalizer, OPS.FINISH_PIPELINE_RUN) and after each daily scoring run (the task below)
-- they are evaluated for every member (OPS.EVALUATE_MEMBER_ALERTS,
-- snowpark_procs/alerts.py). A rule that starts to hold for a member opens one event (OPS.MEMBER_ALERT_EVENTS: what
-- fired and why) and one delivery per viewer CONFIG.MEMBER_VIEWERS maps to the member (OPS.MEMBER_ALERT_DELIVERIES);
-- while it keeps holding nothing more is written, and once it stops the event is closed (CLEARED_AT), so it can fire
-- again later.
--
-- Sending is not the app's to do: an app cannot create a notification integration (CREATE INTEGRATION is not among
-- the global privileges an app may request, https://docs.snowflake.com/en/developer-guide/native-apps/requesting-privs)
-- and cannot be handed one as a reference (the object types of
-- https://docs.snowflake.com/en/sql-reference/functions/system_reference include no notification integration). So
-- the app writes the deliveries, and the account's side (migrations/R__30_alerts.sql: GOVERNANCE.MEMBER_ALERTS_NOTIFY,
-- owned by a role holding app_admin) sends each pending one with SYSTEM$SEND_SNOWFLAKE_NOTIFICATION through the
-- consumer's e-mail (and, where the account has one, webhook) notification integration, then marks it with
-- OPS.MARK_ALERT_DELIVERIES. The local warehouse refuses a notification call made as the app, and records (never
-- sends) the account side's.

CREATE TABLE IF NOT EXISTS CONFIG.ALERT_RULES (
    RULE_NAME VARCHAR NOT NULL COMMENT 'anomaly_flagged, red_recovery_streak, sleep_debt, data_stale, needs_reauthorization',
    THRESHOLD FLOAT COMMENT 'The rule''s number: days (anomaly window, red streak), minutes (sleep debt), hours (stale)',
    ENABLED BOOLEAN NOT NULL COMMENT 'FALSE: the rule is not evaluated (its open events close on the next evaluation)',
    DESCRIPTION VARCHAR COMMENT 'What the rule watches',
    UPDATED_AT TIMESTAMP_NTZ NOT NULL COMMENT 'UTC time the row was last written'
) COMMENT = 'Alert rules as data: one row per rule, its threshold and whether it is on (OPS.EVALUATE_MEMBER_ALERTS)';

-- Defaults, written once: a consumer's changes (UPDATE CONFIG.ALERT_RULES …) survive upgrades.
MERGE INTO CONFIG.ALERT_RULES AS r
USING (
    SELECT 'anomaly_flagged' AS RULE_NAME, 1 AS THRESHOLD,
        'A night flagged by anomaly detection (ML.FACT_ANOMALIES) among the member''s newest THRESHOLD days' AS DESCRIPTION
    UNION ALL SELECT 'red_recovery_streak', 3,
        'Recovery red (33 % or less) on each of the member''s newest THRESHOLD recorded days'
    UNION ALL SELECT 'sleep_debt', 120,
        'Sleep debt of the member''s newest main sleep above THRESHOLD minutes'
    UNION ALL SELECT 'data_stale', 36,
        'Nothing new loaded for the member for more than THRESHOLD hours'
    UNION ALL SELECT 'needs_reauthorization', NULL,
        'WHOOP refused the member''s grant (CONFIG.MEMBERS.STATUS = NEEDS_REAUTHORIZATION): they must connect again'
) AS d
ON r.RULE_NAME = d.RULE_NAME
WHEN NOT MATCHED THEN INSERT (RULE_NAME, THRESHOLD, ENABLED, DESCRIPTION, UPDATED_AT)
    VALUES (d.RULE_NAME, d.THRESHOLD, TRUE, d.DESCRIPTION, SYSDATE());

CREATE TABLE IF NOT EXISTS OPS.MEMBER_ALERT_EVENTS (
    EVENT_ID VARCHAR NOT NULL COMMENT 'Id of the event',
    RULE_NAME VARCHAR NOT NULL COMMENT 'The rule that fired (CONFIG.ALERT_RULES)',
    MEMBER_NAME VARCHAR NOT NULL COMMENT 'The member it fired for',
    MEMBER_KEY VARCHAR NOT NULL COMMENT 'GOLD.DIM_MEMBER.MEMBER_KEY of the member',
    FIRED_AT TIMESTAMP_NTZ NOT NULL COMMENT 'UTC time of the evaluation that found the rule holding',
    REASON VARCHAR NOT NULL COMMENT 'Why, in words: the values that made the rule hold',
    THRESHOLD FLOAT COMMENT 'The rule''s threshold when it fired',
    CLEARED_AT TIMESTAMP_NTZ COMMENT 'UTC time of the first evaluation that found it no longer holding; NULL: still open',
    RUN_ID VARCHAR NOT NULL COMMENT 'The evaluation that opened it'
) COMMENT = 'One row per alert that fired: what, for whom, why; open until the rule stops holding (never repeated while open)';

CREATE TABLE IF NOT EXISTS OPS.MEMBER_ALERT_DELIVERIES (
    DELIVERY_ID VARCHAR NOT NULL COMMENT 'Id of the delivery',
    EVENT_ID VARCHAR NOT NULL COMMENT 'The event (OPS.MEMBER_ALERT_EVENTS)',
    MEMBER_NAME VARCHAR NOT NULL COMMENT 'The member the event is about',
    MEMBER_KEY VARCHAR NOT NULL COMMENT 'GOLD.DIM_MEMBER.MEMBER_KEY of the member',
    RECIPIENT_USER VARCHAR NOT NULL COMMENT 'The viewer it goes to (CONFIG.MEMBER_VIEWERS.VIEWER_USER)',
    RELATION VARCHAR NOT NULL COMMENT 'self (the athlete) or coach',
    RECIPIENT_EMAIL VARCHAR COMMENT 'Where it goes; NULL when the mapping has no address (STATUS NO_ADDRESS)',
    SUBJECT VARCHAR NOT NULL COMMENT 'The message''s subject',
    BODY VARCHAR NOT NULL COMMENT 'The message',
    CREATED_AT TIMESTAMP_NTZ NOT NULL COMMENT 'UTC time the event fired',
    STATUS VARCHAR NOT NULL COMMENT 'PENDING, SENT, FAILED or NO_ADDRESS',
    STATUS_DETAIL VARCHAR COMMENT 'What the sender reported (the integration used, or the error)',
    SENT_AT TIMESTAMP_NTZ COMMENT 'UTC time the sender marked it'
) COMMENT = 'The outbox: one row per event and mapped viewer; the account''s GOVERNANCE.MEMBER_ALERTS_NOTIFY sends the PENDING ones';

CREATE OR REPLACE PROCEDURE OPS.EVALUATE_MEMBER_ALERTS()
    RETURNS VARIANT
    LANGUAGE PYTHON
    RUNTIME_VERSION = '3.11'
    PACKAGES = ('snowflake-snowpark-python')
    IMPORTS = ('/python/snowpark_procs.zip')
    HANDLER = 'snowpark_procs.alerts.evaluate'
    EXECUTE AS OWNER;

-- Called by the account's sender for the deliveries it handled (IDS: a JSON array of DELIVERY_IDs).
CREATE OR REPLACE PROCEDURE OPS.MARK_ALERT_DELIVERIES(IDS VARCHAR, STATUS VARCHAR, DETAIL VARCHAR)
    RETURNS VARCHAR
    LANGUAGE PYTHON
    RUNTIME_VERSION = '3.11'
    PACKAGES = ('snowflake-snowpark-python')
    IMPORTS = ('/python/snowpark_procs.zip')
    HANDLER = 'snowpark_procs.alerts.mark_deliveries'
    EXECUTE AS OWNER;

-- After the daily scoring and anomaly detection (sql/ml/01_ml.sql), on the Gold those read. Created suspended;
-- OPS.APPLY_PIPELINE_STATE resumes it with the other tasks (snowpark_procs/pipeline_state.py).
CREATE OR REPLACE TASK OPS.MEMBER_ALERTS_TASK
    USER_TASK_MANAGED_INITIAL_WAREHOUSE_SIZE = 'XSMALL'
    AFTER OPS.ML_ANOMALY_TASK
AS
CALL OPS.EVALUATE_MEMBER_ALERTS();
