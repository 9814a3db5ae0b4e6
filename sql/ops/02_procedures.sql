-- Secrets the ingest reads (values are set by `whoop auth` or the Setup page, never in this file),
-- the egress rule for WHOOP's API, and the ingest procedure.
CREATE SECRET IF NOT EXISTS CONFIG.WHOOP_CLIENT TYPE = GENERIC_STRING SECRET_STRING = '{}'
    COMMENT = 'WHOOP developer app credentials as JSON: client_id, client_secret';
CREATE SECRET IF NOT EXISTS CONFIG.WHOOP_REFRESH_TOKENS TYPE = GENERIC_STRING SECRET_STRING = '{}'
    COMMENT = 'Current refresh token per member as JSON; rewritten after every rotation';

CREATE OR REPLACE NETWORK RULE CONFIG.WHOOP_API_RULE MODE = EGRESS TYPE = HOST_PORT
    VALUE_LIST = ('api.prod.whoop.com');
CREATE EXTERNAL ACCESS INTEGRATION IF NOT EXISTS WHOOP_PLATFORM_EAI
    ALLOWED_NETWORK_RULES = (CONFIG.WHOOP_API_RULE)
    ALLOWED_AUTHENTICATION_SECRETS = (CONFIG.WHOOP_CLIENT, CONFIG.WHOOP_REFRESH_TOKENS)
    ENABLED = TRUE;

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
    EXTERNAL_ACCESS_INTEGRATIONS = (WHOOP_PLATFORM_EAI)
    SECRETS = ('whoop_client' = CONFIG.WHOOP_CLIENT, 'whoop_tokens' = CONFIG.WHOOP_REFRESH_TOKENS)
    EXECUTE AS OWNER;

CREATE OR REPLACE PROCEDURE OPS.REGISTER_MEMBER(MEMBER VARCHAR, REFRESH_TOKEN VARCHAR, WHOOP_USER_ID NUMBER)
    RETURNS VARCHAR
    LANGUAGE PYTHON
    RUNTIME_VERSION = '3.11'
    PACKAGES = ('snowflake-snowpark-python', 'requests', 'pydantic')
    IMPORTS = ('/python/snowpark_procs.zip')
    HANDLER = 'snowpark_procs.members.register'
    SECRETS = ('whoop_tokens' = CONFIG.WHOOP_REFRESH_TOKENS)
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
-- bound to INGEST_WHOOP under the alias whoop_oauth_<member>. The installer then authorizes the member
-- with SYSTEM$START_OAUTH_FLOW / SYSTEM$FINISH_OAUTH_FLOW on the secret (see app/README.md).
CREATE OR REPLACE PROCEDURE OPS.CONNECT_MEMBER_OAUTH(MEMBER VARCHAR, WHOOP_USER_ID NUMBER)
    RETURNS VARIANT
    LANGUAGE PYTHON
    RUNTIME_VERSION = '3.11'
    PACKAGES = ('snowflake-snowpark-python', 'requests', 'pydantic')
    IMPORTS = ('/python/snowpark_procs.zip')
    HANDLER = 'snowpark_procs.members.connect_oauth'
    EXTERNAL_ACCESS_INTEGRATIONS = (WHOOP_PLATFORM_EAI)
    SECRETS = ('whoop_client' = CONFIG.WHOOP_CLIENT)
    EXECUTE AS OWNER;

CREATE OR REPLACE PROCEDURE OPS.BIND_INGEST_SECRETS()
    RETURNS VARCHAR
    LANGUAGE PYTHON
    RUNTIME_VERSION = '3.11'
    PACKAGES = ('snowflake-snowpark-python', 'requests', 'pydantic')
    IMPORTS = ('/python/snowpark_procs.zip')
    HANDLER = 'snowpark_procs.members.bind_ingest_secrets'
    EXECUTE AS OWNER;

-- A member leaves: revoke their WHOOP grant and purge them from every layer (snowpark_procs/forget.py).
-- Same secrets as INGEST_WHOOP (it needs the member's token to revoke the grant); bound together below.
CREATE OR REPLACE PROCEDURE OPS.FORGET_MEMBER(MEMBER VARCHAR)
    RETURNS VARIANT
    LANGUAGE PYTHON
    RUNTIME_VERSION = '3.11'
    PACKAGES = ('snowflake-snowpark-python', 'requests', 'pydantic')
    IMPORTS = ('/python/snowpark_procs.zip')
    HANDLER = 'snowpark_procs.forget.main'
    EXTERNAL_ACCESS_INTEGRATIONS = (WHOOP_PLATFORM_EAI)
    SECRETS = ('whoop_client' = CONFIG.WHOOP_CLIENT, 'whoop_tokens' = CONFIG.WHOOP_REFRESH_TOKENS)
    EXECUTE AS OWNER;

-- INGEST_WHOOP was just re-created with the static SECRETS above: re-bind the members' OAUTH2 secrets.
CALL OPS.BIND_INGEST_SECRETS();
