-- Configuration and operational tables: settings, registered members, ingest watermarks, run log.
CREATE SCHEMA IF NOT EXISTS CONFIG;
CREATE SCHEMA IF NOT EXISTS OPS;

CREATE TABLE IF NOT EXISTS CONFIG.SETTINGS (
    SETTING_KEY VARCHAR NOT NULL,
    SETTING_VALUE VARCHAR NOT NULL,
    UPDATED_AT TIMESTAMP_NTZ NOT NULL
) COMMENT = 'Adapter settings such as the WHOOP API base URL; the only place local and Snowflake differ';

CREATE TABLE IF NOT EXISTS CONFIG.MEMBERS (
    MEMBER_NAME VARCHAR NOT NULL,
    WHOOP_USER_ID NUMBER(38, 0),
    STATUS VARCHAR NOT NULL,
    AUTHORIZED_AT TIMESTAMP_NTZ,
    STATUS_REASON VARCHAR
) COMMENT = 'WHOOP members whose data this app ingests; STATUS is ACTIVE or NEEDS_REAUTHORIZATION';
-- Added after the first release: how the member's token is obtained (DESIGN §3). IF NOT EXISTS keeps this
-- idempotent for the setup script, which runs on install and on every upgrade.
ALTER TABLE CONFIG.MEMBERS ADD COLUMN IF NOT EXISTS AUTH_MODE VARCHAR DEFAULT 'APP_MANAGED'
    COMMENT 'APP_MANAGED (refresh token in CONFIG.WHOOP_REFRESH_TOKENS) or SNOWFLAKE_MANAGED (OAUTH2 secret)';

CREATE TABLE IF NOT EXISTS OPS.WATERMARKS (
    MEMBER_NAME VARCHAR NOT NULL,
    RESOURCE VARCHAR NOT NULL,
    HIGH_WATER TIMESTAMP_NTZ NOT NULL,
    UPDATED_AT TIMESTAMP_NTZ NOT NULL
) COMMENT = 'Per member and resource: the newest record start seen; the next run re-reads from here minus the overlap';

CREATE TABLE IF NOT EXISTS OPS.INGEST_RUNS (
    RUN_ID VARCHAR NOT NULL,
    MEMBER_NAME VARCHAR NOT NULL,
    STARTED_AT TIMESTAMP_NTZ NOT NULL,
    FINISHED_AT TIMESTAMP_NTZ NOT NULL,
    STATUS VARCHAR NOT NULL,
    RESOURCES VARCHAR NOT NULL,
    REQUESTS NUMBER(38, 0) NOT NULL,
    PAGES NUMBER(38, 0) NOT NULL,
    RECORDS NUMBER(38, 0) NOT NULL,
    NEW_VERSIONS NUMBER(38, 0) NOT NULL,
    RETRIES NUMBER(38, 0) NOT NULL,
    WAITS NUMBER(38, 0) NOT NULL,
    WAIT_SECONDS FLOAT NOT NULL,
    ERROR_MESSAGE VARCHAR
) COMMENT = 'One row per ingest run and member: what was read, what was new, retries and waits, the error if any';

CREATE TABLE IF NOT EXISTS OPS.MEMBER_ERASURES (
    ERASURE_ID VARCHAR NOT NULL COMMENT 'Id returned to the caller of OPS.FORGET_MEMBER',
    ERASED_AT TIMESTAMP_NTZ NOT NULL COMMENT 'UTC time of the erasure',
    WHOOP_ACCESS VARCHAR NOT NULL COMMENT 'What happened to the WHOOP grant: revoked, already without access, or why not',
    TABLES_PURGED NUMBER(38, 0) NOT NULL COMMENT 'Tables the member had rows in',
    ROWS_DELETED NUMBER(38, 0) NOT NULL COMMENT 'Rows deleted across them'
) COMMENT = 'One row per forgotten member; it names no member (that would defeat the erasure)';
