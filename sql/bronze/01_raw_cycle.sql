-- Bronze: raw WHOOP cycles exactly as the API returned them, one row per distinct version.
CREATE SCHEMA IF NOT EXISTS BRONZE;

CREATE TABLE IF NOT EXISTS BRONZE.RAW_CYCLE (
    INGEST_BATCH_ID VARCHAR NOT NULL COMMENT 'The ingest run that loaded the row',
    LOADED_AT TIMESTAMP_NTZ NOT NULL COMMENT 'UTC time the row was written',
    MEMBER_ID NUMBER(38, 0) NOT NULL COMMENT 'WHOOP user id',
    SOURCE VARCHAR NOT NULL COMMENT 'API endpoint (or export file) the payload came from',
    API_VERSION VARCHAR NOT NULL COMMENT 'WHOOP API version the payload came from (v2)',
    RECORD_KEY VARCHAR NOT NULL COMMENT 'Natural key: the cycle id',
    RECORD_UPDATED_AT TIMESTAMP_NTZ COMMENT 'The payload updated_at, UTC',
    PAYLOAD_HASH VARCHAR NOT NULL COMMENT 'MD5 of the canonical payload; a version is stored once',
    PAYLOAD VARIANT NOT NULL COMMENT 'The record exactly as WHOOP returned it, parsed to VARIANT (never a JSON string)'
) COMMENT = 'Append-only raw cycles; never updated in place';

CREATE STREAM IF NOT EXISTS BRONZE.RAW_CYCLE_STREAM ON TABLE BRONZE.RAW_CYCLE APPEND_ONLY = TRUE;
