"""The dashboard's viewer check as it runs in Snowflake (issue 16 item 1), in AppTest with a stand-in Snowsight session.

The VIEWER views filter member data by CURRENT_USER(). Snowflake documents that function in an owner's-rights
Streamlit both as the viewer and as the app's owner, and names st.user as the viewer. The page must show member data
only when the warehouse's user is the viewer st.user names (or the viewer holds app_admin), and otherwise say why and
send no member query at all. The session is a stub answering by statement text, reached through
get_active_session() exactly as in Snowsight (as tests/unit/test_dashboard_admin_gate.py does).
"""

from __future__ import annotations

import sys
from types import SimpleNamespace

import pytest

from infra.local.settings import REPO_ROOT

APP_DIR = REPO_ROOT / "app" / "streamlit"
PAGE = APP_DIR / "pages" / "1_Recovery_Overview.py"

if str(APP_DIR) not in sys.path:
    sys.path.insert(0, str(APP_DIR))


class Snowsight:
    """Answers the statements the page sends before its charts; records them."""

    session_id = 1  # a Snowpark session's id (the dashboard keys what it remembers by it)

    def __init__(self, current_user, admin=False):
        self.current_user, self.admin = current_user, admin  # current_user may be an exception to raise
        self.sent: list[str] = []

    def sql(self, text: str, params=None):
        self.sent.append(text)
        # an empty result's columns come from its schema (ui._frame)
        schema = SimpleNamespace(
            fields=[SimpleNamespace(name=n) for n in ("MEMBER_KEY", "MEMBER_NAME", "MEMBER_STATUS")]
        )
        return SimpleNamespace(collect=lambda: self._answer(text), schema=schema)

    def _answer(self, text: str):
        if "INFORMATION_SCHEMA.TABLES" in text:
            return [("GOLD", t) for t in ("DIM_MEMBER", "FACT_DAILY_RECOVERY", "DIM_DATE")]
        if "CURRENT_USER()" in text:
            if isinstance(self.current_user, Exception):
                raise self.current_user
            return [(self.current_user, self.admin)]
        return []  # VIEWER.DIM_MEMBER: nobody shared (enough to see that the member query was sent)


def run(monkeypatch, session: Snowsight, viewer: str | None):
    import streamlit
    from streamlit.testing.v1 import AppTest

    monkeypatch.delenv("WHOOP_DASHBOARD_WAREHOUSE", raising=False)  # Snowflake mode
    monkeypatch.setattr("snowflake.snowpark.context.get_active_session", lambda: session)
    monkeypatch.setattr(streamlit, "user", SimpleNamespace(user_name=viewer, email=None))
    at = AppTest.from_file(str(PAGE), default_timeout=60).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def member_queries(session: Snowsight) -> list[str]:
    return [s for s in session.sent if "VIEWER." in s]


@pytest.mark.parametrize(
    ("current_user", "viewer", "why"),
    [
        ("WHOOP_APP_OWNER", "coach_a", "names this session's user WHOOP_APP_OWNER, not you (COACH_A)"),
        (Exception("Insufficient privileges to operate on session context"), "coach_a", "Insufficient privileges"),
        ("COACH_A", None, "cannot tell who is viewing"),
    ],
    ids=["owner-not-viewer", "no-read-session", "no-st-user"],
)
def test_member_data_is_hidden_when_the_warehouse_does_not_name_the_viewer(monkeypatch, current_user, viewer, why):
    session = Snowsight(current_user)
    at = run(monkeypatch, session, viewer)
    warning = " | ".join(str(w.value) for w in at.warning)
    assert "Member data is hidden" in warning and why in warning
    assert member_queries(session) == []  # not one member query left the page
    assert not at.sidebar.selectbox


def test_member_data_is_read_when_the_warehouse_names_the_viewer(monkeypatch):
    session = Snowsight("COACH_A")
    at = run(monkeypatch, session, "coach_a")
    assert not at.warning
    assert any("FROM VIEWER.DIM_MEMBER" in s for s in member_queries(session))
    assert "No member's data is shared with you (COACH_A)" in " ".join(str(i.value) for i in at.info)


def test_an_app_admin_reads_every_member_whoever_current_user_names(monkeypatch):
    session = Snowsight("WHOOP_APP_OWNER", admin=True)
    at = run(monkeypatch, session, "head")
    assert not at.warning
    assert any("FROM VIEWER.DIM_MEMBER" in s for s in member_queries(session))
