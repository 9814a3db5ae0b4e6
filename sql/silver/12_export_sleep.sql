-- Silver: one typed row per sleep of the WHOOP app's CSV export (sleeps.csv), naps included.
-- Built like every Silver table (sql/silver/01_cycle.sql; see 11_export_cycle.sql for the export specifics):
-- keyed by member name and sleep onset; local times are converted with the row's cycle timezone.
{% from '_entity.sql' import entity, export_numbers, export_offset %}
{%- set columns %}
    MEMBER_NAME VARCHAR NOT NULL COMMENT 'Member the export belongs to (natural key, with SLEEP_START_UTC)',
    SLEEP_START_UTC TIMESTAMP_NTZ NOT NULL COMMENT 'Sleep onset, UTC = local onset - offset, whole seconds',
    SLEEP_END_UTC TIMESTAMP_NTZ COMMENT 'Wake onset, UTC, whole seconds',
    TIMEZONE_OFFSET VARCHAR NOT NULL COMMENT 'The member''s offset for the sleep''s cycle, +hh:mm or -hh:mm (export UTC+hh:mm normalised)',
    OFFSET_MINUTES NUMBER(38, 0) NOT NULL COMMENT 'TIMEZONE_OFFSET as minutes east of UTC',
    SLEEP_START_LOCAL TIMESTAMP_NTZ NOT NULL COMMENT 'Sleep onset in the member''s local time, as exported',
    SLEEP_END_LOCAL TIMESTAMP_NTZ COMMENT 'Wake onset in the member''s local time, as exported',
    WAKE_DATE DATE COMMENT 'Local date of wake onset',
    CYCLE_START_UTC TIMESTAMP_NTZ COMMENT 'Start of the cycle the sleep belongs to, UTC (joins SILVER.EXPORT_CYCLE)',
    IS_NAP BOOLEAN NOT NULL COMMENT 'TRUE for a nap, FALSE for the cycle''s main sleep (export "Nap")',
    SLEEP_PERFORMANCE_PCT FLOAT COMMENT 'Sleep performance, %, 0-100',
    RESPIRATORY_RATE FLOAT COMMENT 'Respiratory rate during sleep, breaths per minute (1 decimal)',
    ASLEEP_MINUTES FLOAT COMMENT 'Time asleep, minutes = light + deep + REM (each rounded, so within 3 min)',
    IN_BED_MINUTES FLOAT COMMENT 'Time in bed, minutes (>= asleep + awake, within 3 min of rounding)',
    LIGHT_SLEEP_MINUTES FLOAT COMMENT 'Light sleep, minutes',
    DEEP_SLEEP_MINUTES FLOAT COMMENT 'Deep (slow wave) sleep, minutes',
    REM_SLEEP_MINUTES FLOAT COMMENT 'REM sleep, minutes',
    AWAKE_MINUTES FLOAT COMMENT 'Time awake in bed, minutes',
    SLEEP_NEEDED_MINUTES FLOAT COMMENT 'Sleep need, minutes (baseline + debt + strain + nap credit)',
    SLEEP_DEBT_MINUTES FLOAT COMMENT 'Sleep need from sleep debt, minutes',
    SLEEP_EFFICIENCY_PCT FLOAT COMMENT 'Sleep efficiency, % (asleep / in bed), 0-100',
    SLEEP_CONSISTENCY_PCT FLOAT COMMENT 'Sleep consistency, %, 0-100',
    BRONZE_LOADED_AT TIMESTAMP_NTZ NOT NULL COMMENT 'When this row reached Bronze; the row loaded latest wins',
    ROW_HASH VARCHAR NOT NULL COMMENT 'Bronze ROW_HASH of the export row this version was built from'
{%- endset %}
{%- call entity("EXPORT_SLEEP", "BRONZE.RAW_EXPORT_SLEEP", ["MEMBER_NAME", "SLEEP_START_UTC"], columns, "loaded",
    "Typed sleeps (naps included) from the WHOOP app CSV export, one per member and sleep onset; latest load wins",
    "Bronze export sleep rows taken from the stream and checked, waiting for promotion (empty between runs)", export=true) %}
    WITH raw AS (
        SELECT
            s.INGEST_BATCH_ID, s.LOADED_AT, s.MEMBER_NAME, s.SOURCE_FILE, s.STAGED_FILE, s.FILE_ROW_NUMBER,
            s.ROW_HASH, s.CYCLE_START_TIME, s.CYCLE_END_TIME, s.CYCLE_TIMEZONE, s.SLEEP_ONSET, s.WAKE_ONSET,
            s.SLEEP_PERFORMANCE_PCT, s.RESPIRATORY_RATE_RPM, s.ASLEEP_DURATION_MIN, s.IN_BED_DURATION_MIN,
            s.LIGHT_SLEEP_DURATION_MIN, s.DEEP_SWS_DURATION_MIN, s.REM_DURATION_MIN, s.AWAKE_DURATION_MIN,
            s.SLEEP_NEED_MIN, s.SLEEP_DEBT_MIN, s.SLEEP_EFFICIENCY_PCT, s.SLEEP_CONSISTENCY_PCT, s.NAP
        FROM BRONZE.RAW_EXPORT_SLEEP_STREAM AS s
    ),
    typed AS (
        SELECT
            r.MEMBER_NAME,
            r.SLEEP_ONSET AS START_TEXT,
            r.WAKE_ONSET AS END_TEXT,
            r.CYCLE_START_TIME AS CYCLE_START_TEXT,
            r.CYCLE_END_TIME AS CYCLE_END_TEXT,
            TRY_TO_TIMESTAMP_NTZ(r.SLEEP_ONSET, 'YYYY-MM-DD HH24:MI:SS') AS START_LOCAL,
            TRY_TO_TIMESTAMP_NTZ(r.WAKE_ONSET, 'YYYY-MM-DD HH24:MI:SS') AS END_LOCAL,
            TRY_TO_TIMESTAMP_NTZ(r.CYCLE_START_TIME, 'YYYY-MM-DD HH24:MI:SS') AS CYCLE_START_LOCAL,
            TRY_TO_TIMESTAMP_NTZ(r.CYCLE_END_TIME, 'YYYY-MM-DD HH24:MI:SS') AS CYCLE_END_LOCAL,
            {{ export_offset("r.CYCLE_TIMEZONE") }},
            IFF(LOWER(TRIM(r.NAP)) IN ('true', 'false'), LOWER(TRIM(r.NAP)) = 'true', NULL) AS IS_NAP,
            {{ export_numbers([
                ("SLEEP_PERFORMANCE_PCT", "DOUBLE", "SLEEP_PERFORMANCE_PCT"),
                ("RESPIRATORY_RATE_RPM", "DOUBLE", "RESPIRATORY_RATE"),
                ("ASLEEP_DURATION_MIN", "DOUBLE", "ASLEEP_MINUTES"),
                ("IN_BED_DURATION_MIN", "DOUBLE", "IN_BED_MINUTES"),
                ("LIGHT_SLEEP_DURATION_MIN", "DOUBLE", "LIGHT_SLEEP_MINUTES"),
                ("DEEP_SWS_DURATION_MIN", "DOUBLE", "DEEP_SLEEP_MINUTES"),
                ("REM_DURATION_MIN", "DOUBLE", "REM_SLEEP_MINUTES"),
                ("AWAKE_DURATION_MIN", "DOUBLE", "AWAKE_MINUTES"),
                ("SLEEP_NEED_MIN", "DOUBLE", "SLEEP_NEEDED_MINUTES"),
                ("SLEEP_DEBT_MIN", "DOUBLE", "SLEEP_DEBT_MINUTES"),
                ("SLEEP_EFFICIENCY_PCT", "DOUBLE", "SLEEP_EFFICIENCY_PCT"),
                ("SLEEP_CONSISTENCY_PCT", "DOUBLE", "SLEEP_CONSISTENCY_PCT"),
            ]) }},
            -- truncated_row: Nap, the last field, is always written; blank means the row was cut (criterion:
            -- sql/silver/11_export_cycle.sql)
            CASE
                WHEN r.NAP IS NULL THEN 'Nap'
            END AS TRUNCATED_AT,
            r.LOADED_AT AS BRONZE_LOADED_AT,
            r.ROW_HASH,
            r.INGEST_BATCH_ID,
            r.SLEEP_ONSET AS RECORD_KEY,
            OBJECT_CONSTRUCT(
                'INGEST_BATCH_ID', r.INGEST_BATCH_ID, 'MEMBER_NAME', r.MEMBER_NAME, 'SOURCE_FILE', r.SOURCE_FILE,
                'STAGED_FILE', r.STAGED_FILE, 'FILE_ROW_NUMBER', r.FILE_ROW_NUMBER, 'ROW_HASH', r.ROW_HASH,
                'CYCLE_START_TIME', r.CYCLE_START_TIME, 'CYCLE_END_TIME', r.CYCLE_END_TIME,
                'CYCLE_TIMEZONE', r.CYCLE_TIMEZONE, 'SLEEP_ONSET', r.SLEEP_ONSET, 'WAKE_ONSET', r.WAKE_ONSET,
                'SLEEP_PERFORMANCE_PCT', r.SLEEP_PERFORMANCE_PCT, 'RESPIRATORY_RATE_RPM', r.RESPIRATORY_RATE_RPM,
                'ASLEEP_DURATION_MIN', r.ASLEEP_DURATION_MIN, 'IN_BED_DURATION_MIN', r.IN_BED_DURATION_MIN,
                'LIGHT_SLEEP_DURATION_MIN', r.LIGHT_SLEEP_DURATION_MIN,
                'DEEP_SWS_DURATION_MIN', r.DEEP_SWS_DURATION_MIN, 'REM_DURATION_MIN', r.REM_DURATION_MIN,
                'AWAKE_DURATION_MIN', r.AWAKE_DURATION_MIN, 'SLEEP_NEED_MIN', r.SLEEP_NEED_MIN,
                'SLEEP_DEBT_MIN', r.SLEEP_DEBT_MIN, 'SLEEP_EFFICIENCY_PCT', r.SLEEP_EFFICIENCY_PCT,
                'SLEEP_CONSISTENCY_PCT', r.SLEEP_CONSISTENCY_PCT, 'NAP', r.NAP
            ) AS PAYLOAD
        FROM raw AS r
    )
    SELECT
        MEMBER_NAME,
        DATEADD(MINUTE, -OFFSET_MINUTES, START_LOCAL) AS SLEEP_START_UTC,
        DATEADD(MINUTE, -OFFSET_MINUTES, END_LOCAL) AS SLEEP_END_UTC,
        TIMEZONE_OFFSET, OFFSET_MINUTES,
        START_LOCAL AS SLEEP_START_LOCAL,
        END_LOCAL AS SLEEP_END_LOCAL,
        END_LOCAL::DATE AS WAKE_DATE,
        DATEADD(MINUTE, -OFFSET_MINUTES, CYCLE_START_LOCAL) AS CYCLE_START_UTC,
        IS_NAP, SLEEP_PERFORMANCE_PCT, RESPIRATORY_RATE, ASLEEP_MINUTES, IN_BED_MINUTES, LIGHT_SLEEP_MINUTES,
        DEEP_SLEEP_MINUTES, REM_SLEEP_MINUTES, AWAKE_MINUTES, SLEEP_NEEDED_MINUTES, SLEEP_DEBT_MINUTES,
        SLEEP_EFFICIENCY_PCT, SLEEP_CONSISTENCY_PCT, BRONZE_LOADED_AT, ROW_HASH, INGEST_BATCH_ID, RECORD_KEY,
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
            WHEN TIMESTAMPDIFF(MINUTE, START_LOCAL, END_LOCAL) > 24 * 60 OR IN_BED_MINUTES > 24 * 60
                THEN 'duration_out_of_range'
            WHEN SLEEP_PERFORMANCE_PCT < 0 OR SLEEP_PERFORMANCE_PCT > 100
                OR SLEEP_EFFICIENCY_PCT < 0 OR SLEEP_EFFICIENCY_PCT > 100
                OR SLEEP_CONSISTENCY_PCT < 0 OR SLEEP_CONSISTENCY_PCT > 100 THEN 'percentage_out_of_range'
            WHEN ABS(LIGHT_SLEEP_MINUTES + DEEP_SLEEP_MINUTES + REM_SLEEP_MINUTES - ASLEEP_MINUTES) > 3
                OR ASLEEP_MINUTES + AWAKE_MINUTES > IN_BED_MINUTES + 3 THEN 'stage_minutes_mismatch'
            WHEN RESPIRATORY_RATE < 0 OR ASLEEP_MINUTES < 0 OR IN_BED_MINUTES < 0 OR LIGHT_SLEEP_MINUTES < 0
                OR DEEP_SLEEP_MINUTES < 0 OR REM_SLEEP_MINUTES < 0 OR AWAKE_MINUTES < 0
                OR SLEEP_NEEDED_MINUTES < 0 OR SLEEP_DEBT_MINUTES < 0 THEN 'negative_value'
            WHEN RESPIRATORY_RATE NOT BETWEEN 4 AND 60 THEN 'respiratory_rate_out_of_range'
            WHEN IS_NAP IS NULL THEN 'invalid_boolean'
        END AS FAILED_RULE,
        IFF(MEMBER_NAME IS NULL OR TRIM(MEMBER_NAME) = '', NULL, TRUNCATED_AT) AS FAILED_DETAIL,
        PAYLOAD
    FROM typed
{%- endcall %}
