-- Silver: one typed journal answer per member, cycle and question, from the WHOOP app's CSV export
-- (journal_entries.csv; the API has no journal). Built like every Silver table (sql/silver/01_cycle.sql; see
-- 11_export_cycle.sql for the export specifics). The app writes some questions with trailing spaces: the
-- key uses the trimmed text. Notes are free text and keep their newlines.
{% from '_entity.sql' import entity, export_boolean, export_checks, export_lineage, export_lineage_columns, export_typed %}
{%- set columns %}
    MEMBER_NAME VARCHAR NOT NULL COMMENT 'Member the export belongs to (natural key, with CYCLE_START_UTC and QUESTION_TEXT)',
    CYCLE_START_UTC TIMESTAMP_NTZ NOT NULL COMMENT 'Start of the cycle the answer is for, UTC = local start - offset, whole seconds',
    CYCLE_DATE DATE NOT NULL COMMENT 'Physiological day: local date of cycle start + 12 h (as SILVER.EXPORT_CYCLE)',
    TIMEZONE_OFFSET VARCHAR NOT NULL COMMENT 'The member''s offset for the cycle, +hh:mm or -hh:mm (export UTC+hh:mm normalised)',
    QUESTION_TEXT VARCHAR NOT NULL COMMENT 'Journal question as the app asks it, leading and trailing spaces trimmed',
    ANSWERED_YES BOOLEAN NOT NULL COMMENT 'The member''s answer: TRUE for yes (export "Answered yes")',
    NOTES VARCHAR COMMENT 'Free-text notes exactly as exported (newlines kept); NULL when blank',
    {{ export_lineage_columns }}
{%- endset %}
{%- set fields = ["QUESTION_TEXT", "ANSWERED_YES", "NOTES"] %}
{%- set times = [("CYCLE_START_TIME", "START"), ("CYCLE_END_TIME", "END")] %}
{%- call entity("JOURNAL_ENTRY", "BRONZE.RAW_EXPORT_JOURNAL", ["MEMBER_NAME", "CYCLE_START_UTC", "QUESTION_TEXT"], columns, "loaded",
    "Typed journal answers from the WHOOP app CSV export, one per member, cycle and question; latest load wins", export=true) %}
    {{ export_typed("BRONZE.RAW_EXPORT_JOURNAL_STREAM", fields, times) }},
            NULLIF(TRIM(r.QUESTION_TEXT), '') AS QUESTION_TEXT,
            {{ export_boolean("ANSWERED_YES", "ANSWERED_YES") }},
            r.NOTES,
            -- truncated_row: Answered yes is always written, only Notes (may be blank) follows it; blank with nothing
            -- after means the row was cut (criterion: sql/silver/11_export_cycle.sql)
            CASE
                WHEN COALESCE(r.ANSWERED_YES, r.NOTES) IS NULL THEN 'Answered yes'
            END AS TRUNCATED_AT,
            {{ export_lineage("CYCLE_START_TIME", fields) }}
    )
    SELECT
        MEMBER_NAME,
        DATEADD(MINUTE, -OFFSET_MINUTES, START_LOCAL) AS CYCLE_START_UTC,
        DATEADD(HOUR, 12, START_LOCAL)::DATE AS CYCLE_DATE,
        TIMEZONE_OFFSET, QUESTION_TEXT, ANSWERED_YES, NOTES, BRONZE_LOADED_AT, ROW_HASH, INGEST_BATCH_ID,
        RECORD_KEY,
        CASE
            {{ export_checks(times, "START_TEXT IS NULL OR QUESTION_TEXT IS NULL", numbers=false) }}
            WHEN ANSWERED_YES IS NULL THEN 'invalid_boolean'
        END AS FAILED_RULE,
        IFF(MEMBER_NAME IS NULL OR TRIM(MEMBER_NAME) = '', NULL, TRUNCATED_AT) AS FAILED_DETAIL,
        PAYLOAD
    FROM typed
{%- endcall %}
