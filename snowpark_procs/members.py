"""Member procedures for both token modes (DESIGN §3), and the app's egress configuration.

REGISTER_MEMBER (app-managed): creates the member's own GENERIC_STRING secret, CONFIG.WHOOP_TOKEN_<MEMBER>,
and stores their refresh token in it (called by `whoop auth` locally and by the Setup page in Snowflake).
It only writes, so it binds no secrets itself. CONNECT_MEMBER_OAUTH (Snowflake-managed): creates the
member's OAUTH2 secret; the installer then runs Snowflake's OAuth flow on that secret. Both end with
`configure_egress`, which binds every member's secret to the procedures that call WHOOP.

CONFIGURE_EGRESS (the setup script calls it on install and upgrade): the network rule, the app's external
access integration and every binding. The integrations are account-level objects, so their names carry
the app's name (CURRENT_DATABASE() inside an app is the application): two installs in one account do not
collide. CREATE NETWORK RULE has no IF NOT EXISTS, and CREATE OR REPLACE would replace a rule the
integration uses on every upgrade, so the rule is created when absent and altered otherwise
(https://docs.snowflake.com/en/sql-reference/sql/create-network-rule,
https://docs.snowflake.com/en/sql-reference/sql/alter-network-rule). A procedure's SECRETS must each be
allowed by an integration in its EXTERNAL_ACCESS_INTEGRATIONS
(https://docs.snowflake.com/en/sql-reference/sql/create-procedure), so the integration's
ALLOWED_AUTHENTICATION_SECRETS is set first, then each procedure's integration, then its SECRETS
(https://docs.snowflake.com/en/sql-reference/sql/alter-external-access-integration,
https://docs.snowflake.com/en/sql-reference/sql/alter-procedure).

Upgrade from the shared map: installs made before per-member secrets kept every app-managed member's
refresh token in one JSON map, CONFIG.WHOOP_REFRESH_TOKENS. MIGRATE_REFRESH_TOKENS (the only procedure
bound to it) moves each member without a secret of their own into one and empties the map.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from snowpark_procs import secrets
from snowpark_procs.app_name import app_name
from snowpark_procs.ingest import (
    APP_MANAGED,
    CLIENT_ALIAS,
    SNOWFLAKE_MANAGED,
    oauth_alias,
    oauth_secret,
    token_alias,
    token_secret,
)

if TYPE_CHECKING:
    from snowflake.snowpark import Session

CLIENT_SECRET = "CONFIG.WHOOP_CLIENT"
LEGACY_TOKENS_SECRET = "CONFIG.WHOOP_REFRESH_TOKENS"  # the pre-migration shared map; bound only to the migration
LEGACY_TOKENS_ALIAS = "whoop_tokens"
NETWORK_RULE = "CONFIG.WHOOP_API_RULE"
WHOOP_HOSTS = ("api.prod.whoop.com",)  # must match the app specification's HOST_PORTS (setup script)
INGEST_SIGNATURE = "OPS.INGEST_WHOOP(VARCHAR, VARCHAR, NUMBER)"
FORGET_SIGNATURE = "OPS.FORGET_MEMBER(VARCHAR)"
CONNECT_SIGNATURE = "OPS.CONNECT_MEMBER_OAUTH(VARCHAR, NUMBER)"
MIGRATE_SIGNATURE = "OPS.MIGRATE_REFRESH_TOKENS()"
# procedures that call WHOOP on a member's behalf: each needs every member's token secret bound
TOKEN_USERS = (INGEST_SIGNATURE, FORGET_SIGNATURE)
SCOPES = ("offline", "read:recovery", "read:cycles", "read:workout", "read:sleep", "read:profile",
          "read:body_measurement")  # fmt: skip


def eai_name(session: Session) -> str:
    """The app's external access integration: <APP>_WHOOP_EAI (account-level, so named after the app)."""
    return f"{app_name(session)}_WHOOP_EAI"


def integration_name(session: Session) -> str:
    """The app's API_AUTHENTICATION security integration: <APP>_WHOOP_OAUTH."""
    return f"{app_name(session)}_WHOOP_OAUTH"


def register(session: Session, member: str, refresh_token: str, whoop_user_id: int) -> str:
    """REGISTER_MEMBER: the member's own secret holds their refresh token; nothing shared is read or written."""
    member = member.strip()
    if not member or not refresh_token:
        raise ValueError("member and refresh_token are required")
    secret = token_secret(member)  # validates the name: it becomes part of identifiers
    _name_is_free(session, member, secret)
    _create_token_secret(session, member, secret)
    secrets.write_generic(session, secret, refresh_token)
    session.sql(
        "MERGE INTO CONFIG.MEMBERS AS m USING (SELECT ? AS MEMBER_NAME, ? AS WHOOP_USER_ID) AS s "
        "ON m.MEMBER_NAME = s.MEMBER_NAME "
        "WHEN MATCHED THEN UPDATE SET WHOOP_USER_ID = s.WHOOP_USER_ID, STATUS = 'ACTIVE', AUTHORIZED_AT = SYSDATE(), "
        "STATUS_REASON = NULL, AUTH_MODE = 'APP_MANAGED' "
        "WHEN NOT MATCHED THEN INSERT (MEMBER_NAME, WHOOP_USER_ID, STATUS, AUTHORIZED_AT, AUTH_MODE) "
        "VALUES (s.MEMBER_NAME, s.WHOOP_USER_ID, 'ACTIVE', SYSDATE(), 'APP_MANAGED')",
        params=[member, int(whoop_user_id)],
    ).collect()
    configure_egress(session)  # binds the new secret to the procedures that call WHOOP
    return f"member {member} registered"


def _create_token_secret(session: Session, member: str, secret: str) -> None:
    session.sql(
        f"CREATE SECRET IF NOT EXISTS {secret} TYPE = GENERIC_STRING SECRET_STRING = '' "
        f"COMMENT = 'Current WHOOP refresh token of member {member}; rewritten after every rotation'"
    ).collect()


def _name_is_free(session: Session, member: str, secret: str) -> None:
    """Secret names are upper-cased: two members differing only in case would share one."""
    clash = session.sql(
        "SELECT MEMBER_NAME FROM CONFIG.MEMBERS WHERE UPPER(MEMBER_NAME) = UPPER(?) AND MEMBER_NAME <> ?",
        params=[member, member],
    ).collect()
    if clash:
        raise ValueError(f"member {clash[0][0]!r} already uses the secret {secret}")


def connect_oauth(session: Session, member: str, whoop_user_id: int) -> dict:
    """CONNECT_MEMBER_OAUTH: a Snowflake-managed member: integration, OAUTH2 secret, bindings; then consent.

    The security integration is (re)written from the stored client credentials and the configured
    endpoints on every call, so a changed client secret or endpoint reaches it. The member is ACTIVE
    from here on: until SYSTEM$FINISH_OAUTH_FLOW stored a refresh token, a run flags the member
    NEEDS_REAUTHORIZATION, which is what it is.
    """
    member = member.strip()
    secret = oauth_secret(member)  # validates the name: it becomes part of identifiers
    _name_is_free(session, member, secret)
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
    integration = integration_name(session)
    session.sql(
        f"CREATE SECURITY INTEGRATION IF NOT EXISTS {integration} TYPE = API_AUTHENTICATION AUTH_TYPE = OAUTH2 "
        + properties
    ).collect()
    session.sql(f"ALTER SECURITY INTEGRATION {integration} SET {properties}").collect()
    session.sql(
        f"CREATE SECRET IF NOT EXISTS {secret} TYPE = OAUTH2 API_AUTHENTICATION = {integration} "
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
    configure_egress(session)
    qualified = f"{session.get_current_database()}.{secret}"
    return {
        "member": member,
        "secret": qualified,
        "alias": oauth_alias(member),
        # the secret is the app's own, which the consumer cannot name: the app runs Snowflake's flow on it
        "next_steps": [
            f"CALL {session.get_current_database()}.OPS.START_MEMBER_OAUTH('{member}');  -- open the URL, sign in",
            f"CALL {session.get_current_database()}.OPS.FINISH_MEMBER_OAUTH("
            "'<query string of the URL WHOOP redirected to>');  -- same session",
        ],
    }


def start_oauth(session: Session, member: str) -> str:
    """START_MEMBER_OAUTH: SYSTEM$START_OAUTH_FLOW on the member's OAUTH2 secret, which only the app can name.

    A stored procedure runs in its caller's session, so START and FINISH called from one worksheet session are one
    flow (https://docs.snowflake.com/en/sql-reference/functions/system_finish_oauth_flow: FINISH must run in the
    session that started it). Snowflake does not document these functions inside an app; if they are refused there,
    the app-managed mode (REGISTER_MEMBER) is the way to connect a member, and it is the default.
    """
    member = member.strip()
    known = session.sql("SELECT AUTH_MODE FROM CONFIG.MEMBERS WHERE MEMBER_NAME = ?", params=[member]).collect()
    if not known or known[0][0] != SNOWFLAKE_MANAGED:
        raise ValueError(f"{member!r} is not a Snowflake-managed member: CALL OPS.CONNECT_MEMBER_OAUTH first")
    qualified = f"{session.get_current_database()}.{oauth_secret(member)}"
    return str(session.sql(f"SELECT SYSTEM$START_OAUTH_FLOW('{qualified}')").collect()[0][0])


def finish_oauth(session: Session, query_string: str) -> str:
    """FINISH_MEMBER_OAUTH: SYSTEM$FINISH_OAUTH_FLOW with the query string WHOOP redirected the browser to."""
    session.sql("SELECT SYSTEM$FINISH_OAUTH_FLOW(?)", params=[query_string.strip()]).collect()
    return "member authorized: their OAUTH2 secret now holds a refresh token"


def configure_egress(session: Session) -> str:
    """CONFIGURE_EGRESS: network rule, the app's EAI listing exactly the secrets in use, every binding.

    Idempotent: run on install, on every upgrade (after the procedures were re-created without bindings)
    and by the member procedures after each change. The secrets in use: the client credentials, each
    member's token secret (app-managed) or OAUTH2 secret (Snowflake-managed) that exists, and the old
    shared map while it exists (bound only to MIGRATE_REFRESH_TOKENS).
    """
    eai, integration = eai_name(session), integration_name(session)
    _ensure_network_rule(session)
    session.sql(
        f"CREATE EXTERNAL ACCESS INTEGRATION IF NOT EXISTS {eai} ALLOWED_NETWORK_RULES = ({NETWORK_RULE}) "
        "ENABLED = TRUE"
    ).collect()
    existing = _config_secrets(session)
    migrated: list[str] = []
    if LEGACY_TOKENS_SECRET in existing:
        _allow(session, eai, integration, _member_secrets(session, existing), legacy=True)
        _bind(session, MIGRATE_SIGNATURE, eai, [(LEGACY_TOKENS_ALIAS, LEGACY_TOKENS_SECRET)])
        migrated = _variant(session.sql(f"CALL {MIGRATE_SIGNATURE.removesuffix('()')}()").collect())
        existing |= {str(s).upper() for s in migrated}
    members = _member_secrets(session, existing)
    _allow(session, eai, integration, members, legacy=LEGACY_TOKENS_SECRET in existing)
    client = [(CLIENT_ALIAS, CLIENT_SECRET)]
    pairs = client + [(alias, secret) for alias, secret, _ in members]
    for procedure in TOKEN_USERS:
        _bind(session, procedure, eai, pairs)
    _bind(session, CONNECT_SIGNATURE, eai, client)
    moved = f"; {len(migrated)} member(s) moved from the shared token map" if migrated else ""
    return f"egress through {eai}: {len(members)} member secret(s) bound{moved}"


def _ensure_network_rule(session: Session) -> None:
    """Create the rule when absent, else set its hosts: never CREATE OR REPLACE a rule the EAI uses."""
    schema, name = NETWORK_RULE.split(".")
    values = ", ".join(_literal(h) for h in WHOOP_HOSTS)
    if session.sql(f"SHOW NETWORK RULES LIKE '{name}' IN SCHEMA {schema}").collect():
        session.sql(f"ALTER NETWORK RULE {NETWORK_RULE} SET VALUE_LIST = ({values})").collect()
    else:
        session.sql(
            f"CREATE NETWORK RULE {NETWORK_RULE} MODE = EGRESS TYPE = HOST_PORT VALUE_LIST = ({values})"
        ).collect()


def _config_secrets(session: Session) -> set[str]:
    """The secrets in the CONFIG schema, as CONFIG.<NAME> (binding a missing secret is an error)."""
    rows = session.sql("SHOW SECRETS IN SCHEMA CONFIG").collect()
    names = set()
    for row in rows:
        fields = row.as_dict() if hasattr(row, "as_dict") else None
        name = fields.get("name") if fields else row[1]
        names.add(f"CONFIG.{str(name).upper()}")
    return names


def _member_secrets(session: Session, existing: set[str]) -> list[tuple[str, str, str]]:
    """(alias, secret, mode) of each member's secret for their AUTH_MODE, where that secret exists."""
    rows = session.sql("SELECT MEMBER_NAME, AUTH_MODE FROM CONFIG.MEMBERS ORDER BY MEMBER_NAME").collect()
    out = []
    for member, mode in rows:
        mode = mode or APP_MANAGED
        try:
            if mode == SNOWFLAKE_MANAGED:
                alias, secret = oauth_alias(member), oauth_secret(member)
            else:
                alias, secret = token_alias(member), token_secret(member)
        except ValueError:  # a name from before names were checked: it cannot name a secret
            continue
        if secret in existing:
            out.append((alias, secret, mode))
    return out


def _allow(session: Session, eai: str, integration: str, members: list[tuple[str, str, str]], legacy: bool) -> None:
    allowed = [CLIENT_SECRET] + [secret for _, secret, _ in members] + ([LEGACY_TOKENS_SECRET] if legacy else [])
    oauth = integration if any(mode == SNOWFLAKE_MANAGED for _, _, mode in members) else "NONE"
    session.sql(
        f"ALTER EXTERNAL ACCESS INTEGRATION {eai} SET ALLOWED_NETWORK_RULES = ({NETWORK_RULE}) "
        f"ALLOWED_AUTHENTICATION_SECRETS = ({', '.join(allowed)}) ALLOWED_API_AUTHENTICATION_INTEGRATIONS = ({oauth})"
    ).collect()


def _bind(session: Session, procedure: str, eai: str, pairs: list[tuple[str, str]]) -> None:
    """The integration first, so every secret is allowed when the SECRETS list is bound (it replaces the list)."""
    session.sql(f"ALTER PROCEDURE {procedure} SET EXTERNAL_ACCESS_INTEGRATIONS = ({eai})").collect()
    listed = ", ".join(f"'{alias}' = {name}" for alias, name in pairs)
    session.sql(f"ALTER PROCEDURE {procedure} SET SECRETS = ({listed})").collect()


def _variant(rows: list) -> list[str]:
    value = rows[0][0] if rows else None
    parsed = json.loads(value) if isinstance(value, str) else value
    return list(parsed or [])


def migrate_refresh_tokens(session: Session) -> list[str]:
    """MIGRATE_REFRESH_TOKENS: each app-managed member in the old shared map gets their own secret, once.

    A member who already has a secret of their own keeps it (it was written after the map stopped being
    written, so it is newer). Entries that cannot move (a member no longer registered or switched to
    Snowflake-managed) are dropped; a name that cannot name a secret stays in the map, untouched.
    Returns the secrets created.
    """
    try:
        tokens = json.loads(secrets.read_generic(LEGACY_TOKENS_ALIAS) or "{}")
    except ValueError:  # not a map this app wrote: leave it alone rather than fail an install or upgrade
        return []
    if not isinstance(tokens, dict) or not tokens:
        return []
    modes = {
        r[0]: r[1] or APP_MANAGED for r in session.sql("SELECT MEMBER_NAME, AUTH_MODE FROM CONFIG.MEMBERS").collect()
    }
    existing = _config_secrets(session)
    created, kept = [], {}
    for member, token in sorted(tokens.items()):
        try:
            secret = token_secret(member)
        except ValueError:
            kept[member] = token
            continue
        if modes.get(member) != APP_MANAGED or not token or secret in existing:
            continue
        _create_token_secret(session, member, secret)
        secrets.write_generic(session, secret, token)
        created.append(secret)
    secrets.write_generic(session, LEGACY_TOKENS_SECRET, json.dumps(kept, sort_keys=True))
    return created


def _literal(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "''") + "'"


def set_client(session: Session, client_id: str, client_secret: str) -> str:
    """SET_WHOOP_CLIENT: store the installer's WHOOP developer-app credentials in the app's secret."""
    if not client_id or not client_secret:
        raise ValueError("client_id and client_secret are required")
    secrets.write_generic(
        session, CLIENT_SECRET, json.dumps({"client_id": client_id, "client_secret": client_secret}, sort_keys=True)
    )
    return "WHOOP client credentials stored"
