-- Gold, inner: every cycle once, from the API or, when the API never had it, from the CSV export.
-- The two sources meet on (member, cycle start to the second): the export writes local times to the second,
-- the API to the millisecond. API first: when both have a cycle, the API row is taken whole.
-- DOWNSTREAM lag: refreshed when a fact that reads it refreshes.
CREATE OR REPLACE DYNAMIC TABLE GOLD.INT_CYCLE
    TARGET_LAG = DOWNSTREAM
    WAREHOUSE = {{ app_warehouse }}
    REFRESH_MODE = INCREMENTAL
    COMMENT = 'Cycles reconciled across the API and the CSV export (API first), with their physiological date'
AS
WITH api AS (
    SELECT
        c.MEMBER_NAME,
        DATE_TRUNC('SECOND', c.START_UTC) AS CYCLE_START_UTC,
        c.CYCLE_ID,
        c.END_UTC AS CYCLE_END_UTC,
        c.OFFSET_MINUTES,
        c.CYCLE_DATE,
        c.SCORE_STATE,
        c.DAY_STRAIN,
        c.ENERGY_KCAL,
        c.AVERAGE_HEART_RATE,
        c.MAX_HEART_RATE,
        c.BRONZE_LOADED_AT
    FROM SILVER.CYCLE AS c
),
export_only AS (
    SELECT
        e.MEMBER_NAME,
        e.CYCLE_START_UTC,
        NULL AS CYCLE_ID,
        e.CYCLE_END_UTC,
        e.OFFSET_MINUTES,
        e.CYCLE_DATE,
        IFF(e.DAY_STRAIN IS NULL, 'PENDING_SCORE', 'SCORED') AS SCORE_STATE,
        e.DAY_STRAIN,
        e.ENERGY_KCAL,
        e.AVERAGE_HEART_RATE,
        e.MAX_HEART_RATE,
        e.BRONZE_LOADED_AT
    FROM SILVER.EXPORT_CYCLE AS e
    LEFT JOIN api AS a ON a.MEMBER_NAME = e.MEMBER_NAME AND a.CYCLE_START_UTC = e.CYCLE_START_UTC
    WHERE a.MEMBER_NAME IS NULL
),
unified AS (
    SELECT
        MEMBER_NAME, CYCLE_START_UTC, CYCLE_ID, CYCLE_END_UTC, OFFSET_MINUTES, CYCLE_DATE, SCORE_STATE, DAY_STRAIN,
        ENERGY_KCAL, AVERAGE_HEART_RATE, MAX_HEART_RATE, BRONZE_LOADED_AT, 'API' AS SOURCE
    FROM api
    UNION ALL
    SELECT
        MEMBER_NAME, CYCLE_START_UTC, CYCLE_ID, CYCLE_END_UTC, OFFSET_MINUTES, CYCLE_DATE, SCORE_STATE, DAY_STRAIN,
        ENERGY_KCAL, AVERAGE_HEART_RATE, MAX_HEART_RATE, BRONZE_LOADED_AT, 'EXPORT' AS SOURCE
    FROM export_only
)
SELECT
    MD5('cycle|' || MEMBER_NAME || '|' || TO_VARCHAR(DATE_PART(EPOCH_SECOND, CYCLE_START_UTC))) AS CYCLE_KEY,
    MD5('member|' || MEMBER_NAME) AS MEMBER_KEY,
    MEMBER_NAME, CYCLE_START_UTC, CYCLE_ID, CYCLE_END_UTC, OFFSET_MINUTES, CYCLE_DATE, SCORE_STATE, DAY_STRAIN,
    ENERGY_KCAL, AVERAGE_HEART_RATE, MAX_HEART_RATE, BRONZE_LOADED_AT, SOURCE
FROM unified;
