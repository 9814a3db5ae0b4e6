-- Gold, inner: every sleep and nap once, from the API or, when the API never had it, from the CSV export
-- (matched on member and sleep onset to the second; API first). Decides the main sleep of each day:
-- of the non-nap sleeps that end on a wake date, the longest asleep (then the latest) is the main one.
-- That settles split nights (two cycles on one wake date); naps are never the main sleep.
{% from '_gold.sql' import reconciled with context %}
{{ reconciled("SLEEP",
    "Sleeps reconciled across the API and the CSV export (API first), with the main sleep of each day",
    start=("SLEEP_START_UTC", "s.START_UTC"), id=("WHOOP_SLEEP_ID", "s.SLEEP_ID"),
    api_from="SILVER.SLEEP AS s", export_from="SILVER.EXPORT_SLEEP", scored_by="ASLEEP_MINUTES", columns=[
        ("SLEEP_END_UTC", "s.END_UTC"), ("SLEEP_START_LOCAL", "s.START_LOCAL"), ("SLEEP_END_LOCAL", "s.END_LOCAL"),
        "WAKE_DATE", "IS_NAP", "SCORE_STATE", "IN_BED_MINUTES", "ASLEEP_MINUTES", "LIGHT_SLEEP_MINUTES",
        "DEEP_SLEEP_MINUTES", "REM_SLEEP_MINUTES", "AWAKE_MINUTES", "SLEEP_EFFICIENCY_PCT", "SLEEP_PERFORMANCE_PCT",
        "RESPIRATORY_RATE", "SLEEP_NEEDED_MINUTES", ("SLEEP_DEBT_MINUTES", "s.NEED_FROM_SLEEP_DEBT_MINUTES"),
        "BRONZE_LOADED_AT",
    ], derived=["NOT IS_NAP AND ROW_NUMBER() OVER (
        PARTITION BY MEMBER_NAME, WAKE_DATE, IS_NAP
        ORDER BY ASLEEP_MINUTES DESC NULLS LAST, SLEEP_START_UTC DESC
    ) = 1 AS IS_MAIN_SLEEP"]) }}
