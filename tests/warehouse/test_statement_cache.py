"""Repeated statements reuse fakesnow's translation, and MERGE runs as one DuckDB statement: same answers."""

from __future__ import annotations

from infra.local.warehouse import statement_cache
from tests.conftest import connect
from tests.warehouse.support import cursor_fixture, fails, rows

cur = cursor_fixture(
    None,
    "CREATE DATABASE IF NOT EXISTS CACHE_DB",
    "USE DATABASE CACHE_DB",
    "CREATE SCHEMA IF NOT EXISTS S",
    "USE SCHEMA S",
    "CREATE OR REPLACE TABLE T (ID INT, V VARCHAR, P VARIANT)",
    "INSERT INTO T SELECT 1, 'a', PARSE_JSON('{\"n\": 1}') UNION ALL SELECT 2, 'b', PARSE_JSON('{\"n\": 2}')",
    "CREATE OR REPLACE TABLE SRC (ID INT, V VARCHAR)",
    "INSERT INTO SRC VALUES (1, 'x'), (3, 'y')",
)


def test_a_repeated_query_is_translated_once_and_answers_the_same(cur, monkeypatch):
    sql = "SELECT ID, P:n::INT AS N FROM T ORDER BY ID"
    first = rows(cur, sql)
    assert any(key[0] == sql for key in statement_cache.transformed_cache)

    def translate_again(*args, **kwargs):
        raise AssertionError("fakesnow translated the same text again")

    monkeypatch.setattr(statement_cache, "_original_execute", translate_again)
    assert rows(cur, sql) == first == [(1, 1), (2, 2)]


def test_a_repeated_query_sees_table_changes(cur):
    sql = "SELECT * FROM T ORDER BY ID"
    assert len(rows(cur, sql)[0]) == 3
    cur.execute("ALTER TABLE T ADD COLUMN EXTRA INT")
    cur.execute("UPDATE T SET EXTRA = 7")
    assert rows(cur, sql)[0][3] == 7
    assert [d.name for d in cur.description] == ["ID", "V", "P", "EXTRA"]


def test_the_same_text_in_another_schema_reads_that_schema(cur):
    sql = "SELECT COUNT(*) FROM T"
    assert rows(cur, sql) == [(2,)]
    cur.execute("CREATE SCHEMA IF NOT EXISTS OTHER")
    cur.execute("USE SCHEMA OTHER")
    cur.execute("CREATE OR REPLACE TABLE T (ID INT)")
    assert rows(cur, sql) == [(0,)]


def test_bound_parameters_change_between_runs(cur):
    sql = "SELECT V FROM T WHERE ID = %s"
    assert rows(cur, sql, (1,)) == [("a",)]
    assert rows(cur, sql, (2,)) == [("b",)]


def test_merge_counts_and_rowcount_as_snowflake_reports_them(cur):
    sql = (
        "MERGE INTO T AS t USING SRC AS s ON t.ID = s.ID "
        "WHEN MATCHED THEN UPDATE SET t.V = s.V "
        "WHEN NOT MATCHED THEN INSERT (ID, V) VALUES (s.ID, s.V)"
    )
    assert rows(cur, sql) == [(1, 1)]
    assert [d.name for d in cur.description] == ["number of rows inserted", "number of rows updated"]
    assert cur.rowcount == 2
    assert rows(cur, sql) == [(0, 2)]  # again, from the kept plan: both ids match now
    assert rows(cur, "SELECT ID, V FROM T ORDER BY ID") == [(1, "x"), (2, "b"), (3, "y")]


def test_merge_with_a_condition_delete_and_bound_source(cur, warehouse):
    sql = (
        "MERGE INTO T USING (SELECT ? AS ID, ? AS V) s ON T.ID = s.ID "
        "WHEN MATCHED AND s.V = 'gone' THEN DELETE "
        "WHEN MATCHED THEN UPDATE SET V = s.V "
        "WHEN NOT MATCHED THEN INSERT (ID, V) VALUES (s.ID, s.V)"
    )
    qmark = connect(warehouse, paramstyle="qmark", database="CACHE_DB", schema="S")
    try:
        c = qmark.cursor()
        assert rows(c, sql, [1, "gone"]) == [(0, 0, 1)]
        assert rows(c, sql, [2, "new"]) == [(0, 1, 0)]
        assert rows(c, sql, [9, "nine"]) == [(1, 0, 0)]
        assert rows(c, "SELECT ID, V FROM T ORDER BY ID") == [(2, "new"), (9, "nine")]
    finally:
        qmark.close()


def test_merge_into_a_missing_table_is_a_sql_error(cur):
    fails(cur, "MERGE INTO NOPE USING SRC s ON NOPE.ID = s.ID WHEN MATCHED THEN DELETE", "NOPE")


def test_a_full_cache_starts_again_with_the_newest_text(cur, monkeypatch):
    monkeypatch.setattr(statement_cache, "MAX_ENTRIES", 2)
    statement_cache.transformed_cache.clear()
    for n in range(3):
        assert rows(cur, f"SELECT {n} AS N") == [(n,)]
    assert [key[0] for key in statement_cache.transformed_cache] == ["SELECT 2 AS N"]
