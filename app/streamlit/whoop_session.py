"""The dashboard's one session adapter: Snowsight's active session, or a Snowpark session to the local warehouse.

In Snowflake (Streamlit in Snowflake, inside the Native App) the session is the one Snowsight opened. Locally
(`make app`, the tests) `WHOOP_DASHBOARD_WAREHOUSE` names the local warehouse's URL (e.g. http://127.0.0.1:8765)
and a Snowpark session is opened to it over HTTP, as the local warehouse's procedure runner does. The choice is
explicit, never a fallback: a dashboard deployed to Snowflake never talks to a local URL, and a local run never
picks up some other active session.

Locally the warehouse can go away (stopped, killed) and come back while the dashboard runs. Every statement goes
through `call`, which fails within seconds with "cannot reach the local warehouse at …" (the health route is
probed first, and between the connector's retries), drops the cached session then, and replaces a session the
warehouse no longer knows after a restart: the next rerun recovers by itself.
"""

from __future__ import annotations

import os
import threading
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, TypeVar

LOCAL_ENV = "WHOOP_DASHBOARD_WAREHOUSE"
LOCAL_ROLE_ENV = "WHOOP_DASHBOARD_ROLE"  # locally, the application role the session stands for (default app_admin)
LOCAL_USER_ENV = "WHOOP_DASHBOARD_USER"  # locally, the Snowflake user viewing the dashboard (default DASHBOARD)
LOCAL_DATABASE = "WHOOP"
ADMIN_ROLE = "APP_ADMIN"

# the CLI says the same (infra/local/errors.py UNREACHABLE; tests/unit/test_reach.py keeps them equal)
UNREACHABLE = "cannot reach the local warehouse at {url} (run `whoop local up`)"
HEALTH_PATH = "/_local/health"  # the local warehouse's health route (infra/local/warehouse/server.py)
PROBE_SECONDS = 2.0
RETRY_SLEEP_SECONDS = 1
SESSION_GONE_ERRNO = 290401  # the connector's HTTP 401: the warehouse (restarted) no longer knows the session

_local_sessions: dict[str, Any] = {}
_lock = threading.Lock()
T = TypeVar("T")


class WarehouseUnreachable(ConnectionError):
    """The local warehouse is not answering; pages show this message instead of their content."""

    def __init__(self, url: str) -> None:
        super().__init__(UNREACHABLE.format(url=url))
        self.url = url


def local_url() -> str | None:
    """The local warehouse URL when running locally, else None (Snowflake)."""
    url = os.environ.get(LOCAL_ENV, "").strip()
    return url or None


def local_identity() -> tuple[str, str]:
    """Locally, (user, application role) the dashboard's session logs in as: the viewer Snowsight would name, and
    the application role they hold (the local warehouse answers CURRENT_USER() and IS_APPLICATION_ROLE_IN_SESSION
    from them, infra/local/warehouse/session_context.py)."""
    user = os.environ.get(LOCAL_USER_ENV, "").strip() or "dashboard"
    role = os.environ.get(LOCAL_ROLE_ENV, "").strip() or "app_admin"
    return user.upper(), role.upper()


def source_id() -> str:
    """Identifies where queries go, and for whom; part of every cache key so two warehouses, or two viewers, never
    share cached results (in Snowflake the cache lives in the viewer's own session state)."""
    url = local_url()
    if not url:
        return "snowflake"
    user, role = local_identity()
    return f"local:{url}:{user}:{role}"


def get_session() -> Any:
    """The Snowpark session for this run: Snowsight's, or a cached one to the local warehouse (WarehouseUnreachable
    at once when nothing answers there)."""
    url = local_url()
    if url is None:
        from snowflake.snowpark.context import get_active_session

        return get_active_session()
    check()
    key = source_id()
    with _lock:
        session = _local_sessions.get(key)
        if session is None:
            session = _local_sessions[key] = _open_local(url)
        return session


def check() -> None:
    """Locally, raise WarehouseUnreachable (dropping the cached session) when nothing answers at the warehouse's
    URL; a page calls it on every rerun, so results it remembers never hide an outage. In Snowflake: nothing."""
    url = local_url()
    if url is not None and _probe(url) == "down":
        forget_local_session(url)
        raise WarehouseUnreachable(url)


def call(run: Callable[[Any], T]) -> T:
    """`run(session)` on this run's session.

    Locally: an unreachable warehouse raises WarehouseUnreachable and drops the cached session (never a stale
    answer), and a session the warehouse no longer knows (it restarted) is replaced once and `run` retried."""
    url = local_url()
    if url is None:
        return run(get_session())
    replaced = False
    while True:
        try:
            return run(get_session())
        except Exception as exc:
            if isinstance(exc, WarehouseUnreachable) or _probe(url) == "down":
                forget_local_session(url)
                raise WarehouseUnreachable(url) from None
            if replaced or not _session_gone(exc):
                raise
            forget_local_session(url)
            replaced = True


def forget_local_session(url: str | None = None) -> None:
    """Drop the cached local sessions to the warehouse (not closed: it is gone or no longer knows them)."""
    url = url or local_url() or ""
    with _lock:
        for key in [k for k in _local_sessions if k == f"local:{url}" or k.startswith(f"local:{url}:")]:
            _local_sessions.pop(key, None)


def _session_gone(exc: BaseException) -> bool:
    seen: BaseException | None = exc
    while seen is not None:
        if getattr(seen, "errno", None) == SESSION_GONE_ERRNO:
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def _probe(url: str) -> str:
    """`up`, `busy` (took the connection, no answer in time: a long statement may hold it) or `down` (refused)."""
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # loopback: never through a proxy
    try:
        with opener.open(f"{url.rstrip('/')}{HEALTH_PATH}", timeout=PROBE_SECONDS):
            return "up"
    except urllib.error.HTTPError:
        return "up"  # something answered
    except urllib.error.URLError as exc:
        return "busy" if isinstance(exc.reason, TimeoutError) else "down"
    except TimeoutError:
        return "busy"
    except OSError:
        return "down"


def _backoff_policy(url: str) -> Callable[[], Iterator[int]]:
    """The connector's backoff_policy hook: sleeps between retries of a failed request, ended with
    WarehouseUnreachable once the warehouse refuses connections (a slow statement is still waited for)."""

    def policy() -> Iterator[int]:
        yield RETRY_SLEEP_SECONDS  # drawn when a request starts
        while True:
            if _probe(url) == "down":
                raise WarehouseUnreachable(url)
            yield RETRY_SLEEP_SECONDS

    return policy


def _open_local(url: str) -> Any:
    import atexit

    from snowflake.snowpark import Session

    host, port = url.split("://", 1)[1].rstrip("/").rsplit(":", 1)
    user, role = local_identity()
    session = Session.builder.configs(
        {
            "account": "local",
            "user": user,
            "role": role,
            "password": "local",
            "host": host,
            "port": int(port),
            "protocol": "http",
            "database": LOCAL_DATABASE,
            "schema": "PUBLIC",
            "login_timeout": 10,
            # a dead warehouse ends the connector's retries at once (see _backoff_policy); the options are
            # connect()'s, https://docs.snowflake.com/en/developer-guide/python-connector/python-connector-api
            "backoff_policy": _backoff_policy(url),
            "session_parameters": {"CLIENT_OUT_OF_BAND_TELEMETRY_ENABLED": False, "QUERY_TAG": "whoop-dashboard"},
        }
    ).create()
    # Snowpark closes its sessions at exit over HTTP; the local server may be gone by then (tests, Ctrl-C)
    atexit.unregister(session._close_at_exit)
    return session


READ_SESSION_GRANT = "GRANT READ SESSION ON ACCOUNT TO APPLICATION {app};"


@dataclass(frozen=True)
class AdminCheck:
    """Whether the viewer holds the app's admin role, or why that could not be told (`unknown` is then set)."""

    is_admin: bool
    unknown: str | None = None  # why the role could not be checked; the gate stays closed


def admin_check(session: Any) -> AdminCheck:
    """Whether the viewer holds the app's admin role (APP_ADMIN).

    In Snowflake: IS_APPLICATION_ROLE_IN_SESSION('APP_ADMIN'). Streamlit in a Native App runs with the app's
    (owner's) rights, and the viewer's session context is only readable once the consumer has granted the app
    READ SESSION (`GRANT READ SESSION ON ACCOUNT TO APPLICATION <app>`; the manifest requests it): until then the
    call fails or returns NULL. Either way the answer is "not known", not "no", so the page can say what to grant
    instead of locking everyone out without a word. Locally the warehouse enforces no roles, so
    `WHOOP_DASHBOARD_ROLE` (default app_admin) says which application role the local session stands for; set it
    to app_viewer to see the gate closed.
    """
    if local_url() is not None:
        return AdminCheck(os.environ.get(LOCAL_ROLE_ENV, "app_admin").strip().upper() == ADMIN_ROLE)
    try:
        rows = session.sql(f"SELECT IS_APPLICATION_ROLE_IN_SESSION('{ADMIN_ROLE}') AS IS_ADMIN").collect()
    except Exception as exc:  # most likely READ SESSION not granted yet (or not in a Native App)
        return AdminCheck(False, " ".join(str(exc).split())[:300] or type(exc).__name__)
    value = rows[0][0] if rows else None
    if value is None:
        return AdminCheck(False, f"IS_APPLICATION_ROLE_IN_SESSION('{ADMIN_ROLE}') returned NULL")
    return AdminCheck(bool(value))


@dataclass(frozen=True)
class ViewerCheck:
    """Whether the warehouse filters member data for the person viewing the page (`problem` says why not)."""

    user: str | None
    is_admin: bool
    problem: str | None = None


def expected_viewer() -> str | None:
    """Who is viewing, by the adapter: Snowsight's viewer (st.user.user_name, documented to name the viewer of an
    owner's-rights Streamlit: https://docs.snowflake.com/developer-guide/streamlit/app-development/personalization),
    or locally WHOOP_DASHBOARD_USER."""
    if local_url() is not None:
        return local_identity()[0]
    try:
        import streamlit as st

        name = getattr(st.user, "user_name", None)
    except Exception:
        name = None
    return str(name).upper() if name else None


def viewer_check(session: Any) -> ViewerCheck:
    """Whether the VIEWER views filter for this viewer: the warehouse's CURRENT_USER() (what they filter by) must be
    the viewer the adapter names, unless the session holds app_admin (every member anyway).

    Snowflake documents CURRENT_USER() in an owner's-rights Streamlit both as the viewer (with the consumer's READ
    SESSION grant, https://docs.snowflake.com/en/developer-guide/streamlit/features/row-access) and as the owner
    (personalization page above). When it is not the viewer, the views would filter for someone else: the pages then
    show no member data, only this check's problem. Either way nobody sees a member they are not mapped to."""
    try:
        rows = session.sql(_viewer_sql()).collect()
    except Exception as exc:  # most likely READ SESSION not granted yet
        return ViewerCheck(None, False, " ".join(str(exc).split())[:300] or type(exc).__name__)
    warehouse_user = str(rows[0][0]).upper() if rows and rows[0][0] is not None else None
    admin = bool(rows[0][1]) if rows else False
    if admin:
        return ViewerCheck(warehouse_user, True)
    viewer = expected_viewer()
    if viewer is None:
        return ViewerCheck(warehouse_user, False, "the dashboard cannot tell who is viewing it (st.user has no name)")
    if warehouse_user != viewer:
        return ViewerCheck(
            warehouse_user,
            False,
            f"the warehouse names this session's user {warehouse_user or 'nobody'}, not you ({viewer}); "
            "member data is shown only when they agree (the app reads your user once an account administrator runs "
            "GRANT READ SESSION ON ACCOUNT TO APPLICATION <app name>)",
        )
    return ViewerCheck(viewer, False)


def _viewer_sql() -> str:
    return (
        "SELECT CURRENT_USER() AS VIEWER_USER, COALESCE(IS_APPLICATION_ROLE_IN_SESSION('APP_ADMIN'), FALSE) AS IS_ADMIN"
    )


def is_admin(session: Any) -> bool:
    """True only when the viewer is known to hold APP_ADMIN (see admin_check)."""
    return admin_check(session).is_admin


def app_name(session: Any) -> str:
    """The installed application's name, for statements shown to the consumer; `<app name>` when unknown.

    Inside a Native App the app is the session's current database (locally: the WHOOP database)."""
    try:
        rows = session.sql("SELECT CURRENT_DATABASE()").collect()
        name = rows[0][0] if rows else None
    except Exception:
        name = None
    return str(name) if name else "<app name>"
