-- Bronze: the other WHOOP API resources, exactly as returned, one row per distinct version.
-- Same shape as BRONZE.RAW_CYCLE; profile and body are snapshots that add a row only when they change.
CREATE SCHEMA IF NOT EXISTS BRONZE;

CREATE TABLE IF NOT EXISTS BRONZE.RAW_RECOVERY (
    INGEST_BATCH_ID VARCHAR NOT NULL COMMENT 'The ingest run that loaded the row',
    LOADED_AT TIMESTAMP_NTZ NOT NULL COMMENT 'UTC time the row was written',
    MEMBER_ID NUMBER(38, 0) NOT NULL COMMENT 'WHOOP user id',
    SOURCE VARCHAR NOT NULL COMMENT 'API endpoint the payload came from',
    API_VERSION VARCHAR NOT NULL COMMENT 'WHOOP API version the payload came from (v2)',
    RECORD_KEY VARCHAR NOT NULL COMMENT 'Natural key: the cycle id (a recovery has no id of its own)',
    RECORD_UPDATED_AT TIMESTAMP_NTZ COMMENT 'The payload updated_at, UTC (NULL for snapshots)',
    PAYLOAD_HASH VARCHAR NOT NULL COMMENT 'MD5 of the canonical payload; a version is stored once',
    PAYLOAD VARIANT NOT NULL COMMENT 'The record exactly as WHOOP returned it, parsed to VARIANT (never a JSON string)'
) COMMENT = 'Append-only raw WHOOP recoveries; never updated in place';

CREATE STREAM IF NOT EXISTS BRONZE.RAW_RECOVERY_STREAM ON TABLE BRONZE.RAW_RECOVERY APPEND_ONLY = TRUE;

CREATE TABLE IF NOT EXISTS BRONZE.RAW_SLEEP (
    INGEST_BATCH_ID VARCHAR NOT NULL COMMENT 'The ingest run that loaded the row',
    LOADED_AT TIMESTAMP_NTZ NOT NULL COMMENT 'UTC time the row was written',
    MEMBER_ID NUMBER(38, 0) NOT NULL COMMENT 'WHOOP user id',
    SOURCE VARCHAR NOT NULL COMMENT 'API endpoint the payload came from',
    API_VERSION VARCHAR NOT NULL COMMENT 'WHOOP API version the payload came from (v2)',
    RECORD_KEY VARCHAR NOT NULL COMMENT 'Natural key: the sleep uuid',
    RECORD_UPDATED_AT TIMESTAMP_NTZ COMMENT 'The payload updated_at, UTC (NULL for snapshots)',
    PAYLOAD_HASH VARCHAR NOT NULL COMMENT 'MD5 of the canonical payload; a version is stored once',
    PAYLOAD VARIANT NOT NULL COMMENT 'The record exactly as WHOOP returned it, parsed to VARIANT (never a JSON string)'
) COMMENT = 'Append-only raw WHOOP sleeps, naps included; never updated in place';

CREATE STREAM IF NOT EXISTS BRONZE.RAW_SLEEP_STREAM ON TABLE BRONZE.RAW_SLEEP APPEND_ONLY = TRUE;

CREATE TABLE IF NOT EXISTS BRONZE.RAW_WORKOUT (
    INGEST_BATCH_ID VARCHAR NOT NULL COMMENT 'The ingest run that loaded the row',
    LOADED_AT TIMESTAMP_NTZ NOT NULL COMMENT 'UTC time the row was written',
    MEMBER_ID NUMBER(38, 0) NOT NULL COMMENT 'WHOOP user id',
    SOURCE VARCHAR NOT NULL COMMENT 'API endpoint the payload came from',
    API_VERSION VARCHAR NOT NULL COMMENT 'WHOOP API version the payload came from (v2)',
    RECORD_KEY VARCHAR NOT NULL COMMENT 'Natural key: the workout uuid',
    RECORD_UPDATED_AT TIMESTAMP_NTZ COMMENT 'The payload updated_at, UTC (NULL for snapshots)',
    PAYLOAD_HASH VARCHAR NOT NULL COMMENT 'MD5 of the canonical payload; a version is stored once',
    PAYLOAD VARIANT NOT NULL COMMENT 'The record exactly as WHOOP returned it, parsed to VARIANT (never a JSON string)'
) COMMENT = 'Append-only raw WHOOP workouts; never updated in place';

CREATE STREAM IF NOT EXISTS BRONZE.RAW_WORKOUT_STREAM ON TABLE BRONZE.RAW_WORKOUT APPEND_ONLY = TRUE;

CREATE TABLE IF NOT EXISTS BRONZE.RAW_PROFILE (
    INGEST_BATCH_ID VARCHAR NOT NULL COMMENT 'The ingest run that loaded the row',
    LOADED_AT TIMESTAMP_NTZ NOT NULL COMMENT 'UTC time the row was written',
    MEMBER_ID NUMBER(38, 0) NOT NULL COMMENT 'WHOOP user id',
    SOURCE VARCHAR NOT NULL COMMENT 'API endpoint the payload came from',
    API_VERSION VARCHAR NOT NULL COMMENT 'WHOOP API version the payload came from (v2)',
    RECORD_KEY VARCHAR NOT NULL COMMENT 'Natural key: the WHOOP user id',
    RECORD_UPDATED_AT TIMESTAMP_NTZ COMMENT 'The payload updated_at, UTC (NULL for snapshots)',
    PAYLOAD_HASH VARCHAR NOT NULL COMMENT 'MD5 of the canonical payload; a version is stored once',
    PAYLOAD VARIANT NOT NULL COMMENT 'The record exactly as WHOOP returned it, parsed to VARIANT (never a JSON string)'
) COMMENT = 'Append-only raw WHOOP basic profile snapshots; never updated in place';

CREATE STREAM IF NOT EXISTS BRONZE.RAW_PROFILE_STREAM ON TABLE BRONZE.RAW_PROFILE APPEND_ONLY = TRUE;

CREATE TABLE IF NOT EXISTS BRONZE.RAW_BODY (
    INGEST_BATCH_ID VARCHAR NOT NULL COMMENT 'The ingest run that loaded the row',
    LOADED_AT TIMESTAMP_NTZ NOT NULL COMMENT 'UTC time the row was written',
    MEMBER_ID NUMBER(38, 0) NOT NULL COMMENT 'WHOOP user id',
    SOURCE VARCHAR NOT NULL COMMENT 'API endpoint the payload came from',
    API_VERSION VARCHAR NOT NULL COMMENT 'WHOOP API version the payload came from (v2)',
    RECORD_KEY VARCHAR NOT NULL COMMENT 'Natural key: the WHOOP user id',
    RECORD_UPDATED_AT TIMESTAMP_NTZ COMMENT 'The payload updated_at, UTC (NULL for snapshots)',
    PAYLOAD_HASH VARCHAR NOT NULL COMMENT 'MD5 of the canonical payload; a version is stored once',
    PAYLOAD VARIANT NOT NULL COMMENT 'The record exactly as WHOOP returned it, parsed to VARIANT (never a JSON string)'
) COMMENT = 'Append-only raw WHOOP body measurement snapshots; never updated in place';

CREATE STREAM IF NOT EXISTS BRONZE.RAW_BODY_STREAM ON TABLE BRONZE.RAW_BODY APPEND_ONLY = TRUE;
