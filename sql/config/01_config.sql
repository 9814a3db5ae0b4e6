-- Configuration and operational tables: settings, registered members, ingest watermarks, run log.
CREATE SCHEMA IF NOT EXISTS CONFIG;
CREATE SCHEMA IF NOT EXISTS OPS;

CREATE TABLE IF NOT EXISTS CONFIG.SETTINGS (
    SETTING_KEY VARCHAR NOT NULL COMMENT 'Setting name, e.g. api_base_url, token_url, dq_freshness_hours',
    SETTING_VALUE VARCHAR NOT NULL COMMENT 'Setting value as text',
    UPDATED_AT TIMESTAMP_NTZ NOT NULL COMMENT 'UTC time the value was last written'
) COMMENT = 'Adapter settings such as the WHOOP API base URL; the only place local and Snowflake differ';

CREATE TABLE IF NOT EXISTS CONFIG.MEMBERS (
    MEMBER_NAME VARCHAR NOT NULL COMMENT 'The member''s name in this app (natural key; letters, digits, underscores)',
    WHOOP_USER_ID NUMBER(38, 0) COMMENT 'WHOOP user id; NULL for members known only from a CSV export',
    STATUS VARCHAR NOT NULL COMMENT 'ACTIVE or NEEDS_REAUTHORIZATION',
    AUTHORIZED_AT TIMESTAMP_NTZ COMMENT 'UTC time the member last authorized the app',
    STATUS_REASON VARCHAR COMMENT 'Why the status is what it is (e.g. the refused refresh); never a token'
) COMMENT = 'WHOOP members whose data this app ingests; STATUS is ACTIVE or NEEDS_REAUTHORIZATION';
-- Added after the first release: how the member's token is obtained (DESIGN §3). IF NOT EXISTS keeps this
-- idempotent for the setup script, which runs on install and on every upgrade.
ALTER TABLE CONFIG.MEMBERS ADD COLUMN IF NOT EXISTS AUTH_MODE VARCHAR DEFAULT 'APP_MANAGED'
    COMMENT 'APP_MANAGED (refresh token in the secret CONFIG.WHOOP_TOKEN_<MEMBER>) or SNOWFLAKE_MANAGED (OAUTH2 secret)';

CREATE TABLE IF NOT EXISTS OPS.WATERMARKS (
    MEMBER_NAME VARCHAR NOT NULL COMMENT 'Member the watermark belongs to',
    RESOURCE VARCHAR NOT NULL COMMENT 'cycle, recovery, sleep, workout, profile or body',
    HIGH_WATER TIMESTAMP_NTZ NOT NULL COMMENT 'Newest record start seen, UTC; the next run reads from here minus the overlap window',
    UPDATED_AT TIMESTAMP_NTZ NOT NULL COMMENT 'UTC time the watermark last moved'
) COMMENT = 'Per member and resource: the newest record start seen; the next run re-reads from here minus the overlap';

CREATE TABLE IF NOT EXISTS OPS.INGEST_RUNS (
    RUN_ID VARCHAR NOT NULL COMMENT 'Id of the INGEST_WHOOP run (one run covers every member)',
    MEMBER_NAME VARCHAR NOT NULL COMMENT 'Member this row reports on',
    STARTED_AT TIMESTAMP_NTZ NOT NULL COMMENT 'UTC start of the member''s part of the run',
    FINISHED_AT TIMESTAMP_NTZ NOT NULL COMMENT 'UTC end of the member''s part of the run',
    STATUS VARCHAR NOT NULL COMMENT 'SUCCEEDED, FAILED or NEEDS_REAUTHORIZATION',
    RESOURCES VARCHAR NOT NULL COMMENT 'Resources the run read, comma separated',
    REQUESTS NUMBER(38, 0) NOT NULL COMMENT 'HTTP requests sent to WHOOP',
    PAGES NUMBER(38, 0) NOT NULL COMMENT 'Pages of 25 records read',
    RECORDS NUMBER(38, 0) NOT NULL COMMENT 'Records read',
    NEW_VERSIONS NUMBER(38, 0) NOT NULL COMMENT 'Records that were new or changed, written to Bronze',
    RETRIES NUMBER(38, 0) NOT NULL COMMENT 'Requests retried after a 5xx, timeout or malformed body',
    WAITS NUMBER(38, 0) NOT NULL COMMENT 'Waits for the rate limit (HTTP 429 or exhausted X-RateLimit-Remaining)',
    WAIT_SECONDS FLOAT NOT NULL COMMENT 'Seconds spent waiting for the rate limit',
    ERROR_MESSAGE VARCHAR COMMENT 'The error, when the member''s part failed; never a token'
) COMMENT = 'One row per ingest run and member: what was read, what was new, retries and waits, the error if any';
-- Added for OPS.RUN_STATUS (sql/ops/03_run_status.sql): which task graph run the ingest belonged to, and where a
-- member's part stopped. IF NOT EXISTS keeps this idempotent for the setup script.
ALTER TABLE OPS.INGEST_RUNS ADD COLUMN IF NOT EXISTS GRAPH_RUN_ID VARCHAR
    COMMENT 'The task graph run (SYSTEM$TASK_RUNTIME_INFO CURRENT_TASK_GRAPH_RUN_GROUP_ID); NULL for a manual CALL';
ALTER TABLE OPS.INGEST_RUNS ADD COLUMN IF NOT EXISTS FAILED_RESOURCE VARCHAR
    COMMENT 'Where a failed member''s part stopped: token (the refresh) or the resource being read; NULL otherwise';

CREATE TABLE IF NOT EXISTS OPS.MEMBER_ERASURES (
    ERASURE_ID VARCHAR NOT NULL COMMENT 'Id returned to the caller of OPS.FORGET_MEMBER',
    ERASED_AT TIMESTAMP_NTZ NOT NULL COMMENT 'UTC time of the erasure',
    WHOOP_ACCESS VARCHAR NOT NULL COMMENT 'What happened to the WHOOP grant: revoked, already without access, or why not',
    TABLES_PURGED NUMBER(38, 0) NOT NULL COMMENT 'Tables the member had rows in',
    ROWS_DELETED NUMBER(38, 0) NOT NULL COMMENT 'Rows deleted across them'
) COMMENT = 'One row per forgotten member; it names no member (that would defeat the erasure)';
