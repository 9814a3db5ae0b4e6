-- Gold: one row per scored sleep or nap, dated by its wake-up date. IS_MAIN_SLEEP marks the one sleep per
-- member and day that daily views use (naps never are). Timestamps are UTC; *_LOCAL are the member's clock.
-- sleep_needed_minutes and sleep_debt_minutes are defined in docs/data-dictionary.md.
{% from '_gold.sql' import date_key, dynamic_table with context %}
{{ dynamic_table("FACT_SLEEP", "Scored sleeps and naps: stages in minutes, efficiency, performance, need and debt") }}
SELECT
    SLEEP_KEY AS SLEEP_ID,
    MEMBER_KEY,
    {{ date_key("WAKE_DATE") }} AS DATE_KEY,
    SLEEP_START_UTC AS SLEEP_START_TIMESTAMP,
    SLEEP_END_UTC AS SLEEP_END_TIMESTAMP,
    SLEEP_START_LOCAL,
    SLEEP_END_LOCAL,
    ASLEEP_MINUTES AS TOTAL_SLEEP_MINUTES,
    LIGHT_SLEEP_MINUTES,
    DEEP_SLEEP_MINUTES,
    REM_SLEEP_MINUTES,
    AWAKE_MINUTES,
    IN_BED_MINUTES,
    SLEEP_EFFICIENCY_PCT,
    SLEEP_PERFORMANCE_PCT,
    RESPIRATORY_RATE,
    SLEEP_NEEDED_MINUTES,
    SLEEP_DEBT_MINUTES,
    IS_NAP,
    IS_MAIN_SLEEP,
    WHOOP_SLEEP_ID,
    SOURCE,
    BRONZE_LOADED_AT AS LOAD_TIMESTAMP
FROM GOLD.INT_SLEEP
WHERE SCORE_STATE = 'SCORED';
