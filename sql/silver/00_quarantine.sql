-- Where rows that break a rule go, and what each transform run did with its input. Shared by every layer:
-- Silver transforms write here before promotion, and the quality checks read it.
CREATE SCHEMA IF NOT EXISTS OPS;

CREATE TABLE IF NOT EXISTS OPS.QUARANTINE (
    QUARANTINED_AT TIMESTAMP_NTZ NOT NULL COMMENT 'UTC time the row was set aside',
    LAYER VARCHAR NOT NULL COMMENT 'Layer whose rule the row broke: SILVER or GOLD',
    SOURCE_TABLE VARCHAR NOT NULL COMMENT 'Table the row came from, e.g. BRONZE.RAW_SLEEP',
    TARGET_TABLE VARCHAR NOT NULL COMMENT 'Table the row was not promoted to',
    RULE_NAME VARCHAR NOT NULL COMMENT 'The first rule the row broke (see the data dictionary)',
    MEMBER_REF VARCHAR COMMENT 'WHOOP user id or member name, when the row has one',
    RECORD_KEY VARCHAR COMMENT 'Natural key of the record, when the row has one',
    INGEST_BATCH_ID VARCHAR COMMENT 'Ingest run or export import that loaded the row',
    PAYLOAD_HASH VARCHAR NOT NULL COMMENT 'Identifies the row version; a version is quarantined once per rule',
    PAYLOAD VARIANT COMMENT 'The raw row exactly as Bronze holds it'
) COMMENT = 'Rows held back from promotion, with the rule they broke and their raw payload; nothing is dropped silently';

CREATE TABLE IF NOT EXISTS OPS.TRANSFORM_RUNS (
    RUN_AT TIMESTAMP_NTZ NOT NULL COMMENT 'UTC time of the transform run',
    TARGET_TABLE VARCHAR NOT NULL COMMENT 'Silver table the run built',
    ROWS_READ NUMBER(38, 0) NOT NULL COMMENT 'Bronze rows the run took from the stream (plus any left by a failed run)',
    ROWS_PROMOTED NUMBER(38, 0) NOT NULL COMMENT 'Rows that passed every rule and were merged',
    ROWS_QUARANTINED NUMBER(38, 0) NOT NULL COMMENT 'Rows that broke a rule and went to OPS.QUARANTINE'
) COMMENT = 'One row per Silver transform run: where its input went (read = promoted + quarantined)';
