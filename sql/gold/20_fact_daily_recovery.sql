-- Gold: one recovery per member and physiological day (the wake-up date of the sleep it was scored from).
-- Leaf table: a time lag (20 minutes; with the 30-minute ingest schedule a new record reaches Gold within
-- about an hour, see README "Freshness"). Only SCORED recoveries are facts; the others stay in Silver.
{% from '_gold.sql' import date_key, dynamic_table with context %}
{{ dynamic_table("FACT_DAILY_RECOVERY",
    "Daily recovery per member: score, HRV, resting heart rate, SpO2, skin temperature") }}
SELECT
    RECOVERY_KEY AS RECOVERY_ID,
    MEMBER_KEY,
    {{ date_key("RECOVERY_DATE") }} AS DATE_KEY,
    RECOVERY_SCORE,
    HRV_RMSSD_MS,
    RESTING_HEART_RATE AS RESTING_HEART_RATE_BPM,
    SPO2_PERCENTAGE,
    SKIN_TEMP_CELSIUS,
    CYCLE_ID,
    CYCLE_START_UTC AS CYCLE_START_TIMESTAMP,
    SOURCE,
    BRONZE_LOADED_AT AS LOAD_TIMESTAMP
FROM GOLD.INT_RECOVERY
WHERE IS_DAY_RECOVERY;
