-- Silver: the member's body measurements as a history, one row per snapshot that changed (Bronze stores a
-- snapshot only when it differs from the previous one). Built like SILVER.CYCLE (see sql/silver/01_cycle.sql).
{% from '_entity.sql' import entity, missing_field %}
{%- set columns %}
    MEMBER_ID NUMBER(38, 0) NOT NULL COMMENT 'WHOOP user id',
    MEMBER_NAME VARCHAR NOT NULL COMMENT 'Member as registered in CONFIG.MEMBERS',
    MEASURED_AT TIMESTAMP_NTZ NOT NULL COMMENT 'When the snapshot was read from WHOOP (Bronze load time), UTC; with MEMBER_ID the natural key',
    HEIGHT_METERS FLOAT COMMENT 'Height, metres',
    WEIGHT_KILOGRAMS FLOAT COMMENT 'Weight, kilograms',
    MAX_HEART_RATE NUMBER(38, 0) COMMENT 'Maximum heart rate WHOOP uses for zones, bpm',
    PAYLOAD_HASH VARCHAR NOT NULL COMMENT 'Bronze version this row was built from'
{%- endset %}
{%- call entity("BODY_MEASUREMENT", "BRONZE.RAW_BODY", ["MEMBER_ID", "MEASURED_AT"], columns, "history",
    "History of WHOOP body measurements per member") %}
    WITH typed AS (
        SELECT
            s.MEMBER_ID,
            m.MEMBER_NAME,
            s.LOADED_AT AS MEASURED_AT,
            TRY_TO_DOUBLE(s.PAYLOAD:height_meter::VARCHAR) AS HEIGHT_METERS,
            TRY_TO_DOUBLE(s.PAYLOAD:weight_kilogram::VARCHAR) AS WEIGHT_KILOGRAMS,
            TRY_TO_NUMBER(s.PAYLOAD:max_heart_rate::VARCHAR) AS MAX_HEART_RATE,
            -- the first field the v2 contract marks required that is absent or JSON null (STRIP_NULL_VALUE
            -- turns a JSON null into SQL NULL, an absent path is SQL NULL already:
            -- https://docs.snowflake.com/en/sql-reference/functions/strip_null_value)
            {{ missing_field("s.PAYLOAD", ["height_meter", "weight_kilogram", "max_heart_rate"]) }},
            s.PAYLOAD_HASH,
            s.INGEST_BATCH_ID,
            s.RECORD_KEY,
            s.PAYLOAD
        FROM BRONZE.RAW_BODY_STREAM AS s
        LEFT JOIN CONFIG.MEMBERS AS m ON m.WHOOP_USER_ID = s.MEMBER_ID
    )
    SELECT
        MEMBER_ID, MEMBER_NAME, MEASURED_AT, HEIGHT_METERS, WEIGHT_KILOGRAMS, MAX_HEART_RATE, PAYLOAD_HASH,
        INGEST_BATCH_ID, RECORD_KEY,
        CASE
            WHEN MEMBER_ID IS NULL THEN 'missing_key'
            WHEN MEMBER_NAME IS NULL THEN 'unknown_member'
            WHEN MISSING_FIELD IS NOT NULL THEN 'missing_required_field'
            -- bounds and their sources: sql/silver/00_quarantine.sql
            WHEN HEIGHT_METERS NOT BETWEEN 0.5 AND 2.8 THEN 'height_out_of_range'
            WHEN WEIGHT_KILOGRAMS NOT BETWEEN 2 AND 400 THEN 'weight_out_of_range'
            WHEN MAX_HEART_RATE NOT BETWEEN 100 AND 250 THEN 'heart_rate_out_of_range'
        END AS FAILED_RULE,
        IFF(MEMBER_ID IS NULL OR MEMBER_NAME IS NULL, NULL, MISSING_FIELD) AS FAILED_DETAIL,
        PAYLOAD
    FROM typed
{%- endcall %}
