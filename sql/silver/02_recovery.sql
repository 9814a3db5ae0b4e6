-- Silver: one typed row per WHOOP recovery (a recovery belongs to a cycle and has no id of its own), the
-- version with the latest updated_at. Built like SILVER.CYCLE (see sql/silver/01_cycle.sql).
-- Its local day is the wake-up date of its sleep; Gold joins SILVER.SLEEP for that.
{% from '_entity.sql' import api_checks, api_detail, api_lineage, api_lineage_columns, api_typed, entity, missing_field, scored_only %}
{%- set comment = "Typed, deduplicated WHOOP recoveries; latest updated_at wins" %}
{%- set columns %}
    CYCLE_ID NUMBER(38, 0) NOT NULL COMMENT 'WHOOP cycle id (natural key: one recovery per cycle)',
    SLEEP_ID VARCHAR COMMENT 'The sleep the recovery was scored from (WHOOP sleep uuid)',
    MEMBER_ID NUMBER(38, 0) NOT NULL COMMENT 'WHOOP user id',
    MEMBER_NAME VARCHAR NOT NULL COMMENT 'Member as registered in CONFIG.MEMBERS',
    SCORE_STATE VARCHAR NOT NULL COMMENT 'SCORED, PENDING_SCORE or UNSCORABLE; scores are NULL unless SCORED',
    USER_CALIBRATING BOOLEAN COMMENT 'TRUE during the first days, while WHOOP calibrates to the member',
    RECOVERY_SCORE FLOAT COMMENT 'Recovery, percent 0-100',
    RESTING_HEART_RATE FLOAT COMMENT 'Resting heart rate, bpm',
    HRV_RMSSD_MS FLOAT COMMENT 'Heart rate variability (RMSSD), milliseconds',
    SPO2_PERCENTAGE FLOAT COMMENT 'Blood oxygen, percent; WHOOP 4.0 straps and later only',
    SKIN_TEMP_CELSIUS FLOAT COMMENT 'Skin temperature, degrees Celsius; WHOOP 4.0 straps and later only',
    {{ api_lineage_columns() }}
{%- endset %}
{%- call entity("RECOVERY", "BRONZE.RAW_RECOVERY", ["CYCLE_ID"], columns, "updated", comment) %}
    {{ api_typed("BRONZE.RAW_RECOVERY_STREAM") }},
            TRY_TO_NUMBER(raw.PAYLOAD:cycle_id::VARCHAR) AS CYCLE_ID,
            raw.PAYLOAD:sleep_id::VARCHAR AS SLEEP_ID,
            raw.PAYLOAD:score_state::VARCHAR AS SCORE_STATE,
            raw.PAYLOAD:score.user_calibrating::BOOLEAN AS USER_CALIBRATING,
            TRY_TO_DOUBLE(raw.PAYLOAD:score.recovery_score::VARCHAR) AS RECOVERY_SCORE,
            TRY_TO_DOUBLE(raw.PAYLOAD:score.resting_heart_rate::VARCHAR) AS RESTING_HEART_RATE,
            TRY_TO_DOUBLE(raw.PAYLOAD:score.hrv_rmssd_milli::VARCHAR) AS HRV_RMSSD_MS,
            TRY_TO_DOUBLE(raw.PAYLOAD:score.spo2_percentage::VARCHAR) AS SPO2_PERCENTAGE,
            TRY_TO_DOUBLE(raw.PAYLOAD:score.skin_temp_celsius::VARCHAR) AS SKIN_TEMP_CELSIUS,
            -- the first field the v2 contract marks required that is absent or JSON null (STRIP_NULL_VALUE
            -- turns a JSON null into SQL NULL, an absent path is SQL NULL already:
            -- https://docs.snowflake.com/en/sql-reference/functions/strip_null_value);
            -- cycle_id has its own rule (missing_key); a SCORED recovery without any score is missing_score
            {{ missing_field("raw.PAYLOAD", ["user_id", "sleep_id", "created_at", "updated_at", "score_state"], ["score.user_calibrating", "score.recovery_score", "score.resting_heart_rate", "score.hrv_rmssd_milli"]) }},
            {{ api_lineage() }}
    )
    SELECT
        CYCLE_ID, SLEEP_ID, MEMBER_ID, MEMBER_NAME, SCORE_STATE,
        {{ scored_only(["USER_CALIBRATING", "RECOVERY_SCORE", "RESTING_HEART_RATE", "HRV_RMSSD_MS", "SPO2_PERCENTAGE", "SKIN_TEMP_CELSIUS"]) }},
        CREATED_AT, UPDATED_AT, BRONZE_LOADED_AT, PAYLOAD_HASH, INGEST_BATCH_ID, RECORD_KEY,
        CASE
            {{ api_checks("CYCLE_ID") }}
            WHEN UPDATED_AT IS NULL OR CREATED_AT IS NULL THEN 'unparseable_timestamp'
            WHEN SCORE_STATE IS NULL OR SCORE_STATE NOT IN ('SCORED', 'PENDING_SCORE', 'UNSCORABLE')
                THEN 'invalid_score_state'
            WHEN SCORE_STATE = 'SCORED' AND RECOVERY_SCORE IS NULL THEN 'missing_score'
            WHEN SCORE_STATE = 'SCORED' AND (RECOVERY_SCORE < 0 OR RECOVERY_SCORE > 100) THEN 'recovery_out_of_range'
            -- bounds and their sources: sql/silver/00_quarantine.sql
            WHEN SCORE_STATE = 'SCORED' AND RESTING_HEART_RATE NOT BETWEEN 20 AND 150 THEN 'heart_rate_out_of_range'
            WHEN SCORE_STATE = 'SCORED' AND HRV_RMSSD_MS < 0 THEN 'negative_value'
            WHEN SCORE_STATE = 'SCORED' AND (HRV_RMSSD_MS = 0 OR HRV_RMSSD_MS > 500) THEN 'hrv_out_of_range'
            WHEN SCORE_STATE = 'SCORED' AND (SPO2_PERCENTAGE < 0 OR SPO2_PERCENTAGE > 100)
                THEN 'percentage_out_of_range'
            WHEN SCORE_STATE = 'SCORED' AND SKIN_TEMP_CELSIUS NOT BETWEEN 20 AND 45 THEN 'skin_temp_out_of_range'
        END AS FAILED_RULE,
        {{ api_detail("CYCLE_ID") }},
        PAYLOAD
    FROM typed
{%- endcall %}
