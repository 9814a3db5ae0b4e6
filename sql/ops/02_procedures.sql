-- The client credentials secret (values are set by `whoop auth` or the Setup page, never in this file) and the
-- procedures that call WHOOP. Each app-managed member's refresh token lives in a secret of their own,
-- CONFIG.WHOOP_TOKEN_<MEMBER>, created by REGISTER_MEMBER; Snowflake-managed members have an OAUTH2 secret,
-- CONFIG.WHOOP_OAUTH_<MEMBER>, created by CONNECT_MEMBER_OAUTH.
-- The network rule, the app's external access integration (<APP>_WHOOP_EAI, named after the app: it is an
-- account object) and every procedure's EXTERNAL_ACCESS_INTEGRATIONS and SECRETS are set by
-- OPS.CONFIGURE_EGRESS (snowpark_procs/members.py), called at the end of this file and after each member change:
-- the procedures below are created without them, and the integration's name is not known to static SQL.
CREATE SECRET IF NOT EXISTS CONFIG.WHOOP_CLIENT TYPE = GENERIC_STRING SECRET_STRING = '{}'
    COMMENT = 'WHOOP developer app credentials as JSON: client_id, client_secret';
-- Installs made before per-member secrets kept every member's refresh token in this one map. Kept so existing
-- installs keep it; CONFIGURE_EGRESS moves its members to their own secrets (MIGRATE_REFRESH_TOKENS) and empties it.
CREATE SECRET IF NOT EXISTS CONFIG.WHOOP_REFRESH_TOKENS TYPE = GENERIC_STRING SECRET_STRING = '{}'
    COMMENT = 'Before per-member secrets: refresh token per member as JSON; emptied by OPS.MIGRATE_REFRESH_TOKENS';

MERGE INTO CONFIG.SETTINGS AS s
USING (
    SELECT 'api_base_url' AS SETTING_KEY, 'https://api.prod.whoop.com/developer' AS SETTING_VALUE
    UNION ALL SELECT 'token_url', 'https://api.prod.whoop.com/oauth/oauth2/token'
    UNION ALL SELECT 'authorize_url', 'https://api.prod.whoop.com/oauth/oauth2/auth'
    UNION ALL SELECT 'http_read_timeout_seconds', '30'
    -- data quality (sql/quality/01_data_quality.sql): a member's newest load older than this is stale
    UNION ALL SELECT 'dq_freshness_hours', '36'
    -- volume checks judge only with this many earlier 24-hour windows and a norm of at least this many rows
    UNION ALL SELECT 'dq_volume_min_history', '7'
    UNION ALL SELECT 'dq_volume_min_rows', '5'
    UNION ALL SELECT 'dq_volume_drop_ratio', '0.2'
    UNION ALL SELECT 'dq_volume_spike_ratio', '5'
) AS d
ON s.SETTING_KEY = d.SETTING_KEY
WHEN NOT MATCHED THEN INSERT (SETTING_KEY, SETTING_VALUE, UPDATED_AT) VALUES (d.SETTING_KEY, d.SETTING_VALUE, SYSDATE());

CREATE OR REPLACE PROCEDURE OPS.INGEST_WHOOP(
    RESOURCES VARCHAR DEFAULT 'all', BACKFILL_FROM VARCHAR DEFAULT NULL, OVERLAP_DAYS NUMBER DEFAULT 3
)
    RETURNS VARIANT
    LANGUAGE PYTHON
    RUNTIME_VERSION = '3.11'
    PACKAGES = ('snowflake-snowpark-python', 'requests', 'pydantic')
    IMPORTS = ('/python/snowpark_procs.zip')
    HANDLER = 'snowpark_procs.ingest.main'
    EXECUTE AS OWNER;

-- Writes the member's own secret only (CREATE SECRET, ALTER SECRET): it reads no secret, so it binds none.
CREATE OR REPLACE PROCEDURE OPS.REGISTER_MEMBER(MEMBER VARCHAR, REFRESH_TOKEN VARCHAR, WHOOP_USER_ID NUMBER)
    RETURNS VARCHAR
    LANGUAGE PYTHON
    RUNTIME_VERSION = '3.11'
    PACKAGES = ('snowflake-snowpark-python', 'requests', 'pydantic')
    IMPORTS = ('/python/snowpark_procs.zip')
    HANDLER = 'snowpark_procs.members.register'
    EXECUTE AS OWNER;

CREATE OR REPLACE PROCEDURE OPS.SET_WHOOP_CLIENT(CLIENT_ID VARCHAR, CLIENT_SECRET VARCHAR)
    RETURNS VARCHAR
    LANGUAGE PYTHON
    RUNTIME_VERSION = '3.11'
    PACKAGES = ('snowflake-snowpark-python', 'requests', 'pydantic')
    IMPORTS = ('/python/snowpark_procs.zip')
    HANDLER = 'snowpark_procs.members.set_client'
    EXECUTE AS OWNER;

-- Snowflake-managed members (DESIGN §3): an API_AUTHENTICATION integration, one OAUTH2 secret per member,
-- bound (by CONFIGURE_EGRESS) to INGEST_WHOOP under the alias whoop_oauth_<member>. The installer then authorizes the member
-- with SYSTEM$START_OAUTH_FLOW / SYSTEM$FINISH_OAUTH_FLOW on the secret (see app/README.md).
CREATE OR REPLACE PROCEDURE OPS.CONNECT_MEMBER_OAUTH(MEMBER VARCHAR, WHOOP_USER_ID NUMBER)
    RETURNS VARIANT
    LANGUAGE PYTHON
    RUNTIME_VERSION = '3.11'
    PACKAGES = ('snowflake-snowpark-python', 'requests', 'pydantic')
    IMPORTS = ('/python/snowpark_procs.zip')
    HANDLER = 'snowpark_procs.members.connect_oauth'
    EXECUTE AS OWNER;

-- Snowflake's OAuth flow on the member's secret, run by the app: the secret is the app's, so the consumer cannot pass
-- it to SYSTEM$START_OAUTH_FLOW. Call both from one session (a procedure runs in its caller's session).
CREATE OR REPLACE PROCEDURE OPS.START_MEMBER_OAUTH(MEMBER VARCHAR)
    RETURNS VARCHAR
    LANGUAGE PYTHON
    RUNTIME_VERSION = '3.11'
    PACKAGES = ('snowflake-snowpark-python', 'requests', 'pydantic')
    IMPORTS = ('/python/snowpark_procs.zip')
    HANDLER = 'snowpark_procs.members.start_oauth'
    EXECUTE AS OWNER;

CREATE OR REPLACE PROCEDURE OPS.FINISH_MEMBER_OAUTH(QUERY_STRING VARCHAR)
    RETURNS VARCHAR
    LANGUAGE PYTHON
    RUNTIME_VERSION = '3.11'
    PACKAGES = ('snowflake-snowpark-python', 'requests', 'pydantic')
    IMPORTS = ('/python/snowpark_procs.zip')
    HANDLER = 'snowpark_procs.members.finish_oauth'
    EXECUTE AS OWNER;

-- Network rule, <APP>_WHOOP_EAI listing exactly the secrets in use, and each WHOOP-calling procedure's
-- EXTERNAL_ACCESS_INTEGRATIONS then SECRETS. Idempotent; not granted to any application role.
CREATE OR REPLACE PROCEDURE OPS.CONFIGURE_EGRESS()
    RETURNS VARCHAR
    LANGUAGE PYTHON
    RUNTIME_VERSION = '3.11'
    PACKAGES = ('snowflake-snowpark-python', 'requests', 'pydantic')
    IMPORTS = ('/python/snowpark_procs.zip')
    HANDLER = 'snowpark_procs.members.configure_egress'
    EXECUTE AS OWNER;

-- Called by CONFIGURE_EGRESS only (which binds CONFIG.WHOOP_REFRESH_TOKENS to it): the upgrade from the shared map.
CREATE OR REPLACE PROCEDURE OPS.MIGRATE_REFRESH_TOKENS()
    RETURNS VARIANT
    LANGUAGE PYTHON
    RUNTIME_VERSION = '3.11'
    PACKAGES = ('snowflake-snowpark-python', 'requests', 'pydantic')
    IMPORTS = ('/python/snowpark_procs.zip')
    HANDLER = 'snowpark_procs.members.migrate_refresh_tokens'
    EXECUTE AS OWNER;

-- A member leaves: revoke their WHOOP grant and purge them from every layer (snowpark_procs/forget.py).
-- Same secrets as INGEST_WHOOP (it needs the member's token to revoke the grant); CONFIGURE_EGRESS binds both.
CREATE OR REPLACE PROCEDURE OPS.FORGET_MEMBER(MEMBER VARCHAR)
    RETURNS VARIANT
    LANGUAGE PYTHON
    RUNTIME_VERSION = '3.11'
    PACKAGES = ('snowflake-snowpark-python', 'requests', 'pydantic')
    IMPORTS = ('/python/snowpark_procs.zip')
    HANDLER = 'snowpark_procs.forget.main'
    EXECUTE AS OWNER;
