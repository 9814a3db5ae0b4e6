{% import 'modules/policies.sql' as policies %}
-- Keeps the policy bodies current (re-runs whenever modules/policies.sql changes what renders here).
ALTER MASKING POLICY {{ reporting_database }}.GOVERNANCE.PII_STRING_MASK SET BODY ->
    {{ policies.pii_mask_body() }};

ALTER ROW ACCESS POLICY {{ reporting_database }}.GOVERNANCE.MEMBER_ROW_ACCESS SET BODY ->
    {{ policies.member_row_body(reporting_database, app_database) }};
