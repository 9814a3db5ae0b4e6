-- The reporting database that holds everything outside the Native App: the REPORTING secure views for Power
-- BI, the GOVERNANCE schema (policies, the member access mapping) and an ANALYST_SANDBOX schema. Runs once per
-- account ({{ env }}) as WHOOP_ADMIN, which then owns the database and so may grant on it (R__20_grants.sql).
-- The account roles (WHOOP_BI, WHOOP_ANALYST, WHOOP_PII_READER, WHOOP_ADMIN) and their hierarchy are not created
-- here: Terraform creates and grants them as SECURITYADMIN, which owns them (infra/terraform/roles.tf; why,
-- in infra/terraform/grants.tf). Locally, `whoop deploy --local` stands in for Terraform
-- (infra/local/migrations.py). The least-privilege matrix: docs/governance.md, infra/governance/role_matrix.yml.

CREATE DATABASE IF NOT EXISTS {{ reporting_database }}
    COMMENT = 'WHOOP platform ({{ env }}): secure views over the app''s Gold layer for Power BI, and their governance';
CREATE SCHEMA IF NOT EXISTS {{ reporting_database }}.REPORTING
    COMMENT = 'Stable, explicit-column secure views for Power BI (names are a contract: add, never rename)';
CREATE SCHEMA IF NOT EXISTS {{ reporting_database }}.GOVERNANCE
    COMMENT = 'Masking and row access policies, the member access mapping, alerts';
CREATE SCHEMA IF NOT EXISTS {{ reporting_database }}.ANALYST_SANDBOX
    COMMENT = 'Scratch tables and views of analysts';

-- Row access mapping: which role may see which member's rows ('*' = every member).
-- MEMBER_KEY is GOLD.DIM_MEMBER.MEMBER_KEY (MD5('member|' || MEMBER_NAME)).
CREATE TABLE IF NOT EXISTS {{ reporting_database }}.GOVERNANCE.MEMBER_ACCESS (
    ROLE_NAME VARCHAR NOT NULL,
    MEMBER_KEY VARCHAR NOT NULL,
    MEMBER_NAME VARCHAR,
    GRANTED_AT TIMESTAMP_NTZ,
    GRANTED_BY VARCHAR
) COMMENT = 'Row access mapping for the REPORTING views: role to member key, an asterisk for all members';

-- Analysts and BI see every member by default; narrow this per deployment by deleting the '*' rows.
INSERT INTO {{ reporting_database }}.GOVERNANCE.MEMBER_ACCESS (ROLE_NAME, MEMBER_KEY, MEMBER_NAME, GRANTED_AT, GRANTED_BY)
SELECT d.ROLE_NAME, d.MEMBER_KEY, d.MEMBER_NAME, SYSDATE(), 'V1.0.0'
FROM (
    SELECT 'WHOOP_ANALYST' AS ROLE_NAME, '*' AS MEMBER_KEY, '*' AS MEMBER_NAME
    UNION ALL SELECT 'WHOOP_BI', '*', '*'
) AS d;
