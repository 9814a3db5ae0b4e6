-- Gold, inner: every workout once, from the API or, when the API never had it, from the CSV export
-- (matched on member and workout start to the second; API first). The export gives heart-rate zones as a
-- percent of the duration; both sources end as minutes per heart-rate zone 0-5 and, as the seed defines it, the
-- minutes in zones 1-5 together (ZONE_DURATION_MINUTES: time with an elevated heart rate, zone 0 left out).
{% from '_gold.sql' import reconciled with context %}
{%- set api_zones = [] -%}{%- set pcts = [] -%}
{%- for z in range(1, 6) -%}
{%- set _ = api_zones.append("w.ZONE_%d_MINUTES" % z) -%}{%- set _ = pcts.append("e.ZONE_%d_PCT" % z) -%}
{%- endfor -%}
{%- set pct = pcts | join(" + ") -%}
{#- The export leaves zone 0 out; WHOOP's six zones split the workout (the sandbox's and the API's zone_durations add
    up to it), so zone 0 is what zones 1-5 leave of the duration. It also takes the rounding of the five whole
    percentages, never below 0 (they may add up to 103: sql/silver/00_quarantine.sql); NULL when a percentage is
    blank: IFF returns its third argument, here NULL, when the condition is NULL
    (https://docs.snowflake.com/en/sql-reference/functions/iff). -#}
{%- set columns = [
    ("WORKOUT_END_UTC", "w.END_UTC"), ("WORKOUT_START_LOCAL", "w.START_LOCAL"), ("WORKOUT_END_LOCAL", "w.END_LOCAL"),
    "WORKOUT_DATE", "SPORT_NAME", "SCORE_STATE", "DURATION_MINUTES", ("STRAIN", none, "e.ACTIVITY_STRAIN"),
    "AVERAGE_HEART_RATE", "MAX_HEART_RATE", "ENERGY_KCAL", "DISTANCE_METERS", "ALTITUDE_GAIN_METERS",
    ("ZONE_DURATION_MINUTES", api_zones | join(" + "), "e.DURATION_MINUTES * (" ~ pct ~ ") / 100"),
    ("ZONE_0_MINUTES", none, "IFF(" ~ pct ~ " > 100, 0, e.DURATION_MINUTES * (100 - (" ~ pct ~ ")) / 100)"),
] -%}
{%- for z in range(1, 6) -%}
{%- set _ = columns.append(("ZONE_%d_MINUTES" % z, none, "e.DURATION_MINUTES * e.ZONE_%d_PCT / 100" % z)) -%}
{%- endfor -%}
{%- set _ = columns.append("BRONZE_LOADED_AT") %}
{{ reconciled("WORKOUT", "Workouts reconciled across the API and the CSV export (API first)",
    start=("WORKOUT_START_UTC", "w.START_UTC"), id=("WHOOP_WORKOUT_ID", "w.WORKOUT_ID"),
    api_from="SILVER.WORKOUT AS w", export_from="SILVER.EXPORT_WORKOUT", scored_by="ACTIVITY_STRAIN", columns=columns,
    keys=["MD5('activity|' || SPORT_NAME) AS ACTIVITY_TYPE_KEY"],
    rounded=["ZONE_0_MINUTES", "ZONE_1_MINUTES", "ZONE_2_MINUTES", "ZONE_3_MINUTES", "ZONE_4_MINUTES",
        "ZONE_5_MINUTES"]) }}
