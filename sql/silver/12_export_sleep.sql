-- Silver: one typed row per sleep of the WHOOP app's CSV export (sleeps.csv), naps included.
-- Built like every Silver table (sql/silver/01_cycle.sql; see 11_export_cycle.sql for the export specifics):
-- keyed by member name and sleep onset; local times are converted with the row's cycle timezone.
{% from '_entity.sql' import entity, export_boolean, export_checks, export_lineage, export_lineage_columns, export_numbers, export_sleep_columns, export_sleep_fields, export_sleep_names, export_sleep_numbers, export_span, export_typed %}
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
    {{ export_sleep_columns }}
    {{ export_lineage_columns }}
{%- endset %}
{%- set fields = export_sleep_fields + ["NAP"] %}
{%- set times = [("SLEEP_ONSET", "START"), ("WAKE_ONSET", "END"), ("CYCLE_START_TIME", "CYCLE_START"), ("CYCLE_END_TIME", "CYCLE_END")] %}
{%- call entity("EXPORT_SLEEP", "BRONZE.RAW_EXPORT_SLEEP", ["MEMBER_NAME", "SLEEP_START_UTC"], columns, "loaded",
    "Typed sleeps (naps included) from the WHOOP app CSV export, one per member and sleep onset; latest load wins", export=true) %}
    {{ export_typed("BRONZE.RAW_EXPORT_SLEEP_STREAM", fields, times) }},
            {{ export_boolean("NAP", "IS_NAP") }},
            {{ export_numbers(export_sleep_numbers) }},
            -- truncated_row: Nap, the last field, is always written; blank means the row was cut (criterion:
            -- sql/silver/11_export_cycle.sql)
            CASE
                WHEN r.NAP IS NULL THEN 'Nap'
            END AS TRUNCATED_AT,
            {{ export_lineage("SLEEP_ONSET", fields) }}
    )
    SELECT
        MEMBER_NAME,
        {{ export_span("SLEEP") }},
        END_LOCAL::DATE AS WAKE_DATE,
        DATEADD(MINUTE, -OFFSET_MINUTES, CYCLE_START_LOCAL) AS CYCLE_START_UTC,
        IS_NAP, {{ export_sleep_names | join(", ") }}, BRONZE_LOADED_AT, ROW_HASH, INGEST_BATCH_ID, RECORD_KEY,
        CASE
            {{ export_checks(times) }}
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
