-- Gold, inner: every sleep and nap once, from the API or, when the API never had it, from the CSV export
-- (matched on member and sleep onset to the second; API first). Decides the main sleep of each day:
-- of the non-nap sleeps that end on a wake date, the longest asleep (then the latest) is the main one.
-- That settles split nights (two cycles on one wake date); naps are never the main sleep.
{% from '_gold.sql' import api_first, dynamic_table with context %}
{{ dynamic_table("INT_SLEEP",
    "Sleeps reconciled across the API and the CSV export (API first), with the main sleep of each day",
    lag="DOWNSTREAM") }}
{{ api_first("SLEEP", "SLEEP_START_UTC", "SILVER.SLEEP AS s", "SILVER.EXPORT_SLEEP", [
    "MEMBER_NAME",
    ("SLEEP_START_UTC", "DATE_TRUNC('SECOND', s.START_UTC)"),
    ("WHOOP_SLEEP_ID", "s.SLEEP_ID", "NULL"),
    ("SLEEP_END_UTC", "s.END_UTC"),
    ("SLEEP_START_LOCAL", "s.START_LOCAL"),
    ("SLEEP_END_LOCAL", "s.END_LOCAL"),
    "WAKE_DATE", "IS_NAP",
    ("SCORE_STATE", none, "IFF(e.ASLEEP_MINUTES IS NULL, 'PENDING_SCORE', 'SCORED')"),
    "IN_BED_MINUTES", "ASLEEP_MINUTES", "LIGHT_SLEEP_MINUTES", "DEEP_SLEEP_MINUTES", "REM_SLEEP_MINUTES",
    "AWAKE_MINUTES", "SLEEP_EFFICIENCY_PCT", "SLEEP_PERFORMANCE_PCT", "RESPIRATORY_RATE", "SLEEP_NEEDED_MINUTES",
    ("SLEEP_DEBT_MINUTES", "s.NEED_FROM_SLEEP_DEBT_MINUTES"),
    "BRONZE_LOADED_AT",
], derived=["NOT IS_NAP AND ROW_NUMBER() OVER (
        PARTITION BY MEMBER_NAME, WAKE_DATE, IS_NAP
        ORDER BY ASLEEP_MINUTES DESC NULLS LAST, SLEEP_START_UTC DESC
    ) = 1 AS IS_MAIN_SLEEP"]) }};
