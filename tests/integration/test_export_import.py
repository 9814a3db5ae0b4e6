"""`whoop import-export`: a WHOOP app export through the app's stage and OPS.IMPORT_EXPORT into Bronze, exactly."""

from __future__ import annotations

import csv
import io
import os
import shutil
import signal
import subprocess
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from infra.local import export_import, pipeline
from infra.local.cli import main
from infra.local.errors import WhoopError
from infra.local.sandbox.export import write_export
from infra.local.settings import REPO_ROOT, Settings
from snowpark_procs import export_import as rules
from tests.integration.conftest import point_cli_at, query, truth

AUDIT = ("INGEST_BATCH_ID", "LOADED_AT", "MEMBER_NAME", "SOURCE_FILE", "STAGED_FILE", "FILE_ROW_NUMBER", "ROW_HASH")


@pytest.fixture(scope="module")
def export(stack: Settings, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """ann's export, with the awkward cases the real export has made sure of."""
    folder = tmp_path_factory.mktemp("export")
    write_export(truth(stack, "ann"), folder)
    journal = folder / "journal_entries.csv"
    with journal.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    rows[1][3] += "  "  # trailing spaces in question text
    rows[1][5] = 'first line\nsecond, with a comma and "quotes"\n'  # multiline quoted note
    rows[2][5] = "ß, é, 日本"
    with journal.open("w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows(rows)
    return folder


@pytest.fixture(scope="module")
def imported(stack: Settings, export: Path) -> dict:
    return pipeline.import_export(stack, export, "ann")


def _file_rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def _table_rows(stack: Settings, table: str, member: str) -> list[dict]:
    conn = pipeline.connect(stack)
    try:
        cur = conn.cursor()
        cur.execute(
            f"SELECT * FROM {table} WHERE MEMBER_NAME = %s ORDER BY INGEST_BATCH_ID, FILE_ROW_NUMBER", (member,)
        )
        names = [d[0] for d in cur.description]
        return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]
    finally:
        conn.close()


def test_every_row_and_column_lands_in_bronze_exactly(stack: Settings, export: Path, imported: dict) -> None:
    assert set(imported["files"]) == {f.name for f in export_import.FILES}
    for spec in export_import.FILES:
        expected = _file_rows(export / spec.name)
        counts = imported["files"][spec.name]
        assert counts["rows"] == counts["new"] == len(expected) > 0, spec.name
        stored = _table_rows(stack, spec.table, "ann")
        assert len(stored) == len(expected), spec.name
        for n, (want, got) in enumerate(zip(expected, stored, strict=True), start=1):
            assert got["FILE_ROW_NUMBER"] == n
            assert got["SOURCE_FILE"] == spec.name
            assert got["STAGED_FILE"].startswith(f"ann/{imported['batch']}/{spec.name}")
            assert got["INGEST_BATCH_ID"] == imported["batch"] and got["LOADED_AT"] is not None
            assert set(got) == set(AUDIT) | {export_import.column_name(h) for h in spec.all_headers}
            for header in spec.all_headers:
                # blank fields (the current cycle's end, empty notes) are NULL; everything else verbatim
                assert got[export_import.column_name(header)] == (want[header] or None), (spec.name, n, header)
            values = [want.get(h) for h in spec.all_headers]
            assert got["ROW_HASH"] == export_import.row_hash(values)


def test_awkward_fields_survive(stack: Settings, imported: dict) -> None:
    cycles = _table_rows(stack, "BRONZE.RAW_EXPORT_CYCLE", "ann")
    assert cycles[0]["CYCLE_END_TIME"] is None  # the current cycle, newest first
    assert all(c["CYCLE_END_TIME"] for c in cycles[1:])
    assert all(c["CYCLE_TIMEZONE"].startswith("UTC") and len(c["CYCLE_TIMEZONE"]) == 9 for c in cycles)
    assert any("." in (c["SKIN_TEMP_CELSIUS"] or "") for c in cycles)
    journal = _table_rows(stack, "BRONZE.RAW_EXPORT_JOURNAL", "ann")
    assert journal[0]["QUESTION_TEXT"].endswith("  ")
    assert journal[0]["NOTES"] == 'first line\nsecond, with a comma and "quotes"\n'
    assert journal[1]["NOTES"] == "ß, é, 日本"
    sleeps = _table_rows(stack, "BRONZE.RAW_EXPORT_SLEEP", "ann")
    assert {"true", "false"} <= {s["NAP"] for s in sleeps}  # naps and main sleeps


def test_reimport_adds_nothing(stack: Settings, export: Path, imported: dict) -> None:
    again = pipeline.import_export(stack, export, "ann")
    assert again["batch"] != imported["batch"]
    assert all(c["new"] == 0 and c["rows"] > 0 for c in again["files"].values())
    for spec in export_import.FILES:
        assert len(_table_rows(stack, spec.table, "ann")) == imported["files"][spec.name]["rows"]


def test_same_rows_for_another_member_are_theirs(stack: Settings, export: Path, imported: dict, tmp_path) -> None:
    folder = tmp_path / "ben"
    write_export(truth(stack, "ben"), folder)
    shutil.copy(export / "journal_entries.csv", folder / "journal_entries.csv")  # identical rows, other member
    # an older export without the distance/altitude columns is accepted too
    with (folder / "workouts.csv").open(newline="", encoding="utf-8") as fh:
        rows = [r[:-3] for r in csv.reader(fh)]
    with (folder / "workouts.csv").open("w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows(rows)
    result = pipeline.import_export(stack, folder, "ben")
    assert result["files"]["journal_entries.csv"]["new"] == imported["files"]["journal_entries.csv"]["rows"]
    workouts = _table_rows(stack, "BRONZE.RAW_EXPORT_WORKOUT", "ben")
    assert len(workouts) == len(rows) - 1
    assert all(w["DISTANCE_METERS"] is None and w["ALTITUDE_CHANGE_METERS"] is None for w in workouts)
    assert [w["ACTIVITY_NAME"] for w in workouts] == [r[6] for r in rows[1:]]


def test_streams_see_the_new_rows(stack: Settings, imported: dict) -> None:
    conn = pipeline.connect(stack)
    try:
        cur = conn.cursor()
        cur.execute("SELECT COUNT(*) FROM BRONZE.RAW_EXPORT_CYCLE_STREAM WHERE MEMBER_NAME = 'ann'")
        assert cur.fetchone()[0] == imported["files"]["physiological_cycles.csv"]["rows"]
    finally:
        conn.close()


def _copy_export(export: Path, tmp_path: Path) -> Path:
    folder = tmp_path / "copy"
    shutil.copytree(export, folder)
    return folder


def test_localised_headers_fail_naming_file_and_headers(stack: Settings, export: Path, tmp_path: Path) -> None:
    folder = _copy_export(export, tmp_path)
    path = folder / "sleeps.csv"
    lines = path.read_text(encoding="utf-8").split("\r\n")
    lines[0] = lines[0].replace("Sleep onset", "Schlafbeginn").replace("Nap", "Nickerchen")
    path.write_text("\r\n".join(lines), encoding="utf-8")
    with pytest.raises(WhoopError) as e:
        pipeline.import_export(stack, folder, "zed")
    message = str(e.value)
    assert message.startswith("sleeps.csv: unrecognised headers 'Schlafbeginn', 'Nickerchen'")
    assert "English" in message and "\n" not in message
    assert _table_rows(stack, "BRONZE.RAW_EXPORT_CYCLE", "zed") == []  # nothing loaded


def test_unknown_header_fails(stack: Settings, export: Path, tmp_path: Path) -> None:
    folder = _copy_export(export, tmp_path)
    path = folder / "workouts.csv"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("GPS enabled", "GPS enabled,Mood", 1), encoding="utf-8")
    with pytest.raises(WhoopError, match=r"^workouts\.csv: unrecognised headers 'Mood'"):
        pipeline.import_export(stack, folder, "zed")


@pytest.mark.parametrize(
    ("change", "needle"),
    [
        (lambda f: [(f / s.name).unlink() for s in export_import.FILES], "no WHOOP export in"),
        (lambda f: (f / "journal_entries.csv").write_text(""), "journal_entries.csv is empty"),
        (lambda f: shutil.rmtree(f), "export not found"),
    ],
    ids=["no-file", "empty-file", "missing-folder"],
)
def test_bad_folders_fail_clearly(stack: Settings, export: Path, tmp_path: Path, change, needle: str) -> None:
    folder = _copy_export(export, tmp_path)
    change(folder)
    with pytest.raises(WhoopError, match=needle) as e:
        pipeline.import_export(stack, folder, "zed")
    assert "\n" not in str(e.value)


def test_cli_errors_are_one_line(
    stack: Settings, export: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    point_cli_at(monkeypatch, stack)
    folder = _copy_export(export, tmp_path)
    (folder / "sleeps.csv").write_text("")
    assert main(["import-export", str(folder), "--member", "ann", "--no-run"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("whoop") and "sleeps.csv is empty" in err and len(err.strip().splitlines()) == 1

    shutil.copy(export / "sleeps.csv", folder / "sleeps.csv")
    assert main(["import-export", str(folder), "--member", "ann", "--no-run"]) == 0  # already imported: nothing new
    out = capsys.readouterr().out
    assert "physiological_cycles.csv:" in out and "0 new" in out
    assert sum(".csv: " in line for line in out.splitlines()) == 4  # one line per file, after the step lines


class _FaultyCursor:
    """A real cursor on the real warehouse whose statements run as sent, except the one `fault` picks: it is
    sent to a table that does not exist (the warehouse refuses it) or interrupted (Ctrl-C, a crash)."""

    def __init__(self, cursor: Any, fault: str, interrupt: bool) -> None:
        self._cursor, self._fault, self._interrupt = cursor, fault, interrupt

    def execute(self, sql: str, params: Any = None) -> Any:
        if sql.startswith(self._fault):
            if self._interrupt:
                raise KeyboardInterrupt
            sql = sql.replace(self._fault, self._fault + "_GONE", 1)
        return self._cursor.execute(sql, params)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._cursor, name)


class _FaultyConnection:
    def __init__(self, conn: Any, fault: str, interrupt: bool = False) -> None:
        self._conn, self._fault, self._interrupt = conn, fault, interrupt

    def cursor(self) -> _FaultyCursor:
        return _FaultyCursor(self._conn.cursor(), self._fault, self._interrupt)


def _staged(stack: Settings, member: str) -> list[str]:
    """The member's staged files (LIST of the whole stage: the local one takes no path)."""
    return [row[0] for row in query(stack, f"LIST @{export_import.STAGE}") if f"/{member}/" in row[0]]


def _nothing_of(stack: Settings, member: str) -> None:
    """No row of `member` in any Bronze export table or its stream, nothing staged, and no such member."""
    for spec in export_import.FILES:
        assert _table_rows(stack, spec.table, member) == [], spec.table
        stream = f"{spec.table}_STREAM"
        assert query(stack, f"SELECT COUNT(*) FROM {stream} WHERE MEMBER_NAME = %s", (member,)) == [(0,)], stream
    assert _staged(stack, member) == []
    conn = pipeline.connect(stack)
    try:
        assert member not in export_import.known_members(conn.cursor())
    finally:
        conn.close()


def test_a_failure_on_the_third_file_keeps_nothing(
    stack: Settings, export: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Inside OPS.IMPORT_EXPORT the first two files' rows are inserted before workouts.csv's insert is refused (sent
    to a table that does not exist): the transaction takes them back, the staged batch goes, and the corrected
    import then loads everything once."""
    member = "zoe_refused"
    run = rules._sql

    def refusing(session: Any, statement: str, params: list[Any] | None = None) -> list[Any]:
        fault = "INSERT INTO BRONZE.RAW_EXPORT_WORKOUT"
        return run(session, statement.replace(fault, fault + "_GONE", 1), params)

    monkeypatch.setattr(rules, "_sql", refusing)  # the procedure runs in this process (tests' in-process warehouse)
    with pytest.raises(WhoopError) as e:
        pipeline.import_export(stack, export, member, new_member=True)
    monkeypatch.setattr(rules, "_sql", run)
    message = str(e.value)
    assert message.startswith("workouts.csv: loading into BRONZE.RAW_EXPORT_WORKOUT failed"), message
    assert message.endswith("nothing was imported") and "INSERT" not in message and "\n" not in message
    _nothing_of(stack, member)

    result = pipeline.import_export(stack, export, member, new_member=True)
    for spec in export_import.FILES:
        expected = len(_file_rows(export / spec.name))
        assert result["files"][spec.name]["new"] == expected == len(_table_rows(stack, spec.table, member))
    assert len(_staged(stack, member)) == len(export_import.FILES)


def test_an_import_interrupted_before_the_call_keeps_nothing(stack: Settings, export: Path) -> None:
    """Ctrl-C after the files are staged, before the procedure is called: the client removes what it staged."""
    member = "zoe_interrupted"
    conn = pipeline.connect(stack)
    try:
        faulty = _FaultyConnection(conn, "CALL OPS.IMPORT_EXPORT", interrupt=True)
        with pytest.raises(KeyboardInterrupt):
            export_import.import_export(faulty, export, member, new_member=True)
    finally:
        conn.close()
    _nothing_of(stack, member)


_KILLED_AT_COMMIT = """
import os, signal, sys
from pathlib import Path
from infra.local import export_import, pipeline, settings

class Cursor:
    def __init__(self, cursor):
        self._cursor = cursor
    def execute(self, sql, params=None):
        if sql.startswith("CALL OPS.IMPORT_EXPORT"):  # every file staged: the process dies before the call
            os.kill(os.getpid(), signal.SIGKILL)
        return self._cursor.execute(sql, params)
    def __getattr__(self, name):
        return getattr(self._cursor, name)

class Connection:
    def __init__(self, conn):
        self._conn = conn
    def cursor(self):
        return Cursor(self._conn.cursor())

conn = pipeline.connect(settings.load())
export_import.import_export(Connection(conn), Path(sys.argv[1]), sys.argv[2], new_member=True)
"""


def test_an_import_killed_before_it_calls_leaves_no_rows(
    stack: Settings, export: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A crash mid-import (the process killed with every file staged, the procedure not called): no row of it
    exists; the next import loads everything once and, an hour later, removes the batch the dead one staged."""
    env = {
        **os.environ,
        "WHOOP_HOME": str(stack.home),
        "WHOOP_WAREHOUSE_PORT": str(stack.warehouse_port),
        "WHOOP_SANDBOX_PORT": str(stack.sandbox_port),
    }
    member = "zoe_killed"
    done = subprocess.run(
        [sys.executable, "-c", _KILLED_AT_COMMIT, str(export), member], env=env, cwd=REPO_ROOT, timeout=120
    )
    assert done.returncode == -signal.SIGKILL
    for spec in export_import.FILES:
        assert _table_rows(stack, spec.table, member) == [], spec.table
        stream = f"{spec.table}_STREAM"
        assert query(stack, f"SELECT COUNT(*) FROM {stream} WHERE MEMBER_NAME = %s", (member,)) == [(0,)], stream
    abandoned = _staged(stack, member)
    assert len(abandoned) == len(export_import.FILES)  # it had no chance to clean up

    result = pipeline.import_export(stack, export, member, new_member=True)  # minutes later: the batch is young
    assert set(abandoned) < set(_staged(stack, member))
    monkeypatch.setattr(rules, "ABANDONED_AFTER", timedelta(0))  # an hour later (the procedure's rule)
    again = pipeline.import_export(stack, export, member)
    for spec in export_import.FILES:
        expected = len(_file_rows(export / spec.name))
        assert result["files"][spec.name]["new"] == expected == len(_table_rows(stack, spec.table, member))
        assert again["files"][spec.name]["new"] == 0
    # the dead batch and the second import's (all its rows were there already, none refers to it) are gone
    assert {s.split("/")[2] for s in _staged(stack, member)} <= {result["batch"], again["batch"]}
    assert not set(abandoned) & set(_staged(stack, member))


def test_a_file_the_warehouse_refuses_names_the_file_and_keeps_nothing(
    stack: Settings, export: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Behind the scan, the COPY is the last check: invalid UTF-8 that reaches it fails the whole import in one
    line naming the file, not the statement, before any Bronze row is written."""
    folder = _copy_export(export, tmp_path)
    path = folder / "workouts.csv"
    path.write_bytes(path.read_bytes().replace(b"\r\n", b"\xff\r\n", 5))
    scan = rules.scan
    monkeypatch.setattr(  # only the header of workouts.csv is checked (here and in the procedure): the COPY meets
        rules,  # the bad bytes itself
        "scan",
        lambda spec, data: (
            next(csv.reader(io.StringIO(data.decode("latin-1")))) if spec.name == path.name else scan(spec, data)
        ),
    )
    conn = pipeline.connect(stack)
    try:
        with pytest.raises(WhoopError) as e:
            export_import.import_export(conn, folder, "zoe_copy", new_member=True)
    finally:
        conn.close()
    message = str(e.value)
    assert message.startswith("workouts.csv: the warehouse refused the file: "), message
    assert "COPY" not in message and "SELECT" not in message and "\n" not in message
    assert "unicode" in message.lower() and "warehouse log" not in message  # the reason, not a pointer to a log
    _nothing_of(stack, "zoe_copy")


def test_a_csv_problem_fails_before_anything_is_written(stack: Settings, export: Path, tmp_path: Path) -> None:
    folder = _copy_export(export, tmp_path)
    path = folder / "workouts.csv"  # the third file: the first two are fine
    lines = path.read_bytes().split(b"\r\n")
    lines[3] = lines[3].rsplit(b",", 2)[0]
    path.write_bytes(b"\r\n".join(lines))
    with pytest.raises(WhoopError, match=r"^workouts\.csv line 4: 18 fields, expected 20 as in the header"):
        pipeline.import_export(stack, folder, "zoe_ragged", new_member=True)
    _nothing_of(stack, "zoe_ragged")


def test_an_unknown_member_is_refused_unless_created(
    stack: Settings, export: Path, imported: dict, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    point_cli_at(monkeypatch, stack)
    assert main(["import-export", str(export), "--member", "anne", "--no-run"]) == 1  # a typo for ann
    err = capsys.readouterr().err.strip()
    assert err.startswith("whoop: no member anne (known: ann, ben") and len(err.splitlines()) == 1, err
    assert err.endswith("); pass --new-member to create it"), err
    _nothing_of(stack, "anne")

    assert main(["import-export", str(export), "--member", "anne", "--new-member", "--no-run"]) == 0
    capsys.readouterr()
    assert (
        len(_table_rows(stack, "BRONZE.RAW_EXPORT_CYCLE", "anne"))
        == imported["files"]["physiological_cycles.csv"]["rows"]
    )
    assert main(["import-export", str(export), "--member", "anne", "--no-run"]) == 0  # known now, from its export
    assert "0 new" in capsys.readouterr().out


def test_a_large_note_under_the_limit_loads_whole(stack: Settings, export: Path, tmp_path: Path) -> None:
    """A 3 MB journal note (Snowflake loads fields up to the VARCHAR limit; DuckDB's CSV reader stops at 2 MB
    unless told otherwise) is imported whole."""
    folder = _copy_export(export, tmp_path)
    path = folder / "journal_entries.csv"
    with path.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    note = "a long note, " * (3 * 1024 * 1024 // 13)
    rows[1][5] = note
    with path.open("w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows(rows)
    result = pipeline.import_export(stack, folder, "zoe_long", new_member=True)
    assert result["files"]["journal_entries.csv"]["new"] == len(rows) - 1
    notes = [r["NOTES"] for r in _table_rows(stack, "BRONZE.RAW_EXPORT_JOURNAL", "zoe_long")]
    assert notes[0] == note and len(note) > 3_000_000
