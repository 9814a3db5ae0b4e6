{#- Policy bodies, shared by the versioned script that creates the policies and the repeatable script
    that keeps their bodies current (a policy in use cannot be replaced, only altered). -#}
{% macro pii_mask_body() -%}
CASE
        WHEN IS_ROLE_IN_SESSION('WHOOP_PII_READER') THEN VAL
        WHEN VAL IS NULL THEN NULL
        ELSE '***MASKED***'
    END
{%- endmacro %}
{% macro member_row_body(reporting_database) -%}
IS_ROLE_IN_SESSION('WHOOP_ADMIN')
    OR EXISTS (
        SELECT 1
        FROM {{ reporting_database }}.GOVERNANCE.MEMBER_ACCESS AS a
        WHERE (a.MEMBER_KEY = P_MEMBER_KEY OR a.MEMBER_KEY = '*')
            AND IS_ROLE_IN_SESSION(a.ROLE_NAME)
    )
{%- endmacro %}
