"""Dynamic tables: definitions kept, refreshed from the definition in dependency order."""

from __future__ import annotations

import pytest
import requests

from tests.warehouse.support import cursor_fixture, fails, rows

cur = cursor_fixture(
    "DT_DB.S",
    "DROP DYNAMIC TABLE IF EXISTS DT_TOTAL",
    "DROP DYNAMIC TABLE IF EXISTS DT_DAILY",
    "CREATE OR REPLACE TABLE EVENTS (DAY DATE, N INT)",
    "INSERT INTO EVENTS VALUES ('2026-01-01', 1), ('2026-01-01', 2), ('2026-01-02', 5)",
    "CREATE DYNAMIC TABLE DT_DAILY TARGET_LAG = DOWNSTREAM WAREHOUSE = WH REFRESH_MODE = INCREMENTAL "
    "AS SELECT DAY, SUM(N) AS TOTAL FROM EVENTS GROUP BY DAY",
    "CREATE DYNAMIC TABLE DT_TOTAL TARGET_LAG = '1 hour' WAREHOUSE = WH "
    "AS WITH d AS (SELECT TOTAL FROM DT_DAILY) SELECT SUM(TOTAL) AS GRAND FROM d",
)


def test_created_with_contents_and_not_a_static_copy(cur):
    assert rows(cur, "SELECT GRAND FROM DT_TOTAL") == [(8,)]
    cur.execute("INSERT INTO EVENTS VALUES ('2026-01-03', 10)")
    assert rows(cur, "SELECT GRAND FROM DT_TOTAL") == [(8,)]  # not refreshed yet
    cur.execute("ALTER DYNAMIC TABLE DT_TOTAL REFRESH")  # refreshes DT_DAILY first
    assert rows(cur, "SELECT GRAND FROM DT_TOTAL") == [(18,)]
    assert rows(cur, "SELECT COUNT(*) FROM DT_DAILY") == [(3,)]


def test_tick_refreshes_all_in_dependency_order(warehouse, cur):
    cur.execute("INSERT INTO EVENTS VALUES ('2026-01-04', 100)")
    resp = requests.post(f"http://127.0.0.1:{warehouse['port']}/_local/tick", timeout=30).json()
    assert resp["success"]
    order = resp["refreshed"]
    assert order.index("DT_DB.S.DT_DAILY") < order.index("DT_DB.S.DT_TOTAL")
    assert rows(cur, "SELECT GRAND FROM DT_TOTAL") == [(108,)]
    history = rows(
        cur,
        "SELECT REFRESH_ACTION, STATE FROM WHOOP_LOCAL.CATALOG.DYNAMIC_TABLE_REFRESH_HISTORY "
        "WHERE NAME = 'DT_DB.S.DT_TOTAL'",
    )
    assert ("FULL", "SUCCEEDED") in history


def test_suspended_dynamic_table_is_not_refreshed_by_tick(warehouse, cur):
    cur.execute("ALTER DYNAMIC TABLE DT_TOTAL SUSPEND")
    cur.execute("INSERT INTO EVENTS VALUES ('2026-01-05', 1000)")
    requests.post(f"http://127.0.0.1:{warehouse['port']}/_local/tick", timeout=30)
    assert rows(cur, "SELECT GRAND FROM DT_TOTAL") == [(8,)]
    shown = {r[1]: r for r in rows(cur, "SHOW DYNAMIC TABLES")}
    assert shown["DT_TOTAL"][9] == "SUSPENDED" and shown["DT_DAILY"][5] == "INCREMENTAL"
    cur.execute("ALTER DYNAMIC TABLE DT_TOTAL RESUME")


def test_catalog_keeps_definition_and_dependencies(cur):
    (deps,) = rows(cur, "SELECT DEPENDS_ON FROM WHOOP_LOCAL.CATALOG.DYNAMIC_TABLES WHERE NAME = 'DT_DB.S.DT_TOTAL'")[0]
    assert "DT_DB.S.DT_DAILY" in deps


def test_failed_refresh_is_reported_and_recorded(cur):
    cur.execute("CREATE OR REPLACE TABLE EVENTS (OTHER INT)")  # the definition no longer binds
    fails(cur, "ALTER DYNAMIC TABLE DT_DAILY REFRESH", "failed to refresh")
    assert rows(
        cur,
        "SELECT STATE FROM WHOOP_LOCAL.CATALOG.DYNAMIC_TABLE_REFRESH_HISTORY "
        "WHERE NAME = 'DT_DB.S.DT_DAILY' ORDER BY REFRESH_END_TIME DESC LIMIT 1",
    ) == [("FAILED",)]


def test_drop_and_errors(cur):
    cur.execute("DROP DYNAMIC TABLE DT_TOTAL")
    fails(cur, "SELECT * FROM DT_TOTAL")
    fails(cur, "ALTER DYNAMIC TABLE DT_TOTAL REFRESH", "does not exist")
    fails(cur, "CREATE DYNAMIC TABLE NO_LAG WAREHOUSE = WH AS SELECT 1 AS X", "TARGET_LAG")


def _actions(cur, name):
    return [
        r[0]
        for r in rows(
            cur,
            "SELECT REFRESH_ACTION FROM WHOOP_LOCAL.CATALOG.DYNAMIC_TABLE_REFRESH_HISTORY "
            f"WHERE NAME = 'DT_DB.S.{name}' ORDER BY REFRESH_START_TIME",
        )
    ]


def test_refresh_without_source_changes_is_no_data(cur):
    cur.execute("ALTER DYNAMIC TABLE DT_TOTAL REFRESH")
    before = len(_actions(cur, "DT_DAILY"))
    cur.execute("ALTER DYNAMIC TABLE DT_TOTAL REFRESH")  # nothing written since: both skip
    assert _actions(cur, "DT_DAILY")[before:] == ["NO_DATA"]
    assert _actions(cur, "DT_TOTAL")[-1] == "NO_DATA"
    cur.execute("UPDATE EVENTS SET N = N + 1 WHERE DAY = '2026-01-02'")
    cur.execute("ALTER DYNAMIC TABLE DT_TOTAL REFRESH")  # a write to the source: both recompute
    assert _actions(cur, "DT_DAILY")[-1] == "FULL" and _actions(cur, "DT_TOTAL")[-1] == "FULL"
    assert rows(cur, "SELECT GRAND FROM DT_TOTAL") == [(9,)]


@pytest.mark.parametrize(
    "write",
    [
        "DELETE FROM EVENTS WHERE N = 5",
        "MERGE INTO EVENTS t USING (SELECT '2026-01-02'::DATE AS DAY) s ON t.DAY = s.DAY WHEN MATCHED THEN DELETE",
        "TRUNCATE TABLE EVENTS",
        "CREATE OR REPLACE TABLE EVENTS (DAY DATE, N INT)",
    ],
)
def test_every_kind_of_write_makes_the_next_refresh_run(cur, write):
    cur.execute("ALTER DYNAMIC TABLE DT_TOTAL REFRESH")
    cur.execute(write)
    cur.execute("ALTER DYNAMIC TABLE DT_TOTAL REFRESH")
    assert _actions(cur, "DT_TOTAL")[-1] == "FULL"
    assert rows(cur, "SELECT GRAND FROM DT_TOTAL") == [(rows(cur, "SELECT SUM(N) FROM EVENTS")[0][0],)]


def test_a_redefined_dynamic_table_refreshes(cur):
    cur.execute("ALTER DYNAMIC TABLE DT_TOTAL REFRESH")
    cur.execute(
        "CREATE OR REPLACE DYNAMIC TABLE DT_DAILY TARGET_LAG = DOWNSTREAM WAREHOUSE = WH "
        "AS SELECT DAY, SUM(N) * 2 AS TOTAL FROM EVENTS GROUP BY DAY"
    )
    cur.execute("ALTER DYNAMIC TABLE DT_TOTAL REFRESH")
    assert rows(cur, "SELECT GRAND FROM DT_TOTAL") == [(16,)]
