-- Gold, inner: every sleep and nap once, from the API or, when the API never had it, from the CSV export
-- (matched on member and sleep onset to the second; API first). Decides the main sleep of each day:
-- of the non-nap sleeps that end on a wake date, the longest asleep (then the latest) is the main one.
-- That settles split nights (two cycles on one wake date); naps are never the main sleep.
-- The export's sleeps are sleeps.csv's rows and, for a cycle whose main sleep sleeps.csv lacks, that sleep as
-- physiological_cycles.csv repeats it (its onset, wake and every score field, equal to sleeps.csv's row where both
-- have it): some exports ship sleeps.csv with its header only, and their members' nights would otherwise be lost.
{% from '_gold.sql' import reconciled with context %}
{%- set scores = ["IN_BED_MINUTES", "ASLEEP_MINUTES", "LIGHT_SLEEP_MINUTES", "DEEP_SLEEP_MINUTES", "REM_SLEEP_MINUTES",
    "AWAKE_MINUTES", "SLEEP_EFFICIENCY_PCT", "SLEEP_PERFORMANCE_PCT", "RESPIRATORY_RATE", "SLEEP_NEEDED_MINUTES",
    "SLEEP_DEBT_MINUTES"] %}
{%- set export_sleeps %}(
        SELECT
            es.MEMBER_NAME, es.SLEEP_START_UTC, es.SLEEP_END_UTC, es.SLEEP_START_LOCAL, es.SLEEP_END_LOCAL,
            es.WAKE_DATE, es.IS_NAP, es.{{ scores | join(", es.") | wordwrap(100, wrapstring="\n            ") }},
            es.BRONZE_LOADED_AT
        FROM SILVER.EXPORT_SLEEP AS es
        UNION ALL
        SELECT
            c.MEMBER_NAME, c.SLEEP_ONSET_UTC AS SLEEP_START_UTC, c.WAKE_ONSET_UTC AS SLEEP_END_UTC,
            DATEADD(MINUTE, c.OFFSET_MINUTES, c.SLEEP_ONSET_UTC) AS SLEEP_START_LOCAL,
            DATEADD(MINUTE, c.OFFSET_MINUTES, c.WAKE_ONSET_UTC) AS SLEEP_END_LOCAL,
            DATEADD(MINUTE, c.OFFSET_MINUTES, c.WAKE_ONSET_UTC)::DATE AS WAKE_DATE, FALSE AS IS_NAP,
            c.{{ scores | join(", c.") | wordwrap(100, wrapstring="\n            ") }},
            c.BRONZE_LOADED_AT
        FROM SILVER.EXPORT_CYCLE AS c
        LEFT JOIN SILVER.EXPORT_SLEEP AS listed
            ON listed.MEMBER_NAME = c.MEMBER_NAME AND listed.SLEEP_START_UTC = c.SLEEP_ONSET_UTC
        WHERE c.SLEEP_ONSET_UTC IS NOT NULL AND c.WAKE_ONSET_UTC IS NOT NULL AND listed.MEMBER_NAME IS NULL
    ){%- endset %}
{{ reconciled("SLEEP",
    "Sleeps reconciled across the API and the CSV export (API first), with the main sleep of each day",
    start=("SLEEP_START_UTC", "s.START_UTC"), id=("WHOOP_SLEEP_ID", "s.SLEEP_ID"),
    api_from="SILVER.SLEEP AS s", export_from=export_sleeps, scored_by="ASLEEP_MINUTES", columns=[
        ("SLEEP_END_UTC", "s.END_UTC"), ("SLEEP_START_LOCAL", "s.START_LOCAL"), ("SLEEP_END_LOCAL", "s.END_LOCAL"),
        "WAKE_DATE", "IS_NAP", "SCORE_STATE", "IN_BED_MINUTES", "ASLEEP_MINUTES", "LIGHT_SLEEP_MINUTES",
        "DEEP_SLEEP_MINUTES", "REM_SLEEP_MINUTES", "AWAKE_MINUTES", "SLEEP_EFFICIENCY_PCT", "SLEEP_PERFORMANCE_PCT",
        "RESPIRATORY_RATE", "SLEEP_NEEDED_MINUTES", ("SLEEP_DEBT_MINUTES", "s.NEED_FROM_SLEEP_DEBT_MINUTES"),
        "BRONZE_LOADED_AT",
    ], derived=["NOT IS_NAP AND ROW_NUMBER() OVER (
        PARTITION BY MEMBER_NAME, WAKE_DATE, IS_NAP
        ORDER BY ASLEEP_MINUTES DESC NULLS LAST, SLEEP_START_UTC DESC
    ) = 1 AS IS_MAIN_SLEEP"]) }}
