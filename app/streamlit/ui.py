"""What every page shares: the memoized query runner, the sidebar (member and date range) and empty states."""

from __future__ import annotations

import time
from collections.abc import Callable, Hashable
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar

import altair as alt
import pandas as pd
import queries
import streamlit as st
import whoop_session
from queries import Filters

if TYPE_CHECKING:
    from snowflake.snowpark import Session

TTL_SECONDS = 600
DEFAULT_DAYS = 90
RUN_HINT = "run the pipeline (`whoop run` locally, or `EXECUTE TASK OPS.WHOOP_PIPELINE_ROOT` in Snowflake)"

T = TypeVar("T")
_MEMO = "_whoop_memo"  # st.session_state key of the query memo

# WHOOP's recovery zones
GREEN, YELLOW, RED = "#16EC06", "#FFDE00", "#FF0026"


def recovery_zone(score: float) -> tuple[str, str]:
    """WHOOP's zone for a recovery score: green ≥ 67, yellow 34–66, red ≤ 33."""
    if score >= 67:
        return "green", GREEN
    if score >= 34:
        return "yellow", YELLOW
    return "red", RED


class QueryError(Exception):
    """A query the warehouse refused; the page shows the message instead of a traceback."""


def memo(key: Hashable, ttl: float, compute: Callable[[], T]) -> T:
    """`compute()`, remembered in this viewer's session state for `ttl` seconds (failures are not remembered).

    Stands in for st.cache_data, which Streamlit in a Native App does not support (warehouse runtime; see
    infra/preflight/streamlit_versions.py). A warehouse runtime gives every viewer a personal instance, so a
    per-session memo is what a shared cache would have been there; it spares reruns (every widget change) the
    same statements."""
    store: dict = st.session_state.setdefault(_MEMO, {})
    now = time.monotonic()
    hit = store.get(key)
    if hit is not None and now - hit[0] < ttl:
        return hit[1]
    value = compute()
    for stale in [k for k, (at, _) in store.items() if now - at >= ttl]:
        del store[stale]
    store[key] = (now, value)
    return value


def clear_memo() -> None:
    """Forget every remembered result (after an action that changes the data, e.g. a pipeline run)."""
    st.session_state.pop(_MEMO, None)


def unreachable(exc: whoop_session.WarehouseUnreachable) -> NoReturn:
    """Stop the page with the one line that says the (local) warehouse is not answering."""
    st.error(str(exc))
    st.stop()


def session() -> Any:
    """The session for this run; a page whose warehouse is not answering stops with `unreachable`."""
    try:
        return whoop_session.get_session()
    except whoop_session.WarehouseUnreachable as exc:
        unreachable(exc)


def _frame(session: Session, sql: str) -> pd.DataFrame:
    rows = session.sql(sql).collect()
    if not rows:
        # column names still matter to the caller; an empty frame of the statement's columns
        return pd.DataFrame(columns=[f.name for f in session.sql(sql).schema.fields])
    return pd.DataFrame([r.as_dict() for r in rows])


def _run(sql: str) -> pd.DataFrame:
    return whoop_session.call(lambda session: _frame(session, sql))


def query(sql: str) -> pd.DataFrame:
    """Run a statement (remembered per warehouse and statement for TTL_SECONDS); columns are upper case."""
    try:
        frame = memo(("query", whoop_session.source_id(), sql), TTL_SECONDS, lambda: _run(sql)).copy()
    except whoop_session.WarehouseUnreachable as exc:
        unreachable(exc)
    except Exception as exc:
        raise QueryError(" ".join(str(exc).split())[:400]) from None
    frame.columns = [str(c).strip('"').upper() for c in frame.columns]
    return frame


def run_all(named: dict[str, str]) -> dict[str, pd.DataFrame]:
    return {name: query(sql) for name, sql in named.items()}


def load(named: dict[str, str]) -> dict[str, pd.DataFrame]:
    """`run_all`; a query the warehouse refuses stops the page with its message (show_error)."""
    try:
        return run_all(named)
    except QueryError as exc:
        show_error(exc)
        st.stop()


def stop_if_empty(frame: pd.DataFrame, message: str) -> None:
    """Stop the page with `message` when the frame it is built on has no rows."""
    if frame.empty:
        st.info(message)
        st.stop()


def section(title: str, frame: pd.DataFrame, when_empty: str, note: Callable[[str], Any] = st.info) -> bool:
    """A subheader, then `when_empty` (shown with `note`) when `frame` has no rows; True when there is data to draw."""
    st.subheader(title)
    if frame.empty:
        note(when_empty)
        return False
    return True


def _tables() -> frozenset[str]:
    rows = whoop_session.call(lambda session: session.sql(queries.tables_sql()).collect())
    return frozenset(f"{r[0]}.{r[1]}".upper() for r in rows)


def existing_tables() -> frozenset[str]:
    """The app's tables (remembered a minute). An unreachable warehouse stops the page with that error rather
    than passing for an app that is not set up; every page asks on each rerun, so this is also where a page
    whose remembered results would hide an outage learns of it."""
    try:
        whoop_session.check()
        return memo(("tables", whoop_session.source_id()), 60, _tables)
    except whoop_session.WarehouseUnreachable as exc:
        unreachable(exc)
    except Exception:
        return frozenset()


def viewer() -> whoop_session.ViewerCheck:
    """Whether the warehouse filters member data for this viewer (remembered a minute; whoop_session.viewer_check)."""
    try:
        return memo(("viewer", whoop_session.source_id()), 60, lambda: whoop_session.call(whoop_session.viewer_check))
    except whoop_session.WarehouseUnreachable as exc:
        unreachable(exc)


def require(*tables: str, what: str = "this page", hint: str = RUN_HINT) -> None:
    """Stop the page with an explanation when a table it reads does not exist."""
    missing = [t for t in tables if t.upper() not in existing_tables()]
    if missing:
        st.info(f"{what.capitalize()} needs {', '.join(missing)}, which does not exist yet: {hint}.")
        st.stop()


def ranked_bars(frame: pd.DataFrame, x: alt.X, label: str, label_title: str | None = None, **encode: Any) -> None:
    """Draw horizontal bars, one per `label` value, the longest on top, as wide as the column."""
    chart = alt.Chart(frame).mark_bar().encode(x=x, y=alt.Y(f"{label}:N", sort="-x", title=label_title), **encode)
    st.altair_chart(chart, width="stretch")


def _key_to_date(key: int) -> date:
    k = int(key)
    return date(k // 10000, k // 100 % 100, k % 100)


def sidebar(title: str) -> Filters | None:
    """The shared sidebar: member selector and date range. None (with an explanation) when there are no members."""
    # page_title and page_icon are unsupported in a Native App (adding-streamlit); the title is the page's heading
    st.set_page_config(layout="wide")
    st.title(title)
    with st.sidebar:
        st.header("WHOOP Platform")
        if "GOLD.DIM_MEMBER" not in existing_tables():
            st.info("The app is not set up yet: GOLD.DIM_MEMBER does not exist.")
            return None
        check = viewer()
        if check.problem:
            st.warning(f"Member data is hidden: {check.problem}.")
            return None
        try:
            members = query(queries.members_sql())
        except QueryError as exc:
            st.warning(f"Members could not be read: {exc}")
            return None
        if members.empty:
            if not check.is_admin:
                st.info(
                    f"No member's data is shared with you ({check.user}) yet: an app admin grants it with "
                    "`CALL OPS.GRANT_MEMBER_ACCESS('<member>', '<your user>', 'self' | 'coach')`."
                )
                return None
            st.info(f"No members yet. Connect one (Setup page, or `whoop auth` locally), then {RUN_HINT}.")
            return None
        names = list(members["MEMBER_NAME"])
        # widget state is dropped when a page without the widget runs; keep the choice in a plain key
        chosen = st.session_state.get("_member")
        index = names.index(chosen) if chosen in names else 0
        name = st.selectbox("Member", names, index=index, key="member")
        st.session_state["_member"] = name
        member_key = str(members.loc[members["MEMBER_NAME"] == name, "MEMBER_KEY"].iloc[0])
        status = str(members.loc[members["MEMBER_NAME"] == name, "MEMBER_STATUS"].iloc[0])
        if status == "NEEDS_REAUTHORIZATION":
            st.warning(f"{name} needs to re-authorize WHOOP; data stops at the last successful ingest.")
        span = query(queries.member_span_sql(member_key))
        last = span["LAST_KEY"].iloc[0] if not span.empty else None
        end = _key_to_date(last) if last is not None and not pd.isna(last) else date.today()
        first = span["FIRST_KEY"].iloc[0] if not span.empty else None
        first_day = _key_to_date(first) if first is not None and not pd.isna(first) else end - timedelta(days=365)
        default = (max(first_day, end - timedelta(days=DEFAULT_DAYS - 1)), end)
        saved = st.session_state.get("_range")
        if not (isinstance(saved, tuple) and len(saved) == 2 and saved[0] >= first_day - timedelta(days=3650)):
            saved = default
        picked = st.date_input("Date range", value=saved, key="date_range")
        if not (isinstance(picked, tuple | list) and len(picked) == 2):
            st.caption("Pick an end date too.")
            picked = saved
        start, stop = picked[0], picked[1]
        st.session_state["_range"] = (start, stop)
        st.caption(f"Data for {name}: {first_day:%Y-%m-%d} to {end:%Y-%m-%d}")
    return Filters(member_key=member_key, start=start, end=stop)


def show_error(exc: Exception) -> None:
    st.warning(f"The warehouse refused a query for this page: {exc}")
