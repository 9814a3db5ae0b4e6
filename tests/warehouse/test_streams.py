"""Append-only streams: rows appended after the offset, consumed only by a committed DML."""

from __future__ import annotations

from tests.conftest import connect
from tests.warehouse.support import cursor_fixture, fails, rows

cur = cursor_fixture(
    "STREAMS_DB.S",
    "CREATE OR REPLACE TABLE SRC (ID INT, PAYLOAD VARIANT)",
    "CREATE OR REPLACE TABLE DST (ID INT)",
    "INSERT INTO SRC SELECT 1, PARSE_JSON('{\"a\": 1}')",
    "CREATE OR REPLACE STREAM SRC_STREAM ON TABLE SRC APPEND_ONLY = TRUE",
)


def test_stream_shows_only_rows_appended_after_creation(cur):
    assert rows(cur, "SELECT COUNT(*) FROM SRC_STREAM") == [(0,)]
    cur.execute("INSERT INTO SRC SELECT 2, PARSE_JSON('{\"a\": 2}')")
    assert rows(cur, "SELECT ID, METADATA$ACTION, METADATA$ISUPDATE, PAYLOAD:a::INT FROM SRC_STREAM") == [
        (2, "INSERT", False, 2)
    ]
    assert rows(cur, "SELECT SYSTEM$STREAM_HAS_DATA('SRC_STREAM')") == [(True,)]


def test_select_does_not_consume_but_dml_does(cur):
    cur.execute("INSERT INTO SRC SELECT 2, NULL")
    rows(cur, "SELECT * FROM SRC_STREAM")
    assert rows(cur, "SELECT COUNT(*) FROM SRC_STREAM") == [(1,)]
    cur.execute("INSERT INTO DST SELECT ID FROM SRC_STREAM")
    assert rows(cur, "SELECT COUNT(*) FROM SRC_STREAM") == [(0,)]
    assert rows(cur, "SELECT SYSTEM$STREAM_HAS_DATA('STREAMS_DB.S.SRC_STREAM')") == [(False,)]
    assert rows(cur, "SELECT ID FROM DST") == [(2,)]


def test_failed_dml_leaves_offset(cur):
    cur.execute("INSERT INTO SRC SELECT 3, NULL")
    fails(cur, "INSERT INTO DST SELECT ID, ID FROM SRC_STREAM")  # wrong column count
    assert rows(cur, "SELECT ID FROM SRC_STREAM") == [(3,)]


def test_rolled_back_transaction_leaves_offset_and_commit_advances(cur):
    cur.execute("INSERT INTO SRC SELECT 4, NULL")
    cur.execute("BEGIN")
    cur.execute("INSERT INTO DST SELECT ID FROM SRC_STREAM")
    cur.execute("ROLLBACK")
    assert rows(cur, "SELECT ID FROM SRC_STREAM") == [(4,)]
    assert rows(cur, "SELECT COUNT(*) FROM DST") == [(0,)]
    cur.execute("BEGIN")
    cur.execute("INSERT INTO DST SELECT ID FROM SRC_STREAM")
    cur.execute("COMMIT")
    assert rows(cur, "SELECT COUNT(*) FROM SRC_STREAM") == [(0,)]
    assert rows(cur, "SELECT ID FROM DST") == [(4,)]


def test_merge_consumes_stream(cur):
    cur.execute("INSERT INTO SRC SELECT 5, NULL")
    cur.execute(
        "MERGE INTO DST d USING (SELECT ID FROM SRC_STREAM) s ON d.ID = s.ID "
        "WHEN NOT MATCHED THEN INSERT (ID) VALUES (s.ID)"
    )
    assert rows(cur, "SELECT COUNT(*) FROM SRC_STREAM") == [(0,)]
    assert rows(cur, "SELECT ID FROM DST") == [(5,)]


def test_rows_appended_by_another_session_during_consumption_are_kept(warehouse, cur):
    cur.execute("INSERT INTO SRC SELECT 6, NULL")
    other = connect(warehouse, database="STREAMS_DB", schema="S").cursor()
    cur.execute("BEGIN")
    cur.execute("INSERT INTO DST SELECT ID FROM SRC_STREAM")
    other.execute("INSERT INTO SRC SELECT 7, NULL")
    cur.execute("COMMIT")
    assert rows(cur, "SELECT ID FROM SRC_STREAM") == [(7,)]


def test_stream_catalog_show_and_drop(cur):
    assert rows(
        cur, "SELECT SOURCE_TABLE, MODE FROM WHOOP_LOCAL.CATALOG.STREAMS WHERE NAME = 'STREAMS_DB.S.SRC_STREAM'"
    ) == [("STREAMS_DB.S.SRC", "APPEND_ONLY")]
    names = [r[1] for r in rows(cur, "SHOW STREAMS")]
    assert "SRC_STREAM" in names
    cur.execute("DROP STREAM SRC_STREAM")
    fails(cur, "SELECT SYSTEM$STREAM_HAS_DATA('SRC_STREAM')", "does not exist")
    cur.execute("DROP STREAM IF EXISTS SRC_STREAM")


def test_errors_name_the_problem(cur):
    fails(cur, "CREATE STREAM S2 ON TABLE SRC", "APPEND_ONLY")
    fails(cur, "CREATE STREAM S3 ON TABLE NOPE APPEND_ONLY = TRUE", "does not exist")
    fails(cur, "CREATE STREAM SRC_STREAM ON TABLE SRC APPEND_ONLY = TRUE", "already exists")


def test_null_timestamps_stay_null_through_the_server(cur):
    # fakesnow 0.12.1 returns NULL timestamps as 1970-01-01; infra/local/warehouse/fakesnow_fixes.py keeps them NULL
    assert rows(cur, "SELECT NULL::TIMESTAMP_NTZ, NULL::TIMESTAMP_TZ, '2026-01-01 10:00'::TIMESTAMP_NTZ")[0][:2] == (
        None,
        None,
    )


def test_unparseable_timestamps_are_null_under_try_functions(cur):
    # fakesnow 0.12.1 raised on TRY_CAST(<bad text> AS TIMESTAMP_NTZ); Silver relies on NULL to quarantine the row
    cur.execute("CREATE OR REPLACE TABLE TS_TEXT (V VARIANT)")
    cur.execute(
        'INSERT INTO TS_TEXT SELECT PARSE_JSON(column1) FROM VALUES (\'{"s": "not a time"}\'), '
        '(\'{"s": "2026-11-19T03:30:36.239Z"}\'), (\'{"s": null}\') AS v(column1)'
    )
    got = rows(
        cur,
        "SELECT TRY_TO_TIMESTAMP_NTZ(V:s::VARCHAR) AS A, TRY_CAST(V:s::VARCHAR AS TIMESTAMP_NTZ) AS B "
        "FROM TS_TEXT ORDER BY A NULLS FIRST, V:s::VARCHAR",
    )
    assert [r[0] for r in got][-1].isoformat() == "2026-11-19T03:30:36.239000"
    assert [r[0] for r in got][:2] == [None, None]
    assert [r[1] for r in got] == [r[0] for r in got]


def test_a_table_comment_may_hold_an_apostrophe(cur):
    # fakesnow 0.12.1 built its catalog INSERT with the comment unescaped (fixed in fakesnow_fixes.py)
    cur.execute("CREATE OR REPLACE TABLE COMMENTED (A INT COMMENT 'the member''s id') COMMENT = 'a member''s table'")
    got = rows(cur, "SELECT COMMENT FROM INFORMATION_SCHEMA.TABLES WHERE TABLE_NAME = 'COMMENTED'")
    assert got == [("a member's table",)]


def test_count_if_over_no_rows_is_zero(cur):
    # DuckDB's COUNT_IF gives NULL over no rows; Snowflake gives 0 (fixed in infra/local/warehouse/fakesnow_fixes.py)
    assert rows(cur, "SELECT COUNT_IF(x > 1), COUNT_IF(x > 0) FROM (SELECT 1 AS x) WHERE x > 5") == [(0, 0)]
    assert rows(cur, "SELECT COUNT_IF(x > 1) FROM (SELECT 1 AS x UNION ALL SELECT 2 AS x)") == [(1,)]
