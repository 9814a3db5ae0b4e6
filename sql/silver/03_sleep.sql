-- Silver: one typed row per WHOOP sleep (naps included, flagged), the version with the latest updated_at.
-- Built like SILVER.CYCLE (see sql/silver/01_cycle.sql). Durations are minutes (WHOOP sends milliseconds);
-- WAKE_DATE, the local date of the sleep's end, is the physiological day a sleep (and its recovery) belongs to.
{% from '_entity.sql' import api_checks, api_detail, api_lineage, api_lineage_columns, api_local, api_minutes, api_span, api_span_columns, api_typed, entity, missing_field, scored_only %}
{%- set comment = "Typed, deduplicated WHOOP sleeps and naps; latest updated_at wins" %}
{%- set columns %}
    SLEEP_ID VARCHAR NOT NULL COMMENT 'WHOOP sleep uuid (natural key)',
    CYCLE_ID NUMBER(38, 0) COMMENT 'WHOOP cycle the sleep belongs to',
    MEMBER_ID NUMBER(38, 0) NOT NULL COMMENT 'WHOOP user id',
    MEMBER_NAME VARCHAR NOT NULL COMMENT 'Member as registered in CONFIG.MEMBERS',
    {{ api_span_columns("Sleep onset", "Wake-up") }},
    WAKE_DATE DATE NOT NULL COMMENT 'Physiological day: local date of the wake-up',
    IS_NAP BOOLEAN NOT NULL COMMENT 'TRUE for naps; a nap is never the main sleep of a day',
    SCORE_STATE VARCHAR NOT NULL COMMENT 'SCORED, PENDING_SCORE or UNSCORABLE; scores are NULL unless SCORED',
    IN_BED_MINUTES FLOAT COMMENT 'Time in bed, minutes',
    AWAKE_MINUTES FLOAT COMMENT 'Time awake in bed, minutes',
    NO_DATA_MINUTES FLOAT COMMENT 'Time in bed without strap data, minutes',
    LIGHT_SLEEP_MINUTES FLOAT COMMENT 'Light sleep, minutes',
    DEEP_SLEEP_MINUTES FLOAT COMMENT 'Slow-wave (deep) sleep, minutes',
    REM_SLEEP_MINUTES FLOAT COMMENT 'REM sleep, minutes',
    ASLEEP_MINUTES FLOAT COMMENT 'Light + deep + REM, minutes (WHOOP has no total-sleep field)',
    SLEEP_CYCLE_COUNT NUMBER(38, 0) COMMENT 'Sleep cycles',
    DISTURBANCE_COUNT NUMBER(38, 0) COMMENT 'Disturbances',
    NEED_BASELINE_MINUTES FLOAT COMMENT 'Sleep need: the member''s baseline, minutes',
    NEED_FROM_SLEEP_DEBT_MINUTES FLOAT COMMENT 'Sleep need added by accumulated sleep debt, minutes',
    NEED_FROM_RECENT_STRAIN_MINUTES FLOAT COMMENT 'Sleep need added by recent strain, minutes',
    NEED_FROM_RECENT_NAP_MINUTES FLOAT COMMENT 'Sleep need removed by recent naps (zero or negative), minutes',
    SLEEP_NEEDED_MINUTES FLOAT COMMENT 'Total sleep need = baseline + debt + strain + nap components, minutes',
    RESPIRATORY_RATE FLOAT COMMENT 'Breaths per minute',
    SLEEP_PERFORMANCE_PCT FLOAT COMMENT 'Asleep as a percent of sleep need, 0-100',
    SLEEP_CONSISTENCY_PCT FLOAT COMMENT 'Consistency of sleep timing, percent 0-100',
    SLEEP_EFFICIENCY_PCT FLOAT COMMENT 'Asleep as a percent of time in bed, 0-100',
    {{ api_lineage_columns() }}
{%- endset %}
{%- call entity("SLEEP", "BRONZE.RAW_SLEEP", ["SLEEP_ID"], columns, "updated", comment) %}
    {{ api_typed("BRONZE.RAW_SLEEP_STREAM") }},
            raw.PAYLOAD:id::VARCHAR AS SLEEP_ID,
            TRY_TO_NUMBER(raw.PAYLOAD:cycle_id::VARCHAR) AS CYCLE_ID,
            {{ api_span() }},
            raw.PAYLOAD:nap::BOOLEAN AS IS_NAP,
            raw.PAYLOAD:score_state::VARCHAR AS SCORE_STATE,
            {{ api_minutes("score.stage_summary", [
                ("total_in_bed_time_milli", "IN_BED_MINUTES"),
                ("total_awake_time_milli", "AWAKE_MINUTES"),
                ("total_no_data_time_milli", "NO_DATA_MINUTES"),
                ("total_light_sleep_time_milli", "LIGHT_SLEEP_MINUTES"),
                ("total_slow_wave_sleep_time_milli", "DEEP_SLEEP_MINUTES"),
                ("total_rem_sleep_time_milli", "REM_SLEEP_MINUTES"),
            ]) }},
            TRY_TO_NUMBER(raw.PAYLOAD:score.stage_summary.sleep_cycle_count::VARCHAR) AS SLEEP_CYCLE_COUNT,
            TRY_TO_NUMBER(raw.PAYLOAD:score.stage_summary.disturbance_count::VARCHAR) AS DISTURBANCE_COUNT,
            {{ api_minutes("score.sleep_needed", [
                ("baseline_milli", "NEED_BASELINE_MINUTES"),
                ("need_from_sleep_debt_milli", "NEED_FROM_SLEEP_DEBT_MINUTES"),
                ("need_from_recent_strain_milli", "NEED_FROM_RECENT_STRAIN_MINUTES"),
                ("need_from_recent_nap_milli", "NEED_FROM_RECENT_NAP_MINUTES"),
            ]) }},
            TRY_TO_DOUBLE(raw.PAYLOAD:score.respiratory_rate::VARCHAR) AS RESPIRATORY_RATE,
            TRY_TO_DOUBLE(raw.PAYLOAD:score.sleep_performance_percentage::VARCHAR) AS SLEEP_PERFORMANCE_PCT,
            TRY_TO_DOUBLE(raw.PAYLOAD:score.sleep_consistency_percentage::VARCHAR) AS SLEEP_CONSISTENCY_PCT,
            TRY_TO_DOUBLE(raw.PAYLOAD:score.sleep_efficiency_percentage::VARCHAR) AS SLEEP_EFFICIENCY_PCT,
            -- the first field the v2 contract marks required that is absent or JSON null (STRIP_NULL_VALUE
            -- turns a JSON null into SQL NULL, an absent path is SQL NULL already:
            -- https://docs.snowflake.com/en/sql-reference/functions/strip_null_value);
            -- id has its own rule (missing_key); a SCORED sleep without any score is missing_score
            {{ missing_field("raw.PAYLOAD", ["user_id", "cycle_id", "created_at", "updated_at", "start", "end", "timezone_offset", "nap", "score_state"], ["score.stage_summary", "score.stage_summary.total_in_bed_time_milli", "score.stage_summary.total_awake_time_milli", "score.stage_summary.total_no_data_time_milli", "score.stage_summary.total_light_sleep_time_milli", "score.stage_summary.total_slow_wave_sleep_time_milli", "score.stage_summary.total_rem_sleep_time_milli", "score.stage_summary.sleep_cycle_count", "score.stage_summary.disturbance_count", "score.sleep_needed", "score.sleep_needed.baseline_milli", "score.sleep_needed.need_from_sleep_debt_milli", "score.sleep_needed.need_from_recent_strain_milli", "score.sleep_needed.need_from_recent_nap_milli"]) }},
            {{ api_lineage() }}
    ),
    scored AS (
        SELECT
            SLEEP_ID, CYCLE_ID, MEMBER_ID, MEMBER_NAME, START_UTC, END_UTC, TIMEZONE_OFFSET, OFFSET_MINUTES,
            {{ api_local() }},
            DATEADD(MINUTE, OFFSET_MINUTES, END_UTC)::DATE AS WAKE_DATE,
            IS_NAP, SCORE_STATE,
            {{ scored_only(["IN_BED_MINUTES", "AWAKE_MINUTES", "NO_DATA_MINUTES", "LIGHT_SLEEP_MINUTES", "DEEP_SLEEP_MINUTES", "REM_SLEEP_MINUTES"]) }},
            IFF(SCORE_STATE = 'SCORED', LIGHT_SLEEP_MINUTES + DEEP_SLEEP_MINUTES + REM_SLEEP_MINUTES, NULL)
                AS ASLEEP_MINUTES,
            {{ scored_only(["SLEEP_CYCLE_COUNT", "DISTURBANCE_COUNT", "NEED_BASELINE_MINUTES", "NEED_FROM_SLEEP_DEBT_MINUTES", "NEED_FROM_RECENT_STRAIN_MINUTES", "NEED_FROM_RECENT_NAP_MINUTES"]) }},
            IFF(
                SCORE_STATE = 'SCORED',
                NEED_BASELINE_MINUTES + NEED_FROM_SLEEP_DEBT_MINUTES + NEED_FROM_RECENT_STRAIN_MINUTES
                + NEED_FROM_RECENT_NAP_MINUTES,
                NULL
            ) AS SLEEP_NEEDED_MINUTES,
            {{ scored_only(["RESPIRATORY_RATE", "SLEEP_PERFORMANCE_PCT", "SLEEP_CONSISTENCY_PCT", "SLEEP_EFFICIENCY_PCT"]) }},
            CREATED_AT, UPDATED_AT, BRONZE_LOADED_AT, PAYLOAD_HASH, INGEST_BATCH_ID, RECORD_KEY, MISSING_FIELD,
            PAYLOAD
        FROM typed
    )
    SELECT
        SLEEP_ID, CYCLE_ID, MEMBER_ID, MEMBER_NAME, START_UTC, END_UTC, TIMEZONE_OFFSET, OFFSET_MINUTES,
        START_LOCAL, END_LOCAL, WAKE_DATE, IS_NAP, SCORE_STATE, IN_BED_MINUTES, AWAKE_MINUTES, NO_DATA_MINUTES,
        LIGHT_SLEEP_MINUTES, DEEP_SLEEP_MINUTES, REM_SLEEP_MINUTES, ASLEEP_MINUTES, SLEEP_CYCLE_COUNT,
        DISTURBANCE_COUNT, NEED_BASELINE_MINUTES, NEED_FROM_SLEEP_DEBT_MINUTES, NEED_FROM_RECENT_STRAIN_MINUTES,
        NEED_FROM_RECENT_NAP_MINUTES, SLEEP_NEEDED_MINUTES, RESPIRATORY_RATE, SLEEP_PERFORMANCE_PCT,
        SLEEP_CONSISTENCY_PCT, SLEEP_EFFICIENCY_PCT, CREATED_AT, UPDATED_AT, BRONZE_LOADED_AT, PAYLOAD_HASH,
        INGEST_BATCH_ID, RECORD_KEY,
        CASE
            {{ api_checks("SLEEP_ID") }}
            WHEN START_UTC IS NULL OR END_UTC IS NULL OR UPDATED_AT IS NULL OR CREATED_AT IS NULL
                THEN 'unparseable_timestamp'
            WHEN OFFSET_MINUTES IS NULL OR ABS(OFFSET_MINUTES) > 14 * 60 THEN 'invalid_timezone_offset'
            WHEN SCORE_STATE IS NULL OR SCORE_STATE NOT IN ('SCORED', 'PENDING_SCORE', 'UNSCORABLE')
                THEN 'invalid_score_state'
            WHEN END_UTC < START_UTC THEN 'negative_duration'
            -- bounds and their sources: sql/silver/00_quarantine.sql
            WHEN TIMESTAMPDIFF(MINUTE, START_UTC, END_UTC) > 24 * 60 OR IN_BED_MINUTES > 24 * 60
                THEN 'duration_out_of_range'
            WHEN SCORE_STATE = 'SCORED' AND (IN_BED_MINUTES IS NULL OR ASLEEP_MINUTES IS NULL) THEN 'missing_score'
            WHEN SCORE_STATE = 'SCORED' AND LEAST(
                IN_BED_MINUTES, AWAKE_MINUTES, NO_DATA_MINUTES, LIGHT_SLEEP_MINUTES, DEEP_SLEEP_MINUTES,
                REM_SLEEP_MINUTES
            ) < 0 THEN 'negative_duration'
            WHEN SCORE_STATE = 'SCORED'
                AND ABS(ASLEEP_MINUTES + AWAKE_MINUTES + NO_DATA_MINUTES - IN_BED_MINUTES) > 1
                THEN 'stage_minutes_mismatch'
            WHEN SCORE_STATE = 'SCORED' AND (SLEEP_EFFICIENCY_PCT NOT BETWEEN 0 AND 100
                OR SLEEP_PERFORMANCE_PCT NOT BETWEEN 0 AND 100 OR SLEEP_CONSISTENCY_PCT NOT BETWEEN 0 AND 100)
                THEN 'percentage_out_of_range'
            WHEN SCORE_STATE = 'SCORED' AND RESPIRATORY_RATE NOT BETWEEN 4 AND 60 THEN 'respiratory_rate_out_of_range'
            WHEN SCORE_STATE = 'SCORED' AND (SLEEP_CYCLE_COUNT < 0 OR DISTURBANCE_COUNT < 0) THEN 'negative_value'
        END AS FAILED_RULE,
        {{ api_detail("SLEEP_ID") }},
        PAYLOAD
    FROM scored
{%- endcall %}
