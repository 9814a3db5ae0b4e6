-- Silver: one typed row per workout of the WHOOP app's CSV export (workouts.csv).
-- Built like every Silver table (sql/silver/01_cycle.sql; see 11_export_cycle.sql for the export specifics):
-- keyed by member name and workout start; local times are converted with the row's cycle timezone. The
-- export writes the activity as a title ("Functional Fitness"); SPORT_NAME gives it the API's form.
{% from '_entity.sql' import entity, export_boolean, export_checks, export_lineage, export_lineage_columns, export_numbers, export_span, export_typed %}
{%- set columns %}
    MEMBER_NAME VARCHAR NOT NULL COMMENT 'Member the export belongs to (natural key, with WORKOUT_START_UTC)',
    WORKOUT_START_UTC TIMESTAMP_NTZ NOT NULL COMMENT 'Workout start, UTC = local start - offset, whole seconds',
    WORKOUT_END_UTC TIMESTAMP_NTZ COMMENT 'Workout end, UTC, whole seconds',
    TIMEZONE_OFFSET VARCHAR NOT NULL COMMENT 'The member''s offset for the workout''s cycle, +hh:mm or -hh:mm (export UTC+hh:mm normalised)',
    OFFSET_MINUTES NUMBER(38, 0) NOT NULL COMMENT 'TIMEZONE_OFFSET as minutes east of UTC',
    WORKOUT_START_LOCAL TIMESTAMP_NTZ NOT NULL COMMENT 'Workout start in the member''s local time, as exported',
    WORKOUT_END_LOCAL TIMESTAMP_NTZ COMMENT 'Workout end in the member''s local time, as exported',
    WORKOUT_DATE DATE NOT NULL COMMENT 'Local date of the workout start',
    CYCLE_START_UTC TIMESTAMP_NTZ COMMENT 'Start of the cycle the workout belongs to, UTC (joins SILVER.EXPORT_CYCLE)',
    DURATION_MINUTES FLOAT COMMENT 'Workout duration, minutes (export rounds to an integer)',
    ACTIVITY_NAME VARCHAR COMMENT 'Activity as exported, e.g. Functional Fitness',
    SPORT_NAME VARCHAR COMMENT 'Activity in the API''s sport_name form: lower case, trimmed, spaces as -',
    ACTIVITY_STRAIN FLOAT COMMENT 'Activity strain, 0-21 (export: 1 decimal); NULL while unscored',
    ENERGY_KCAL FLOAT COMMENT 'Energy burned, kcal (the export''s "cal"; integer)',
    MAX_HEART_RATE NUMBER(38, 0) COMMENT 'Maximum heart rate during the workout, bpm',
    AVERAGE_HEART_RATE NUMBER(38, 0) COMMENT 'Average heart rate during the workout, bpm',
    ZONE_1_PCT FLOAT COMMENT 'Share of the duration in heart rate zone 1, %, 0-100',
    ZONE_2_PCT FLOAT COMMENT 'Share of the duration in heart rate zone 2, %, 0-100',
    ZONE_3_PCT FLOAT COMMENT 'Share of the duration in heart rate zone 3, %, 0-100',
    ZONE_4_PCT FLOAT COMMENT 'Share of the duration in heart rate zone 4, %, 0-100',
    ZONE_5_PCT FLOAT COMMENT 'Share of the duration in heart rate zone 5, %, 0-100',
    GPS_ENABLED BOOLEAN NOT NULL COMMENT 'Whether the workout was recorded with GPS (export "GPS enabled")',
    DISTANCE_METERS FLOAT COMMENT 'Distance, metres; NULL without GPS or in exports without the column',
    ALTITUDE_GAIN_METERS FLOAT COMMENT 'Altitude gained, metres; NULL without GPS or in exports without the column',
    ALTITUDE_CHANGE_METERS FLOAT COMMENT 'Net altitude change (end - start), metres, may be negative',
    {{ export_lineage_columns }}
{%- endset %}
{%- set fields = [
    "WORKOUT_START_TIME", "WORKOUT_END_TIME", "DURATION_MIN", "ACTIVITY_NAME", "ACTIVITY_STRAIN", "ENERGY_BURNED_CAL",
    "MAX_HR_BPM", "AVERAGE_HR_BPM", "HR_ZONE_1_PCT", "HR_ZONE_2_PCT", "HR_ZONE_3_PCT", "HR_ZONE_4_PCT", "HR_ZONE_5_PCT",
    "GPS_ENABLED", "DISTANCE_METERS", "ALTITUDE_GAIN_METERS", "ALTITUDE_CHANGE_METERS",
] %}
{%- set times = [("WORKOUT_START_TIME", "START"), ("WORKOUT_END_TIME", "END"), ("CYCLE_START_TIME", "CYCLE_START"), ("CYCLE_END_TIME", "CYCLE_END")] %}
{%- call entity("EXPORT_WORKOUT", "BRONZE.RAW_EXPORT_WORKOUT", ["MEMBER_NAME", "WORKOUT_START_UTC"], columns, "loaded",
    "Typed workouts from the WHOOP app CSV export, one per member and workout start; latest load wins", export=true) %}
    {{ export_typed("BRONZE.RAW_EXPORT_WORKOUT_STREAM", fields, times) }},
            r.ACTIVITY_NAME,
            REPLACE(LOWER(TRIM(r.ACTIVITY_NAME)), ' ', '-') AS SPORT_NAME,
            {{ export_boolean("GPS_ENABLED", "GPS_ENABLED") }},
            {{ export_numbers([
                ("DURATION_MIN", "DOUBLE", "DURATION_MINUTES"),
                ("ACTIVITY_STRAIN", "DOUBLE", "ACTIVITY_STRAIN"),
                ("ENERGY_BURNED_CAL", "DOUBLE", "ENERGY_KCAL"),
                ("MAX_HR_BPM", "NUMBER", "MAX_HEART_RATE"),
                ("AVERAGE_HR_BPM", "NUMBER", "AVERAGE_HEART_RATE"),
                ("HR_ZONE_1_PCT", "DOUBLE", "ZONE_1_PCT"),
                ("HR_ZONE_2_PCT", "DOUBLE", "ZONE_2_PCT"),
                ("HR_ZONE_3_PCT", "DOUBLE", "ZONE_3_PCT"),
                ("HR_ZONE_4_PCT", "DOUBLE", "ZONE_4_PCT"),
                ("HR_ZONE_5_PCT", "DOUBLE", "ZONE_5_PCT"),
                ("DISTANCE_METERS", "DOUBLE", "DISTANCE_METERS"),
                ("ALTITUDE_GAIN_METERS", "DOUBLE", "ALTITUDE_GAIN_METERS"),
                ("ALTITUDE_CHANGE_METERS", "DOUBLE", "ALTITUDE_CHANGE_METERS"),
            ]) }},
            -- truncated_row: GPS enabled is always written, only the optional distance and altitude follow it; blank
            -- with nothing after means the row was cut (criterion: sql/silver/11_export_cycle.sql)
            CASE
                WHEN COALESCE(r.GPS_ENABLED, r.DISTANCE_METERS, r.ALTITUDE_GAIN_METERS,
                    r.ALTITUDE_CHANGE_METERS) IS NULL THEN 'GPS enabled'
            END AS TRUNCATED_AT,
            {{ export_lineage("WORKOUT_START_TIME", fields) }}
    )
    SELECT
        MEMBER_NAME,
        {{ export_span("WORKOUT") }},
        START_LOCAL::DATE AS WORKOUT_DATE,
        DATEADD(MINUTE, -OFFSET_MINUTES, CYCLE_START_LOCAL) AS CYCLE_START_UTC,
        DURATION_MINUTES, ACTIVITY_NAME, SPORT_NAME, ACTIVITY_STRAIN, ENERGY_KCAL, MAX_HEART_RATE,
        AVERAGE_HEART_RATE, ZONE_1_PCT, ZONE_2_PCT, ZONE_3_PCT, ZONE_4_PCT, ZONE_5_PCT, GPS_ENABLED,
        DISTANCE_METERS, ALTITUDE_GAIN_METERS, ALTITUDE_CHANGE_METERS, BRONZE_LOADED_AT, ROW_HASH,
        INGEST_BATCH_ID, RECORD_KEY,
        CASE
            {{ export_checks(times) }}
            -- bounds and their sources: sql/silver/00_quarantine.sql
            WHEN TIMESTAMPDIFF(MINUTE, START_LOCAL, END_LOCAL) > 24 * 60 OR DURATION_MINUTES > 24 * 60
                THEN 'duration_out_of_range'
            WHEN ACTIVITY_STRAIN < 0 OR ACTIVITY_STRAIN > 21 THEN 'strain_out_of_range'
            WHEN ZONE_1_PCT > 100 OR ZONE_2_PCT > 100 OR ZONE_3_PCT > 100 OR ZONE_4_PCT > 100 OR ZONE_5_PCT > 100
                THEN 'percentage_out_of_range'
            -- the zones are shares of the workout's duration: none below 0, together at most 100 % plus the
            -- export's rounding (each share is a rounded integer: 5 x 0.5 points; zone 0 is not exported)
            WHEN ZONE_1_PCT < 0 OR ZONE_2_PCT < 0 OR ZONE_3_PCT < 0 OR ZONE_4_PCT < 0 OR ZONE_5_PCT < 0
                OR COALESCE(ZONE_1_PCT, 0) + COALESCE(ZONE_2_PCT, 0) + COALESCE(ZONE_3_PCT, 0)
                + COALESCE(ZONE_4_PCT, 0) + COALESCE(ZONE_5_PCT, 0) > 100 + 3 THEN 'zone_time_exceeds_workout'
            WHEN MAX_HEART_RATE NOT BETWEEN 20 AND 250 OR AVERAGE_HEART_RATE NOT BETWEEN 20 AND 250
                OR AVERAGE_HEART_RATE > MAX_HEART_RATE THEN 'heart_rate_out_of_range'
            WHEN DURATION_MINUTES < 0 OR ENERGY_KCAL < 0 OR DISTANCE_METERS < 0 OR ALTITUDE_GAIN_METERS < 0
                THEN 'negative_value'
            WHEN GPS_ENABLED IS NULL THEN 'invalid_boolean'
        END AS FAILED_RULE,
        IFF(MEMBER_NAME IS NULL OR TRIM(MEMBER_NAME) = '', NULL, TRUNCATED_AT) AS FAILED_DETAIL,
        PAYLOAD
    FROM typed
{%- endcall %}
