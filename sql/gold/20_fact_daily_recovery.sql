-- Gold: one recovery per member and physiological day (the wake-up date of the sleep it was scored from).
-- Leaf table: a time lag (20 minutes; with the 30-minute ingest schedule a new record reaches Gold within
-- about an hour, see README "Freshness"). Only SCORED recoveries are facts; the others stay in Silver.
CREATE OR REPLACE DYNAMIC TABLE GOLD.FACT_DAILY_RECOVERY
    TARGET_LAG = '20 minutes'
    WAREHOUSE = {{ app_warehouse }}
    REFRESH_MODE = INCREMENTAL
    COMMENT = 'Daily recovery per member: score, HRV, resting heart rate, SpO2, skin temperature'
AS
SELECT
    RECOVERY_KEY AS RECOVERY_ID,
    MEMBER_KEY,
    YEAR(RECOVERY_DATE) * 10000 + MONTH(RECOVERY_DATE) * 100 + DAY(RECOVERY_DATE) AS DATE_KEY,
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
