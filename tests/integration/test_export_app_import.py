"""The CSV export into the installed app: files staged on the app's stage, OPS.IMPORT_EXPORT called, as a consumer's
admin does on an account (the CLI, a worksheet, the Setup page's upload), on the real local stack.

What the CLI checks before uploading is not relied on here: files are staged as they are and the procedure alone
must refuse what is wrong, before anything is written."""

from __future__ import annotations

import csv
import io
import json
import shutil
import zipfile
from pathlib import Path
from typing import Any

import pytest

from infra.local import export_import, pipeline
from infra.local.settings import Settings
from snowpark_procs import export_import as rules
from tests.integration.conftest import ann_and_her_export, query
from tests.integration.dashboard_support import PAGE, app_test, texts

STAGE = export_import.STAGE


stack, export = ann_and_her_export("appimport")


def _zip(folder: Path, target: Path, inner: str = "my_whoop_data") -> Path:
    """The export as WHOOP sends it: its files in one folder inside the ZIP."""
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(folder.iterdir()):
            archive.write(path, f"{inner}/{path.name}")
    return target


def _bronze(stack: Settings, member: str) -> dict[str, list[tuple]]:
    """Every export table's rows of the member, without the audit columns that differ per import."""
    out = {}
    for spec in export_import.FILES:
        columns = ", ".join(export_import.column_name(h) for h in spec.all_headers)
        out[spec.table] = sorted(
            query(stack, f"SELECT ROW_HASH, {columns} FROM {spec.table} WHERE MEMBER_NAME = %s", (member,)),
            key=lambda r: r[0],
        )
    return out


def _stage_and_call(stack: Settings, member: str, files: dict[str, Path], new_member: bool = True) -> dict[str, Any]:
    """What a consumer's admin runs: PUT each file (ZIPs as they are) under <member>/<batch>/, then CALL."""
    batch = rules.new_batch()
    conn = pipeline.connect(stack)
    try:
        cur = conn.cursor()
        for name, path in files.items():
            staged = path.parent / name
            if staged != path:
                shutil.copy(path, staged)
            compress = "FALSE" if name.endswith(".zip") else "TRUE"
            cur.execute(f"PUT '{staged.as_uri()}' @{STAGE}/{member}/{batch}/ AUTO_COMPRESS = {compress}")
        cur.execute("CALL OPS.IMPORT_EXPORT(%s, %s, %s)", (member, f"{member}/{batch}", new_member))
        (value,) = cur.fetchone()
    finally:
        conn.close()
    return {"batch": batch, **json.loads(value)}


def _staged(stack: Settings, member: str) -> list[str]:
    return [row[0] for row in query(stack, f"LIST @{STAGE}") if f"/{member}/" in row[0]]


def _nothing_of(stack: Settings, member: str) -> None:
    assert all(rows == [] for rows in _bronze(stack, member).values())
    assert _staged(stack, member) == []
    assert query(stack, "SELECT COUNT(*) FROM CONFIG.MEMBERS WHERE MEMBER_NAME = %s", (member,)) == [(0,)]


def test_the_admin_role_may_write_the_stage_and_call_the_import(stack: Settings) -> None:
    """app_admin holds READ and WRITE on the app's internal stage and USAGE on the procedure; no other role does."""
    grants = query(stack, f"SHOW GRANTS ON STAGE {STAGE}")
    on_stage = {(g[1], g[4], g[5]) for g in grants if g[4] == "APPLICATION_ROLE"}
    assert on_stage == {
        ("READ", "APPLICATION_ROLE", "APP_ADMIN"),
        ("WRITE", "APPLICATION_ROLE", "APP_ADMIN"),
    }
    procedure = query(stack, "SHOW GRANTS ON PROCEDURE OPS.IMPORT_EXPORT(VARCHAR, VARCHAR, BOOLEAN)")
    assert {(g[1], g[5]) for g in procedure if g[4] == "APPLICATION_ROLE"} == {("USAGE", "APP_ADMIN")}


def test_the_local_warehouse_refuses_a_stage_grant_snowflake_refuses(stack: Settings) -> None:
    """A privilege a stage does not have, or a stage that does not exist: refused, as Snowflake refuses them; READ
    and WRITE on the app's stage are granted."""
    import snowflake.connector.errors

    query(stack, "CREATE ROLE IF NOT EXISTS EXPORT_UPLOADER")
    for statement, needle in (
        (f"GRANT SELECT ON STAGE {STAGE} TO ROLE EXPORT_UPLOADER", "Invalid privilege SELECT"),
        ("GRANT READ ON STAGE BRONZE.NO_SUCH_STAGE TO ROLE EXPORT_UPLOADER", "does not exist or not authorized"),
    ):
        with pytest.raises(snowflake.connector.errors.ProgrammingError, match=needle):
            query(stack, statement)
    query(stack, f"GRANT READ, WRITE ON STAGE {STAGE} TO ROLE EXPORT_UPLOADER")
    granted = {(g[1], g[5]) for g in query(stack, f"SHOW GRANTS ON STAGE {STAGE}") if g[4] == "ROLE"}
    assert {("READ", "EXPORT_UPLOADER"), ("WRITE", "EXPORT_UPLOADER")} <= granted


def test_a_staged_zip_imports_as_the_cli_does_and_again_adds_nothing(
    stack: Settings, export: Path, tmp_path: Path
) -> None:
    """The ZIP staged as it is (the Setup page's upload) and the folder through `whoop import-export` give the same
    Bronze rows; the ZIP's files are kept on the stage as CSV (the archive), the ZIP itself is not."""
    archive = _zip(export, tmp_path / "my_whoop_data.zip")
    result = _stage_and_call(stack, "zip_zoe", {"export.zip": archive})
    assert result["ok"], result
    assert set(result["files"]) == {spec.name for spec in export_import.FILES}
    assert all(c["new"] == c["rows"] > 0 for c in result["files"].values())
    staged = _staged(stack, "zip_zoe")
    assert sorted(s.rsplit("/", 1)[-1] for s in staged) == sorted(f"{s.name}.gz" for s in export_import.FILES)

    cli = pipeline.import_export(stack, export, "folder_zoe", new_member=True)
    assert {n: c["rows"] for n, c in cli["files"].items()} == {n: c["rows"] for n, c in result["files"].items()}
    assert _bronze(stack, "zip_zoe") == _bronze(stack, "folder_zoe")

    again = _stage_and_call(stack, "zip_zoe", {"export.zip": archive}, new_member=False)
    assert again["ok"] and all(c["new"] == 0 for c in again["files"].values()), again


@pytest.mark.parametrize("absent", [spec.name for spec in rules.FILES])
def test_each_file_missing_in_turn_imports_the_rest(stack: Settings, export: Path, absent: str) -> None:
    member = "zoe_without_" + absent.split(".")[0]
    present = {spec.name: export / spec.name for spec in rules.FILES if spec.name != absent}
    result = _stage_and_call(stack, member, present)
    assert result["ok"], result
    assert set(result["files"]) == set(present)
    assert _bronze(stack, member)[next(s.table for s in rules.FILES if s.name == absent)] == []


def test_localised_headers_are_named_before_anything_is_written(stack: Settings, export: Path, tmp_path: Path) -> None:
    """Staged directly (no client check): workouts.csv has three headers of another language and sleeps.csv one:
    one line names all four, file by file, nothing of any file reaches Bronze and the batch leaves the stage."""
    folder = tmp_path / "export"
    shutil.copytree(export, folder)
    path = folder / "workouts.csv"
    text = path.read_text(encoding="utf-8")
    for english, other in (("Duration (min)", "Dauer (min)"), ("Activity name", "Aktivität"), ("GPS enabled", "GPS")):
        text = text.replace(english, other, 1)
    path.write_text(text, encoding="utf-8")
    sleeps = folder / "sleeps.csv"
    sleeps.write_bytes(sleeps.read_bytes().replace(b"Nap", b"Sieste", 1))
    result = _stage_and_call(stack, "zoe_german", {s.name: folder / s.name for s in rules.FILES})
    assert not result["ok"]
    error = result["error"]
    assert error.startswith("sleeps.csv: unrecognised headers 'Sieste'; 1 expected header(s) missing: 'Nap'"), error
    assert " | workouts.csv: unrecognised headers 'Dauer (min)', 'Aktivität', 'GPS'; " in error, error
    assert "3 expected header(s) missing: 'Duration (min)', 'Activity name', 'GPS enabled'" in error
    assert "\n" not in error
    _nothing_of(stack, "zoe_german")


def test_a_failure_midway_in_the_procedure_leaves_nothing(
    stack: Settings, export: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The journal's insert (the last) is refused after the other three files' rows went in: all are rolled back."""
    run = rules._sql

    def refusing(session: Any, statement: str, params: list[Any] | None = None) -> list[Any]:
        fault = "INSERT INTO BRONZE.RAW_EXPORT_JOURNAL"
        return run(session, statement.replace(fault, fault + "_GONE", 1), params)

    monkeypatch.setattr(rules, "_sql", refusing)  # the procedure runs in this process (the in-process warehouse)
    result = _stage_and_call(stack, "zoe_midway", {s.name: export / s.name for s in rules.FILES})
    assert not result["ok"]
    assert result["error"].startswith("journal_entries.csv: loading into BRONZE.RAW_EXPORT_JOURNAL failed")
    _nothing_of(stack, "zoe_midway")


def test_a_path_that_is_not_the_members_batch_is_refused(stack: Settings, export: Path) -> None:
    batch = rules.new_batch()
    for member, path in (("ann", f"ben/{batch}"), ("ann", "ann/../ben"), ("ann", "ann"), ("../x", f"../x/{batch}")):
        (value,) = query(stack, "CALL OPS.IMPORT_EXPORT(%s, %s, TRUE)", (member, path))[0]
        result = json.loads(value)
        assert not result["ok"] and "\n" not in result["error"], result
    (value,) = query(stack, "CALL OPS.IMPORT_EXPORT(%s, %s, TRUE)", ("zoe_nothing", f"zoe_nothing/{batch}"))[0]
    assert json.loads(value)["error"].startswith("no WHOOP export staged at @BRONZE.EXPORT_STAGE/zoe_nothing/")


# --- the Setup page's upload ----------------------------------------------------------------------------------
def _uploads(monkeypatch: pytest.MonkeyPatch, files: dict[str, bytes]) -> None:
    """What the browser hands the page after an upload (AppTest cannot drive st.file_uploader): Streamlit's own
    UploadedFile objects with the files' bytes. Everything after it (the page, put_stream, the procedure) is real."""
    import streamlit as st
    from streamlit.proto.Common_pb2 import FileURLs
    from streamlit.runtime.uploaded_file_manager import UploadedFile, UploadedFileRec

    uploaded = [
        UploadedFile(UploadedFileRec(f"id{i}", name, "application/octet-stream", data), FileURLs())
        for i, (name, data) in enumerate(files.items())
    ]
    monkeypatch.setattr(st, "file_uploader", lambda *a, **k: uploaded)


def _submit(stack: Settings, monkeypatch: pytest.MonkeyPatch, member: str, new_member: bool) -> Any:
    at = app_test(PAGE["Setup"], stack.warehouse_url, monkeypatch)
    assert not at.exception, [e.value for e in at.exception]
    at.text_input(key="export_member").input(member)
    if new_member:
        at.checkbox(key="export_new").check()
    next(b for b in at.button if b.label == "Import").click()
    return at.run()


def test_the_setup_page_imports_an_uploaded_zip(
    stack: Settings, export: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    archive = _zip(export, tmp_path / "my_whoop_data.zip")
    _uploads(monkeypatch, {"my_whoop_data.zip": archive.read_bytes()})
    at = _submit(stack, monkeypatch, "page_zoe", new_member=True)
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, texts(at.error)
    shown = texts(at.success)
    cycles = len(list(csv.reader(io.StringIO((export / "physiological_cycles.csv").read_text())))) - 1
    assert f"Imported for page_zoe: physiological_cycles.csv: {cycles} rows, {cycles} new" in shown, shown
    bronze = _bronze(stack, "page_zoe")
    assert len(bronze["BRONZE.RAW_EXPORT_CYCLE"]) == cycles and all(bronze.values())


def test_the_setup_page_names_a_bad_file_and_imports_nothing(
    stack: Settings, export: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sleeps = (export / "sleeps.csv").read_bytes().replace(b"Nap", b"Sieste", 1)
    _uploads(
        monkeypatch,
        {"physiological_cycles.csv": (export / "physiological_cycles.csv").read_bytes(), "sleeps.csv": sleeps},
    )
    at = _submit(stack, monkeypatch, "page_bad", new_member=True)
    assert not at.exception, [e.value for e in at.exception]
    error = texts(at.error)
    assert error.startswith("sleeps.csv: unrecognised headers 'Sieste'; 1 expected header(s) missing: 'Nap'"), error
    assert "Imported for" not in texts(at.success)
    _nothing_of(stack, "page_bad")
