"""Each named fakesnow patch changes a result to Snowflake's (statement in, rows out, on fakesnow in process).

Each test fails without its patch (fakesnow 0.12.1): see PATCHES in infra/local/warehouse/fakesnow_fixes.py.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

import fakesnow.arrow as fs_arrow
import pyarrow as pa
import pytest
from fakesnow.instance import FakeSnow

from infra.local.warehouse import fakesnow_fixes


@pytest.fixture(scope="module", autouse=True)
def patched() -> None:
    fakesnow_fixes.apply()


@pytest.fixture(scope="module")
def cur() -> Iterator[object]:
    conn = FakeSnow().connect("FIXES", "S")
    try:
        yield conn.cursor()
    finally:
        conn.close()


def test_a_null_timestamp_reaches_clients_as_null_not_1970():
    encoded = fs_arrow.timestamp_to_sf_struct(pa.array([None, datetime(2026, 1, 2)], pa.timestamp("ns")))
    assert encoded.is_null().to_pylist() == [True, False]


def test_try_cast_and_try_to_timestamp_give_null_on_bad_text(cur):
    cur.execute("SELECT TRY_CAST('not a time' AS TIMESTAMP_NTZ) AS a, TRY_TO_TIMESTAMP_NTZ('not a time') AS b")
    assert cur.fetchall() == [(None, None)]


def test_count_if_over_no_rows_is_zero(cur):
    cur.execute("SELECT COUNT_IF(x > 0) FROM (SELECT 1 AS x) AS t WHERE FALSE")
    assert cur.fetchall() == [(0,)]


def test_a_table_comment_may_hold_a_quote(cur):
    cur.execute("CREATE TABLE quoted (a INT) COMMENT = 'a member''s table'")
    cur.execute("SELECT COMMENT FROM INFORMATION_SCHEMA.TABLES WHERE TABLE_NAME = 'QUOTED'")
    assert cur.fetchall() == [("a member's table",)]


def test_start_up_names_the_private_fakesnow_attributes_it_lacks(monkeypatch):
    monkeypatch.setattr(fakesnow_fixes, "PRIVATE", ((fs_arrow, ("no_such_name",)),))
    with pytest.raises(RuntimeError, match=r"fakesnow .* lacks fakesnow\.arrow\.no_such_name"):
        fakesnow_fixes.check_private()
