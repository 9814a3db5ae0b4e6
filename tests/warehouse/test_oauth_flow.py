"""OAUTH2 secrets on the local warehouse: START/FINISH_OAUTH_FLOW against the sandbox's OAuth server,
`_snowflake.get_oauth_access_token` in a handler, ALTER PROCEDURE … SET SECRETS, and the MEMBERS migration."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date
from urllib.parse import parse_qs, urlparse

import pytest
import requests
import snowflake.connector

from infra.local.sandbox.config import SandboxConfig
from tests.conftest import connect, free_port, serve

SECRET = "OA_DB.S.MEMBER_OAUTH"
TOKEN_PROC = (
    "CREATE OR REPLACE PROCEDURE TOKEN() RETURNS VARCHAR LANGUAGE PYTHON RUNTIME_VERSION = '3.11' "
    "PACKAGES = ('snowflake-snowpark-python') HANDLER = 'run' SECRETS = ('cred' = MEMBER_OAUTH) AS $$\n"
    "import _snowflake\n"
    "def run(session):\n    return _snowflake.get_oauth_access_token('cred')\n$$"
)


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, SandboxConfig]]:
    from infra.local.sandbox.app import create_app

    config = SandboxConfig(seed=3, members=["dora"], days=7, today=date(2026, 11, 20))
    port = free_port()
    with serve(create_app(config), port):
        yield f"http://127.0.0.1:{port}", config


@pytest.fixture(scope="module")
def conn(warehouse, sandbox) -> Iterator[snowflake.connector.SnowflakeConnection]:
    url, config = sandbox
    c = connect(warehouse, paramstyle="qmark")
    cur = c.cursor()
    cur.execute("CREATE DATABASE IF NOT EXISTS OA_DB")
    cur.execute("CREATE SCHEMA IF NOT EXISTS OA_DB.S")
    cur.execute("USE SCHEMA OA_DB.S")
    cur.execute(
        "CREATE SECURITY INTEGRATION SANDBOX_OAUTH TYPE = API_AUTHENTICATION AUTH_TYPE = OAUTH2 "
        f"OAUTH_CLIENT_ID = '{config.client_id}' OAUTH_CLIENT_SECRET = '{config.secret}' "
        f"OAUTH_TOKEN_ENDPOINT = '{url}/oauth/oauth2/token' OAUTH_AUTHORIZATION_ENDPOINT = '{url}/oauth/oauth2/auth' "
        "OAUTH_ALLOWED_SCOPES = ('offline', 'read:profile') ENABLED = TRUE"
    )
    cur.execute("CREATE SECRET MEMBER_OAUTH TYPE = OAUTH2 API_AUTHENTICATION = SANDBOX_OAUTH")
    cur.execute(TOKEN_PROC)
    yield c
    c.close()


def one(cur, sql: str, params: list | None = None):
    cur.execute(sql, params)
    return cur.fetchone()[0]


def consent(url: str) -> str:
    """The member signs in (the sandbox's login hint) and the browser lands on the redirect: its query string."""
    answer = requests.get(url, params={"login_hint": "dora"}, allow_redirects=False, timeout=10)
    assert answer.status_code == 302
    return urlparse(answer.headers["Location"]).query


def token_posts(sandbox_url: str) -> int:
    metrics = requests.get(f"{sandbox_url}/_sandbox/metrics", timeout=10).json()
    return sum(r["count"] for r in metrics["requests"] if r["path"] == "/oauth/oauth2/token" and r["status"] == 200)


def test_start_returns_the_authorization_url(warehouse, conn, sandbox) -> None:
    url = one(conn.cursor(), f"SELECT SYSTEM$START_OAUTH_FLOW('{SECRET}')")
    parsed = urlparse(url)
    query = {k: v[0] for k, v in parse_qs(parsed.query).items()}
    assert f"{parsed.scheme}://{parsed.netloc}{parsed.path}" == f"{sandbox[0]}/oauth/oauth2/auth"
    assert query["client_id"] == sandbox[1].client_id and query["response_type"] == "code"
    assert query["scope"] == "offline read:profile" and len(query["state"]) == 8
    assert query["redirect_uri"] == f"http://127.0.0.1:{warehouse['port']}/oauth/complete-secret"
    # CALL and a bound argument work too; every flow has its own state
    other = one(conn.cursor(), "CALL SYSTEM$START_OAUTH_FLOW(?)", [SECRET.lower()])
    assert parse_qs(urlparse(other).query)["state"][0] != query["state"]


def test_finish_stores_the_refresh_token_and_the_handler_gets_a_working_token(warehouse, conn, sandbox) -> None:
    cur = conn.cursor()
    redirected = consent(one(cur, f"SELECT SYSTEM$START_OAUTH_FLOW('{SECRET}')"))
    page = requests.get(f"http://127.0.0.1:{warehouse['port']}/oauth/complete-secret?{redirected}", timeout=10)
    assert "SYSTEM$FINISH_OAUTH_FLOW" in page.text
    assert one(cur, "SELECT SYSTEM$FINISH_OAUTH_FLOW(?)", [redirected]) == f"Refresh token stored in secret {SECRET}."
    props = json.loads(one(cur, "SELECT PROPERTIES FROM WHOOP_LOCAL.CATALOG.OBJECTS WHERE NAME = ?", [SECRET]))
    assert props["OAUTH_REFRESH_TOKEN"] == "***" and set(props) == {"TYPE", "API_AUTHENTICATION", "OAUTH_REFRESH_TOKEN"}
    posts = token_posts(sandbox[0])
    token = one(cur, "CALL TOKEN()")
    profile = requests.get(
        f"{sandbox[0]}/developer/v2/user/profile/basic", headers={"Authorization": f"Bearer {token}"}, timeout=10
    )
    assert profile.status_code == 200
    assert one(cur, "CALL TOKEN()") == token  # still valid: handed out again, no refresh
    assert token_posts(sandbox[0]) == posts
    # the code is single-use, and so is the flow
    with pytest.raises(snowflake.connector.errors.ProgrammingError, match="No OAuth flow with this state"):
        cur.execute("SELECT SYSTEM$FINISH_OAUTH_FLOW(?)", [redirected])


def test_a_replaced_refresh_token_is_used_and_its_rejection_names_no_value(warehouse, conn, sandbox) -> None:
    cur = conn.cursor()
    cur.execute(f"ALTER SECRET {SECRET} SET OAUTH_REFRESH_TOKEN = 'bogus-refresh-token-value'")
    with pytest.raises(snowflake.connector.errors.ProgrammingError) as caught:
        cur.execute("CALL TOKEN()")  # the cached access token belonged to the old refresh token
    assert "refused the refresh token" in caught.value.msg and "invalid_grant" in caught.value.msg
    assert "bogus-refresh-token-value" not in caught.value.msg
    cur.execute(f"ALTER SECRET {SECRET} UNSET OAUTH_REFRESH_TOKEN")
    with pytest.raises(snowflake.connector.errors.ProgrammingError, match="has no refresh token"):
        cur.execute("CALL TOKEN()")


def test_finish_is_refused_outside_the_starting_session_or_without_a_code(warehouse, conn) -> None:
    url = one(conn.cursor(), f"SELECT SYSTEM$START_OAUTH_FLOW('{SECRET}')")
    state = parse_qs(urlparse(url).query)["state"][0]
    other = connect(warehouse)
    try:
        with pytest.raises(snowflake.connector.errors.ProgrammingError, match="started in this session"):
            other.cursor().execute(f"SELECT SYSTEM$FINISH_OAUTH_FLOW('state={state}&code=abc')")
    finally:
        other.close()
    cur = conn.cursor()
    with pytest.raises(snowflake.connector.errors.ProgrammingError, match="refused: access_denied"):
        cur.execute(f"SELECT SYSTEM$FINISH_OAUTH_FLOW('state={state}&error=access_denied')")
    with pytest.raises(snowflake.connector.errors.ProgrammingError, match="no code"):
        cur.execute(f"SELECT SYSTEM$FINISH_OAUTH_FLOW('state={state}')")
    with pytest.raises(snowflake.connector.errors.ProgrammingError, match="refused the authorization code"):
        cur.execute(f"SELECT SYSTEM$FINISH_OAUTH_FLOW('state={state}&code=not-a-code')")


def test_start_needs_an_oauth2_secret_of_an_enabled_integration(conn) -> None:
    cur = conn.cursor()
    cur.execute("CREATE SECRET PLAIN TYPE = GENERIC_STRING SECRET_STRING = 'x'")
    with pytest.raises(snowflake.connector.errors.ProgrammingError, match="not an OAUTH2 secret"):
        cur.execute("SELECT SYSTEM$START_OAUTH_FLOW('OA_DB.S.PLAIN')")
    cur.execute("CREATE SECURITY INTEGRATION OFF_OAUTH TYPE = API_AUTHENTICATION AUTH_TYPE = OAUTH2 ENABLED = FALSE")
    cur.execute("CREATE SECRET OFF_SECRET TYPE = OAUTH2 API_AUTHENTICATION = OFF_OAUTH")
    with pytest.raises(snowflake.connector.errors.ProgrammingError, match="not enabled"):
        cur.execute("SELECT SYSTEM$START_OAUTH_FLOW('OA_DB.S.OFF_SECRET')")
    with pytest.raises(snowflake.connector.errors.ProgrammingError, match="does not exist"):
        cur.execute("SELECT SYSTEM$START_OAUTH_FLOW('OA_DB.S.NOPE')")


def test_alter_procedure_set_secrets_replaces_the_alias_map(conn) -> None:
    cur = conn.cursor()
    cur.execute("CREATE SECRET OTHER TYPE = GENERIC_STRING SECRET_STRING = 'other-value'")
    cur.execute(
        "CREATE OR REPLACE PROCEDURE READ_IT(A VARCHAR) RETURNS VARCHAR LANGUAGE PYTHON RUNTIME_VERSION = '3.11' "
        "PACKAGES = ('snowflake-snowpark-python') HANDLER = 'run' SECRETS = ('first' = PLAIN) AS $$\n"
        "import _snowflake\n"
        "def run(session, a):\n    return _snowflake.get_generic_secret_string(a)\n$$"
    )
    assert one(cur, "CALL READ_IT('first')") == "x"
    cur.execute("ALTER PROCEDURE READ_IT(VARCHAR) SET SECRETS = ('second' = OA_DB.S.OTHER, 'first' = PLAIN)")
    assert one(cur, "CALL READ_IT('second')") == "other-value"
    cur.execute("ALTER PROCEDURE READ_IT(VARCHAR) SET SECRETS = ('only' = OTHER) COMMENT = 'rebound'")
    with pytest.raises(snowflake.connector.errors.ProgrammingError, match="not bound"):
        cur.execute("CALL READ_IT('first')")
    bound = one(cur, "SELECT SECRETS FROM WHOOP_LOCAL.CATALOG.PROCEDURES WHERE NAME = 'OA_DB.S.READ_IT'")
    assert json.loads(bound) == {"only": "OA_DB.S.OTHER"}
    cur.execute("ALTER PROCEDURE READ_IT(VARCHAR) SET EXTERNAL_ACCESS_INTEGRATIONS = (SOME_EAI)")
    eai = one(
        cur, "SELECT EXTERNAL_ACCESS_INTEGRATIONS FROM WHOOP_LOCAL.CATALOG.PROCEDURES WHERE NAME = 'OA_DB.S.READ_IT'"
    )
    assert "SOME_EAI" in eai
    with pytest.raises(snowflake.connector.errors.ProgrammingError, match="does not exist"):
        cur.execute("ALTER PROCEDURE READ_IT(VARCHAR) SET SECRETS = ('x' = MISSING_SECRET)")
    with pytest.raises(snowflake.connector.errors.ProgrammingError, match="does not exist or not authorized"):
        cur.execute("ALTER PROCEDURE READ_IT(NUMBER) SET SECRETS = ('x' = OTHER)")
    cur.execute("ALTER PROCEDURE IF EXISTS NOPE(VARCHAR) SET SECRETS = ('x' = OTHER)")


def test_members_migration_adds_auth_mode_to_an_existing_install(warehouse) -> None:
    from infra.local.pipeline import REPO_ROOT

    c = connect(warehouse, database="MIG_DB")
    try:
        cur = c.cursor()
        cur.execute("CREATE DATABASE IF NOT EXISTS MIG_DB")
        cur.execute("USE DATABASE MIG_DB")
        cur.execute("CREATE SCHEMA CONFIG")
        cur.execute(  # the table as the first release created it
            "CREATE TABLE CONFIG.MEMBERS (MEMBER_NAME VARCHAR NOT NULL, WHOOP_USER_ID NUMBER(38, 0), "
            "STATUS VARCHAR NOT NULL, AUTHORIZED_AT TIMESTAMP_NTZ, STATUS_REASON VARCHAR)"
        )
        cur.execute("INSERT INTO CONFIG.MEMBERS (MEMBER_NAME, STATUS) VALUES ('old', 'ACTIVE')")
        script = (REPO_ROOT / "sql/config/01_config.sql").read_text()
        for _ in range(2):  # the setup script runs on every upgrade
            for _ in c.execute_string(script, remove_comments=True):
                pass
        cur.execute("SELECT MEMBER_NAME, AUTH_MODE FROM CONFIG.MEMBERS")
        assert cur.fetchall() == [("old", "APP_MANAGED")]
    finally:
        c.close()
