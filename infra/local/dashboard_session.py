"""The dashboard's session locally: what Snowsight hands Streamlit in Snowflake, put in place for the local warehouse.

In Streamlit in Snowflake the app asks `snowflake.snowpark.context.get_active_session()` for its session and
`st.user.user_name` for who is viewing (app/streamlit/whoop_session.py does only that). `install()` puts local
answers behind those two names in this process, the way the local warehouse puts `_snowflake` in place for
handlers (infra/local/warehouse/procedures.py): `make app` (infra/local/dashboard.py) and the tests call it before
the app runs. The app holds no local branch.

`WHOOP_DASHBOARD_WAREHOUSE` names the local warehouse's URL (e.g. http://127.0.0.1:8765); unset, the original
`get_active_session` answers (nothing local happens). `WHOOP_DASHBOARD_USER` (default DASHBOARD) is the viewer and
`WHOOP_DASHBOARD_ROLE` (default app_admin) the application role the session stands for; the local warehouse answers
CURRENT_USER() and IS_APPLICATION_ROLE_IN_SESSION from them (infra/local/warehouse/session_context.py).

The local warehouse can go away (stopped, killed) and come back while the dashboard runs. Each call probes its
health route first and raises `WarehouseUnreachable` (a ConnectionError: the app shows its one line) within seconds
when nothing answers, dropping the cached session; a warehouse that restarted (a new instance on the health route)
gets a new session, so the next rerun recovers by itself.
"""

from __future__ import annotations

import atexit
import json
import os
import sys
import threading
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from infra.local.errors import UNREACHABLE
from infra.local.reach import HEALTH_PATH, LOGIN_SECONDS, PROBE_SECONDS, RETRY_SLEEP_SECONDS

if TYPE_CHECKING:
    from snowflake.snowpark import Session

LOCAL_ENV = "WHOOP_DASHBOARD_WAREHOUSE"
LOCAL_ROLE_ENV = "WHOOP_DASHBOARD_ROLE"
LOCAL_USER_ENV = "WHOOP_DASHBOARD_USER"
LOCAL_DATABASE = "WHOOP"

_sessions: dict[str, tuple[Any, str | None]] = {}  # source -> (session, warehouse instance it was opened on)
_lock = threading.Lock()
_snowsight: dict[str, Any] = {}  # the names install() replaced, as they were


class WarehouseUnreachable(ConnectionError):
    """The local warehouse is not answering; pages show this message instead of their content."""

    def __init__(self, url: str) -> None:
        super().__init__(UNREACHABLE.format(url=url))
        self.url = url


class LocalViewer:
    """`st.user` locally: the viewer Snowsight would name (WHOOP_DASHBOARD_USER), read when asked."""

    @property
    def user_name(self) -> str:
        return identity()[0]

    email = None
    is_logged_in = True

    def __getattr__(self, name: str) -> Any:  # what st.user offers beyond the name, as it is when nobody signed in
        return getattr(_snowsight["user"], name)


def local_url() -> str | None:
    url = os.environ.get(LOCAL_ENV, "").strip()
    return url or None


def identity() -> tuple[str, str]:
    """(user, application role) the local session logs in as."""
    user = os.environ.get(LOCAL_USER_ENV, "").strip() or "dashboard"
    role = os.environ.get(LOCAL_ROLE_ENV, "").strip() or "app_admin"
    return user.upper(), role.upper()


def active_session() -> Session:
    """`get_active_session()` locally: a cached session to the warehouse for this viewer and role, replaced when the
    warehouse restarted; WarehouseUnreachable at once when nothing answers there."""
    url = local_url()
    if url is None:
        return _snowsight["get_active_session"]()
    state, instance = _health(url)
    if state == "down":
        forget(url)
        raise WarehouseUnreachable(url)
    user, role = identity()
    key = f"{url}:{user}:{role}"
    with _lock:
        cached = _sessions.get(key)
        if cached is not None and instance is not None and cached[1] not in (None, instance):
            cached = None  # a restarted warehouse no longer knows the session
        if cached is None:
            cached = _sessions[key] = (_open(url, user, role), instance)
        return cached[0]


def forget(url: str | None = None) -> None:
    """Drop the cached sessions to the warehouse (not closed: it is gone or no longer knows them)."""
    url = url or local_url() or ""
    with _lock:
        for key in [k for k in _sessions if k.startswith(f"{url}:")]:
            _sessions.pop(key, None)


def install() -> None:
    """Put the local session and viewer behind `get_active_session` and `st.user` in this process (idempotent)."""
    import streamlit
    from snowflake.snowpark import context

    if context.get_active_session is not active_session:
        _snowsight["get_active_session"] = context.get_active_session
        context.get_active_session = active_session
    if not isinstance(streamlit.user, LocalViewer):
        _snowsight["user"] = streamlit.user
        streamlit.user = LocalViewer()  # type: ignore[assignment]


def _health(url: str) -> tuple[str, str | None]:
    """(`up`, `busy` (took the connection, no answer in time: a long statement may hold it) or `down` (refused),
    the warehouse instance its health route names)."""
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # loopback: never through a proxy
    try:
        with opener.open(f"{url.rstrip('/')}{HEALTH_PATH}", timeout=PROBE_SECONDS) as response:
            try:
                return "up", json.loads(response.read() or b"{}").get("instance")
            except ValueError:
                return "up", None
    except urllib.error.HTTPError:
        return "up", None  # something answered
    except urllib.error.URLError as exc:
        return ("busy" if isinstance(exc.reason, TimeoutError) else "down"), None
    except TimeoutError:
        return "busy", None
    except OSError:
        return "down", None


def _backoff_policy(url: str) -> Callable[[], Iterator[int]]:
    """The connector's backoff_policy hook: sleeps between retries of a failed request, ended with
    WarehouseUnreachable once the warehouse refuses connections (a slow statement is still waited for)."""

    def policy() -> Iterator[int]:
        yield RETRY_SLEEP_SECONDS  # drawn when a request starts
        while True:
            if _health(url)[0] == "down":
                raise WarehouseUnreachable(url)
            yield RETRY_SLEEP_SECONDS

    return policy


def _open(url: str, user: str, role: str) -> Session:
    from snowflake.snowpark import Session

    host, port = url.split("://", 1)[1].rstrip("/").rsplit(":", 1)
    options: dict[str, Any] = {
        "account": "local",
        "user": user,
        "role": role,
        "password": "local",
        "host": host,
        "port": int(port),
        "protocol": "http",
        "database": LOCAL_DATABASE,
        "schema": "PUBLIC",
        "login_timeout": LOGIN_SECONDS,
        # a dead warehouse ends the connector's retries at once (see _backoff_policy); the options are
        # connect()'s, https://docs.snowflake.com/en/developer-guide/python-connector/python-connector-api
        "backoff_policy": _backoff_policy(url),
        "session_parameters": {"CLIENT_OUT_OF_BAND_TELEMETRY_ENABLED": False, "QUERY_TAG": "whoop-dashboard"},
    }
    session = Session.builder.configs(options).create()
    # Snowpark closes its sessions at exit over HTTP; the local server may be gone by then (tests, Ctrl-C)
    atexit.unregister(session._close_at_exit)
    return session


def main(argv: list[str] | None = None) -> int:
    """`python -m infra.local.dashboard_session run APP [streamlit options]`: Streamlit's own CLI, in this process
    after install(), so the app's get_active_session() and st.user answer locally."""
    install()
    from streamlit.web import cli

    sys.argv = ["streamlit", *(sys.argv[1:] if argv is None else argv)]
    return int(cli.main(prog_name="streamlit") or 0)


if __name__ == "__main__":
    raise SystemExit(main())
