{% import 'modules/policies.sql' as policies %}
-- The masking policy for member PII and the row access policy per member. Created once here; their bodies
-- are kept current by R__00_policy_bodies.sql (a policy that is attached cannot be replaced, only altered).
-- Attached to the REPORTING views in R__10_reporting_views.sql: the app's own GOLD.DIM_MEMBER is owned by
-- the application, and an account role cannot attach policies to an application's objects.

CREATE MASKING POLICY IF NOT EXISTS {{ reporting_database }}.GOVERNANCE.PII_STRING_MASK
    AS (VAL VARCHAR) RETURNS VARCHAR ->
    {{ policies.pii_mask_body() }}
    COMMENT = 'Member PII (GOLD.PII-tagged columns): clear text only for WHOOP_PII_READER';

CREATE ROW ACCESS POLICY IF NOT EXISTS {{ reporting_database }}.GOVERNANCE.MEMBER_ROW_ACCESS
    AS (P_MEMBER_KEY VARCHAR) RETURNS BOOLEAN ->
    {{ policies.member_row_body(reporting_database, app_database) }}
    COMMENT = 'A member''s rows are visible to WHOOP_ADMIN, to roles mapped in GOVERNANCE.MEMBER_ACCESS and to the users the app maps to the member';
