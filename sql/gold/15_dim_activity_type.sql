-- Gold: activity types: WHOOP's sport catalogue plus any sport seen in workouts that the catalogue does not
-- know yet (category 'Uncategorised'), so every FACT_WORKOUTS row has its activity type.
CREATE OR REPLACE DYNAMIC TABLE GOLD.DIM_ACTIVITY_TYPE
    TARGET_LAG = '20 minutes'
    WAREHOUSE = {{ app_warehouse }}
    REFRESH_MODE = INCREMENTAL
    COMMENT = 'WHOOP activity types (sports) with a category; key is MD5 of ''activity|'' || sport name'
AS
WITH unseen AS (
    SELECT DISTINCT w.SPORT_NAME
    FROM GOLD.INT_WORKOUT AS w
    LEFT JOIN GOLD.WHOOP_SPORT_CATALOGUE AS c ON c.SPORT_NAME = w.SPORT_NAME
    WHERE c.SPORT_NAME IS NULL
),
all_types AS (
    SELECT SPORT_ID, SPORT_NAME, ACTIVITY_NAME, ACTIVITY_CATEGORY FROM GOLD.WHOOP_SPORT_CATALOGUE
    UNION ALL
    SELECT NULL AS SPORT_ID, SPORT_NAME, INITCAP(REPLACE(SPORT_NAME, '-', ' ')) AS ACTIVITY_NAME,
        'Uncategorised' AS ACTIVITY_CATEGORY
    FROM unseen
)
SELECT
    MD5('activity|' || SPORT_NAME) AS ACTIVITY_TYPE_KEY,
    SPORT_ID AS ACTIVITY_TYPE_ID,
    ACTIVITY_NAME,
    ACTIVITY_CATEGORY,
    SPORT_NAME
FROM all_types;
