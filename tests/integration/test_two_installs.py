"""Two installs of the app in one account (dev and prod, or the per-user suffix in snowflake.yml) do not share an
account-level object: the warehouse, the external access integration and the OAuth integration are named after each
app, and each app's Gold dynamic tables name its own warehouse (issue 12, item 10)."""

from __future__ import annotations

import pytest

from tests.integration.conftest import local_stack, query


@pytest.fixture(scope="module")
def two(tmp_path_factory):
    with local_stack(tmp_path_factory.mktemp("whoop_two"), ["ann"], days=20, seed=4, authorize=False) as settings:
        stage = settings.home / "app_stage"
        query(settings, f"CREATE APPLICATION WHOOP_DEV FROM APPLICATION PACKAGE WHOOP_PKG USING 'file://{stage}'")
        yield settings


def test_each_install_has_its_own_warehouse_and_integration(two):
    warehouses = {r[0] for r in query(two, "SHOW WAREHOUSES")}
    assert {"WHOOP_WH", "WHOOP_DEV_WH"} <= warehouses
    assert "WHOOP_PLATFORM_WH" not in warehouses
    integrations = {r[0] for r in query(two, "SHOW INTEGRATIONS")}
    assert {"WHOOP_WHOOP_EAI", "WHOOP_DEV_WHOOP_EAI"} <= integrations


def test_each_apps_dynamic_tables_name_its_own_warehouse(two):
    rows = query(two, "SHOW DYNAMIC TABLES")
    by_app = {}
    for r in rows:
        by_app.setdefault(r[2], set()).add(r[7])
    assert by_app["WHOOP"] == {"WHOOP_WH"}
    assert by_app["WHOOP_DEV"] == {"WHOOP_DEV_WH"}


def test_each_apps_procedures_use_its_own_integration(two):
    rows = query(
        two,
        "SELECT NAME, EXTERNAL_ACCESS_INTEGRATIONS FROM WHOOP_LOCAL.CATALOG.PROCEDURES "
        "WHERE NAME LIKE '%.OPS.INGEST_WHOOP'",
    )
    bound = {name.split(".")[0]: eai for name, eai in rows}
    assert "WHOOP_WHOOP_EAI" in bound["WHOOP"] and "WHOOP_DEV_WHOOP_EAI" in bound["WHOOP_DEV"]
