-- Bronze: the WHOOP app's CSV data export, loaded through a stage with COPY INTO (infra/local/export_import.py
-- locally; the same statements in Snowflake). Every column is kept as the text the export holds (times are
-- local `YYYY-MM-DD HH:MM:SS`, zones `UTC+hh:mm`); Silver types them later. The export has no WHOOP user id,
-- so rows belong to a member by name. A row is stored once per member and file: re-importing the same
-- export, or an overlapping later one, adds only rows whose content (ROW_HASH) is new.
CREATE SCHEMA IF NOT EXISTS BRONZE;

-- Files are PUT under @BRONZE.EXPORT_STAGE/<member>/<batch id>/ and kept there as the import's archive.
CREATE STAGE IF NOT EXISTS BRONZE.EXPORT_STAGE
    COMMENT = 'WHOOP app CSV exports, one folder per member and import batch';

-- The export's dialect: comma separated, header row, fields quoted with " when they hold commas, quotes or
-- newlines (journal notes); blank unquoted fields are NULL; spaces are kept (TRIM_SPACE defaults to FALSE).
CREATE OR REPLACE FILE FORMAT BRONZE.WHOOP_EXPORT_CSV
    TYPE = CSV
    FIELD_DELIMITER = ','
    SKIP_HEADER = 1
    FIELD_OPTIONALLY_ENCLOSED_BY = '"'
    EMPTY_FIELD_AS_NULL = TRUE
    COMMENT = 'The WHOOP app CSV export (English headers, validated before loading)';

CREATE TABLE IF NOT EXISTS BRONZE.RAW_EXPORT_CYCLE (
    INGEST_BATCH_ID VARCHAR NOT NULL COMMENT 'The import run that loaded the row',
    LOADED_AT TIMESTAMP_NTZ NOT NULL COMMENT 'UTC time the row was written',
    MEMBER_NAME VARCHAR NOT NULL COMMENT 'Member the export belongs to (the export carries no WHOOP user id)',
    SOURCE_FILE VARCHAR NOT NULL COMMENT 'Export file the row came from (physiological_cycles.csv)',
    STAGED_FILE VARCHAR NOT NULL COMMENT 'Path of the loaded file in @BRONZE.EXPORT_STAGE',
    FILE_ROW_NUMBER NUMBER(38, 0) NOT NULL COMMENT 'Record number in the file, 1 = first record after the header',
    ROW_HASH VARCHAR NOT NULL COMMENT 'MD5 of the row''s export columns, a row is stored once per member',
    CYCLE_START_TIME VARCHAR COMMENT 'Export column "Cycle start time"',
    CYCLE_END_TIME VARCHAR COMMENT 'Export column "Cycle end time", blank (NULL) for the current cycle',
    CYCLE_TIMEZONE VARCHAR COMMENT 'Export column "Cycle timezone", UTC+hh:mm or UTC-hh:mm',
    RECOVERY_SCORE_PCT VARCHAR COMMENT 'Export column "Recovery score %"',
    RESTING_HEART_RATE_BPM VARCHAR COMMENT 'Export column "Resting heart rate (bpm)"',
    HEART_RATE_VARIABILITY_MS VARCHAR COMMENT 'Export column "Heart rate variability (ms)"',
    SKIN_TEMP_CELSIUS VARCHAR COMMENT 'Export column "Skin temp (celsius)"',
    BLOOD_OXYGEN_PCT VARCHAR COMMENT 'Export column "Blood oxygen %"',
    DAY_STRAIN VARCHAR COMMENT 'Export column "Day Strain"',
    ENERGY_BURNED_CAL VARCHAR COMMENT 'Export column "Energy burned (cal)"',
    MAX_HR_BPM VARCHAR COMMENT 'Export column "Max HR (bpm)"',
    AVERAGE_HR_BPM VARCHAR COMMENT 'Export column "Average HR (bpm)"',
    SLEEP_ONSET VARCHAR COMMENT 'Export column "Sleep onset"',
    WAKE_ONSET VARCHAR COMMENT 'Export column "Wake onset"',
    SLEEP_PERFORMANCE_PCT VARCHAR COMMENT 'Export column "Sleep performance %"',
    RESPIRATORY_RATE_RPM VARCHAR COMMENT 'Export column "Respiratory rate (rpm)"',
    ASLEEP_DURATION_MIN VARCHAR COMMENT 'Export column "Asleep duration (min)"',
    IN_BED_DURATION_MIN VARCHAR COMMENT 'Export column "In bed duration (min)"',
    LIGHT_SLEEP_DURATION_MIN VARCHAR COMMENT 'Export column "Light sleep duration (min)"',
    DEEP_SWS_DURATION_MIN VARCHAR COMMENT 'Export column "Deep (SWS) duration (min)"',
    REM_DURATION_MIN VARCHAR COMMENT 'Export column "REM duration (min)"',
    AWAKE_DURATION_MIN VARCHAR COMMENT 'Export column "Awake duration (min)"',
    SLEEP_NEED_MIN VARCHAR COMMENT 'Export column "Sleep need (min)"',
    SLEEP_DEBT_MIN VARCHAR COMMENT 'Export column "Sleep debt (min)"',
    SLEEP_EFFICIENCY_PCT VARCHAR COMMENT 'Export column "Sleep efficiency %"',
    SLEEP_CONSISTENCY_PCT VARCHAR COMMENT 'Export column "Sleep consistency %"'
) COMMENT = 'Append-only raw export rows from physiological_cycles.csv: physiological cycles (recovery, strain and the main sleep of each cycle)';

CREATE STREAM IF NOT EXISTS BRONZE.RAW_EXPORT_CYCLE_STREAM ON TABLE BRONZE.RAW_EXPORT_CYCLE APPEND_ONLY = TRUE;

CREATE TABLE IF NOT EXISTS BRONZE.RAW_EXPORT_SLEEP (
    INGEST_BATCH_ID VARCHAR NOT NULL COMMENT 'The import run that loaded the row',
    LOADED_AT TIMESTAMP_NTZ NOT NULL COMMENT 'UTC time the row was written',
    MEMBER_NAME VARCHAR NOT NULL COMMENT 'Member the export belongs to (the export carries no WHOOP user id)',
    SOURCE_FILE VARCHAR NOT NULL COMMENT 'Export file the row came from (sleeps.csv)',
    STAGED_FILE VARCHAR NOT NULL COMMENT 'Path of the loaded file in @BRONZE.EXPORT_STAGE',
    FILE_ROW_NUMBER NUMBER(38, 0) NOT NULL COMMENT 'Record number in the file, 1 = first record after the header',
    ROW_HASH VARCHAR NOT NULL COMMENT 'MD5 of the row''s export columns, a row is stored once per member',
    CYCLE_START_TIME VARCHAR COMMENT 'Export column "Cycle start time"',
    CYCLE_END_TIME VARCHAR COMMENT 'Export column "Cycle end time", blank (NULL) for the current cycle',
    CYCLE_TIMEZONE VARCHAR COMMENT 'Export column "Cycle timezone", UTC+hh:mm or UTC-hh:mm',
    SLEEP_ONSET VARCHAR COMMENT 'Export column "Sleep onset"',
    WAKE_ONSET VARCHAR COMMENT 'Export column "Wake onset"',
    SLEEP_PERFORMANCE_PCT VARCHAR COMMENT 'Export column "Sleep performance %"',
    RESPIRATORY_RATE_RPM VARCHAR COMMENT 'Export column "Respiratory rate (rpm)"',
    ASLEEP_DURATION_MIN VARCHAR COMMENT 'Export column "Asleep duration (min)"',
    IN_BED_DURATION_MIN VARCHAR COMMENT 'Export column "In bed duration (min)"',
    LIGHT_SLEEP_DURATION_MIN VARCHAR COMMENT 'Export column "Light sleep duration (min)"',
    DEEP_SWS_DURATION_MIN VARCHAR COMMENT 'Export column "Deep (SWS) duration (min)"',
    REM_DURATION_MIN VARCHAR COMMENT 'Export column "REM duration (min)"',
    AWAKE_DURATION_MIN VARCHAR COMMENT 'Export column "Awake duration (min)"',
    SLEEP_NEED_MIN VARCHAR COMMENT 'Export column "Sleep need (min)"',
    SLEEP_DEBT_MIN VARCHAR COMMENT 'Export column "Sleep debt (min)"',
    SLEEP_EFFICIENCY_PCT VARCHAR COMMENT 'Export column "Sleep efficiency %"',
    SLEEP_CONSISTENCY_PCT VARCHAR COMMENT 'Export column "Sleep consistency %"',
    NAP VARCHAR COMMENT 'Export column "Nap", true for a nap, false for the main sleep'
) COMMENT = 'Append-only raw export rows from sleeps.csv: sleeps, naps included';

CREATE STREAM IF NOT EXISTS BRONZE.RAW_EXPORT_SLEEP_STREAM ON TABLE BRONZE.RAW_EXPORT_SLEEP APPEND_ONLY = TRUE;

CREATE TABLE IF NOT EXISTS BRONZE.RAW_EXPORT_WORKOUT (
    INGEST_BATCH_ID VARCHAR NOT NULL COMMENT 'The import run that loaded the row',
    LOADED_AT TIMESTAMP_NTZ NOT NULL COMMENT 'UTC time the row was written',
    MEMBER_NAME VARCHAR NOT NULL COMMENT 'Member the export belongs to (the export carries no WHOOP user id)',
    SOURCE_FILE VARCHAR NOT NULL COMMENT 'Export file the row came from (workouts.csv)',
    STAGED_FILE VARCHAR NOT NULL COMMENT 'Path of the loaded file in @BRONZE.EXPORT_STAGE',
    FILE_ROW_NUMBER NUMBER(38, 0) NOT NULL COMMENT 'Record number in the file, 1 = first record after the header',
    ROW_HASH VARCHAR NOT NULL COMMENT 'MD5 of the row''s export columns, a row is stored once per member',
    CYCLE_START_TIME VARCHAR COMMENT 'Export column "Cycle start time"',
    CYCLE_END_TIME VARCHAR COMMENT 'Export column "Cycle end time", blank (NULL) for the current cycle',
    CYCLE_TIMEZONE VARCHAR COMMENT 'Export column "Cycle timezone", UTC+hh:mm or UTC-hh:mm',
    WORKOUT_START_TIME VARCHAR COMMENT 'Export column "Workout start time"',
    WORKOUT_END_TIME VARCHAR COMMENT 'Export column "Workout end time"',
    DURATION_MIN VARCHAR COMMENT 'Export column "Duration (min)"',
    ACTIVITY_NAME VARCHAR COMMENT 'Export column "Activity name"',
    ACTIVITY_STRAIN VARCHAR COMMENT 'Export column "Activity Strain"',
    ENERGY_BURNED_CAL VARCHAR COMMENT 'Export column "Energy burned (cal)"',
    MAX_HR_BPM VARCHAR COMMENT 'Export column "Max HR (bpm)"',
    AVERAGE_HR_BPM VARCHAR COMMENT 'Export column "Average HR (bpm)"',
    HR_ZONE_1_PCT VARCHAR COMMENT 'Export column "HR Zone 1 %"',
    HR_ZONE_2_PCT VARCHAR COMMENT 'Export column "HR Zone 2 %"',
    HR_ZONE_3_PCT VARCHAR COMMENT 'Export column "HR Zone 3 %"',
    HR_ZONE_4_PCT VARCHAR COMMENT 'Export column "HR Zone 4 %"',
    HR_ZONE_5_PCT VARCHAR COMMENT 'Export column "HR Zone 5 %"',
    GPS_ENABLED VARCHAR COMMENT 'Export column "GPS enabled"',
    DISTANCE_METERS VARCHAR COMMENT 'Export column "Distance (meters)", absent from some exports (then NULL)',
    ALTITUDE_GAIN_METERS VARCHAR COMMENT 'Export column "Altitude gain (meters)", absent from some exports (then NULL)',
    ALTITUDE_CHANGE_METERS VARCHAR COMMENT 'Export column "Altitude change (meters)", absent from some exports (then NULL)'
) COMMENT = 'Append-only raw export rows from workouts.csv: workouts';

CREATE STREAM IF NOT EXISTS BRONZE.RAW_EXPORT_WORKOUT_STREAM ON TABLE BRONZE.RAW_EXPORT_WORKOUT APPEND_ONLY = TRUE;

CREATE TABLE IF NOT EXISTS BRONZE.RAW_EXPORT_JOURNAL (
    INGEST_BATCH_ID VARCHAR NOT NULL COMMENT 'The import run that loaded the row',
    LOADED_AT TIMESTAMP_NTZ NOT NULL COMMENT 'UTC time the row was written',
    MEMBER_NAME VARCHAR NOT NULL COMMENT 'Member the export belongs to (the export carries no WHOOP user id)',
    SOURCE_FILE VARCHAR NOT NULL COMMENT 'Export file the row came from (journal_entries.csv)',
    STAGED_FILE VARCHAR NOT NULL COMMENT 'Path of the loaded file in @BRONZE.EXPORT_STAGE',
    FILE_ROW_NUMBER NUMBER(38, 0) NOT NULL COMMENT 'Record number in the file, 1 = first record after the header',
    ROW_HASH VARCHAR NOT NULL COMMENT 'MD5 of the row''s export columns, a row is stored once per member',
    CYCLE_START_TIME VARCHAR COMMENT 'Export column "Cycle start time"',
    CYCLE_END_TIME VARCHAR COMMENT 'Export column "Cycle end time", blank (NULL) for the current cycle',
    CYCLE_TIMEZONE VARCHAR COMMENT 'Export column "Cycle timezone", UTC+hh:mm or UTC-hh:mm',
    QUESTION_TEXT VARCHAR COMMENT 'Export column "Question text", kept exactly, trailing spaces included',
    ANSWERED_YES VARCHAR COMMENT 'Export column "Answered yes"',
    NOTES VARCHAR COMMENT 'Export column "Notes", free text, may hold newlines'
) COMMENT = 'Append-only raw export rows from journal_entries.csv: journal answers (only in the export, the API has none)';

CREATE STREAM IF NOT EXISTS BRONZE.RAW_EXPORT_JOURNAL_STREAM ON TABLE BRONZE.RAW_EXPORT_JOURNAL APPEND_ONLY = TRUE;
