-- Grants on the reporting database and the app's roles to account roles. Every grant here is allowed by
-- infra/governance/role_matrix.yml; tests/governance/test_role_matrix.py fails on any grant it does not allow.
-- Warehouse USAGE is granted by Terraform (infra/terraform/grants.tf), which owns the warehouses.

-- The Native App's roles ({{ app_database }} is the installed application): the platform admin runs the
-- pipeline and connects members (app_admin includes app_viewer, which reads Gold). Analysts and BI get no
-- application role: Gold's DIM_MEMBER is unmasked inside the app, so they read the masked REPORTING views.
GRANT APPLICATION ROLE {{ app_database }}.APP_ADMIN TO ROLE WHOOP_ADMIN;

-- Power BI: usage on the database and the REPORTING schema; SELECT per view is granted next to each view
-- in R__10_reporting_views.sql. Analysts inherit all of it through WHOOP_BI.
GRANT USAGE ON DATABASE {{ reporting_database }} TO ROLE WHOOP_BI;
GRANT USAGE ON SCHEMA {{ reporting_database }}.REPORTING TO ROLE WHOOP_BI;

-- Analysts: a sandbox schema of their own.
GRANT USAGE ON SCHEMA {{ reporting_database }}.ANALYST_SANDBOX TO ROLE WHOOP_ANALYST;
GRANT CREATE TABLE ON SCHEMA {{ reporting_database }}.ANALYST_SANDBOX TO ROLE WHOOP_ANALYST;
GRANT CREATE VIEW ON SCHEMA {{ reporting_database }}.ANALYST_SANDBOX TO ROLE WHOOP_ANALYST;

-- Athletes and coaches (issue 16): the REPORTING views, each row of a member their user is mapped to by the app
-- (the row access policy); SELECT on the views is granted by A__10_viewer_grants.sql after every deploy, because
-- R__10_reporting_views.sql replaces views and a replaced view loses its grants.
GRANT USAGE ON DATABASE {{ reporting_database }} TO ROLE WHOOP_VIEWER;
GRANT USAGE ON SCHEMA {{ reporting_database }}.REPORTING TO ROLE WHOOP_VIEWER;
