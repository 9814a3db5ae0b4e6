-- Silver: one typed row per WHOOP workout, the version with the latest updated_at. Built like SILVER.CYCLE
-- (see sql/silver/01_cycle.sql). percent_recorded arrives as 0-1 or 0-100 (NOTES.md); it is stored 0-100.
{% from '_entity.sql' import api_checks, api_detail, api_lineage, api_lineage_columns, api_local, api_minutes, api_span, api_span_columns, api_strain_checks, api_typed, entity, missing_field, scored_only %}
{%- set comment = "Typed, deduplicated WHOOP workouts; latest updated_at wins" %}
{%- set columns %}
    WORKOUT_ID VARCHAR NOT NULL COMMENT 'WHOOP workout uuid (natural key)',
    MEMBER_ID NUMBER(38, 0) NOT NULL COMMENT 'WHOOP user id',
    MEMBER_NAME VARCHAR NOT NULL COMMENT 'Member as registered in CONFIG.MEMBERS',
    {{ api_span_columns("Workout start", "Workout end") }},
    WORKOUT_DATE DATE NOT NULL COMMENT 'Local date of the workout start',
    DURATION_MINUTES FLOAT NOT NULL COMMENT 'End - start, minutes',
    SPORT_NAME VARCHAR NOT NULL COMMENT 'WHOOP sport name (v2), e.g. running, functional-fitness',
    SPORT_ID NUMBER(38, 0) COMMENT 'Deprecated WHOOP sport id, kept while WHOOP still sends it',
    SCORE_STATE VARCHAR NOT NULL COMMENT 'SCORED, PENDING_SCORE or UNSCORABLE; scores are NULL unless SCORED',
    STRAIN FLOAT COMMENT 'Workout strain, 0-21',
    AVERAGE_HEART_RATE NUMBER(38, 0) COMMENT 'Average heart rate, bpm',
    MAX_HEART_RATE NUMBER(38, 0) COMMENT 'Maximum heart rate, bpm',
    ENERGY_KILOJOULE FLOAT COMMENT 'Energy expended, kJ as WHOOP reports it',
    ENERGY_KCAL FLOAT COMMENT 'Energy expended, kcal = kJ / 4.184',
    PERCENT_RECORDED FLOAT COMMENT 'Share of the workout with heart-rate data, percent 0-100',
    DISTANCE_METERS FLOAT COMMENT 'Distance, metres (GPS workouts only)',
    ALTITUDE_GAIN_METERS FLOAT COMMENT 'Altitude gained, metres (GPS workouts only)',
    ALTITUDE_CHANGE_METERS FLOAT COMMENT 'Net altitude change, metres (GPS workouts only)',
    ZONE_0_MINUTES FLOAT COMMENT 'Minutes in heart-rate zone 0 (below zone 1)',
    ZONE_1_MINUTES FLOAT COMMENT 'Minutes in heart-rate zone 1',
    ZONE_2_MINUTES FLOAT COMMENT 'Minutes in heart-rate zone 2',
    ZONE_3_MINUTES FLOAT COMMENT 'Minutes in heart-rate zone 3',
    ZONE_4_MINUTES FLOAT COMMENT 'Minutes in heart-rate zone 4',
    ZONE_5_MINUTES FLOAT COMMENT 'Minutes in heart-rate zone 5',
    {{ api_lineage_columns() }}
{%- endset %}
{%- call entity("WORKOUT", "BRONZE.RAW_WORKOUT", ["WORKOUT_ID"], columns, "updated", comment) %}
    {{ api_typed("BRONZE.RAW_WORKOUT_STREAM") }},
            raw.PAYLOAD:id::VARCHAR AS WORKOUT_ID,
            {{ api_span() }},
            raw.PAYLOAD:sport_name::VARCHAR AS SPORT_NAME,
            TRY_TO_NUMBER(raw.PAYLOAD:sport_id::VARCHAR) AS SPORT_ID,
            raw.PAYLOAD:score_state::VARCHAR AS SCORE_STATE,
            TRY_TO_DOUBLE(raw.PAYLOAD:score.strain::VARCHAR) AS STRAIN,
            TRY_TO_NUMBER(raw.PAYLOAD:score.average_heart_rate::VARCHAR) AS AVERAGE_HEART_RATE,
            TRY_TO_NUMBER(raw.PAYLOAD:score.max_heart_rate::VARCHAR) AS MAX_HEART_RATE,
            TRY_TO_DOUBLE(raw.PAYLOAD:score.kilojoule::VARCHAR) AS ENERGY_KILOJOULE,
            TRY_TO_DOUBLE(raw.PAYLOAD:score.percent_recorded::VARCHAR) AS PERCENT_RECORDED_RAW,
            TRY_TO_DOUBLE(raw.PAYLOAD:score.distance_meter::VARCHAR) AS DISTANCE_METERS,
            TRY_TO_DOUBLE(raw.PAYLOAD:score.altitude_gain_meter::VARCHAR) AS ALTITUDE_GAIN_METERS,
            TRY_TO_DOUBLE(raw.PAYLOAD:score.altitude_change_meter::VARCHAR) AS ALTITUDE_CHANGE_METERS,
            {{ api_minutes("score.zone_durations", [
                ("zone_zero_milli", "ZONE_0_MINUTES"),
                ("zone_one_milli", "ZONE_1_MINUTES"),
                ("zone_two_milli", "ZONE_2_MINUTES"),
                ("zone_three_milli", "ZONE_3_MINUTES"),
                ("zone_four_milli", "ZONE_4_MINUTES"),
                ("zone_five_milli", "ZONE_5_MINUTES"),
            ]) }},
            -- the first field the v2 contract marks required that is absent or JSON null (STRIP_NULL_VALUE
            -- turns a JSON null into SQL NULL, an absent path is SQL NULL already:
            -- https://docs.snowflake.com/en/sql-reference/functions/strip_null_value);
            -- id and sport_name have rules of their own (missing_key, missing_sport); a SCORED workout without
            -- any score is missing_score
            {{ missing_field("raw.PAYLOAD", ["user_id", "created_at", "updated_at", "start", "end", "timezone_offset", "score_state"], ["score.strain", "score.average_heart_rate", "score.max_heart_rate", "score.kilojoule", "score.percent_recorded", "score.zone_durations", "score.zone_durations.zone_zero_milli", "score.zone_durations.zone_one_milli", "score.zone_durations.zone_two_milli", "score.zone_durations.zone_three_milli", "score.zone_durations.zone_four_milli", "score.zone_durations.zone_five_milli"]) }},
            {{ api_lineage() }}
    ),
    scored AS (
        SELECT
            WORKOUT_ID, MEMBER_ID, MEMBER_NAME, START_UTC, END_UTC, TIMEZONE_OFFSET, OFFSET_MINUTES,
            {{ api_local() }},
            DATEADD(MINUTE, OFFSET_MINUTES, START_UTC)::DATE AS WORKOUT_DATE,
            TIMESTAMPDIFF(MILLISECOND, START_UTC, END_UTC) / 60000 AS DURATION_MINUTES,
            SPORT_NAME, SPORT_ID, SCORE_STATE,
            {{ scored_only(["STRAIN", "AVERAGE_HEART_RATE", "MAX_HEART_RATE", "ENERGY_KILOJOULE"]) }},
            IFF(SCORE_STATE = 'SCORED', ROUND(ENERGY_KILOJOULE / 4.184, 1), NULL) AS ENERGY_KCAL,
            -- a fraction (0-1) and a percent (0-100) are both seen; 1.0 reads as 100 %, never 1 %
            IFF(SCORE_STATE = 'SCORED', IFF(PERCENT_RECORDED_RAW <= 1, PERCENT_RECORDED_RAW * 100,
                PERCENT_RECORDED_RAW), NULL) AS PERCENT_RECORDED,
            {{ scored_only(["DISTANCE_METERS", "ALTITUDE_GAIN_METERS", "ALTITUDE_CHANGE_METERS", "ZONE_0_MINUTES", "ZONE_1_MINUTES", "ZONE_2_MINUTES", "ZONE_3_MINUTES", "ZONE_4_MINUTES", "ZONE_5_MINUTES"]) }},
            CREATED_AT, UPDATED_AT, BRONZE_LOADED_AT, PAYLOAD_HASH, INGEST_BATCH_ID, RECORD_KEY, MISSING_FIELD,
            PAYLOAD
        FROM typed
    )
    SELECT
        WORKOUT_ID, MEMBER_ID, MEMBER_NAME, START_UTC, END_UTC, TIMEZONE_OFFSET, OFFSET_MINUTES, START_LOCAL,
        END_LOCAL, WORKOUT_DATE, DURATION_MINUTES, SPORT_NAME, SPORT_ID, SCORE_STATE, STRAIN, AVERAGE_HEART_RATE,
        MAX_HEART_RATE, ENERGY_KILOJOULE, ENERGY_KCAL, PERCENT_RECORDED, DISTANCE_METERS, ALTITUDE_GAIN_METERS,
        ALTITUDE_CHANGE_METERS, ZONE_0_MINUTES, ZONE_1_MINUTES, ZONE_2_MINUTES, ZONE_3_MINUTES, ZONE_4_MINUTES,
        ZONE_5_MINUTES, CREATED_AT, UPDATED_AT, BRONZE_LOADED_AT, PAYLOAD_HASH, INGEST_BATCH_ID, RECORD_KEY,
        CASE
            {{ api_checks("WORKOUT_ID") }}
            WHEN START_UTC IS NULL OR END_UTC IS NULL OR UPDATED_AT IS NULL OR CREATED_AT IS NULL
                THEN 'unparseable_timestamp'
            WHEN OFFSET_MINUTES IS NULL OR ABS(OFFSET_MINUTES) > 14 * 60 THEN 'invalid_timezone_offset'
            WHEN SCORE_STATE IS NULL OR SCORE_STATE NOT IN ('SCORED', 'PENDING_SCORE', 'UNSCORABLE')
                THEN 'invalid_score_state'
            WHEN SPORT_NAME IS NULL THEN 'missing_sport'
            WHEN END_UTC < START_UTC THEN 'negative_duration'
            -- bounds and their sources: sql/silver/00_quarantine.sql
            WHEN DURATION_MINUTES > 24 * 60 THEN 'duration_out_of_range'
            {{ api_strain_checks("STRAIN") }}
            -- the six zones split the workout's time: none below 0, together at most the workout + 1 minute
            WHEN SCORE_STATE = 'SCORED' AND (LEAST(
                ZONE_0_MINUTES, ZONE_1_MINUTES, ZONE_2_MINUTES, ZONE_3_MINUTES, ZONE_4_MINUTES, ZONE_5_MINUTES
            ) < 0 OR ZONE_0_MINUTES + ZONE_1_MINUTES + ZONE_2_MINUTES + ZONE_3_MINUTES + ZONE_4_MINUTES
                + ZONE_5_MINUTES > DURATION_MINUTES + 1) THEN 'zone_time_exceeds_workout'
            WHEN SCORE_STATE = 'SCORED' AND (PERCENT_RECORDED < 0 OR PERCENT_RECORDED > 100)
                THEN 'percentage_out_of_range'
            WHEN SCORE_STATE = 'SCORED' AND (DISTANCE_METERS < 0 OR ALTITUDE_GAIN_METERS < 0) THEN 'negative_value'
        END AS FAILED_RULE,
        {{ api_detail("WORKOUT_ID") }},
        PAYLOAD
    FROM scored
{%- endcall %}
