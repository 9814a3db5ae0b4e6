"""OAUTH2 secrets backed by an API_AUTHENTICATION security integration: the consent flow and token refresh.

Local meaning: `SYSTEM$START_OAUTH_FLOW('db.schema.secret')` returns the authorization URL of the
secret's integration (client id, redirect URI, allowed scopes, an 8-character state it remembers for
this session); `SYSTEM$FINISH_OAUTH_FLOW('state=…&code=…')`, in the same session, exchanges the code at
the integration's token endpoint and stores the refresh token in the secret. In a handler,
`_snowflake.get_oauth_access_token(alias)` calls `access_token`: it hands out the cached access token
while it is valid and otherwise refreshes at the token endpoint. WHOOP rotates the refresh token on
every refresh; the rotated token is written to the secret store (atomically, with the new access
token) before the access token is returned, so a crash never loses it.

Differences from Snowflake (whose persistence of a rotated refresh token is undocumented, DESIGN §3):
validity comes from the token response's `expires_in` (else OAUTH_ACCESS_TOKEN_VALIDITY, else 600 s)
minus a margin; a token the provider invalidated early is handed out again until then (Snowflake
cannot see the API's 401 either). The redirect URI is this warehouse's `/oauth/complete-secret`,
which shows the query string to paste into FINISH. Flows are kept in memory (lost on restart).
"""

from __future__ import annotations

import hashlib
import re
import string
import time
from secrets import choice
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlencode

import requests

from infra.local.warehouse import account_catalog as ao
from infra.local.warehouse.base import LocalSession, Outcome, answer
from infra.local.warehouse.errors import LocalSqlError
from infra.local.warehouse.sqltext import status_select

if TYPE_CHECKING:
    from infra.local.warehouse.engine import Engine

DEFAULT_VALIDITY_SECONDS = 600
FLOW_TTL_SECONDS = 600
_ARG = r"\(\s*(?P<arg>'(?:[^']|'')*'|\?)\s*\)"


def register(engine: Engine) -> None:
    engine.on(rf"^(?:SELECT|CALL)\s+SYSTEM\$START_OAUTH_FLOW\s*{_ARG}\s*;?$", _start)
    engine.on(rf"^(?:SELECT|CALL)\s+SYSTEM\$FINISH_OAUTH_FLOW\s*{_ARG}\s*;?$", _finish)


def redirect_uri(engine: Engine) -> str:
    return f"{engine.base_url()}/oauth/complete-secret"


def _argument(session: LocalSession, m: re.Match[str]) -> str:
    raw = m["arg"]
    if raw == "?":
        params = session.pending_params or ()
        if len(params) != 1:
            raise LocalSqlError("SYSTEM$…_OAUTH_FLOW takes one argument", errno=1003)
        return str(params[0])
    return raw[1:-1].replace("''", "'")


def _oauth_secret(engine: Engine, fqn: str) -> tuple[str, dict[str, str], dict[str, Any], dict[str, Any]]:
    """(name, secret fields, integration properties, integration hidden fields) of an OAUTH2 secret."""
    name = ao.secret_fqn(fqn)
    fields = ao.secret_value(engine, name)
    if fields.get("type", "").upper() != "OAUTH2" or not fields.get("api_authentication"):
        raise LocalSqlError(f"Secret '{name}' is not an OAUTH2 secret with API_AUTHENTICATION", errno=1003)
    integration = fields["api_authentication"].upper()
    found = ao.get_object(engine, "SECURITY INTEGRATION", integration)
    if found is None:
        raise ao.not_found("Integration", integration)
    props = found[0]
    if props.get("TYPE") != "API_AUTHENTICATION":
        raise LocalSqlError(f"Integration '{integration}' is not TYPE = API_AUTHENTICATION", errno=1003)
    if str(props.get("ENABLED", "FALSE")).upper() != "TRUE":
        raise LocalSqlError(f"Integration '{integration}' is not enabled", errno=1003)
    hidden = engine.secrets.get(f"SECURITY INTEGRATION:{integration}")
    return name, fields, props, hidden


def _start(engine: Engine, session: LocalSession, text: str, m: re.Match[str]) -> Outcome:
    name, _, props, _ = _oauth_secret(engine, _argument(session, m))
    endpoint = props.get("OAUTH_AUTHORIZATION_ENDPOINT")
    if not endpoint or not props.get("OAUTH_CLIENT_ID"):
        raise LocalSqlError("The integration needs OAUTH_AUTHORIZATION_ENDPOINT and OAUTH_CLIENT_ID", errno=1003)
    state = "".join(choice(string.ascii_letters + string.digits) for _ in range(8))  # WHOOP wants 8 characters
    flows, now = engine.oauth_flows, time.time()
    for old in [s for s, f in flows.items() if f["started"] < now - FLOW_TTL_SECONDS]:
        del flows[old]
    flows[state] = {"secret": name, "session": engine.session_identity(session.session_id), "started": now}
    scopes = props.get("OAUTH_ALLOWED_SCOPES", [])
    query = {
        "response_type": "code",
        "client_id": props["OAUTH_CLIENT_ID"],
        "redirect_uri": redirect_uri(engine),
        "scope": " ".join([scopes] if isinstance(scopes, str) else scopes),
        "state": state,
    }
    return answer(status_select(f"{endpoint}?{urlencode(query)}", column="SYSTEM$START_OAUTH_FLOW"))


def _finish(engine: Engine, session: LocalSession, text: str, m: re.Match[str]) -> Outcome:
    query = {k: v[0] for k, v in parse_qs(_argument(session, m).lstrip("?")).items()}
    flow = engine.oauth_flows.get(query.get("state", ""))
    if flow is None or flow["session"] != engine.session_identity(session.session_id):
        raise LocalSqlError(
            "No OAuth flow with this state was started in this session: call SYSTEM$START_OAUTH_FLOW first",
            errno=1003,
        )
    if "error" in query:
        raise LocalSqlError(f"The authorization was refused: {_word(query['error'])}", errno=1003)
    code = query.get("code") or query.get("authz_code")
    if not code:
        raise LocalSqlError("The query string has no code", errno=1003)
    del engine.oauth_flows[query["state"]]  # one use, like the code itself
    name, _, props, hidden = _oauth_secret(engine, flow["secret"])
    body = _token_request(
        props, hidden, {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri(engine)}
    )
    if isinstance(body, int | str):
        raise LocalSqlError(f"The token endpoint refused the authorization code ({body})", errno=1003)
    if not body.get("refresh_token"):
        raise LocalSqlError("The token endpoint returned no refresh token (is `offline` an allowed scope?)", 1003)
    with engine.locks("oauth:" + name):
        ao.set_secret_value(
            engine, name, oauth_refresh_token=body["refresh_token"], hidden=_cached(props, body, body["refresh_token"])
        )
    return answer(status_select(f"Refresh token stored in secret {name}.", column="SYSTEM$FINISH_OAUTH_FLOW"))


def access_token(engine: Engine, fqn: str) -> str:
    """The secret's access token, refreshed when missing or (nearly) expired; the rotated refresh token first."""
    try:
        name, fields, props, hidden = _oauth_secret(engine, fqn)
    except LocalSqlError as e:
        raise PermissionError(e.message) from None
    with engine.locks("oauth:" + name):
        fields = ao.secret_value(engine, name)  # re-read under the lock: another call may have refreshed
        refresh = fields.get("oauth_refresh_token")
        if not refresh:
            raise PermissionError(f"Secret {name} has no refresh token: run SYSTEM$START_OAUTH_FLOW / FINISH")
        cached = fields.get("oauth_access_token")
        expires_at = float(fields.get("oauth_access_token_expires_at") or 0)
        margin = min(30.0, float(fields.get("oauth_access_token_lifetime") or 0) / 10)
        current = cached and fields.get("oauth_access_token_source") == _fingerprint(refresh)
        if current and time.time() < expires_at - margin:
            return str(cached)
        body = _token_request(props, hidden, {"grant_type": "refresh_token", "refresh_token": refresh})
        if isinstance(body, str):
            raise PermissionError(f"The token endpoint refused the refresh token of {name} ({body})")
        if isinstance(body, int):
            raise ConnectionError(f"The token endpoint of {name} answered HTTP {body}")
        rotated = body.get("refresh_token") or refresh
        # persisted (one atomic write of the secret store) before the new access token is handed out
        ao.set_secret_value(engine, name, oauth_refresh_token=rotated, hidden=_cached(props, body, rotated))
        return str(body["access_token"])


def _cached(props: dict[str, Any], body: dict[str, Any], refresh: str) -> dict[str, str]:
    lifetime = float(body.get("expires_in") or props.get("OAUTH_ACCESS_TOKEN_VALIDITY") or DEFAULT_VALIDITY_SECONDS)
    return {
        "oauth_access_token": str(body["access_token"]),
        "oauth_access_token_expires_at": str(time.time() + lifetime),
        "oauth_access_token_lifetime": str(lifetime),
        "oauth_access_token_source": _fingerprint(refresh),
    }


def _token_request(props: dict[str, Any], hidden: dict[str, Any], form: dict[str, str]) -> dict[str, Any] | str | int:
    """The token endpoint's JSON body; on refusal (400/401) its error code; on other failures the status."""
    endpoint = props.get("OAUTH_TOKEN_ENDPOINT")
    if not endpoint:
        raise PermissionError("The integration has no OAUTH_TOKEN_ENDPOINT")
    client_id, client_secret = str(props.get("OAUTH_CLIENT_ID", "")), str(hidden.get("oauth_client_secret", ""))
    auth = None
    if str(props.get("OAUTH_CLIENT_AUTH_METHOD", "CLIENT_SECRET_POST")).upper() == "CLIENT_SECRET_BASIC":
        auth = (client_id, client_secret)
    else:
        form = {**form, "client_id": client_id, "client_secret": client_secret}
    try:
        response = requests.post(endpoint, data=form, auth=auth, timeout=30)
    except requests.RequestException as e:
        raise ConnectionError(f"The token endpoint is unreachable ({type(e).__name__})") from None
    try:
        body = response.json()
    except ValueError:
        body = None
    if response.status_code in (400, 401):
        return _word(str(body.get("error", "invalid_grant"))) if isinstance(body, dict) else "invalid_grant"
    if response.status_code != 200:
        return response.status_code
    return body if isinstance(body, dict) and body.get("access_token") else 502


def _word(value: str) -> str:
    """An OAuth error code, and nothing else from the response (it could echo a token)."""
    return value if re.fullmatch(r"[a-z_]{1,40}", value) else "error"


def _fingerprint(refresh_token: str) -> str:
    """Ties a cached access token to the refresh token it came from (ALTER SECRET SET … invalidates it)."""
    return hashlib.sha256(refresh_token.encode()).hexdigest()[:16]
