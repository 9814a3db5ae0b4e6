-- Gold, inner: every cycle once, from the API or, when the API never had it, from the CSV export.
-- The two sources meet on (member, cycle start to the second): the export writes local times to the second,
-- the API to the millisecond. API first: when both have a cycle, the API row is taken whole.
-- DOWNSTREAM lag: refreshed when a fact that reads it refreshes.
{% from '_gold.sql' import reconciled with context %}
{{ reconciled("CYCLE",
    "Cycles reconciled across the API and the CSV export (API first), with their physiological date",
    start=("CYCLE_START_UTC", "c.START_UTC"), id=("CYCLE_ID", "c.CYCLE_ID"),
    api_from="SILVER.CYCLE AS c", export_from="SILVER.EXPORT_CYCLE", scored_by="DAY_STRAIN", columns=[
        ("CYCLE_END_UTC", "c.END_UTC"),
        "OFFSET_MINUTES", "CYCLE_DATE", "SCORE_STATE", "DAY_STRAIN", "ENERGY_KCAL", "AVERAGE_HEART_RATE",
        "MAX_HEART_RATE", "BRONZE_LOADED_AT",
    ]) }}
