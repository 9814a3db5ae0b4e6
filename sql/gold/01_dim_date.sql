-- Gold: the date spine. It covers every date WHOOP data can have (WHOOP's first straps shipped in 2015; the
-- spine starts 2012-01-01 to be safe) to a year after today, for predictions, so a fact's DATE_KEY always
-- has its row. IS_HOLIDAY marks US federal holidays (fixed dates and the nth-weekday rules), not observed days.
-- FULL refresh: GENERATOR and CURRENT_DATE make the query ineligible for incremental refresh; the table is
-- about 6,000 rows, so a daily full rebuild costs next to nothing.
{% from '_gold.sql' import date_key, dynamic_table with context %}
{{ dynamic_table("DIM_DATE",
    "Calendar dimension from 2012-01-01 to a year ahead; DATE_KEY is YYYYMMDD", lag="'1 day'", refresh_mode="FULL") }}
WITH spine AS (
    -- SEQ4() may leave gaps (https://docs.snowflake.com/en/sql-reference/functions/seq1), which would be
    -- missing dates; ROW_NUMBER() over it numbers the generated rows without gaps.
    SELECT DATEADD(DAY, ROW_NUMBER() OVER (ORDER BY SEQ4()) - 1, DATE '2012-01-01') AS FULL_DATE
    FROM TABLE(GENERATOR(ROWCOUNT => 20000))
),
bounded AS (
    SELECT FULL_DATE FROM spine WHERE FULL_DATE <= DATEADD(DAY, 366, CURRENT_DATE())
),
labelled AS (
    SELECT
        FULL_DATE,
        CASE
            WHEN MONTH(FULL_DATE) = 1 AND DAY(FULL_DATE) = 1 THEN 'New Year''s Day'
            WHEN MONTH(FULL_DATE) = 1 AND DAYOFWEEKISO(FULL_DATE) = 1 AND CEIL(DAY(FULL_DATE) / 7) = 3
                THEN 'Martin Luther King Jr. Day'
            WHEN MONTH(FULL_DATE) = 2 AND DAYOFWEEKISO(FULL_DATE) = 1 AND CEIL(DAY(FULL_DATE) / 7) = 3
                THEN 'Washington''s Birthday'
            WHEN MONTH(FULL_DATE) = 5 AND DAYOFWEEKISO(FULL_DATE) = 1 AND DAY(FULL_DATE) > 24 THEN 'Memorial Day'
            WHEN MONTH(FULL_DATE) = 6 AND DAY(FULL_DATE) = 19 AND YEAR(FULL_DATE) >= 2021 THEN 'Juneteenth'
            WHEN MONTH(FULL_DATE) = 7 AND DAY(FULL_DATE) = 4 THEN 'Independence Day'
            WHEN MONTH(FULL_DATE) = 9 AND DAYOFWEEKISO(FULL_DATE) = 1 AND DAY(FULL_DATE) <= 7 THEN 'Labor Day'
            WHEN MONTH(FULL_DATE) = 10 AND DAYOFWEEKISO(FULL_DATE) = 1 AND CEIL(DAY(FULL_DATE) / 7) = 2
                THEN 'Columbus Day'
            WHEN MONTH(FULL_DATE) = 11 AND DAY(FULL_DATE) = 11 THEN 'Veterans Day'
            WHEN MONTH(FULL_DATE) = 11 AND DAYOFWEEKISO(FULL_DATE) = 4 AND CEIL(DAY(FULL_DATE) / 7) = 4
                THEN 'Thanksgiving Day'
            WHEN MONTH(FULL_DATE) = 12 AND DAY(FULL_DATE) = 25 THEN 'Christmas Day'
        END AS HOLIDAY_NAME
    FROM bounded
)
SELECT
    {{ date_key("FULL_DATE") }} AS DATE_KEY,
    FULL_DATE,
    YEAR(FULL_DATE) AS YEAR,
    QUARTER(FULL_DATE) AS QUARTER,
    MONTH(FULL_DATE) AS MONTH,
    DAY(FULL_DATE) AS DAY,
    DAYOFWEEKISO(FULL_DATE) AS DAY_OF_WEEK,
    DECODE(DAYOFWEEKISO(FULL_DATE), 1, 'Monday', 2, 'Tuesday', 3, 'Wednesday', 4, 'Thursday', 5, 'Friday',
        6, 'Saturday', 7, 'Sunday') AS DAY_NAME,
    WEEKISO(FULL_DATE) AS WEEK_OF_YEAR,
    YEAROFWEEKISO(FULL_DATE) AS ISO_YEAR,
    DAYOFWEEKISO(FULL_DATE) >= 6 AS IS_WEEKEND,
    HOLIDAY_NAME IS NOT NULL AS IS_HOLIDAY,
    HOLIDAY_NAME
FROM labelled;
