-- Gold, inner: every cycle once, from the API or, when the API never had it, from the CSV export.
-- The two sources meet on (member, cycle start to the second): the export writes local times to the second,
-- the API to the millisecond. API first: when both have a cycle, the API row is taken whole.
-- DOWNSTREAM lag: refreshed when a fact that reads it refreshes.
{% from '_gold.sql' import api_first, dynamic_table with context %}
{{ dynamic_table("INT_CYCLE",
    "Cycles reconciled across the API and the CSV export (API first), with their physiological date",
    lag="DOWNSTREAM") }}
{{ api_first("CYCLE", "CYCLE_START_UTC", "SILVER.CYCLE AS c", "SILVER.EXPORT_CYCLE", [
    "MEMBER_NAME",
    ("CYCLE_START_UTC", "DATE_TRUNC('SECOND', c.START_UTC)"),
    ("CYCLE_ID", none, "NULL"),
    ("CYCLE_END_UTC", "c.END_UTC"),
    "OFFSET_MINUTES", "CYCLE_DATE",
    ("SCORE_STATE", none, "IFF(e.DAY_STRAIN IS NULL, 'PENDING_SCORE', 'SCORED')"),
    "DAY_STRAIN", "ENERGY_KCAL", "AVERAGE_HEART_RATE", "MAX_HEART_RATE", "BRONZE_LOADED_AT",
]) }};
