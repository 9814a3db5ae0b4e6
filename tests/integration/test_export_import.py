"""`whoop import-export`: a WHOOP app export folder through a stage and COPY INTO into Bronze, exactly."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import pytest

from infra.local import export_import, pipeline
from infra.local.cli import main
from infra.local.errors import WhoopError
from infra.local.sandbox.export import write_export
from infra.local.settings import Settings
from tests.integration.conftest import truth

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
        (lambda f: (f / "workouts.csv").unlink(), "lacks workouts.csv"),
        (lambda f: (f / "journal_entries.csv").write_text(""), "journal_entries.csv is empty"),
        (lambda f: shutil.rmtree(f), "export folder not found"),
    ],
    ids=["missing-file", "empty-file", "missing-folder"],
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
    monkeypatch.setenv("WHOOP_HOME", str(stack.home))
    monkeypatch.setenv("WHOOP_WAREHOUSE_PORT", str(stack.warehouse_port))
    monkeypatch.setenv("WHOOP_SANDBOX_PORT", str(stack.sandbox_port))
    monkeypatch.setenv("WHOOP_SEED", str(stack.seed))
    folder = _copy_export(export, tmp_path)
    (folder / "sleeps.csv").unlink()
    assert main(["import-export", str(folder), "--member", "ann"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("whoop") and "lacks sleeps.csv" in err and len(err.strip().splitlines()) == 1

    shutil.copy(export / "sleeps.csv", folder / "sleeps.csv")
    assert main(["import-export", str(folder), "--member", "ann"]) == 0  # already imported: nothing new
    out = capsys.readouterr().out
    assert "physiological_cycles.csv:" in out and "0 new" in out and len(out.strip().splitlines()) == 4
