-- Gold: one row per member: registration, WHOOP profile and the latest body measurements. EMAIL, FIRST_NAME
-- and LAST_NAME are PII: tagged GOLD.PII below so the masking policy (sql/governance) covers them; BI reads
-- members through REPORTING views only. Members known only from a CSV export have no WHOOP profile.
{% from '_gold.sql' import dynamic_table with context %}
CREATE TAG IF NOT EXISTS GOLD.PII
    ALLOWED_VALUES 'email', 'name'
    COMMENT = 'Personally identifiable information; columns with this tag are masked for non-PII roles';

{{ dynamic_table("DIM_MEMBER",
    "Members: key, WHOOP user id, profile (PII), latest body measurements, connection status") }}
-- CONFIG.MEMBERS appears once: on both sides of an outer join (the registered list LEFT JOIN itself) the
-- query would be refused for incremental refresh at CREATE
-- (https://docs.snowflake.com/en/user-guide/dynamic-tables-supported-queries). One row per member:
-- registered members with their status, plus members known only from their data (a CSV export).
WITH known AS (
    SELECT
        MEMBER_NAME,
        MAX(WHOOP_USER_ID) AS WHOOP_USER_ID,
        MAX(STATUS) AS STATUS,
        MAX(AUTHORIZED_AT) AS AUTHORIZED_AT
    FROM (
        SELECT MEMBER_NAME, WHOOP_USER_ID, STATUS, AUTHORIZED_AT FROM CONFIG.MEMBERS
        UNION ALL
        SELECT MEMBER_NAME, NULL, NULL, NULL FROM GOLD.INT_CYCLE
    ) AS sources
    GROUP BY MEMBER_NAME
),
latest_body AS (
    SELECT MEMBER_NAME, HEIGHT_METERS, WEIGHT_KILOGRAMS, MAX_HEART_RATE, MEASURED_AT
    FROM SILVER.BODY_MEASUREMENT
    QUALIFY ROW_NUMBER() OVER (PARTITION BY MEMBER_NAME ORDER BY MEASURED_AT DESC) = 1
)
SELECT
    MD5('member|' || k.MEMBER_NAME) AS MEMBER_KEY,
    k.MEMBER_NAME,
    COALESCE(k.WHOOP_USER_ID, p.MEMBER_ID) AS WHOOP_USER_ID,
    p.EMAIL,
    p.FIRST_NAME,
    p.LAST_NAME,
    b.HEIGHT_METERS,
    b.WEIGHT_KILOGRAMS,
    b.MAX_HEART_RATE AS MAX_HEART_RATE_BPM,
    b.MEASURED_AT AS BODY_MEASURED_AT,
    COALESCE(k.STATUS, 'EXPORT_ONLY') AS MEMBER_STATUS,
    k.AUTHORIZED_AT
FROM known AS k
LEFT JOIN SILVER.MEMBER_PROFILE AS p ON p.MEMBER_NAME = k.MEMBER_NAME
LEFT JOIN latest_body AS b ON b.MEMBER_NAME = k.MEMBER_NAME;

ALTER DYNAMIC TABLE GOLD.DIM_MEMBER MODIFY COLUMN EMAIL SET TAG GOLD.PII = 'email';
ALTER DYNAMIC TABLE GOLD.DIM_MEMBER MODIFY COLUMN FIRST_NAME SET TAG GOLD.PII = 'name';
ALTER DYNAMIC TABLE GOLD.DIM_MEMBER MODIFY COLUMN LAST_NAME SET TAG GOLD.PII = 'name';
