"""The Setup page's admin gate as it runs in Snowflake (issue item 8), in AppTest with a stand-in Snowsight session.

In a Native App the page asks IS_APPLICATION_ROLE_IN_SESSION('APP_ADMIN'), which needs the READ SESSION privilege
(owner's-rights Streamlit). Until the consumer grants it the call fails or returns NULL: the page must then say
which GRANT is missing instead of treating everyone as a non-admin. No local warehouse: the session is a stub that
answers by statement text (the pattern of Snowflake's own Native App examples), reached through
get_active_session() exactly as in Snowsight.
"""

from __future__ import annotations

import sys

import pytest

from infra.local.settings import REPO_ROOT

APP_DIR = REPO_ROOT / "app" / "streamlit"
SETUP = APP_DIR / "pages" / "6_Setup.py"
APP = "WHOOP_PLATFORM_ANN"
GRANT = f"GRANT READ SESSION ON ACCOUNT TO APPLICATION {APP};"

if str(APP_DIR) not in sys.path:  # `streamlit run` (and Snowflake) put the main file's folder on sys.path
    sys.path.insert(0, str(APP_DIR))


class InsufficientPrivileges(Exception):
    pass


class SnowsightSession:
    """Answers the statements the Setup page sends before its admin content; records what it was sent."""

    session_id = 1  # a Snowpark session's id (the dashboard keys what it remembers by it)

    def __init__(self, admin):
        self.admin = admin  # True / False / None (NULL) / an exception to raise
        self.sent: list[str] = []

    def sql(self, text: str, params=None):
        self.sent.append(text)
        return _Result(self, text)


class _Result:
    def __init__(self, session: SnowsightSession, text: str):
        self.session, self.text = session, text

    def collect(self):
        if "IS_APPLICATION_ROLE_IN_SESSION" in self.text:
            if isinstance(self.session.admin, Exception):
                raise self.session.admin
            return [(self.session.admin,)]
        if "CURRENT_DATABASE()" in self.text:
            return [(APP,)]
        return []  # INFORMATION_SCHEMA.TABLES: nothing set up yet


def run_setup(monkeypatch, admin):
    from streamlit.testing.v1 import AppTest

    session = SnowsightSession(admin)
    monkeypatch.delenv("WHOOP_DASHBOARD_WAREHOUSE", raising=False)  # Snowflake mode: Snowsight's active session
    monkeypatch.setattr("snowflake.snowpark.context.get_active_session", lambda: session)
    at = AppTest.from_file(str(SETUP), default_timeout=60).run()
    assert not at.exception, [e.value for e in at.exception]
    return at, session


def _texts(elements) -> str:
    return " | ".join(str(e.value) for e in elements)


@pytest.mark.parametrize(
    "admin",
    [
        # stand-in wording: the docs say the call needs READ SESSION, not what the refusal says
        InsufficientPrivileges("SQL compilation error: Insufficient privileges to operate on session context"),
        None,  # the function answered NULL: the session context is not readable either
    ],
    ids=["call-fails", "returns-null"],
)
def test_setup_names_the_missing_read_session_grant(monkeypatch, admin):
    at, session = run_setup(monkeypatch, admin)
    warning = _texts(at.warning)
    assert "READ SESSION" in warning and "IS_APPLICATION_ROLE_IN_SESSION" in warning
    assert [c.value for c in at.code] == [GRANT]
    if isinstance(admin, Exception):
        assert "Insufficient privileges" in _texts(at.caption)
    else:
        assert "returned NULL" in _texts(at.caption)
    assert "Setup is for administrators" not in warning  # not reported as "you are not an admin"
    assert not at.button and not at.text_input  # still closed: nothing an admin alone may do
    assert not any("CONFIG.MEMBERS" in s or "EXECUTE TASK" in s for s in session.sent)


def test_setup_without_the_admin_role_says_so(monkeypatch):
    at, _ = run_setup(monkeypatch, False)
    warning = _texts(at.warning)
    assert "Setup is for administrators" in warning and "READ SESSION" not in warning
    assert not at.code and not at.button


def test_setup_with_the_admin_role_passes_the_gate(monkeypatch):
    at, session = run_setup(monkeypatch, True)
    assert not at.warning
    assert "APP_ADMIN" in _texts(at.caption)
    # past the gate: the page goes on to its tables (none exist in this stub, so it explains that)
    assert "setup script has not run" in _texts(at.info)
    assert any("IS_APPLICATION_ROLE_IN_SESSION('APP_ADMIN')" in s for s in session.sent)
