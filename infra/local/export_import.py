"""`whoop import-export`: a WHOOP app data export (its ZIP or folder) into the app through OPS.IMPORT_EXPORT.

The same path as on a real account, and as the Setup page's upload: the export's CSV files (any of the four, at
least one) are PUT to the app's stage `@BRONZE.EXPORT_STAGE/<member>/<batch>/` (READ, WRITE granted to app_admin),
then `CALL OPS.IMPORT_EXPORT(member, '<member>/<batch>', new_member)` checks every file, loads Bronze in one
transaction and starts the pipeline (snowpark_procs/export_import.py: the rules, one copy for local and Snowflake).
Here the export is taken as members have it: the ZIP as WHOOP sends it (read safely, each file under its own fixed
name) or its unzipped folder, the files at its top or in one folder inside it. Every file is scanned with the
procedure's own rules before anything is uploaded, so a bad export fails without the warehouse; the procedure scans
again, as it must for an upload that did not come through here. A failure removes the batch's staged files.
"""

from __future__ import annotations

import contextlib
import json
import re
import shutil
import tempfile
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import snowflake.connector.errors

from infra.local.errors import WhoopError
from snowpark_procs import export_import as rules
from snowpark_procs.export_import import FILES, STAGE, ExportFile, column_name, row_hash, row_hash_sql  # noqa: F401

PROCEDURE = "OPS.IMPORT_EXPORT"


def _size(n: int) -> str:
    return f"{n / 1024 / 1024:.1f} MB"


def scan_file(path: Path, spec: ExportFile) -> list[str]:
    """The file's header in English, scanned whole with the procedure's rules; a problem is one WhoopError line."""
    if not path.is_file():
        raise WhoopError(f"export file missing: {path.name} is not in {path.parent}")
    try:
        return rules.scan(spec, path.read_bytes())
    except rules.ExportError as e:
        raise WhoopError(str(e)) from None


def check_header(spec: ExportFile, header: list[str]) -> list[str]:
    try:
        return rules.check_header(spec, header)
    except rules.ExportError as e:
        raise WhoopError(str(e)) from None


def _export_dir(folder: Path) -> Path:
    """Where the export's files are: the folder itself, or the one folder inside it that holds them (unzipping
    an archive whose files sit in a folder gives a folder in a folder)."""
    if any((folder / spec.name).is_file() for spec in FILES):
        return folder
    inner = [p for p in folder.iterdir() if p.is_dir() and not p.name.startswith((".", "__MACOSX"))]
    if len(inner) == 1 and any((inner[0] / spec.name).is_file() for spec in FILES):
        return inner[0]
    return folder


def check_folder(folder: Path) -> dict[str, list[str]]:
    """Validate the export folder and scan every file it has before anything is uploaded; the English headers by
    file, for the files present (at least one of the four; any may be absent, the journal often is)."""
    if not folder.exists():
        raise WhoopError(f"export folder not found: {folder}")
    if not folder.is_dir():
        raise WhoopError(f"{folder} is not a folder: pass the WHOOP export's ZIP or its folder")
    folder = _export_dir(folder)
    present = [spec for spec in FILES if (folder / spec.name).is_file()]
    if not present:
        raise WhoopError(
            f"no WHOOP export in {folder}: none of {', '.join(f.name for f in FILES)} is there "
            "(pass the export's ZIP or the folder it unzips to)"
        )
    headers: dict[str, list[str]] = {}
    problems = []
    for spec in present:
        try:
            headers[spec.name] = scan_file(folder / spec.name, spec)
        except WhoopError as e:
            problems.append(str(e))
    if problems:  # every file's problem in the one line, as the procedure gives them
        raise WhoopError(" | ".join(problems))
    return headers


@contextlib.contextmanager
def unpacked(path: Path, workdir: Path) -> Iterator[Path]:
    """The export's folder: `path` itself when it is one, else its ZIP's export files copied into a temporary
    folder under `workdir` (removed afterwards). Each file is written under its own fixed name, never a path the
    archive gives, and read through zipfile, which checks every entry's CRC and size."""
    path = Path(path)
    if not path.exists():
        raise WhoopError(f"export not found: {path}")
    if path.is_dir():
        yield path
        return
    if not zipfile.is_zipfile(path):
        raise WhoopError(f"{path} is not a ZIP or a folder: pass the WHOOP export's ZIP or the folder it unzips to")
    workdir.mkdir(parents=True, exist_ok=True)
    target = Path(tempfile.mkdtemp(prefix="export-", dir=workdir))
    try:
        try:
            with zipfile.ZipFile(path) as archive:
                try:
                    entries = rules.zip_entries(path.name, archive)
                except rules.ExportError as e:
                    raise WhoopError(str(e)) from None
                if not entries:
                    raise WhoopError(
                        f"no WHOOP export in {path.name}: none of {', '.join(f.name for f in FILES)} is in the ZIP"
                    )
                for name, info in entries.items():
                    with archive.open(info) as source, (target / name).open("wb") as sink:
                        shutil.copyfileobj(source, sink, 1024 * 1024)
        except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, OSError) as e:
            raise WhoopError(f"{path.name}: cannot read the ZIP ({' '.join(str(e).split())})") from None
        yield target
    finally:
        shutil.rmtree(target, ignore_errors=True)


def _sql_string(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "''") + "'"


def _reason(e: snowflake.connector.errors.Error) -> str:
    """The warehouse's message in one short line, without its error code."""
    text = " ".join(str(getattr(e, "msg", None) or e).split())
    text = re.sub(r"^\d{6} \(\w+\): ", "", text)
    return text if len(text) <= 300 else text[:300] + "…"


def known_members(cur: Any) -> list[str]:
    """Members the app knows (the procedure's own query, through a cursor): tests read it after an import."""
    sources = ["SELECT MEMBER_NAME FROM CONFIG.MEMBERS"] + [f"SELECT MEMBER_NAME FROM {f.table}" for f in FILES]
    cur.execute(f"SELECT DISTINCT MEMBER_NAME FROM ({' UNION ALL '.join(sources)}) AS m ORDER BY MEMBER_NAME")
    return [row[0] for row in cur.fetchall()]


def _quietly(cur: Any, sql: str) -> None:
    """Clean-up after a failure: its own error must not hide the one being reported."""
    with contextlib.suppress(snowflake.connector.errors.Error):
        cur.execute(sql)


def stage_files(cur: Any, folder: Path, names: list[str], member: str, batch: str) -> None:
    """PUT the export's files under <member>/<batch>/ of the app's stage (what the Setup page does with
    session.file.put_stream); a failure removes what was put."""
    try:
        for name in names:
            source = (folder / name).resolve()
            cur.execute(
                f"PUT {_sql_string(source.as_uri())} @{STAGE}/{member}/{batch}/ AUTO_COMPRESS = TRUE OVERWRITE = TRUE"
            )
    except BaseException as e:
        _quietly(cur, f"REMOVE @{STAGE}/{member}/{batch}/")
        if isinstance(e, snowflake.connector.errors.Error):
            raise WhoopError(f"uploading the export to @{STAGE} failed: {_reason(e)}; nothing was imported") from None
        raise


def call_import(cur: Any, member: str, batch: str, new_member: bool) -> dict[str, Any]:
    """CALL OPS.IMPORT_EXPORT on a staged batch; its result, or WhoopError with the procedure's one line."""
    try:
        # literals, not bindings: the connection may use either paramstyle; member and batch are checked names
        flag = "TRUE" if new_member else "FALSE"
        cur.execute(f"CALL {PROCEDURE}({_sql_string(member)}, {_sql_string(f'{member}/{batch}')}, {flag})")
        (value,) = cur.fetchone()
    except BaseException as e:
        _quietly(cur, f"REMOVE @{STAGE}/{member}/{batch}/")  # a call that never ran leaves no batch behind
        if isinstance(e, snowflake.connector.errors.Error):
            raise WhoopError(f"the app's import failed: {_reason(e)}; nothing was imported") from None
        raise
    result = json.loads(value) if isinstance(value, str) else value
    if not result.get("ok"):
        raise WhoopError(result.get("error") or "the app's import failed; nothing was imported")
    return result


def import_export(
    conn: Any, path: Path, member: str, new_member: bool = False, workdir: Path | None = None
) -> dict[str, Any]:
    """Import the export at `path` (ZIP or folder) for `member` through the app's procedure on `conn` (a
    snowflake-connector connection: the local warehouse or an account, the app's database current); all or
    nothing. Returns the procedure's result: batch id, {file: {rows, new, staged}} for the files present, and the
    pipeline's state. Raises WhoopError with one line naming the file (and line) of any problem."""
    try:
        member = rules.check_member_name(member)
    except rules.ExportError as e:
        raise WhoopError(str(e)) from None
    # a ZIP's export files go to a temporary folder under `workdir` for the PUT, removed when it is done
    with unpacked(Path(path), Path(workdir) if workdir else Path(tempfile.gettempdir())) as folder:
        headers = check_folder(folder)  # a bad export fails before the warehouse is needed
        folder = _export_dir(folder)
        batch = rules.new_batch()
        cur = conn.cursor()
        stage_files(cur, folder, [spec.name for spec in FILES if spec.name in headers], member, batch)
    return call_import(cur, member, batch, new_member)
