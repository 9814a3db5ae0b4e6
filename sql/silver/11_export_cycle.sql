-- Silver: one typed row per physiological cycle of the WHOOP app's CSV export (physiological_cycles.csv).
-- Built like every Silver table (sql/silver/01_cycle.sql): the stream's rows are typed and checked into
-- PENDING in one statement, rule breakers go to OPS.QUARANTINE, the rest are MERGEd, the run is counted in
-- OPS.TRANSFORM_RUNS and PENDING is emptied. The export has no ids: a cycle is keyed by member name and its
-- start instant. Local times are the export's `YYYY-MM-DD HH:MM:SS` (whole seconds); UTC = local - offset.
-- A row's ROW_HASH identifies it only within one member (02_raw_export.sql), so the quarantine's idempotence
-- check names the member as well as the hash and the rule.
{% from '_entity.sql' import entity, export_checks, export_lineage, export_lineage_columns, export_numbers, export_sleep_columns, export_sleep_fields, export_sleep_names, export_sleep_numbers, export_span, export_typed %}
{%- set columns %}
    MEMBER_NAME VARCHAR NOT NULL COMMENT 'Member the export belongs to (natural key, with CYCLE_START_UTC)',
    CYCLE_START_UTC TIMESTAMP_NTZ NOT NULL COMMENT 'Cycle start (sleep onset), UTC = local start - offset, whole seconds',
    CYCLE_END_UTC TIMESTAMP_NTZ COMMENT 'Cycle end, UTC, whole seconds; NULL while the cycle is open (the current one)',
    TIMEZONE_OFFSET VARCHAR NOT NULL COMMENT 'The member''s offset for the cycle, +hh:mm or -hh:mm (export UTC+hh:mm normalised)',
    OFFSET_MINUTES NUMBER(38, 0) NOT NULL COMMENT 'TIMEZONE_OFFSET as minutes east of UTC',
    CYCLE_START_LOCAL TIMESTAMP_NTZ NOT NULL COMMENT 'Cycle start in the member''s local time, as exported',
    CYCLE_END_LOCAL TIMESTAMP_NTZ COMMENT 'Cycle end in the member''s local time, as exported; NULL while open',
    CYCLE_DATE DATE NOT NULL COMMENT 'Physiological day: local date of start + 12 h (a cycle starts at sleep onset)',
    RECOVERY_SCORE FLOAT COMMENT 'Recovery score, %, 0-100 (export rounds to an integer)',
    RESTING_HEART_RATE FLOAT COMMENT 'Resting heart rate, bpm',
    HRV_RMSSD_MS FLOAT COMMENT 'Heart rate variability (RMSSD), ms',
    SKIN_TEMP_CELSIUS FLOAT COMMENT 'Skin temperature, degrees Celsius; NULL before the WHOOP 4.0 strap',
    SPO2_PERCENTAGE FLOAT COMMENT 'Blood oxygen, %, 0-100; NULL before the WHOOP 4.0 strap',
    DAY_STRAIN FLOAT COMMENT 'Day strain, 0-21 (export: 1 decimal)',
    ENERGY_KCAL FLOAT COMMENT 'Energy burned over the cycle, kcal (the export''s "cal"; integer)',
    MAX_HEART_RATE NUMBER(38, 0) COMMENT 'Maximum heart rate over the cycle, bpm',
    AVERAGE_HEART_RATE NUMBER(38, 0) COMMENT 'Average heart rate over the cycle, bpm',
    SLEEP_ONSET_UTC TIMESTAMP_NTZ COMMENT 'Onset of the cycle''s main sleep, UTC, whole seconds',
    WAKE_ONSET_UTC TIMESTAMP_NTZ COMMENT 'Wake onset after the cycle''s main sleep, UTC, whole seconds',
    {{ export_sleep_columns }}
    {{ export_lineage_columns }}
{%- endset %}
{%- set fields = [
    "RECOVERY_SCORE_PCT", "RESTING_HEART_RATE_BPM", "HEART_RATE_VARIABILITY_MS", "SKIN_TEMP_CELSIUS", "BLOOD_OXYGEN_PCT",
    "DAY_STRAIN", "ENERGY_BURNED_CAL", "MAX_HR_BPM", "AVERAGE_HR_BPM",
] + export_sleep_fields %}
{%- set times = [("CYCLE_START_TIME", "START"), ("CYCLE_END_TIME", "END"), ("SLEEP_ONSET", "ONSET"), ("WAKE_ONSET", "WAKE")] %}
{%- call entity("EXPORT_CYCLE", "BRONZE.RAW_EXPORT_CYCLE", ["MEMBER_NAME", "CYCLE_START_UTC"], columns, "loaded",
    "Typed physiological cycles from the WHOOP app CSV export, one per member and cycle start; latest load wins", export=true) %}
    {{ export_typed("BRONZE.RAW_EXPORT_CYCLE_STREAM", fields, times) }},
            {{ export_numbers([
                ("RECOVERY_SCORE_PCT", "DOUBLE", "RECOVERY_SCORE"),
                ("RESTING_HEART_RATE_BPM", "DOUBLE", "RESTING_HEART_RATE"),
                ("HEART_RATE_VARIABILITY_MS", "DOUBLE", "HRV_RMSSD_MS"),
                ("SKIN_TEMP_CELSIUS", "DOUBLE", "SKIN_TEMP_CELSIUS"),
                ("BLOOD_OXYGEN_PCT", "DOUBLE", "SPO2_PERCENTAGE"),
                ("DAY_STRAIN", "DOUBLE", "DAY_STRAIN"),
                ("ENERGY_BURNED_CAL", "DOUBLE", "ENERGY_KCAL"),
                ("MAX_HR_BPM", "NUMBER", "MAX_HEART_RATE"),
                ("AVERAGE_HR_BPM", "NUMBER", "AVERAGE_HEART_RATE"),
            ] + export_sleep_numbers) }},
            -- truncated_row: a record cut short (a CSV row that ends early, by a broken download or by hand) reaches
            -- Bronze with every field after the cut NULL, so its later checks would name the wrong thing. Criterion:
            -- from a field the export always writes, given the fields before it, to the end of the row every field
            -- is blank. The export writes its fields in blocks, each whole or not at all: the cycle (start, end
            -- blank only while open, timezone: always), the recovery (score, resting HR, HRV; skin temp and SpO2
            -- only on 4.0 straps), the day's strain (strain, energy, max HR, average HR), the sleep's times (onset,
            -- wake; always there with a recovery), the sleep's score (durations, need and debt always; performance,
            -- respiratory rate, efficiency and consistency may be absent per the v2 contract). So the row is
            -- truncated when the timezone and all after it are blank, when a recovery lacks HRV, a strain its
            -- average HR, a recovery its sleep onset, a sleep onset its wake, or a sleep score its debt, with
            -- nothing after. A cut that loses only fields that may legitimately be blank (SpO2 and skin temp,
            -- efficiency and consistency) cannot be told from them and is not flagged. sleeps.csv ends with Nap,
            -- workouts.csv with GPS enabled (then the optional distance and altitude), journal_entries.csv with
            -- Answered yes (then Notes, which may be blank): each always written, so a blank there with nothing
            -- after is a cut. This is checked before any type or range rule.
            CASE
                WHEN COALESCE(r.CYCLE_TIMEZONE, r.RECOVERY_SCORE_PCT, r.RESTING_HEART_RATE_BPM,
                    r.HEART_RATE_VARIABILITY_MS, r.SKIN_TEMP_CELSIUS, r.BLOOD_OXYGEN_PCT, r.DAY_STRAIN,
                    r.ENERGY_BURNED_CAL, r.MAX_HR_BPM, r.AVERAGE_HR_BPM, r.SLEEP_ONSET, r.WAKE_ONSET,
                    r.SLEEP_PERFORMANCE_PCT, r.RESPIRATORY_RATE_RPM, r.ASLEEP_DURATION_MIN, r.IN_BED_DURATION_MIN,
                    r.LIGHT_SLEEP_DURATION_MIN, r.DEEP_SWS_DURATION_MIN, r.REM_DURATION_MIN, r.AWAKE_DURATION_MIN,
                    r.SLEEP_NEED_MIN, r.SLEEP_DEBT_MIN, r.SLEEP_EFFICIENCY_PCT,
                    r.SLEEP_CONSISTENCY_PCT) IS NULL THEN 'Cycle timezone'
                WHEN r.RECOVERY_SCORE_PCT IS NOT NULL AND COALESCE(r.HEART_RATE_VARIABILITY_MS,
                    r.SKIN_TEMP_CELSIUS, r.BLOOD_OXYGEN_PCT, r.DAY_STRAIN, r.ENERGY_BURNED_CAL, r.MAX_HR_BPM,
                    r.AVERAGE_HR_BPM, r.SLEEP_ONSET, r.WAKE_ONSET, r.SLEEP_PERFORMANCE_PCT, r.RESPIRATORY_RATE_RPM,
                    r.ASLEEP_DURATION_MIN, r.IN_BED_DURATION_MIN, r.LIGHT_SLEEP_DURATION_MIN,
                    r.DEEP_SWS_DURATION_MIN, r.REM_DURATION_MIN, r.AWAKE_DURATION_MIN, r.SLEEP_NEED_MIN,
                    r.SLEEP_DEBT_MIN, r.SLEEP_EFFICIENCY_PCT,
                    r.SLEEP_CONSISTENCY_PCT) IS NULL THEN 'Heart rate variability (ms)'
                WHEN r.DAY_STRAIN IS NOT NULL AND COALESCE(r.AVERAGE_HR_BPM, r.SLEEP_ONSET, r.WAKE_ONSET,
                    r.SLEEP_PERFORMANCE_PCT, r.RESPIRATORY_RATE_RPM, r.ASLEEP_DURATION_MIN, r.IN_BED_DURATION_MIN,
                    r.LIGHT_SLEEP_DURATION_MIN, r.DEEP_SWS_DURATION_MIN, r.REM_DURATION_MIN, r.AWAKE_DURATION_MIN,
                    r.SLEEP_NEED_MIN, r.SLEEP_DEBT_MIN, r.SLEEP_EFFICIENCY_PCT,
                    r.SLEEP_CONSISTENCY_PCT) IS NULL THEN 'Average HR (bpm)'
                WHEN r.RECOVERY_SCORE_PCT IS NOT NULL AND COALESCE(r.SLEEP_ONSET, r.WAKE_ONSET,
                    r.SLEEP_PERFORMANCE_PCT, r.RESPIRATORY_RATE_RPM, r.ASLEEP_DURATION_MIN, r.IN_BED_DURATION_MIN,
                    r.LIGHT_SLEEP_DURATION_MIN, r.DEEP_SWS_DURATION_MIN, r.REM_DURATION_MIN, r.AWAKE_DURATION_MIN,
                    r.SLEEP_NEED_MIN, r.SLEEP_DEBT_MIN, r.SLEEP_EFFICIENCY_PCT,
                    r.SLEEP_CONSISTENCY_PCT) IS NULL THEN 'Sleep onset'
                WHEN r.SLEEP_ONSET IS NOT NULL AND COALESCE(r.WAKE_ONSET, r.SLEEP_PERFORMANCE_PCT,
                    r.RESPIRATORY_RATE_RPM, r.ASLEEP_DURATION_MIN, r.IN_BED_DURATION_MIN,
                    r.LIGHT_SLEEP_DURATION_MIN, r.DEEP_SWS_DURATION_MIN, r.REM_DURATION_MIN, r.AWAKE_DURATION_MIN,
                    r.SLEEP_NEED_MIN, r.SLEEP_DEBT_MIN, r.SLEEP_EFFICIENCY_PCT,
                    r.SLEEP_CONSISTENCY_PCT) IS NULL THEN 'Wake onset'
                WHEN COALESCE(r.SLEEP_PERFORMANCE_PCT, r.RESPIRATORY_RATE_RPM, r.ASLEEP_DURATION_MIN,
                    r.IN_BED_DURATION_MIN, r.LIGHT_SLEEP_DURATION_MIN, r.DEEP_SWS_DURATION_MIN, r.REM_DURATION_MIN,
                    r.AWAKE_DURATION_MIN, r.SLEEP_NEED_MIN) IS NOT NULL AND COALESCE(r.SLEEP_DEBT_MIN,
                    r.SLEEP_EFFICIENCY_PCT, r.SLEEP_CONSISTENCY_PCT) IS NULL THEN 'Sleep debt (min)'
            END AS TRUNCATED_AT,
            {{ export_lineage("CYCLE_START_TIME", fields) }}
    )
    SELECT
        MEMBER_NAME,
        {{ export_span("CYCLE") }},
        DATEADD(HOUR, 12, START_LOCAL)::DATE AS CYCLE_DATE,
        RECOVERY_SCORE, RESTING_HEART_RATE, HRV_RMSSD_MS, SKIN_TEMP_CELSIUS, SPO2_PERCENTAGE, DAY_STRAIN,
        ENERGY_KCAL, MAX_HEART_RATE, AVERAGE_HEART_RATE,
        DATEADD(MINUTE, -OFFSET_MINUTES, ONSET_LOCAL) AS SLEEP_ONSET_UTC,
        DATEADD(MINUTE, -OFFSET_MINUTES, WAKE_LOCAL) AS WAKE_ONSET_UTC,
        {{ export_sleep_names | join(", ") }}, BRONZE_LOADED_AT, ROW_HASH, INGEST_BATCH_ID, RECORD_KEY,
        CASE
            {{ export_checks(times) }}
            -- bounds and their sources: sql/silver/00_quarantine.sql
            WHEN TIMESTAMPDIFF(MINUTE, ONSET_LOCAL, WAKE_LOCAL) > 24 * 60 OR IN_BED_MINUTES > 24 * 60
                THEN 'duration_out_of_range'
            WHEN RECOVERY_SCORE < 0 OR RECOVERY_SCORE > 100 THEN 'recovery_out_of_range'
            WHEN DAY_STRAIN < 0 OR DAY_STRAIN > 21 THEN 'strain_out_of_range'
            WHEN SPO2_PERCENTAGE < 0 OR SPO2_PERCENTAGE > 100
                OR SLEEP_PERFORMANCE_PCT < 0 OR SLEEP_PERFORMANCE_PCT > 100
                OR SLEEP_EFFICIENCY_PCT < 0 OR SLEEP_EFFICIENCY_PCT > 100
                OR SLEEP_CONSISTENCY_PCT < 0 OR SLEEP_CONSISTENCY_PCT > 100 THEN 'percentage_out_of_range'
            WHEN RESTING_HEART_RATE NOT BETWEEN 20 AND 150 OR MAX_HEART_RATE NOT BETWEEN 20 AND 250
                OR AVERAGE_HEART_RATE NOT BETWEEN 20 AND 250 OR AVERAGE_HEART_RATE > MAX_HEART_RATE
                THEN 'heart_rate_out_of_range'
            WHEN ABS(LIGHT_SLEEP_MINUTES + DEEP_SLEEP_MINUTES + REM_SLEEP_MINUTES - ASLEEP_MINUTES) > 3
                OR ASLEEP_MINUTES + AWAKE_MINUTES > IN_BED_MINUTES + 3 THEN 'stage_minutes_mismatch'
            WHEN HRV_RMSSD_MS < 0 OR ENERGY_KCAL < 0 OR RESPIRATORY_RATE < 0 OR ASLEEP_MINUTES < 0
                OR IN_BED_MINUTES < 0 OR LIGHT_SLEEP_MINUTES < 0 OR DEEP_SLEEP_MINUTES < 0 OR REM_SLEEP_MINUTES < 0
                OR AWAKE_MINUTES < 0 OR SLEEP_NEEDED_MINUTES < 0 OR SLEEP_DEBT_MINUTES < 0 THEN 'negative_value'
            WHEN HRV_RMSSD_MS = 0 OR HRV_RMSSD_MS > 500 THEN 'hrv_out_of_range'
            WHEN SKIN_TEMP_CELSIUS NOT BETWEEN 20 AND 45 THEN 'skin_temp_out_of_range'
            WHEN RESPIRATORY_RATE NOT BETWEEN 4 AND 60 THEN 'respiratory_rate_out_of_range'
        END AS FAILED_RULE,
        IFF(MEMBER_NAME IS NULL OR TRIM(MEMBER_NAME) = '', NULL, TRUNCATED_AT) AS FAILED_DETAIL,
        PAYLOAD
    FROM typed
{%- endcall %}
