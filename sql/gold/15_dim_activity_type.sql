-- Gold: activity types: WHOOP's sport catalogue plus any sport seen in workouts that the catalogue does not
-- know yet (category 'Uncategorised'), so every FACT_WORKOUTS row has its activity type.
{% from '_gold.sql' import dynamic_table with context %}
{{ dynamic_table("DIM_ACTIVITY_TYPE",
    "WHOOP activity types (sports) with a category; key is MD5 of ''activity|'' || sport name") }}
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
