-- Gold: per-member periods from the daily facts (one recovery, one day strain and one main sleep per day; every
-- workout), one dynamic table per grain: ISO weeks (Monday to Sunday) and calendar months. The grains differ only
-- in DATE_TRUNC's unit, their names and whether the heart-rate zone minutes are carried, so they are one template
-- (rendered by OPS.BUILD_GOLD, snowpark_procs/app_warehouse.py). Averages skip days without data; DAYS_* columns
-- say how many days an average covers. ZONE_n_MINUTES (weekly only): the week's workout minutes per heart-rate
-- zone (sums of FACT_WORKOUTS' two-decimal minutes).
{%- set grains = [
    {"table": "AGG_MEMBER_WEEKLY", "unit": "WEEK", "zones": [0, 1, 2, 3, 4, 5],
     "comment": "Weekly per-member averages and totals of recovery, strain, sleep, workouts and heart-rate zone minutes"},
    {"table": "AGG_MEMBER_MONTHLY", "unit": "MONTH", "zones": [],
     "comment": "Monthly per-member averages and totals of recovery, strain, sleep and workouts"},
] %}
{%- from '_gold.sql' import date_key, dynamic_table with context %}
{%- for g in grains %}

{{ dynamic_table(g.table, g.comment) }}
WITH events AS (
    SELECT MEMBER_KEY, DATE_KEY, RECOVERY_SCORE, HRV_RMSSD_MS, RESTING_HEART_RATE_BPM,
        NULL AS DAY_STRAIN_SCORE, NULL AS CALORIES_BURNED, NULL AS TOTAL_SLEEP_MINUTES,
        NULL AS SLEEP_PERFORMANCE_PCT, NULL AS WORKOUT_ID, NULL AS WORKOUT_MINUTES
        {%- for z in g.zones %}, NULL AS ZONE_{{ z }}_MINUTES{% endfor %}
    FROM GOLD.FACT_DAILY_RECOVERY
    UNION ALL
    SELECT MEMBER_KEY, DATE_KEY, NULL, NULL, NULL, DAY_STRAIN_SCORE, CALORIES_BURNED, NULL, NULL, NULL, NULL
        {%- for z in g.zones %}, NULL{% endfor %}
    FROM GOLD.FACT_STRAIN
    UNION ALL
    SELECT MEMBER_KEY, DATE_KEY, NULL, NULL, NULL, NULL, NULL, TOTAL_SLEEP_MINUTES, SLEEP_PERFORMANCE_PCT, NULL, NULL
        {%- for z in g.zones %}, NULL{% endfor %}
    FROM GOLD.FACT_SLEEP
    WHERE IS_MAIN_SLEEP
    UNION ALL
    SELECT MEMBER_KEY, DATE_KEY, NULL, NULL, NULL, NULL, NULL, NULL, NULL, WORKOUT_ID, DURATION_MINUTES
        {%- for z in g.zones %}, ZONE_{{ z }}_MINUTES{% endfor %}
    FROM GOLD.FACT_WORKOUTS
),
dated AS (
    SELECT
        MEMBER_KEY,
        DATE_TRUNC('{{ g.unit }}', TO_DATE(TO_VARCHAR(DATE_KEY), 'YYYYMMDD'))::DATE AS PERIOD_START,
        RECOVERY_SCORE, HRV_RMSSD_MS, RESTING_HEART_RATE_BPM, DAY_STRAIN_SCORE, CALORIES_BURNED,
        TOTAL_SLEEP_MINUTES, SLEEP_PERFORMANCE_PCT, WORKOUT_ID, WORKOUT_MINUTES
        {%- for z in g.zones %}, ZONE_{{ z }}_MINUTES{% endfor %}
    FROM events
)
SELECT
    MD5('{{ g.unit | lower }}|' || MEMBER_KEY || '|' || TO_VARCHAR(PERIOD_START)) AS {{ g.unit }}_ID,
    MEMBER_KEY,
    {{ date_key("PERIOD_START") }} AS {{ g.unit }}_START_DATE_KEY,
    COUNT(RECOVERY_SCORE) AS DAYS_WITH_RECOVERY,
    ROUND(AVG(RECOVERY_SCORE), 2) AS AVG_RECOVERY_SCORE,
    ROUND(AVG(HRV_RMSSD_MS), 2) AS AVG_HRV_RMSSD_MS,
    ROUND(AVG(RESTING_HEART_RATE_BPM), 2) AS AVG_RESTING_HEART_RATE_BPM,
    COUNT(DAY_STRAIN_SCORE) AS DAYS_WITH_STRAIN,
    ROUND(AVG(DAY_STRAIN_SCORE), 2) AS AVG_DAY_STRAIN_SCORE,
    ROUND(SUM(CALORIES_BURNED), 1) AS TOTAL_CALORIES_BURNED,
    COUNT(TOTAL_SLEEP_MINUTES) AS NIGHTS_WITH_SLEEP,
    ROUND(AVG(TOTAL_SLEEP_MINUTES), 1) AS AVG_SLEEP_MINUTES,
    ROUND(AVG(SLEEP_PERFORMANCE_PCT), 2) AS AVG_SLEEP_PERFORMANCE_PCT,
    COUNT(WORKOUT_ID) AS WORKOUTS,
    ROUND(COALESCE(SUM(WORKOUT_MINUTES), 0), 1) AS WORKOUT_MINUTES
    {%- for z in g.zones %},
    COALESCE(SUM(ZONE_{{ z }}_MINUTES), 0)::NUMBER(10, 2) AS ZONE_{{ z }}_MINUTES
    {%- endfor %}
FROM dated
GROUP BY MEMBER_KEY, PERIOD_START;
{%- endfor %}
