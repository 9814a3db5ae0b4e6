-- Gold: the day's strain per member. A cycle's day is the local date of its start + 12 h (it starts at sleep
-- onset). When two scored cycles fall on one day (a split night), the one that starts last is the day's:
-- it covers the waking day; the short earlier one stays in Silver.
{% from '_gold.sql' import date_key, dynamic_table with context %}
{{ dynamic_table("FACT_STRAIN", "Daily strain per member: day strain, calories, average and maximum heart rate") }}
WITH scored AS (
    SELECT
        CYCLE_KEY, MEMBER_KEY, MEMBER_NAME, CYCLE_START_UTC, CYCLE_ID, CYCLE_DATE, DAY_STRAIN, ENERGY_KCAL,
        AVERAGE_HEART_RATE, MAX_HEART_RATE, BRONZE_LOADED_AT, SOURCE
    FROM GOLD.INT_CYCLE
    WHERE SCORE_STATE = 'SCORED'
    QUALIFY ROW_NUMBER() OVER (PARTITION BY MEMBER_NAME, CYCLE_DATE ORDER BY CYCLE_START_UTC DESC) = 1
)
SELECT
    CYCLE_KEY AS STRAIN_ID,
    MEMBER_KEY,
    {{ date_key("CYCLE_DATE") }} AS DATE_KEY,
    DAY_STRAIN AS DAY_STRAIN_SCORE,
    ENERGY_KCAL AS CALORIES_BURNED,
    AVERAGE_HEART_RATE AS AVG_HEART_RATE_BPM,
    MAX_HEART_RATE AS MAX_HEART_RATE_BPM,
    CYCLE_ID,
    CYCLE_START_UTC AS CYCLE_START_TIMESTAMP,
    SOURCE,
    BRONZE_LOADED_AT AS LOAD_TIMESTAMP
FROM scored;
