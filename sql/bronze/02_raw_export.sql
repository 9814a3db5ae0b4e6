--!jinja
-- Bronze: the WHOOP app's CSV data export, loaded through a stage with COPY INTO (infra/local/export_import.py
-- locally; the same statements in Snowflake). Every column is kept as the text the export holds (times are
-- local `YYYY-MM-DD HH:MM:SS`, zones `UTC+hh:mm`); Silver types them later. The export has no WHOOP user id,
-- so rows belong to a member by name. A row is stored once per member and file: re-importing the same
-- export, or an overlapping later one, adds only rows whose content (ROW_HASH) is new.
-- One table per export file, in one shape declared once below (a file that starts with --!jinja is a Jinja2
-- template that EXECUTE IMMEDIATE FROM renders before it runs:
-- https://docs.snowflake.com/en/sql-reference/sql/execute-immediate-from, "Jinja2 templating").
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
{#- An export file's table: the row's lineage and the cycle it belongs to (every export file has the cycle's
    columns), then the file's own columns, each (name, export header[, note]) and kept as text; and its append-only
    stream, which the Silver task of the file reads. -#}
{%- macro export_table(name, file, what, columns) %}

CREATE TABLE IF NOT EXISTS BRONZE.RAW_EXPORT_{{ name }} (
    INGEST_BATCH_ID VARCHAR NOT NULL COMMENT 'The import run that loaded the row',
    LOADED_AT TIMESTAMP_NTZ NOT NULL COMMENT 'UTC time the row was written',
    MEMBER_NAME VARCHAR NOT NULL COMMENT 'Member the export belongs to (the export carries no WHOOP user id)',
    SOURCE_FILE VARCHAR NOT NULL COMMENT 'Export file the row came from ({{ file }})',
    STAGED_FILE VARCHAR NOT NULL COMMENT 'Path of the loaded file in @BRONZE.EXPORT_STAGE',
    FILE_ROW_NUMBER NUMBER(38, 0) NOT NULL COMMENT 'Record number in the file, 1 = first record after the header',
    ROW_HASH VARCHAR NOT NULL COMMENT 'MD5 of the row''s export columns, a row is stored once per member',
    {%- for column in [
        ("CYCLE_START_TIME", "Cycle start time"),
        ("CYCLE_END_TIME", "Cycle end time", "blank (NULL) for the current cycle"),
        ("CYCLE_TIMEZONE", "Cycle timezone", "UTC+hh:mm or UTC-hh:mm"),
    ] + columns %}
    {{ column[0] }} VARCHAR COMMENT 'Export column "{{ column[1] }}"{{ ", " ~ column[2] if column | length > 2 }}'
    {{- "," if not loop.last }}
    {%- endfor %}
) COMMENT = 'Append-only raw export rows from {{ file }}: {{ what }}';

CREATE STREAM IF NOT EXISTS BRONZE.RAW_EXPORT_{{ name }}_STREAM ON TABLE BRONZE.RAW_EXPORT_{{ name }} APPEND_ONLY = TRUE;
{%- endmacro %}

{#- Columns that more than one export file has. -#}
{%- set heart_rate = [("ENERGY_BURNED_CAL", "Energy burned (cal)"), ("MAX_HR_BPM", "Max HR (bpm)"),
    ("AVERAGE_HR_BPM", "Average HR (bpm)")] %}
{%- set sleep = [
    ("SLEEP_ONSET", "Sleep onset"), ("WAKE_ONSET", "Wake onset"), ("SLEEP_PERFORMANCE_PCT", "Sleep performance %"),
    ("RESPIRATORY_RATE_RPM", "Respiratory rate (rpm)"), ("ASLEEP_DURATION_MIN", "Asleep duration (min)"),
    ("IN_BED_DURATION_MIN", "In bed duration (min)"), ("LIGHT_SLEEP_DURATION_MIN", "Light sleep duration (min)"),
    ("DEEP_SWS_DURATION_MIN", "Deep (SWS) duration (min)"), ("REM_DURATION_MIN", "REM duration (min)"),
    ("AWAKE_DURATION_MIN", "Awake duration (min)"), ("SLEEP_NEED_MIN", "Sleep need (min)"),
    ("SLEEP_DEBT_MIN", "Sleep debt (min)"), ("SLEEP_EFFICIENCY_PCT", "Sleep efficiency %"),
    ("SLEEP_CONSISTENCY_PCT", "Sleep consistency %"),
] %}
{%- set absent = "absent from some exports (then NULL)" %}

{{- export_table("CYCLE", "physiological_cycles.csv",
    "physiological cycles (recovery, strain and the main sleep of each cycle)", [
        ("RECOVERY_SCORE_PCT", "Recovery score %"), ("RESTING_HEART_RATE_BPM", "Resting heart rate (bpm)"),
        ("HEART_RATE_VARIABILITY_MS", "Heart rate variability (ms)"), ("SKIN_TEMP_CELSIUS", "Skin temp (celsius)"),
        ("BLOOD_OXYGEN_PCT", "Blood oxygen %"), ("DAY_STRAIN", "Day Strain"),
    ] + heart_rate + sleep) }}

{{- export_table("SLEEP", "sleeps.csv", "sleeps, naps included",
    sleep + [("NAP", "Nap", "true for a nap, false for the main sleep")]) }}

{{- export_table("WORKOUT", "workouts.csv", "workouts", [
    ("WORKOUT_START_TIME", "Workout start time"), ("WORKOUT_END_TIME", "Workout end time"),
    ("DURATION_MIN", "Duration (min)"), ("ACTIVITY_NAME", "Activity name"), ("ACTIVITY_STRAIN", "Activity Strain"),
] + heart_rate + [
    ("HR_ZONE_1_PCT", "HR Zone 1 %"), ("HR_ZONE_2_PCT", "HR Zone 2 %"), ("HR_ZONE_3_PCT", "HR Zone 3 %"),
    ("HR_ZONE_4_PCT", "HR Zone 4 %"), ("HR_ZONE_5_PCT", "HR Zone 5 %"), ("GPS_ENABLED", "GPS enabled"),
    ("DISTANCE_METERS", "Distance (meters)", absent), ("ALTITUDE_GAIN_METERS", "Altitude gain (meters)", absent),
    ("ALTITUDE_CHANGE_METERS", "Altitude change (meters)", absent),
]) }}

{{- export_table("JOURNAL", "journal_entries.csv", "journal answers (only in the export, the API has none)", [
    ("QUESTION_TEXT", "Question text", "kept exactly, trailing spaces included"), ("ANSWERED_YES", "Answered yes"),
    ("NOTES", "Notes", "free text, may hold newlines"),
]) }}
