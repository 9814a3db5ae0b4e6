{#- Policy bodies, shared by the versioned script that creates the policies and the repeatable script
    that keeps their bodies current (a policy in use cannot be replaced, only altered). -#}
{% macro pii_mask_body() -%}
CASE
        WHEN IS_ROLE_IN_SESSION('WHOOP_PII_READER') THEN VAL
        WHEN VAL IS NULL THEN NULL
        ELSE '***MASKED***'
    END
{%- endmacro %}
{#- A member's rows: the platform admin; roles mapped in GOVERNANCE.MEMBER_ACCESS (analysts, BI: every member by
    default); and the users the app's member-to-viewer mapping names (the athlete themself, their coaches), the same
    mapping the app's dashboard reads (app's OPS.MEMBER_VIEWERS, sql/ops/10_member_access.sql). Outside an app,
    CURRENT_USER() is the user whose query runs (https://docs.snowflake.com/en/sql-reference/functions/current_user),
    and a policy's subqueries run with the policy owner's rights, which hold app_admin
    (https://docs.snowflake.com/en/user-guide/security-row-intro). -#}
{% macro member_row_body(reporting_database, app_database) -%}
IS_ROLE_IN_SESSION('WHOOP_ADMIN')
    OR EXISTS (
        SELECT 1
        FROM {{ reporting_database }}.GOVERNANCE.MEMBER_ACCESS AS a
        WHERE (a.MEMBER_KEY = P_MEMBER_KEY OR a.MEMBER_KEY = '*')
            AND IS_ROLE_IN_SESSION(a.ROLE_NAME)
    )
    OR EXISTS (
        SELECT 1
        FROM {{ app_database }}.OPS.MEMBER_VIEWERS AS v
        WHERE v.MEMBER_KEY = P_MEMBER_KEY
            AND v.VIEWER_USER = CURRENT_USER()
    )
{%- endmacro %}
