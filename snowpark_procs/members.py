"""Member procedures for both token modes (DESIGN §3).

REGISTER_MEMBER (app-managed): only a procedure can read the app's secrets, so adding a member's
refresh token to the JSON map of refresh tokens happens here (called by `whoop auth` locally and by
the Setup page in Snowflake). CONNECT_MEMBER_OAUTH (Snowflake-managed): creates the member's OAUTH2
secret and binds it to INGEST_WHOOP; the installer then runs Snowflake's OAuth flow on that secret.
"""

from __future__ import annotations

import json
from typing import Any

from snowpark_procs import secrets
from snowpark_procs.ingest import (
    CLIENT_ALIAS,
    SNOWFLAKE_MANAGED,
    TOKENS_ALIAS,
    TOKENS_SECRET,
    oauth_alias,
    oauth_secret,
)

CLIENT_SECRET = "CONFIG.WHOOP_CLIENT"
INTEGRATION = "WHOOP_PLATFORM_OAUTH"
EAI = "WHOOP_PLATFORM_EAI"
INGEST_SIGNATURE = "OPS.INGEST_WHOOP(VARCHAR, VARCHAR, NUMBER)"
# procedures that call WHOOP on a member's behalf: each needs every member's token secret bound
TOKEN_USERS = (INGEST_SIGNATURE, "OPS.FORGET_MEMBER(VARCHAR)")
SCOPES = ("offline", "read:recovery", "read:cycles", "read:workout", "read:sleep", "read:profile",
          "read:body_measurement")  # fmt: skip


def register(session: Any, member: str, refresh_token: str, whoop_user_id: int) -> str:
    member = member.strip()
    if not member or not refresh_token:
        raise ValueError("member and refresh_token are required")
    tokens = json.loads(secrets.read_generic(TOKENS_ALIAS) or "{}")
    tokens[member] = refresh_token
    secrets.write_generic(session, TOKENS_SECRET, json.dumps(tokens, sort_keys=True))
    session.sql(
        "MERGE INTO CONFIG.MEMBERS AS m USING (SELECT ? AS MEMBER_NAME, ? AS WHOOP_USER_ID) AS s "
        "ON m.MEMBER_NAME = s.MEMBER_NAME "
        "WHEN MATCHED THEN UPDATE SET WHOOP_USER_ID = s.WHOOP_USER_ID, STATUS = 'ACTIVE', AUTHORIZED_AT = SYSDATE(), "
        "STATUS_REASON = NULL, AUTH_MODE = 'APP_MANAGED' "
        "WHEN NOT MATCHED THEN INSERT (MEMBER_NAME, WHOOP_USER_ID, STATUS, AUTHORIZED_AT, AUTH_MODE) "
        "VALUES (s.MEMBER_NAME, s.WHOOP_USER_ID, 'ACTIVE', SYSDATE(), 'APP_MANAGED')",
        params=[member, int(whoop_user_id)],
    ).collect()
    bind_ingest_secrets(session)  # keeps INGEST_WHOOP's bindings in step with AUTH_MODE
    return f"member {member} registered"


def connect_oauth(session: Any, member: str, whoop_user_id: int) -> dict:
    """CONNECT_MEMBER_OAUTH: a Snowflake-managed member: integration, OAUTH2 secret, bindings; then consent.

    The security integration is (re)written from the stored client credentials and the configured
    endpoints on every call, so a changed client secret or endpoint reaches it. The member is ACTIVE
    from here on: until SYSTEM$FINISH_OAUTH_FLOW stored a refresh token, a run flags the member
    NEEDS_REAUTHORIZATION, which is what it is.
    """
    member = member.strip()
    secret = oauth_secret(member)  # validates the name: it becomes part of identifiers
    clash = session.sql(
        "SELECT MEMBER_NAME FROM CONFIG.MEMBERS WHERE UPPER(MEMBER_NAME) = UPPER(?) AND MEMBER_NAME <> ?",
        params=[member, member],
    ).collect()
    if clash:
        raise ValueError(f"member {clash[0][0]!r} already uses the secret {secret}")
    client = json.loads(secrets.read_generic(CLIENT_ALIAS) or "{}")
    if not client.get("client_id") or not client.get("client_secret"):
        raise ValueError("store the WHOOP client credentials first: CALL OPS.SET_WHOOP_CLIENT(id, secret)")
    settings = dict(session.sql("SELECT SETTING_KEY, SETTING_VALUE FROM CONFIG.SETTINGS").collect())
    properties = (
        f"OAUTH_CLIENT_ID = {_literal(client['client_id'])} OAUTH_CLIENT_SECRET = {_literal(client['client_secret'])} "
        f"OAUTH_TOKEN_ENDPOINT = {_literal(settings['token_url'])} "
        f"OAUTH_AUTHORIZATION_ENDPOINT = {_literal(settings['authorize_url'])} "
        f"OAUTH_ALLOWED_SCOPES = ({', '.join(_literal(s) for s in SCOPES)}) ENABLED = TRUE"
    )
    session.sql(
        f"CREATE SECURITY INTEGRATION IF NOT EXISTS {INTEGRATION} TYPE = API_AUTHENTICATION AUTH_TYPE = OAUTH2 "
        + properties
    ).collect()
    session.sql(f"ALTER SECURITY INTEGRATION {INTEGRATION} SET {properties}").collect()
    session.sql(
        f"CREATE SECRET IF NOT EXISTS {secret} TYPE = OAUTH2 API_AUTHENTICATION = {INTEGRATION} "
        f"COMMENT = 'WHOOP OAuth for member {member}; Snowflake refreshes the token'"
    ).collect()
    session.sql(
        "MERGE INTO CONFIG.MEMBERS AS m USING (SELECT ? AS MEMBER_NAME, ? AS WHOOP_USER_ID) AS s "
        "ON m.MEMBER_NAME = s.MEMBER_NAME "
        "WHEN MATCHED THEN UPDATE SET WHOOP_USER_ID = s.WHOOP_USER_ID, STATUS = 'ACTIVE', AUTHORIZED_AT = SYSDATE(), "
        "STATUS_REASON = NULL, AUTH_MODE = 'SNOWFLAKE_MANAGED' "
        "WHEN NOT MATCHED THEN INSERT (MEMBER_NAME, WHOOP_USER_ID, STATUS, AUTHORIZED_AT, AUTH_MODE) "
        "VALUES (s.MEMBER_NAME, s.WHOOP_USER_ID, 'ACTIVE', SYSDATE(), 'SNOWFLAKE_MANAGED')",
        params=[member, int(whoop_user_id)],
    ).collect()
    bind_ingest_secrets(session)
    qualified = f"{session.get_current_database()}.{secret}"
    return {
        "member": member,
        "secret": qualified,
        "alias": oauth_alias(member),
        "next_steps": [
            f"SELECT SYSTEM$START_OAUTH_FLOW('{qualified}');  -- open the URL it returns, sign in to WHOOP",
            "SELECT SYSTEM$FINISH_OAUTH_FLOW('<query string of the URL WHOOP redirected to>');  -- same session",
        ],
    }


def bind_ingest_secrets(session: Any) -> str:
    """BIND_INGEST_SECRETS: INGEST_WHOOP's SECRETS and the EAI's allowed secrets, from CONFIG.MEMBERS.

    A procedure's SECRETS clause is static, so every Snowflake-managed member's alias is bound with
    ALTER PROCEDURE … SET SECRETS (documented for Python handlers; it replaces the whole list, hence
    the app-managed aliases too). The setup script re-creates INGEST_WHOOP on upgrade and then calls
    this again. Without Snowflake-managed members there is nothing to change.
    """
    rows = session.sql(
        "SELECT MEMBER_NAME FROM CONFIG.MEMBERS WHERE AUTH_MODE = ? ORDER BY MEMBER_NAME", params=[SNOWFLAKE_MANAGED]
    ).collect()
    members = [r[0] for r in rows]
    if not members:
        return "no Snowflake-managed members"
    base = [(CLIENT_ALIAS, CLIENT_SECRET), (TOKENS_ALIAS, TOKENS_SECRET)]
    bound = base + [(oauth_alias(m), oauth_secret(m)) for m in members]
    session.sql(
        f"ALTER EXTERNAL ACCESS INTEGRATION {EAI} SET ALLOWED_API_AUTHENTICATION_INTEGRATIONS = ({INTEGRATION}) "
        f"ALLOWED_AUTHENTICATION_SECRETS = ({', '.join(s for _, s in bound)})"
    ).collect()
    pairs = ", ".join(f"'{alias}' = {name}" for alias, name in bound)
    for procedure in TOKEN_USERS:
        session.sql(f"ALTER PROCEDURE {procedure} SET SECRETS = ({pairs})").collect()
    return f"INGEST_WHOOP bound to {len(members)} Snowflake-managed member secret(s)"


def _literal(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "''") + "'"


def set_client(session: Any, client_id: str, client_secret: str) -> str:
    """SET_WHOOP_CLIENT: store the installer's WHOOP developer-app credentials in the app's secret."""
    if not client_id or not client_secret:
        raise ValueError("client_id and client_secret are required")
    secrets.write_generic(
        session, CLIENT_SECRET, json.dumps({"client_id": client_id, "client_secret": client_secret}, sort_keys=True)
    )
    return "WHOOP client credentials stored"
