-- Account roles, their hierarchy, and the reporting database that holds everything outside the Native App:
-- the REPORTING secure views for Power BI, the GOVERNANCE schema (policies, the member access mapping) and
-- an ANALYST_SANDBOX schema. Runs once per account ({{ env }}); Terraform (infra/terraform) manages the same
-- roles in production, and CREATE ROLE IF NOT EXISTS keeps this script safe on an account it already set up.
-- The least-privilege matrix these grants implement: docs/governance.md, infra/governance/role_matrix.yml.

CREATE ROLE IF NOT EXISTS WHOOP_BI
    COMMENT = 'Power BI service role: reads the REPORTING secure views only';
CREATE ROLE IF NOT EXISTS WHOOP_ANALYST
    COMMENT = 'Analysts: the REPORTING views (PII masked) plus a sandbox schema';
CREATE ROLE IF NOT EXISTS WHOOP_PII_READER
    COMMENT = 'Sees member PII unmasked in the REPORTING views; granted to named people, never to BI';
CREATE ROLE IF NOT EXISTS WHOOP_ADMIN
    COMMENT = 'Platform administrator and migration owner: runs the app (app_admin), owns REPORTING';

-- Hierarchy: BI < ANALYST < ADMIN; PII_READER < ADMIN; ADMIN < SYSADMIN (so SYSADMIN can manage what it owns).
GRANT ROLE WHOOP_BI TO ROLE WHOOP_ANALYST;
GRANT ROLE WHOOP_ANALYST TO ROLE WHOOP_ADMIN;
GRANT ROLE WHOOP_PII_READER TO ROLE WHOOP_ADMIN;
GRANT ROLE WHOOP_ADMIN TO ROLE SYSADMIN;

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
