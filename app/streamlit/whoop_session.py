"""The dashboard's one session adapter: Snowsight's active session, or a Snowpark session to the local warehouse.

In Snowflake (Streamlit in Snowflake, inside the Native App) the session is the one Snowsight opened. Locally
(`make app`, the tests) `WHOOP_DASHBOARD_WAREHOUSE` names the local warehouse's URL (e.g. http://127.0.0.1:8765)
and a Snowpark session is opened to it over HTTP, as the local warehouse's procedure runner does. The choice is
explicit, never a fallback: a dashboard deployed to Snowflake never talks to a local URL, and a local run never
picks up some other active session.
"""

from __future__ import annotations

import os
import threading
from typing import Any

LOCAL_ENV = "WHOOP_DASHBOARD_WAREHOUSE"
LOCAL_ROLE_ENV = "WHOOP_DASHBOARD_ROLE"  # locally, the application role the session stands for (default app_admin)
LOCAL_DATABASE = "WHOOP"
ADMIN_ROLE = "APP_ADMIN"

_local_sessions: dict[str, Any] = {}
_lock = threading.Lock()


def local_url() -> str | None:
    """The local warehouse URL when running locally, else None (Snowflake)."""
    url = os.environ.get(LOCAL_ENV, "").strip()
    return url or None


def source_id() -> str:
    """Identifies where queries go; part of every cache key so two warehouses never share cached results."""
    url = local_url()
    return f"local:{url}" if url else "snowflake"


def get_session() -> Any:
    """The Snowpark session for this run: Snowsight's, or a cached one to the local warehouse."""
    url = local_url()
    if url is None:
        from snowflake.snowpark.context import get_active_session

        return get_active_session()
    with _lock:
        session = _local_sessions.get(url)
        if session is None:
            session = _local_sessions[url] = _open_local(url)
        return session


def _open_local(url: str) -> Any:
    import atexit

    from snowflake.snowpark import Session

    host, port = url.split("://", 1)[1].rstrip("/").rsplit(":", 1)
    session = Session.builder.configs(
        {
            "account": "local",
            "user": "dashboard",
            "password": "local",
            "host": host,
            "port": int(port),
            "protocol": "http",
            "database": LOCAL_DATABASE,
            "schema": "PUBLIC",
            "login_timeout": 10,
            "session_parameters": {"CLIENT_OUT_OF_BAND_TELEMETRY_ENABLED": False, "QUERY_TAG": "whoop-dashboard"},
        }
    ).create()
    # Snowpark closes its sessions at exit over HTTP; the local server may be gone by then (tests, Ctrl-C)
    atexit.unregister(session._close_at_exit)
    return session


def is_admin(session: Any) -> bool:
    """Whether the viewer holds the app's admin role.

    In Snowflake: IS_APPLICATION_ROLE_IN_SESSION('APP_ADMIN') (Streamlit in a Native App runs with the app's
    privileges, so the viewer's application roles are what gate admin actions); if that cannot be evaluated
    the answer is no. Locally the warehouse enforces no roles, so `WHOOP_DASHBOARD_ROLE` (default app_admin)
    says which application role the local session stands for; set it to app_viewer to see the gate closed.
    """
    if local_url() is not None:
        return os.environ.get(LOCAL_ROLE_ENV, "app_admin").strip().upper() == ADMIN_ROLE
    try:
        rows = session.sql(f"SELECT IS_APPLICATION_ROLE_IN_SESSION('{ADMIN_ROLE}') AS IS_ADMIN").collect()
    except Exception:  # not in a Native App, or the function is unavailable: closed, not open
        return False
    return bool(rows and rows[0][0])
