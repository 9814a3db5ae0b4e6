-- Who may see whom (issue 16 item 1): the member-to-viewer mapping, the procedures app admins keep it with, and the
-- procedure that builds the VIEWER schema: one secure view per member table, with the rows of the members the
-- querying user is mapped to (every row for app_admin). The dashboard reads member data only through VIEWER
-- (app/streamlit/queries.py), athletes and coaches hold app_viewer / app_coach, which read VIEWER and nothing else,
-- and the account's REPORTING views filter with the same mapping (migrations/modules/policies.sql reads
-- OPS.MEMBER_VIEWERS).
--
-- Identity: a view's CURRENT_USER() is the user whose query reads it, and IS_APPLICATION_ROLE_IN_SESSION asks the
-- consumer's session (https://docs.snowflake.com/en/sql-reference/functions/is_application_role_in_session; the
-- app needs the consumer's READ SESSION grant for both in owner's-rights code:
-- https://docs.snowflake.com/en/developer-guide/streamlit/features/row-access). Streamlit in Snowflake's docs also
-- say that in an owner's-rights app CURRENT_USER() may be the app's owner rather than the viewer
-- (https://docs.snowflake.com/developer-guide/streamlit/app-development/personalization, which names st.user as the
-- viewer). Either answer is safe here: the owner is never a mapped viewer, so the views return no member rows then,
-- and the dashboard compares CURRENT_USER() with st.user.user_name and shows nothing but the reason when they differ
-- (app/streamlit/whoop_session.py viewer_check).

CREATE TABLE IF NOT EXISTS CONFIG.MEMBER_VIEWERS (
    MEMBER_NAME VARCHAR NOT NULL COMMENT 'The member (CONFIG.MEMBERS.MEMBER_NAME) whose data may be seen',
    MEMBER_KEY VARCHAR NOT NULL COMMENT 'GOLD.DIM_MEMBER.MEMBER_KEY of the member: MD5(''member|'' || MEMBER_NAME)',
    VIEWER_USER VARCHAR NOT NULL COMMENT 'Snowflake user name (upper case, as CURRENT_USER() returns it) who may see them',
    VIEWER_EMAIL VARCHAR COMMENT 'Where the member''s alerts reach this viewer (a verified e-mail address); NULL: none',
    RELATION VARCHAR NOT NULL COMMENT 'self (the athlete) or coach',
    ADDED_AT TIMESTAMP_NTZ NOT NULL COMMENT 'UTC time access was granted'
) COMMENT = 'Who may see whom: one row per member and viewer; kept by OPS.GRANT_MEMBER_ACCESS / REVOKE_MEMBER_ACCESS';

-- The mapping without e-mail addresses, for the account's REPORTING row access policy (read through app_admin).
CREATE OR REPLACE SECURE VIEW OPS.MEMBER_VIEWERS (MEMBER_NAME, MEMBER_KEY, VIEWER_USER, RELATION)
    COMMENT = 'Who may see whom (CONFIG.MEMBER_VIEWERS without e-mail addresses); read by the REPORTING row access policy'
AS
SELECT v.MEMBER_NAME, v.MEMBER_KEY, v.VIEWER_USER, v.RELATION
FROM CONFIG.MEMBER_VIEWERS AS v;

CREATE OR REPLACE PROCEDURE OPS.GRANT_MEMBER_ACCESS(
    MEMBER VARCHAR, VIEWER_USER VARCHAR, RELATION VARCHAR, VIEWER_EMAIL VARCHAR DEFAULT NULL
)
    RETURNS VARCHAR
    LANGUAGE PYTHON
    RUNTIME_VERSION = '3.11'
    PACKAGES = ('snowflake-snowpark-python')
    IMPORTS = ('/python/snowpark_procs.zip')
    HANDLER = 'snowpark_procs.access.grant_member_access'
    EXECUTE AS OWNER;

CREATE OR REPLACE PROCEDURE OPS.REVOKE_MEMBER_ACCESS(MEMBER VARCHAR, VIEWER_USER VARCHAR)
    RETURNS VARCHAR
    LANGUAGE PYTHON
    RUNTIME_VERSION = '3.11'
    PACKAGES = ('snowflake-snowpark-python')
    IMPORTS = ('/python/snowpark_procs.zip')
    HANDLER = 'snowpark_procs.access.revoke_member_access'
    EXECUTE AS OWNER;

-- Run by the setup script after OPS.BUILD_GOLD (the views name Gold's dynamic tables, and their columns are read
-- from the tables, so a column Gold gains reaches VIEWER on the next install or upgrade).
CREATE OR REPLACE PROCEDURE OPS.BUILD_VIEWER_VIEWS()
    RETURNS VARIANT
    LANGUAGE PYTHON
    RUNTIME_VERSION = '3.11'
    PACKAGES = ('snowflake-snowpark-python')
    IMPORTS = ('/python/snowpark_procs.zip')
    HANDLER = 'snowpark_procs.access.build_viewer_views'
    EXECUTE AS OWNER;
