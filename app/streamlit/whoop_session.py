"""The dashboard's one session adapter: the session Snowsight opened, and who is viewing.

In Snowflake (Streamlit in Snowflake, inside the Native App) the session is `get_active_session()`
(https://docs.snowflake.com/en/developer-guide/snowpark/reference/python/api/snowflake.snowpark.context.get_active_session)
and the viewer `st.user.user_name`. Locally (`make app`, the tests) infra/local/dashboard_session.py puts a session
to the local warehouse and a viewer behind those same names before the app runs, as the local warehouse puts
`_snowflake` in place for handlers; nothing here knows which it got.

A session that cannot be had raises a ConnectionError (locally: the warehouse is not answering); pages show its one
line instead of their content, and the next rerun asks again.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    from snowflake.snowpark import Session

ADMIN_ROLE = "APP_ADMIN"
T = TypeVar("T")
WarehouseUnreachable = ConnectionError  # what getting a session raises when the warehouse does not answer


def get_session() -> Session:
    """This run's Snowpark session (looked up on each call: the runtime's, replaced if it reconnected)."""
    from snowflake.snowpark.context import get_active_session

    return get_active_session()


def check() -> None:
    """Raise WarehouseUnreachable when no session can be had now; a page calls it on every rerun, so results it
    remembers never hide an outage."""
    get_session()


def source_id() -> str:
    """Identifies the session queries go to; part of every cache key, so results are never shared across sessions
    (another viewer, or a session replaced after the warehouse came back)."""
    return str(get_session().session_id)


def call(run: Callable[[Session], T]) -> T:
    """`run(session)` on this run's session."""
    return run(get_session())


READ_SESSION_GRANT = "GRANT READ SESSION ON ACCOUNT TO APPLICATION {app};"


@dataclass(frozen=True)
class AdminCheck:
    """Whether the viewer holds the app's admin role, or why that could not be told (`unknown` is then set)."""

    is_admin: bool
    unknown: str | None = None  # why the role could not be checked; the gate stays closed


def admin_check(session: Session) -> AdminCheck:
    """Whether the viewer holds the app's admin role (APP_ADMIN).

    In Snowflake: IS_APPLICATION_ROLE_IN_SESSION('APP_ADMIN'). Streamlit in a Native App runs with the app's
    (owner's) rights, and the viewer's session context is only readable once the consumer has granted the app
    READ SESSION (`GRANT READ SESSION ON ACCOUNT TO APPLICATION <app>`; the manifest requests it): until then the
    call fails or returns NULL. Either way the answer is "not known", not "no", so the page can say what to grant
    instead of locking everyone out without a word.
    """
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
    """Who is viewing: Snowsight's viewer (st.user.user_name, documented to name the viewer of an owner's-rights
    Streamlit: https://docs.snowflake.com/developer-guide/streamlit/app-development/personalization)."""
    try:
        import streamlit as st

        name = getattr(st.user, "user_name", None)
    except Exception:
        name = None
    return str(name).upper() if name else None


def viewer_check(session: Session) -> ViewerCheck:
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


def is_admin(session: Session) -> bool:
    """True only when the viewer is known to hold APP_ADMIN (see admin_check)."""
    return admin_check(session).is_admin


def app_name(session: Session) -> str:
    """The installed application's name, for statements shown to the consumer; `<app name>` when unknown.

    Inside a Native App the app is the session's current database (locally: the WHOOP database)."""
    try:
        rows = session.sql("SELECT CURRENT_DATABASE()").collect()
        name = rows[0][0] if rows else None
    except Exception:
        name = None
    return str(name) if name else "<app name>"
