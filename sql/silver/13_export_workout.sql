-- Silver: one typed row per workout of the WHOOP app's CSV export (workouts.csv).
-- Built like every Silver table (sql/silver/01_cycle.sql; see 11_export_cycle.sql for the export specifics):
-- keyed by member name and workout start; local times are converted with the row's cycle timezone. The
-- export writes the activity as a title ("Functional Fitness"); SPORT_NAME gives it the API's form.
{% from '_entity.sql' import entity, export_offset %}
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
    BRONZE_LOADED_AT TIMESTAMP_NTZ NOT NULL COMMENT 'When this row reached Bronze; the row loaded latest wins',
    ROW_HASH VARCHAR NOT NULL COMMENT 'Bronze ROW_HASH of the export row this version was built from'
{%- endset %}
{%- call entity("EXPORT_WORKOUT", "BRONZE.RAW_EXPORT_WORKOUT", ["MEMBER_NAME", "WORKOUT_START_UTC"], columns, "loaded",
    "Typed workouts from the WHOOP app CSV export, one per member and workout start; latest load wins",
    "Bronze export workout rows taken from the stream and checked, waiting for promotion (empty between runs)", export=true) %}
    WITH raw AS (
        SELECT
            s.INGEST_BATCH_ID, s.LOADED_AT, s.MEMBER_NAME, s.SOURCE_FILE, s.STAGED_FILE, s.FILE_ROW_NUMBER,
            s.ROW_HASH, s.CYCLE_START_TIME, s.CYCLE_END_TIME, s.CYCLE_TIMEZONE, s.WORKOUT_START_TIME,
            s.WORKOUT_END_TIME, s.DURATION_MIN, s.ACTIVITY_NAME, s.ACTIVITY_STRAIN, s.ENERGY_BURNED_CAL,
            s.MAX_HR_BPM, s.AVERAGE_HR_BPM, s.HR_ZONE_1_PCT, s.HR_ZONE_2_PCT, s.HR_ZONE_3_PCT, s.HR_ZONE_4_PCT,
            s.HR_ZONE_5_PCT, s.GPS_ENABLED, s.DISTANCE_METERS, s.ALTITUDE_GAIN_METERS, s.ALTITUDE_CHANGE_METERS
        FROM BRONZE.RAW_EXPORT_WORKOUT_STREAM AS s
    ),
    typed AS (
        SELECT
            r.MEMBER_NAME,
            r.WORKOUT_START_TIME AS START_TEXT,
            r.WORKOUT_END_TIME AS END_TEXT,
            r.CYCLE_START_TIME AS CYCLE_START_TEXT,
            r.CYCLE_END_TIME AS CYCLE_END_TEXT,
            TRY_TO_TIMESTAMP_NTZ(r.WORKOUT_START_TIME, 'YYYY-MM-DD HH24:MI:SS') AS START_LOCAL,
            TRY_TO_TIMESTAMP_NTZ(r.WORKOUT_END_TIME, 'YYYY-MM-DD HH24:MI:SS') AS END_LOCAL,
            TRY_TO_TIMESTAMP_NTZ(r.CYCLE_START_TIME, 'YYYY-MM-DD HH24:MI:SS') AS CYCLE_START_LOCAL,
            TRY_TO_TIMESTAMP_NTZ(r.CYCLE_END_TIME, 'YYYY-MM-DD HH24:MI:SS') AS CYCLE_END_LOCAL,
            {{ export_offset("r.CYCLE_TIMEZONE") }},
            TRY_TO_DOUBLE(r.DURATION_MIN) AS DURATION_MINUTES,
            r.ACTIVITY_NAME,
            REPLACE(LOWER(TRIM(r.ACTIVITY_NAME)), ' ', '-') AS SPORT_NAME,
            TRY_TO_DOUBLE(r.ACTIVITY_STRAIN) AS ACTIVITY_STRAIN,
            TRY_TO_DOUBLE(r.ENERGY_BURNED_CAL) AS ENERGY_KCAL,
            TRY_TO_NUMBER(r.MAX_HR_BPM) AS MAX_HEART_RATE,
            TRY_TO_NUMBER(r.AVERAGE_HR_BPM) AS AVERAGE_HEART_RATE,
            TRY_TO_DOUBLE(r.HR_ZONE_1_PCT) AS ZONE_1_PCT,
            TRY_TO_DOUBLE(r.HR_ZONE_2_PCT) AS ZONE_2_PCT,
            TRY_TO_DOUBLE(r.HR_ZONE_3_PCT) AS ZONE_3_PCT,
            TRY_TO_DOUBLE(r.HR_ZONE_4_PCT) AS ZONE_4_PCT,
            TRY_TO_DOUBLE(r.HR_ZONE_5_PCT) AS ZONE_5_PCT,
            IFF(LOWER(TRIM(r.GPS_ENABLED)) IN ('true', 'false'), LOWER(TRIM(r.GPS_ENABLED)) = 'true', NULL)
                AS GPS_ENABLED,
            TRY_TO_DOUBLE(r.DISTANCE_METERS) AS DISTANCE_METERS,
            TRY_TO_DOUBLE(r.ALTITUDE_GAIN_METERS) AS ALTITUDE_GAIN_METERS,
            TRY_TO_DOUBLE(r.ALTITUDE_CHANGE_METERS) AS ALTITUDE_CHANGE_METERS,
            -- numeric text that does not parse (blank is NULL, which is allowed)
            IFF(r.DURATION_MIN IS NOT NULL AND TRY_TO_DOUBLE(r.DURATION_MIN) IS NULL, 1, 0)
            + IFF(r.ACTIVITY_STRAIN IS NOT NULL AND TRY_TO_DOUBLE(r.ACTIVITY_STRAIN) IS NULL, 1, 0)
            + IFF(r.ENERGY_BURNED_CAL IS NOT NULL AND TRY_TO_DOUBLE(r.ENERGY_BURNED_CAL) IS NULL, 1, 0)
            + IFF(r.MAX_HR_BPM IS NOT NULL AND TRY_TO_NUMBER(r.MAX_HR_BPM) IS NULL, 1, 0)
            + IFF(r.AVERAGE_HR_BPM IS NOT NULL AND TRY_TO_NUMBER(r.AVERAGE_HR_BPM) IS NULL, 1, 0)
            + IFF(r.HR_ZONE_1_PCT IS NOT NULL AND TRY_TO_DOUBLE(r.HR_ZONE_1_PCT) IS NULL, 1, 0)
            + IFF(r.HR_ZONE_2_PCT IS NOT NULL AND TRY_TO_DOUBLE(r.HR_ZONE_2_PCT) IS NULL, 1, 0)
            + IFF(r.HR_ZONE_3_PCT IS NOT NULL AND TRY_TO_DOUBLE(r.HR_ZONE_3_PCT) IS NULL, 1, 0)
            + IFF(r.HR_ZONE_4_PCT IS NOT NULL AND TRY_TO_DOUBLE(r.HR_ZONE_4_PCT) IS NULL, 1, 0)
            + IFF(r.HR_ZONE_5_PCT IS NOT NULL AND TRY_TO_DOUBLE(r.HR_ZONE_5_PCT) IS NULL, 1, 0)
            + IFF(r.DISTANCE_METERS IS NOT NULL AND TRY_TO_DOUBLE(r.DISTANCE_METERS) IS NULL, 1, 0)
            + IFF(r.ALTITUDE_GAIN_METERS IS NOT NULL AND TRY_TO_DOUBLE(r.ALTITUDE_GAIN_METERS) IS NULL, 1, 0)
            + IFF(r.ALTITUDE_CHANGE_METERS IS NOT NULL AND TRY_TO_DOUBLE(r.ALTITUDE_CHANGE_METERS) IS NULL, 1, 0)
                AS BAD_NUMBERS,
            -- truncated_row: GPS enabled is always written, only the optional distance and altitude follow it; blank
            -- with nothing after means the row was cut (criterion: sql/silver/11_export_cycle.sql)
            CASE
                WHEN COALESCE(r.GPS_ENABLED, r.DISTANCE_METERS, r.ALTITUDE_GAIN_METERS,
                    r.ALTITUDE_CHANGE_METERS) IS NULL THEN 'GPS enabled'
            END AS TRUNCATED_AT,
            r.LOADED_AT AS BRONZE_LOADED_AT,
            r.ROW_HASH,
            r.INGEST_BATCH_ID,
            r.WORKOUT_START_TIME AS RECORD_KEY,
            OBJECT_CONSTRUCT(
                'INGEST_BATCH_ID', r.INGEST_BATCH_ID, 'MEMBER_NAME', r.MEMBER_NAME, 'SOURCE_FILE', r.SOURCE_FILE,
                'STAGED_FILE', r.STAGED_FILE, 'FILE_ROW_NUMBER', r.FILE_ROW_NUMBER, 'ROW_HASH', r.ROW_HASH,
                'CYCLE_START_TIME', r.CYCLE_START_TIME, 'CYCLE_END_TIME', r.CYCLE_END_TIME,
                'CYCLE_TIMEZONE', r.CYCLE_TIMEZONE, 'WORKOUT_START_TIME', r.WORKOUT_START_TIME,
                'WORKOUT_END_TIME', r.WORKOUT_END_TIME, 'DURATION_MIN', r.DURATION_MIN,
                'ACTIVITY_NAME', r.ACTIVITY_NAME, 'ACTIVITY_STRAIN', r.ACTIVITY_STRAIN,
                'ENERGY_BURNED_CAL', r.ENERGY_BURNED_CAL, 'MAX_HR_BPM', r.MAX_HR_BPM,
                'AVERAGE_HR_BPM', r.AVERAGE_HR_BPM, 'HR_ZONE_1_PCT', r.HR_ZONE_1_PCT,
                'HR_ZONE_2_PCT', r.HR_ZONE_2_PCT, 'HR_ZONE_3_PCT', r.HR_ZONE_3_PCT, 'HR_ZONE_4_PCT', r.HR_ZONE_4_PCT,
                'HR_ZONE_5_PCT', r.HR_ZONE_5_PCT, 'GPS_ENABLED', r.GPS_ENABLED, 'DISTANCE_METERS', r.DISTANCE_METERS,
                'ALTITUDE_GAIN_METERS', r.ALTITUDE_GAIN_METERS, 'ALTITUDE_CHANGE_METERS', r.ALTITUDE_CHANGE_METERS
            ) AS PAYLOAD
        FROM raw AS r
    )
    SELECT
        MEMBER_NAME,
        DATEADD(MINUTE, -OFFSET_MINUTES, START_LOCAL) AS WORKOUT_START_UTC,
        DATEADD(MINUTE, -OFFSET_MINUTES, END_LOCAL) AS WORKOUT_END_UTC,
        TIMEZONE_OFFSET, OFFSET_MINUTES,
        START_LOCAL AS WORKOUT_START_LOCAL,
        END_LOCAL AS WORKOUT_END_LOCAL,
        START_LOCAL::DATE AS WORKOUT_DATE,
        DATEADD(MINUTE, -OFFSET_MINUTES, CYCLE_START_LOCAL) AS CYCLE_START_UTC,
        DURATION_MINUTES, ACTIVITY_NAME, SPORT_NAME, ACTIVITY_STRAIN, ENERGY_KCAL, MAX_HEART_RATE,
        AVERAGE_HEART_RATE, ZONE_1_PCT, ZONE_2_PCT, ZONE_3_PCT, ZONE_4_PCT, ZONE_5_PCT, GPS_ENABLED,
        DISTANCE_METERS, ALTITUDE_GAIN_METERS, ALTITUDE_CHANGE_METERS, BRONZE_LOADED_AT, ROW_HASH,
        INGEST_BATCH_ID, RECORD_KEY,
        CASE
            WHEN MEMBER_NAME IS NULL OR TRIM(MEMBER_NAME) = '' THEN 'missing_key'
            WHEN TRUNCATED_AT IS NOT NULL THEN 'truncated_row'
            WHEN START_TEXT IS NULL THEN 'missing_key'
            WHEN START_LOCAL IS NULL OR (END_TEXT IS NOT NULL AND END_LOCAL IS NULL)
                OR (CYCLE_START_TEXT IS NOT NULL AND CYCLE_START_LOCAL IS NULL)
                OR (CYCLE_END_TEXT IS NOT NULL AND CYCLE_END_LOCAL IS NULL) THEN 'unparseable_timestamp'
            WHEN OFFSET_MINUTES IS NULL OR ABS(OFFSET_MINUTES) > 14 * 60 THEN 'invalid_timezone_offset'
            WHEN BAD_NUMBERS > 0 THEN 'unparseable_number'
            WHEN END_LOCAL < START_LOCAL OR CYCLE_END_LOCAL < CYCLE_START_LOCAL THEN 'negative_duration'
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
