"""`whoop auth`: authorize members against the WHOOP API (or the sandbox) and register them with the app.

On the local stack, three ways: sandbox members through the sandbox's login hint (the code flow without a browser);
one member through a real browser sign-in whose code arrives at a loopback callback; or sandbox members through the
app's OAUTH2 secrets (`--snowflake-managed`, DESIGN §3). On a connection (`sign_in_on_connection`), one member
through the installed app's Snowflake-managed OAuth: the member signs in at WHOOP in a browser and the URL WHOOP
redirected to is handed back. Refresh tokens are written only through the app's procedures.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, urlparse

import requests
import snowflake.connector

from infra.local.connection import Target
from infra.local.deploy import connect
from infra.local.errors import WhoopError
from infra.local.run import Progress, start_pipeline
from infra.local.settings import Settings
from infra.local.status import _procedure_error

REDIRECT_URI = "http://127.0.0.1/whoop/callback"
SCOPES = "offline read:recovery read:cycles read:workout read:sleep read:profile read:body_measurement"


def sandbox_members(settings: Settings) -> list[str]:
    response = requests.get(f"{settings.sandbox_url}/_sandbox/members", timeout=10)
    response.raise_for_status()
    body = response.json()
    items = body["members"] if isinstance(body, dict) else body
    return [m["name"] if isinstance(m, dict) else m for m in items]


def auth(
    settings: Settings,
    member: str | None = None,
    client_id: str | None = None,
    client_secret: str | None = None,
    auth_url: str | None = None,
    token_url: str | None = None,
    progress: Progress | None = None,
    open_browser: Callable[[str], Any] | None = None,
    timeout: float = 300.0,
    snowflake_managed: bool = False,
) -> list[str]:
    """Authorize members and register them with the app.

    Without client credentials: every sandbox member (or one), through the sandbox's login hint.
    With them: one member through a real browser sign-in at `auth_url` (WHOOP's, or any compatible
    server), the code arriving at a loopback callback; the credentials are stored with the app too.
    `snowflake_managed`: sandbox members through the app's OAUTH2 secrets instead (DESIGN §3): the
    SQL an installer runs in Snowflake, with the sandbox's login hint standing in for the browser.
    """
    from infra.local.sandbox.config import SandboxConfig

    if snowflake_managed:
        if client_id:
            raise WhoopError("--snowflake-managed authorizes sandbox members; for WHOOP run the SQL in app/README.md")
        members = [member] if member else sandbox_members(settings)
        _connect_snowflake_managed(settings, members)
        return members
    if client_id:
        if not (member and client_secret and auth_url and token_url):
            raise WhoopError("--client-id needs --member, --client-secret, --auth-url and --token-url")
        tokens = _browser_flow(client_id, client_secret, auth_url, token_url, open_browser, timeout, progress)
        api_base = f"{urlparse(token_url).scheme}://{urlparse(token_url).netloc}/developer"
        _register(settings, [(member, tokens, api_base)], client=(client_id, client_secret))
        return [member]
    sandbox = SandboxConfig(seed=settings.seed)
    members = [member] if member else sandbox_members(settings)
    sandbox_auth = f"{settings.sandbox_url}/oauth/oauth2/auth"
    sandbox_token = f"{settings.sandbox_url}/oauth/oauth2/token"
    granted = [
        (
            name,
            code_flow(name, sandbox.client_id, sandbox.secret, sandbox_auth, sandbox_token),
            f"{settings.sandbox_url}/developer",
        )
        for name in members
    ]
    _register(settings, granted)
    return members


def _register(
    settings: Settings, granted: list[tuple[str, dict[str, Any], str]], client: tuple[str, str] | None = None
) -> None:
    """Store each member's refresh token through OPS.REGISTER_MEMBER (only a procedure can write secrets)."""
    conn = connect(settings, paramstyle="qmark")
    try:
        cur = conn.cursor()
        if client:
            cur.execute("CALL OPS.SET_WHOOP_CLIENT(?, ?)", list(client))
        for name, tokens, api_base in granted:
            profile = requests.get(
                f"{api_base}/v2/user/profile/basic",
                headers={"Authorization": f"Bearer {tokens['access_token']}"},
                timeout=10,
            )
            if profile.status_code != 200:
                raise WhoopError(f"could not read {name}'s WHOOP profile (HTTP {profile.status_code})")
            cur.execute("CALL OPS.REGISTER_MEMBER(?, ?, ?)", [name, tokens["refresh_token"], profile.json()["user_id"]])
        if granted:
            start_pipeline(cur)
    finally:
        conn.close()


def _connect_snowflake_managed(settings: Settings, members: list[str]) -> None:
    """CONNECT_MEMBER_OAUTH, then the app's START_MEMBER_OAUTH and FINISH_MEMBER_OAUTH in one session: the secret
    is the app's, so the app runs Snowflake's OAuth flow on it (the consumer cannot name it)."""
    listed = requests.get(f"{settings.sandbox_url}/_sandbox/members", timeout=10)
    listed.raise_for_status()
    user_ids = {m["name"]: m["user_id"] for m in listed.json()}
    conn = connect(settings, paramstyle="qmark")
    try:
        cur = conn.cursor()
        for name in members:
            if name not in user_ids:
                raise WhoopError(f"the sandbox has no member {name}")
            cur.execute("CALL OPS.CONNECT_MEMBER_OAUTH(?, ?)", [name, user_ids[name]])
            cur.fetchone()
            cur.execute("CALL OPS.START_MEMBER_OAUTH(?)", [name])
            url = cur.fetchone()[0]
            # the member's consent: the sandbox's login hint stands in for signing in at the browser
            consent = requests.get(url, params={"login_hint": name}, allow_redirects=False, timeout=10)
            if consent.status_code != 302:
                raise WhoopError(f"authorization for {name} failed (HTTP {consent.status_code})")
            cur.execute("CALL OPS.FINISH_MEMBER_OAUTH(?)", [urlparse(consent.headers["Location"]).query])
    except snowflake.connector.errors.ProgrammingError as e:
        raise WhoopError(f"connecting members through OAUTH2 secrets failed: {e.msg}") from None
    finally:
        conn.close()


def sign_in_on_connection(
    target: Target,
    member: str,
    user_id: int | None,
    redirect_for: Callable[[str], str],
    progress: Progress | None = None,
) -> dict[str, Any]:
    """A real member's sign-in through the installed app's Snowflake-managed OAuth, in ONE connector session:
    CONNECT_MEMBER_OAUTH (with `user_id`; without it the member must already be Snowflake-managed, a
    re-authorization), START_MEMBER_OAUTH → the authorization URL, `redirect_for(url)` → the URL WHOOP redirected
    the browser to (the caller shows the URL and asks for it), FINISH_MEMBER_OAUTH with its query string, then
    START_PIPELINE (idempotent) so the member's data flows. SYSTEM$FINISH_OAUTH_FLOW must run in the session that
    ran SYSTEM$START_OAUTH_FLOW, and a procedure runs in its caller's session
    (https://docs.snowflake.com/en/sql-reference/functions/system_finish_oauth_flow), hence one connection for all.
    Errors are one line and never carry the authorization code or the redirect's query string."""
    say = progress or (lambda _line: None)
    app = target.app
    conn = target.connect(paramstyle="qmark")
    try:
        cur = conn.cursor()
        if user_id is not None:
            _call(cur, f"CALL {app}.OPS.CONNECT_MEMBER_OAUTH(?, ?)", [member, user_id], f"connecting {member}")
            say(f"  {member}: the app's OAUTH2 secret for the member is ready")
        start = f"CALL {app}.OPS.START_MEMBER_OAUTH(?)"
        try:
            cur.execute(start, [member])
        except snowflake.connector.errors.ProgrammingError as e:
            if user_id is None and "not a Snowflake-managed member" in str(e.msg):
                raise WhoopError(
                    f"the app has no Snowflake-managed member {member}: give --user-id ID (the member's WHOOP user "
                    "id) to connect them"
                ) from None
            raise WhoopError(f"starting {member}'s sign-in failed: {_procedure_error(start, str(e.msg))}") from None
        url = str(cur.fetchone()[0])
        query = redirect_query(redirect_for(url), url, member)
        _call(cur, f"CALL {app}.OPS.FINISH_MEMBER_OAUTH(?)", [query], f"authorizing {member}", hide=query)
        _call(cur, f"CALL {app}.OPS.START_PIPELINE()", None, f"{member} is authorized, but starting the pipeline")
    finally:
        conn.close()
    return {"member": member, "app": app, "where": target.label, "connected": user_id is not None}


def redirect_query(redirect: str, authorization_url: str, member: str) -> str:
    """The query string FINISH_MEMBER_OAUTH takes, from what the user pasted (the whole redirect URL or its query),
    checked first against the sign-in this session started: WHOOP's refusal, another sign-in's state (an old or
    someone else's redirect) and a missing code are each one line here rather than an opaque procedure error."""
    text = "".join((redirect or "").split())
    if not text:
        raise WhoopError(f"no redirect URL given for {member}: paste the URL WHOOP sent the browser to after sign-in")
    query_text = urlparse(text).query if "?" in text else text
    query = {k: v[0] for k, v in parse_qs(query_text).items()}
    if "error" in query:
        reason = query["error"] if query["error"].replace("_", "").isalpha() else "error"  # a code, nothing echoed
        raise WhoopError(f"WHOOP did not authorize {member} ({reason[:40]}): sign in again and consent")
    expected = parse_qs(urlparse(authorization_url).query).get("state", [None])[0]
    if "state" not in query or (expected is not None and query["state"] != expected):
        raise WhoopError(
            f"the redirect URL is not from this sign-in of {member} (its state differs; an older or another "
            "member's redirect): open the URL printed above, sign in, and give the URL WHOOP redirects to"
        )
    if not (query.get("code") or query.get("authz_code")):
        raise WhoopError(f"the redirect URL for {member} has no authorization code: give the whole URL WHOOP sent")
    return query_text


def _call(cur: Any, sql: str, params: list[Any] | None, doing: str, hide: str | None = None) -> None:
    """One app procedure call; its failure one line, the handler's own words with `hide` (and any code) cut out."""
    try:
        cur.execute(sql, params)
        cur.fetchall()
    except snowflake.connector.errors.ProgrammingError as e:
        message = _procedure_error(sql, str(e.msg))
        # a handler's failed statement arrives wrapped (`… SnowparkSQLException: (1304): 001003 (42000): <words> in
        # function X`): keep the words
        inner = re.findall(r".*\d{6} \(\w{5}\): (.+?)(?: in function \w+)?$", message)
        message = inner[-1] if inner else message
        if hide:
            for part in [hide, *(v[0] for v in parse_qs(hide).values())]:
                message = message.replace(part, "…") if len(part) >= 4 else message
        raise WhoopError(f"{doing} failed: {message}") from None


def _browser_flow(
    client_id: str,
    client_secret: str,
    auth_url: str,
    token_url: str,
    open_browser: Callable[[str], Any] | None,
    timeout: float,
    progress: Progress | None,
) -> dict[str, Any]:
    import webbrowser

    from infra.local.oauth_callback import CallbackServer, authorize_url, new_state

    state = new_state()
    with CallbackServer() as callback:
        url = authorize_url(auth_url, client_id, callback.redirect_uri, SCOPES, state)
        if progress:
            progress(f"Sign in to WHOOP in your browser (register {callback.redirect_uri} as a redirect URI):\n  {url}")
        (open_browser or webbrowser.open)(url)
        code = callback.wait_for_code(state, timeout)
        return _exchange(code, callback.redirect_uri, client_id, client_secret, token_url, "the member")


def code_flow(member: str, client_id: str, client_secret: str, auth_url: str, token_url: str) -> dict[str, Any]:
    """The sandbox's OAuth code flow for `member` (`login_hint` stands in for its login page): the token response."""
    from infra.local.oauth_callback import new_state

    state = new_state()
    response = requests.get(
        auth_url,
        params={
            "client_id": client_id,
            "redirect_uri": REDIRECT_URI,
            "response_type": "code",
            "scope": SCOPES,
            "state": state,
            "login_hint": member,
        },
        allow_redirects=False,
        timeout=10,
    )
    if response.status_code != 302:
        raise WhoopError(f"authorization for {member} failed (HTTP {response.status_code}: {response.text[:200]})")
    query = parse_qs(urlparse(response.headers["Location"]).query)
    if query.get("state", [""])[0] != state or "code" not in query:
        raise WhoopError(f"authorization for {member} returned no code")
    return _exchange(query["code"][0], REDIRECT_URI, client_id, client_secret, token_url, member)


def _exchange(code: str, redirect_uri: str, client_id: str, client_secret: str, token_url: str, who: str) -> dict:
    token = requests.post(
        token_url,
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": redirect_uri,
            "client_id": client_id,
            "client_secret": client_secret,
        },
        timeout=10,
    )
    if token.status_code != 200:
        raise WhoopError(f"token exchange for {who} failed (HTTP {token.status_code})")
    body = token.json()
    if "refresh_token" not in body:
        raise WhoopError(f"no refresh token for {who}: the grant needs the `offline` scope")
    return body
