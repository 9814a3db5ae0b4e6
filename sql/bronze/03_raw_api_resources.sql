--!jinja
-- Bronze: the WHOOP API resources exactly as returned, one row per distinct version, in one shape: an append-only
-- table of payloads (parsed to VARIANT) with their lineage, and an append-only stream that the resource's Silver
-- task reads. Cycles, recoveries, sleeps and workouts add a row when WHOOP changes a record (updated_at); profile and
-- body are snapshots that add a row only when they change. The shape is declared once below: a file that starts
-- with --!jinja is a Jinja2 template that EXECUTE IMMEDIATE FROM renders before it runs
-- (https://docs.snowflake.com/en/sql-reference/sql/execute-immediate-from, "Jinja2 templating").
CREATE SCHEMA IF NOT EXISTS BRONZE;
{%- for name, key, comment in [
    ("CYCLE", "the cycle id", "Append-only raw cycles; never updated in place"),
    ("RECOVERY", "the cycle id (a recovery has no id of its own)",
        "Append-only raw WHOOP recoveries; never updated in place"),
    ("SLEEP", "the sleep uuid", "Append-only raw WHOOP sleeps, naps included; never updated in place"),
    ("WORKOUT", "the workout uuid", "Append-only raw WHOOP workouts; never updated in place"),
    ("PROFILE", "the WHOOP user id", "Append-only raw WHOOP basic profile snapshots; never updated in place"),
    ("BODY", "the WHOOP user id", "Append-only raw WHOOP body measurement snapshots; never updated in place"),
] %}

CREATE TABLE IF NOT EXISTS BRONZE.RAW_{{ name }} (
    INGEST_BATCH_ID VARCHAR NOT NULL COMMENT 'The ingest run that loaded the row',
    LOADED_AT TIMESTAMP_NTZ NOT NULL COMMENT 'UTC time the row was written',
    MEMBER_ID NUMBER(38, 0) NOT NULL COMMENT 'WHOOP user id',
    SOURCE VARCHAR NOT NULL COMMENT 'API endpoint the payload came from',
    API_VERSION VARCHAR NOT NULL COMMENT 'WHOOP API version the payload came from (v2)',
    RECORD_KEY VARCHAR NOT NULL COMMENT 'Natural key: {{ key }}',
    RECORD_UPDATED_AT TIMESTAMP_NTZ COMMENT 'The payload updated_at, UTC (NULL for snapshots)',
    PAYLOAD_HASH VARCHAR NOT NULL COMMENT 'MD5 of the canonical payload; a version is stored once',
    PAYLOAD VARIANT NOT NULL COMMENT 'The record exactly as WHOOP returned it, parsed to VARIANT (never a JSON string)'
) COMMENT = '{{ comment }}';

CREATE STREAM IF NOT EXISTS BRONZE.RAW_{{ name }}_STREAM ON TABLE BRONZE.RAW_{{ name }} APPEND_ONLY = TRUE;
{%- endfor %}
