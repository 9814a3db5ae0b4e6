"""The Streamlit dashboard on a fresh install: the app deployed, no member, no run, no ML schema.

Every page must explain what is missing (and what to run) instead of raising. One stack for the module.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from infra.local.settings import Settings
from tests.integration.dashboard_support import MAIN, PAGE, app_test, charts, empty_stack, texts


@pytest.fixture(scope="module")
def empty(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Settings]:
    with empty_stack(tmp_path_factory.mktemp("dash_empty")) as settings:
        yield settings


def _ok(at) -> None:
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, texts(at.error)


def test_home_explains_there_is_no_data(empty, monkeypatch):
    at = app_test(MAIN, empty.warehouse_url, monkeypatch)
    _ok(at)
    assert "No Gold data yet" in texts(at.info)


@pytest.mark.parametrize(
    ("page", "says"),
    [
        ("Recovery_Overview", "No recovery yet"),
        ("Sleep_Analysis", "No sleep yet"),
        ("Strain_Performance", "No strain yet"),
        ("Predictive_Insights", "ML layer has not run yet"),
        ("Data_Quality", "No data to check yet"),
    ],
)
def test_data_pages_explain_what_is_missing(empty, monkeypatch, page, says):
    at = app_test(PAGE[page], empty.warehouse_url, monkeypatch)
    _ok(at)
    assert says in texts(at.info)
    assert "No members yet" in texts(at.sidebar.info)
    assert not charts(at) and not at.metric


def test_setup_shows_no_members_and_still_offers_connect(empty, monkeypatch):
    at = app_test(PAGE["Setup"], empty.warehouse_url, monkeypatch)
    _ok(at)
    info = texts(at.info)
    assert "No members yet" in info and "has not run yet" in info
    assert at.button(key="run_now") is not None
    assert len([t for t in at.text_input if t.form_id == "connect"]) == 2  # the connect form


def test_pages_explain_an_unreachable_warehouse(monkeypatch):
    """No warehouse at all (wrong port): the home page says so in the CLI's one line instead of a traceback
    (tests/integration/test_warehouse_down.py: every page, and a warehouse that dies and comes back)."""
    from infra.local.errors import UNREACHABLE
    from tests.conftest import free_port

    url = f"http://127.0.0.1:{free_port()}"
    at = app_test(MAIN, url, monkeypatch)
    assert not at.exception, [e.value for e in at.exception]
    assert texts(at.error) == UNREACHABLE.format(url=url)


def test_squad_page_explains_there_are_no_athletes(empty, monkeypatch):
    at = app_test(PAGE["Squad"], empty.warehouse_url, monkeypatch)
    _ok(at)
    assert "No athletes yet" in texts(at.info)
    assert not at.dataframe and not at.metric
