-- Silver: the member's WHOOP profile, one row per member, from the newest snapshot. Built like SILVER.CYCLE
-- (see sql/silver/01_cycle.sql). EMAIL, FIRST_NAME and LAST_NAME are PII: Gold exposes them only through
-- GOLD.DIM_MEMBER, whose PII columns carry the masking policy.
{% from '_entity.sql' import entity, missing_field %}
{%- set columns %}
    MEMBER_ID NUMBER(38, 0) NOT NULL COMMENT 'WHOOP user id (natural key)',
    MEMBER_NAME VARCHAR NOT NULL COMMENT 'Member as registered in CONFIG.MEMBERS',
    EMAIL VARCHAR COMMENT 'PII: e-mail address of the WHOOP account',
    FIRST_NAME VARCHAR COMMENT 'PII: first name',
    LAST_NAME VARCHAR COMMENT 'PII: last name',
    BRONZE_LOADED_AT TIMESTAMP_NTZ NOT NULL COMMENT 'When this snapshot reached Bronze; the newest wins',
    PAYLOAD_HASH VARCHAR NOT NULL COMMENT 'Bronze version this row was built from'
{%- endset %}
{%- call entity("MEMBER_PROFILE", "BRONZE.RAW_PROFILE", ["MEMBER_ID"], columns, "loaded",
    "WHOOP basic profile per member, from the newest snapshot") %}
    WITH typed AS (
        SELECT
            TRY_TO_NUMBER(s.PAYLOAD:user_id::VARCHAR) AS MEMBER_ID,
            m.MEMBER_NAME,
            s.PAYLOAD:email::VARCHAR AS EMAIL,
            s.PAYLOAD:first_name::VARCHAR AS FIRST_NAME,
            s.PAYLOAD:last_name::VARCHAR AS LAST_NAME,
            -- the first field the v2 contract marks required that is absent or JSON null (STRIP_NULL_VALUE
            -- turns a JSON null into SQL NULL, an absent path is SQL NULL already:
            -- https://docs.snowflake.com/en/sql-reference/functions/strip_null_value);
            -- user_id has its own rule (missing_key)
            {{ missing_field("s.PAYLOAD", ["email", "first_name", "last_name"]) }},
            s.LOADED_AT AS BRONZE_LOADED_AT,
            s.PAYLOAD_HASH,
            s.INGEST_BATCH_ID,
            s.RECORD_KEY,
            s.MEMBER_ID AS LOADED_FOR,
            s.PAYLOAD
        FROM BRONZE.RAW_PROFILE_STREAM AS s
        LEFT JOIN CONFIG.MEMBERS AS m ON m.WHOOP_USER_ID = s.MEMBER_ID
    )
    SELECT
        MEMBER_ID, MEMBER_NAME, EMAIL, FIRST_NAME, LAST_NAME, BRONZE_LOADED_AT, PAYLOAD_HASH, INGEST_BATCH_ID,
        RECORD_KEY,
        CASE
            WHEN MEMBER_ID IS NULL THEN 'missing_key'
            WHEN MEMBER_ID <> LOADED_FOR THEN 'member_mismatch'
            WHEN MEMBER_NAME IS NULL THEN 'unknown_member'
            WHEN MISSING_FIELD IS NOT NULL THEN 'missing_required_field'
        END AS FAILED_RULE,
        IFF(MEMBER_ID IS NULL OR MEMBER_ID <> LOADED_FOR OR MEMBER_NAME IS NULL, NULL, MISSING_FIELD)
            AS FAILED_DETAIL,
        PAYLOAD
    FROM typed
{%- endcall %}
