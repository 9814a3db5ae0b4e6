-- Gold: one row per scored sleep and stage (Light, Deep, REM, Awake), for stage mix charts without
-- unpivoting in the BI tool. Minutes of the four stages add up to the time in bed less no-data time.
{% from '_gold.sql' import date_key, dynamic_table with context %}
{{ dynamic_table("FACT_SLEEP_STAGE", "Minutes per sleep stage for every scored sleep and nap") }}
WITH scored AS (
    SELECT
        SLEEP_KEY, MEMBER_KEY, WAKE_DATE, IS_NAP, IS_MAIN_SLEEP, IN_BED_MINUTES, LIGHT_SLEEP_MINUTES,
        DEEP_SLEEP_MINUTES, REM_SLEEP_MINUTES, AWAKE_MINUTES, BRONZE_LOADED_AT
    FROM GOLD.INT_SLEEP
    WHERE SCORE_STATE = 'SCORED'
),
stages AS (
{%- for stage, minutes in [("Light", "LIGHT_SLEEP_MINUTES"), ("Deep", "DEEP_SLEEP_MINUTES"),
    ("REM", "REM_SLEEP_MINUTES"), ("Awake", "AWAKE_MINUTES")] %}
    SELECT SLEEP_KEY, MEMBER_KEY, WAKE_DATE, IS_NAP, IS_MAIN_SLEEP, IN_BED_MINUTES, BRONZE_LOADED_AT,
        '{{ stage }}' AS SLEEP_STAGE_NAME, {{ minutes }} AS STAGE_MINUTES
    FROM scored
    {{- "\n    UNION ALL" if not loop.last }}
{%- endfor %}
)
SELECT
    MD5('sleep_stage_fact|' || SLEEP_KEY || '|' || SLEEP_STAGE_NAME) AS SLEEP_STAGE_FACT_ID,
    SLEEP_KEY AS SLEEP_ID,
    MD5('sleep_stage|' || SLEEP_STAGE_NAME) AS SLEEP_STAGE_KEY,
    MEMBER_KEY,
    {{ date_key("WAKE_DATE") }} AS DATE_KEY,
    STAGE_MINUTES,
    IFF(IN_BED_MINUTES > 0, ROUND(100 * STAGE_MINUTES / IN_BED_MINUTES, 2), NULL) AS PCT_OF_TIME_IN_BED,
    IS_NAP,
    IS_MAIN_SLEEP,
    BRONZE_LOADED_AT AS LOAD_TIMESTAMP
FROM stages;
