-- Silver: one typed journal answer per member, cycle and question, from the WHOOP app's CSV export
-- (journal_entries.csv; the API has no journal). Built like every Silver table (sql/silver/01_cycle.sql; see
-- 11_export_cycle.sql for the export specifics). The app writes some questions with trailing spaces: the
-- key uses the trimmed text. Notes are free text and keep their newlines.
{% from '_entity.sql' import entity, export_offset %}
{%- set columns %}
    MEMBER_NAME VARCHAR NOT NULL COMMENT 'Member the export belongs to (natural key, with CYCLE_START_UTC and QUESTION_TEXT)',
    CYCLE_START_UTC TIMESTAMP_NTZ NOT NULL COMMENT 'Start of the cycle the answer is for, UTC = local start - offset, whole seconds',
    CYCLE_DATE DATE NOT NULL COMMENT 'Physiological day: local date of cycle start + 12 h (as SILVER.EXPORT_CYCLE)',
    TIMEZONE_OFFSET VARCHAR NOT NULL COMMENT 'The member''s offset for the cycle, +hh:mm or -hh:mm (export UTC+hh:mm normalised)',
    QUESTION_TEXT VARCHAR NOT NULL COMMENT 'Journal question as the app asks it, leading and trailing spaces trimmed',
    ANSWERED_YES BOOLEAN NOT NULL COMMENT 'The member''s answer: TRUE for yes (export "Answered yes")',
    NOTES VARCHAR COMMENT 'Free-text notes exactly as exported (newlines kept); NULL when blank',
    BRONZE_LOADED_AT TIMESTAMP_NTZ NOT NULL COMMENT 'When this row reached Bronze; the row loaded latest wins',
    ROW_HASH VARCHAR NOT NULL COMMENT 'Bronze ROW_HASH of the export row this version was built from'
{%- endset %}
{%- call entity("JOURNAL_ENTRY", "BRONZE.RAW_EXPORT_JOURNAL", ["MEMBER_NAME", "CYCLE_START_UTC", "QUESTION_TEXT"], columns, "loaded",
    "Typed journal answers from the WHOOP app CSV export, one per member, cycle and question; latest load wins",
    "Bronze export journal rows taken from the stream and checked, waiting for promotion (empty between runs)", export=true) %}
    WITH raw AS (
        SELECT
            s.INGEST_BATCH_ID, s.LOADED_AT, s.MEMBER_NAME, s.SOURCE_FILE, s.STAGED_FILE, s.FILE_ROW_NUMBER,
            s.ROW_HASH, s.CYCLE_START_TIME, s.CYCLE_END_TIME, s.CYCLE_TIMEZONE, s.QUESTION_TEXT, s.ANSWERED_YES,
            s.NOTES
        FROM BRONZE.RAW_EXPORT_JOURNAL_STREAM AS s
    ),
    typed AS (
        SELECT
            r.MEMBER_NAME,
            r.CYCLE_START_TIME AS START_TEXT,
            r.CYCLE_END_TIME AS END_TEXT,
            TRY_TO_TIMESTAMP_NTZ(r.CYCLE_START_TIME, 'YYYY-MM-DD HH24:MI:SS') AS START_LOCAL,
            TRY_TO_TIMESTAMP_NTZ(r.CYCLE_END_TIME, 'YYYY-MM-DD HH24:MI:SS') AS END_LOCAL,
            {{ export_offset("r.CYCLE_TIMEZONE") }},
            NULLIF(TRIM(r.QUESTION_TEXT), '') AS QUESTION_TEXT,
            IFF(LOWER(TRIM(r.ANSWERED_YES)) IN ('true', 'false'), LOWER(TRIM(r.ANSWERED_YES)) = 'true', NULL)
                AS ANSWERED_YES,
            r.NOTES,
            -- truncated_row: Answered yes is always written, only Notes (may be blank) follows it; blank with nothing
            -- after means the row was cut (criterion: sql/silver/11_export_cycle.sql)
            CASE
                WHEN COALESCE(r.ANSWERED_YES, r.NOTES) IS NULL THEN 'Answered yes'
            END AS TRUNCATED_AT,
            r.LOADED_AT AS BRONZE_LOADED_AT,
            r.ROW_HASH,
            r.INGEST_BATCH_ID,
            r.CYCLE_START_TIME AS RECORD_KEY,
            OBJECT_CONSTRUCT(
                'INGEST_BATCH_ID', r.INGEST_BATCH_ID, 'MEMBER_NAME', r.MEMBER_NAME, 'SOURCE_FILE', r.SOURCE_FILE,
                'STAGED_FILE', r.STAGED_FILE, 'FILE_ROW_NUMBER', r.FILE_ROW_NUMBER, 'ROW_HASH', r.ROW_HASH,
                'CYCLE_START_TIME', r.CYCLE_START_TIME, 'CYCLE_END_TIME', r.CYCLE_END_TIME,
                'CYCLE_TIMEZONE', r.CYCLE_TIMEZONE, 'QUESTION_TEXT', r.QUESTION_TEXT,
                'ANSWERED_YES', r.ANSWERED_YES, 'NOTES', r.NOTES
            ) AS PAYLOAD
        FROM raw AS r
    )
    SELECT
        MEMBER_NAME,
        DATEADD(MINUTE, -OFFSET_MINUTES, START_LOCAL) AS CYCLE_START_UTC,
        DATEADD(HOUR, 12, START_LOCAL)::DATE AS CYCLE_DATE,
        TIMEZONE_OFFSET, QUESTION_TEXT, ANSWERED_YES, NOTES, BRONZE_LOADED_AT, ROW_HASH, INGEST_BATCH_ID,
        RECORD_KEY,
        CASE
            WHEN MEMBER_NAME IS NULL OR TRIM(MEMBER_NAME) = '' THEN 'missing_key'
            WHEN TRUNCATED_AT IS NOT NULL THEN 'truncated_row'
            WHEN START_TEXT IS NULL OR QUESTION_TEXT IS NULL THEN 'missing_key'
            WHEN START_LOCAL IS NULL OR (END_TEXT IS NOT NULL AND END_LOCAL IS NULL) THEN 'unparseable_timestamp'
            WHEN OFFSET_MINUTES IS NULL OR ABS(OFFSET_MINUTES) > 14 * 60 THEN 'invalid_timezone_offset'
            WHEN END_LOCAL < START_LOCAL THEN 'negative_duration'
            WHEN ANSWERED_YES IS NULL THEN 'invalid_boolean'
        END AS FAILED_RULE,
        IFF(MEMBER_NAME IS NULL OR TRIM(MEMBER_NAME) = '', NULL, TRUNCATED_AT) AS FAILED_DETAIL,
        PAYLOAD
    FROM typed
{%- endcall %}
