"""How clients tell a gone local warehouse from a slow one, and the one line they all print (issue 13 item 2)."""

from __future__ import annotations

import pytest
import requests
import snowflake.connector.errors

from infra.local import pipeline, reach
from infra.local.errors import UNREACHABLE, WarehouseUnreachable, warehouse_failure
from infra.local.settings import REPO_ROOT, Settings
from tests.conftest import free_port

APP_DIR = REPO_ROOT / "app" / "streamlit"


@pytest.fixture
def closed_url() -> str:
    return f"http://127.0.0.1:{free_port()}"  # nothing listens there


def test_the_dashboard_and_the_cli_say_the_same():
    from infra.local import dashboard_session

    url = "http://127.0.0.1:8765"
    assert str(dashboard_session.WarehouseUnreachable(url)) == str(WarehouseUnreachable(url))
    assert isinstance(dashboard_session.WarehouseUnreachable(url), ConnectionError)  # what the app shows
    assert (
        str(WarehouseUnreachable(url))
        == "cannot reach the local warehouse at http://127.0.0.1:8765 (run `whoop local up`)"
    )


def test_nothing_listening_is_down(closed_url):
    assert reach.probe(closed_url) == "down"
    with pytest.raises(WarehouseUnreachable):
        reach.check(closed_url)


def test_the_backoff_policy_ends_retries_once_the_warehouse_refuses(closed_url):
    retries = reach.backoff_policy(closed_url)()
    assert next(retries) == reach.RETRY_SLEEP_SECONDS  # drawn as a request starts: nothing probed yet
    with pytest.raises(WarehouseUnreachable, match="cannot reach the local warehouse"):
        next(retries)  # after a failed attempt: the probe finds nothing listening


def test_the_tick_maps_to_the_one_line(tmp_path, closed_url):
    port = int(closed_url.rsplit(":", 1)[1])
    settings = Settings(tmp_path, "127.0.0.1", port, free_port(), 7)
    with pytest.raises(requests.ConnectionError) as raised:
        pipeline._tick(settings)
    assert str(warehouse_failure(raised.value, closed_url)) == UNREACHABLE.format(url=closed_url)
    assert warehouse_failure(raised.value, "http://127.0.0.1:1") is None  # a call elsewhere is not the warehouse


def test_connector_network_errors_map_and_sql_errors_do_not():
    url = "http://127.0.0.1:8765"
    refused = snowflake.connector.errors.OperationalError(msg="Failed to execute request", errno=250003)
    assert isinstance(warehouse_failure(refused, url), WarehouseUnreachable)
    wrapped = RuntimeError("while running the task graph")
    wrapped.__cause__ = refused
    assert isinstance(warehouse_failure(wrapped, url), WarehouseUnreachable)
    sql = snowflake.connector.errors.ProgrammingError(msg="Table 'X' does not exist", errno=2003)
    assert warehouse_failure(sql, url) is None
    assert warehouse_failure(ValueError("no"), url) is None
