"""Internal stages, file formats and staged files live under the warehouse's data directory, and go when dropped.

With them kept on disk (infra/local/warehouse/persistence.py), a dropped stage, file format, schema or database
must not leave anything behind for the next object of the same name, as in Snowflake.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import snowflake.connector

from tests.conftest import connect


@pytest.fixture(scope="module")
def conn(warehouse):
    c = connect(warehouse)
    for sql in ("CREATE DATABASE IF NOT EXISTS STG", "CREATE SCHEMA IF NOT EXISTS STG.LAND", "USE SCHEMA STG.LAND"):
        c.cursor().execute(sql)
    yield c
    c.close()


def run(conn, sql: str) -> list[tuple]:
    cur = conn.cursor()
    cur.execute(sql)
    return cur.fetchall() if cur.description else []


def _put(conn, tmp_path: Path, stage: str) -> None:
    source = tmp_path / "rows.csv"
    source.write_text("a,b\n1,2\n")
    run(conn, f"PUT '{source.as_uri()}' @{stage}/batch/ AUTO_COMPRESS = TRUE")


def test_staged_files_and_stage_metadata_are_under_the_data_dir(warehouse, conn, tmp_path: Path) -> None:
    run(conn, "CREATE STAGE IF NOT EXISTS KEEP")
    _put(conn, tmp_path, "KEEP")
    data_dir: Path = warehouse["_data_dir"]
    assert (data_dir / "stages" / "STG" / "LAND" / "KEEP" / "batch" / "rows.csv.gz").is_file()
    assert (data_dir / "fakesnow_global.db").is_file()
    assert [r[0] for r in run(conn, "LIST @KEEP")] == ["keep/batch/rows.csv.gz"]


def test_drop_stage_purges_its_files(warehouse, conn, tmp_path: Path) -> None:
    run(conn, "CREATE STAGE GONE")
    _put(conn, tmp_path, "GONE")
    assert run(conn, "DROP STAGE GONE") == [("GONE successfully dropped.",)]
    assert not (warehouse["_data_dir"] / "stages" / "STG" / "LAND" / "GONE").exists()
    with pytest.raises(
        snowflake.connector.errors.ProgrammingError, match=re.escape("Stage 'STG.LAND.GONE' does not exist")
    ):
        run(conn, "LIST @GONE")
    with pytest.raises(
        snowflake.connector.errors.ProgrammingError, match=re.escape("Stage 'STG.LAND.GONE' does not exist")
    ):
        run(conn, "DROP STAGE GONE")
    run(conn, "DROP STAGE IF EXISTS GONE")
    run(conn, "CREATE STAGE GONE")
    assert run(conn, "LIST @GONE") == []  # a new stage of the same name starts empty


def test_drop_file_format(conn) -> None:
    run(conn, "CREATE FILE FORMAT CSV_FMT TYPE = CSV SKIP_HEADER = 1")
    assert [r[1] for r in run(conn, "SHOW FILE FORMATS IN SCHEMA STG.LAND")] == ["CSV_FMT"]
    assert run(conn, "DROP FILE FORMAT STG.LAND.CSV_FMT") == [("CSV_FMT successfully dropped.",)]
    assert run(conn, "SHOW FILE FORMATS IN SCHEMA STG.LAND") == []
    with pytest.raises(
        snowflake.connector.errors.ProgrammingError, match=re.escape("File format 'STG.LAND.CSV_FMT' does not")
    ):
        run(conn, "DROP FILE FORMAT CSV_FMT")
    run(conn, "DROP FILE FORMAT IF EXISTS CSV_FMT")


def test_a_dropped_schema_takes_its_stages_and_file_formats(warehouse, conn, tmp_path: Path) -> None:
    run(conn, "CREATE SCHEMA STG.DOOMED")
    run(conn, "CREATE STAGE STG.DOOMED.FILES")
    run(conn, "CREATE FILE FORMAT STG.DOOMED.FMT TYPE = CSV")
    _put(conn, tmp_path, "STG.DOOMED.FILES")
    run(conn, "DROP SCHEMA STG.DOOMED")
    assert not (warehouse["_data_dir"] / "stages" / "STG" / "DOOMED").exists()
    assert [r[1] for r in run(conn, "SHOW STAGES IN DATABASE STG") if r[3] == "DOOMED"] == []
    assert [r[1] for r in run(conn, "SHOW FILE FORMATS IN DATABASE STG") if r[3] == "DOOMED"] == []
    run(conn, "CREATE SCHEMA STG.DOOMED")
    run(conn, "CREATE STAGE STG.DOOMED.FILES")
    assert run(conn, "LIST @STG.DOOMED.FILES") == []  # nothing of the dropped schema's stage comes back
    assert [r[0] for r in run(conn, "LIST @STG.LAND.KEEP")] == ["keep/batch/rows.csv.gz"]  # others untouched


def test_two_warehouses_in_one_process_keep_their_own_tables_and_files(warehouse, conn, tmp_path_factory) -> None:
    """fakesnow's instance and stage folder are module globals; a second warehouse served in the same process (as
    the tests' stacks are) must not take over the first one's new sessions or staged files."""
    from infra.local.warehouse.server import create_app
    from tests.conftest import free_port, serve

    other_dir: Path = tmp_path_factory.mktemp("other_warehouse")
    port = free_port()
    with serve(create_app(other_dir, f"http://127.0.0.1:{port}"), port):
        other = connect({**warehouse, "port": port})
        try:
            for sql in ("CREATE DATABASE STG", "CREATE SCHEMA STG.LAND", "USE SCHEMA STG.LAND", "CREATE STAGE KEEP"):
                run(other, sql)
            run(other, "CREATE TABLE ONLY_HERE (ID INT)")
            _put(other, tmp_path_factory.mktemp("other_rows"), "KEEP")
            first = connect(warehouse)  # a session of the first warehouse opened after the second one started
            try:
                run(first, "USE SCHEMA STG.LAND")
                with pytest.raises(snowflake.connector.errors.ProgrammingError, match="ONLY_HERE"):
                    run(first, "SELECT ID FROM ONLY_HERE")
                assert [r[0] for r in run(first, "LIST @KEEP")] == ["keep/batch/rows.csv.gz"]  # its own, once
                run(first, "CREATE STAGE FIRST_ONLY")
                _put(first, tmp_path_factory.mktemp("first_rows"), "FIRST_ONLY")
            finally:
                first.close()
            assert (warehouse["_data_dir"] / "stages" / "STG" / "LAND" / "FIRST_ONLY" / "batch").is_dir()
            assert not (other_dir / "stages" / "STG" / "LAND" / "FIRST_ONLY").exists()
            assert [r[0] for r in run(other, "LIST @KEEP")] == ["keep/batch/rows.csv.gz"]
        finally:
            other.close()
