-- Gold: one journal answer per member, cycle and question. The journal exists only in the CSV export; it
-- joins the member's cycle (API or export, INT_CYCLE) on the cycle start to the second, which is how the
-- export's behaviours line up with the API's recovery for correlation analysis. DATE_KEY is the cycle's day:
-- the behaviour happened during that day and shows in the next morning's recovery.
{% from '_gold.sql' import date_key, dynamic_table with context %}
{{ dynamic_table("FACT_JOURNAL",
    "Journal answers (behaviours such as alcohol or late meals) per member and day, from the CSV export") }}
SELECT
    MD5('journal|' || j.MEMBER_NAME || '|' || TO_VARCHAR(DATE_PART(EPOCH_SECOND, j.CYCLE_START_UTC)) || '|'
        || j.QUESTION_TEXT) AS JOURNAL_ENTRY_ID,
    MD5('member|' || j.MEMBER_NAME) AS MEMBER_KEY,
    {{ date_key("j.CYCLE_DATE") }} AS DATE_KEY,
    c.CYCLE_KEY,
    c.CYCLE_ID,
    j.QUESTION_TEXT,
    j.ANSWERED_YES,
    j.NOTES,
    j.BRONZE_LOADED_AT AS LOAD_TIMESTAMP
FROM SILVER.JOURNAL_ENTRY AS j
LEFT JOIN GOLD.INT_CYCLE AS c ON c.MEMBER_NAME = j.MEMBER_NAME AND c.CYCLE_START_UTC = j.CYCLE_START_UTC;
