"""Import a WHOOP app data export (its CSV files) into Bronze through a stage and COPY INTO, all or nothing.

The export is the ZIP as WHOOP sends it or its unzipped folder (`unpacked`); the files may sit at its top or in
one folder inside it, and any of the four may be absent (a member who never used the journal has none), as long
as one is there. Steps, all plain Snowflake SQL (the same statements run against a real account):
1. scan every file here, before anything is written: UTF-8 text, comma-separated, headers of a language in
   `HEADER_LANGUAGES` (mapped to the English ones), every record as wide as the header, no field larger than a
   VARCHAR holds; a problem is one line naming the file, the line and the reason (every header not recognised is
   listed; a truncated or re-saved export fails here);
2. check the member: one the app knows (registered, or imported before) unless the caller creates one;
3. `PUT` each file to `@BRONZE.EXPORT_STAGE/<member>/<batch>/` and `COPY INTO` a temporary table (one VARCHAR
   column per CSV column, plus the record number) with the named file format `BRONZE.WHOOP_EXPORT_CSV`, every
   file before any Bronze row is written;
4. in one explicit transaction, `INSERT … WHERE NOT EXISTS` into each `BRONZE.RAW_EXPORT_*` with the audit
   columns, keeping only rows whose content hash is new for that member (so a re-import adds nothing).
A failure at any step rolls the inserts back and removes the batch's staged files: nothing of the import stays.
"""

from __future__ import annotations

import contextlib
import csv
import hashlib
import io
import re
import shutil
import stat
import tempfile
import uuid
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from pathlib import Path, PurePosixPath
from typing import Any

import snowflake.connector.errors

from infra.local.errors import WhoopError

STAGE = "BRONZE.EXPORT_STAGE"
FILE_FORMAT = "BRONZE.WHOOP_EXPORT_CSV"
HASH_SEPARATOR = "\x1f"  # CHR(31) in SQL: the unit separator cannot occur in the export's text


@dataclass(frozen=True)
class ExportFile:
    name: str
    table: str
    headers: tuple[str, ...]
    optional: tuple[str, ...] = ()

    @property
    def all_headers(self) -> tuple[str, ...]:
        return self.headers + self.optional


# The English headers of the export (shared/whoop/NOTES.md), in the app's order.
FILES = (
    ExportFile(
        "physiological_cycles.csv",
        "BRONZE.RAW_EXPORT_CYCLE",
        (
            "Cycle start time", "Cycle end time", "Cycle timezone", "Recovery score %", "Resting heart rate (bpm)",
            "Heart rate variability (ms)", "Skin temp (celsius)", "Blood oxygen %", "Day Strain",
            "Energy burned (cal)", "Max HR (bpm)", "Average HR (bpm)", "Sleep onset", "Wake onset",
            "Sleep performance %", "Respiratory rate (rpm)", "Asleep duration (min)", "In bed duration (min)",
            "Light sleep duration (min)", "Deep (SWS) duration (min)", "REM duration (min)",
            "Awake duration (min)", "Sleep need (min)", "Sleep debt (min)", "Sleep efficiency %",
            "Sleep consistency %",
        ),
    ),
    ExportFile(
        "sleeps.csv",
        "BRONZE.RAW_EXPORT_SLEEP",
        (
            "Cycle start time", "Cycle end time", "Cycle timezone", "Sleep onset", "Wake onset",
            "Sleep performance %", "Respiratory rate (rpm)", "Asleep duration (min)", "In bed duration (min)",
            "Light sleep duration (min)", "Deep (SWS) duration (min)", "REM duration (min)",
            "Awake duration (min)", "Sleep need (min)", "Sleep debt (min)", "Sleep efficiency %",
            "Sleep consistency %", "Nap",
        ),
    ),
    ExportFile(
        "workouts.csv",
        "BRONZE.RAW_EXPORT_WORKOUT",
        (
            "Cycle start time", "Cycle end time", "Cycle timezone", "Workout start time", "Workout end time",
            "Duration (min)", "Activity name", "Activity Strain", "Energy burned (cal)", "Max HR (bpm)",
            "Average HR (bpm)", "HR Zone 1 %", "HR Zone 2 %", "HR Zone 3 %", "HR Zone 4 %", "HR Zone 5 %",
            "GPS enabled",
        ),
        optional=("Distance (meters)", "Altitude gain (meters)", "Altitude change (meters)"),
    ),
    ExportFile(
        "journal_entries.csv",
        "BRONZE.RAW_EXPORT_JOURNAL",
        ("Cycle start time", "Cycle end time", "Cycle timezone", "Question text", "Answered yes", "Notes"),
    ),
)  # fmt: skip


def _header_key(header: str) -> str:
    """Headers compare without case or spacing: WHOOP's own export guide writes 'Recovery Score %' where exports
    have 'Recovery score %' (https://support.whoop.com/APP_FEATURES__COACHING/Understanding_Your_WHOOP_Features/
    How_to_Export_Your_Data), and a header's meaning does not change with either."""
    return " ".join(header.split()).casefold()


# The headers of each language the import reads, in one place: language → {file → {its header: the English one}}.
# English is the export's own headers (FILES). WHOOP's app exports in the member's app language and WHOOP documents
# only the English headers (shared/whoop/NOTES.md, the export guide above), so no other language is listed: a
# translation guessed here would load a column into the wrong place. To add one, give every header of its four
# files, copied from a real export in that language; a file in it is then mapped to the English columns.
HEADER_LANGUAGES: dict[str, dict[str, dict[str, str]]] = {
    "English": {spec.name: {h: h for h in spec.all_headers} for spec in FILES},
}

_MEMBER = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.@-]*$")

# The Bronze columns are VARCHAR without a length: 16,777,216 characters at most, and accounts before the
# 128 MB limit also cap a value at 16 MB (https://docs.snowflake.com/en/sql-reference/data-types-text). A field
# over 16 MB of UTF-8 may not load on every account, so the scan refuses it with its line and size.
MAX_FIELD_BYTES = 16 * 1024 * 1024
_DELIMITERS = (";", "\t", "|")  # what a re-saved or localised spreadsheet writes instead of commas
_SHOWN_MEMBERS = 10
# A staged batch no Bronze row refers to, this much older than the import: left by a killed import
ABANDONED_AFTER = timedelta(hours=1)


def column_name(header: str) -> str:
    """The Bronze column of an export header: `Deep (SWS) duration (min)` → `DEEP_SWS_DURATION_MIN`."""
    return re.sub(r"[^a-z0-9]+", "_", header.replace("%", " pct").lower()).strip("_").upper()


@contextlib.contextmanager
def _csv_field_limit(limit: int) -> Iterator[None]:
    """Python's csv module refuses fields over 128 KiB by default; the scan measures them itself."""
    previous = csv.field_size_limit(limit)
    try:
        yield
    finally:
        csv.field_size_limit(previous)


def _decode(path: Path, data: bytes) -> str:
    """The file as text; invalid UTF-8 names its line (a BOM is fine: COPY skips it, SKIP_BYTE_ORDER_MARK)."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line = data[: e.start].count(b"\n") + 1
        raise WhoopError(
            f"{path.name} line {line}: not UTF-8 text (byte 0x{data[e.start]:02x}); the WHOOP export is UTF-8, "
            "export it again or save the file as UTF-8"
        ) from None


def _size(n: int) -> str:
    return f"{n / 1024 / 1024:.1f} MB"


def scan_file(path: Path, spec: ExportFile) -> list[str]:
    """Read the whole file as the COPY will and return its header in English; the first problem raises one line
    naming the file, the line (of the record's start) and the reason. Exports are a few MB, so this is cheap."""
    if not path.is_file():
        raise WhoopError(f"export file missing: {path.name} is not in {path.parent}")
    text = _decode(path, path.read_bytes())
    # strict: a quote inside an unquoted field or an unclosed quote is an error, as it is for the COPY
    with _csv_field_limit(2**31 - 1):
        reader = csv.reader(io.StringIO(text, newline=""), strict=True)
        header: list[str] | None = None
        line = 1
        try:
            for record in reader:
                if header is None:
                    header = record
                    if not header or not any(h.strip() for h in header):
                        break
                    _check_delimiter(path, header)
                    english = check_header(spec, header)
                elif len(record) != len(header):
                    found = "an empty line" if not record else f"{len(record)} fields"
                    raise WhoopError(
                        f"{path.name} line {line}: {found}, expected {len(header)} as in the header "
                        "(a truncated or edited file: export it again)"
                    )
                for n, field in enumerate(record, start=1):
                    if len(field) * 4 > MAX_FIELD_BYTES and len(field.encode()) > MAX_FIELD_BYTES:
                        raise WhoopError(
                            f"{path.name} line {line}: field {n} is {_size(len(field.encode()))}, over the "
                            f"{_size(MAX_FIELD_BYTES)} a Snowflake VARCHAR value holds"
                        )
                line = reader.line_num + 1
        except csv.Error as e:
            raise WhoopError(f"{path.name} line {line}: not valid CSV ({e})") from None
    if not header or not any(h.strip() for h in header):
        raise WhoopError(f"{path.name} is empty: expected a header row ({path})")
    return english


def _check_delimiter(path: Path, header: list[str]) -> None:
    """A header read as one column holding semicolons (or tabs) is a file with the wrong delimiter."""
    if len(header) != 1:
        return
    found = max(_DELIMITERS, key=header[0].count)
    if header[0].count(found):
        raise WhoopError(
            f"{path.name} line 1: the fields are separated by {found!r}, not commas (a spreadsheet re-saved "
            "it: use the export as downloaded, or save it as comma-separated CSV)"
        )


def _language(spec: ExportFile, header: list[str]) -> tuple[str, dict[str, str]]:
    """The language whose headers for this file recognise most of `header` (English on a tie), with its map from
    header key to English header."""
    best: tuple[int, str, dict[str, str]] | None = None
    for language, files in HEADER_LANGUAGES.items():
        table = {_header_key(k): v for k, v in files.get(spec.name, {}).items()}
        score = sum(_header_key(h) in table for h in header)
        if best is None or score > best[0]:
            best = (score, language, table)
    assert best is not None  # English is always there
    return best[1], best[2]


def check_header(spec: ExportFile, header: list[str]) -> list[str]:
    """The English header of each column of the file, in its order: every header of one language, the optional
    ones may be absent, each once. Refuses listing every header not recognised, every one missing, every repeat."""
    language, table = _language(spec, header)
    unknown = [h for h in header if _header_key(h) not in table]
    english = [table.get(_header_key(h), "") for h in header]
    missing = [h for h in spec.headers if h not in english]
    duplicated = sorted({h for h in header if h not in unknown and english.count(table[_header_key(h)]) > 1})
    if unknown or missing or duplicated:
        parts = []
        if unknown:
            parts.append("unrecognised headers " + ", ".join(repr(h) for h in unknown))
        if missing:
            named = {v: k for k, v in HEADER_LANGUAGES[language].get(spec.name, {}).items()}  # in the file's language
            parts.append(
                f"{len(missing)} expected header(s) missing: " + ", ".join(repr(named.get(h, h)) for h in missing)
            )
        if duplicated:
            parts.append("repeated headers " + ", ".join(repr(h) for h in duplicated))
        languages = ", ".join(HEADER_LANGUAGES)
        raise WhoopError(
            f"{spec.name}: {'; '.join(parts)} (the import reads exports in {languages}: set the WHOOP app's "
            "language to one of these and export again)"
        )
    return english


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
    return {spec.name: scan_file(folder / spec.name, spec) for spec in present}


# A real export is a few MB; a ZIP member claiming more than this is not one (and may be a decompression bomb).
MAX_EXPORT_FILE_BYTES = 1024 * 1024 * 1024
_IGNORED = ("__MACOSX/", ".DS_Store")  # what macOS adds when a member re-zips the folder


def _zip_entries(path: Path, archive: zipfile.ZipFile) -> dict[str, zipfile.ZipInfo]:
    """The export's files in the archive by file name. Refuses the whole archive, naming the entry, for a path
    that could leave the folder it is unzipped into, a link, an encrypted entry, an archive inside it, an export
    file twice or in two folders, or one deeper than a folder; other files (a readme) are left alone."""
    found: dict[str, zipfile.ZipInfo] = {}
    names = {spec.name for spec in FILES}
    for info in archive.infolist():
        name = info.filename
        pure = PurePosixPath(name.replace("\\", "/"))
        if name.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:", name) or ".." in pure.parts or "\0" in name:
            raise WhoopError(f"{path.name}: entry {name!r} points outside the archive's folder; refusing the ZIP")
        if stat.S_ISLNK(info.external_attr >> 16):
            raise WhoopError(f"{path.name}: entry {name!r} is a link; refusing the ZIP")
        if info.is_dir() or name.startswith(_IGNORED[0]) or pure.name == _IGNORED[1]:
            continue
        if info.flag_bits & 0x1:
            raise WhoopError(f"{path.name}: entry {name!r} is encrypted; refusing the ZIP")
        if pure.suffix.lower() in (".zip", ".gz", ".tar", ".7z", ".rar"):
            raise WhoopError(f"{path.name}: entry {name!r} is an archive inside the archive: unzip it and pass that")
        if pure.name not in names:
            continue
        if len(pure.parts) > 2:
            raise WhoopError(f"{path.name}: {name!r} is nested deeper than one folder; refusing the ZIP")
        if pure.name in found:
            raise WhoopError(
                f"{path.name}: {pure.name} is in the archive twice ({found[pure.name].filename!r} "
                f"and {name!r}); refusing the ZIP"
            )
        if info.file_size > MAX_EXPORT_FILE_BYTES:
            raise WhoopError(
                f"{path.name}: {name!r} unzips to {_size(info.file_size)}, over the "
                f"{_size(MAX_EXPORT_FILE_BYTES)} an export file has; refusing the ZIP"
            )
        found[pure.name] = info
    folders = {PurePosixPath(i.filename).parent for i in found.values()}
    if len(folders) > 1:
        shown = ", ".join(sorted(f"{str(f)!r}" for f in folders))
        raise WhoopError(f"{path.name}: the export's files are in different folders ({shown}); refusing the ZIP")
    return found


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
                entries = _zip_entries(path, archive)
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


def row_hash_sql(expressions: list[str]) -> str:
    """MD5 of the export's fields joined by CHR(31), NULL as '' (see `row_hash` for the same in Python)."""
    return f"MD5(CONCAT_WS(CHR(31), {', '.join(f'COALESCE({e}, {chr(39) * 2})' for e in expressions)}))"


def row_hash(values: list[str | None]) -> str:
    """What ROW_HASH holds for a row's fields, in the order of every column of its table."""
    return hashlib.md5(HASH_SEPARATOR.join(v or "" for v in values).encode()).hexdigest()


@dataclass
class _Loaded:
    """One file staged and copied into its temporary table, not yet in Bronze."""

    spec: ExportFile
    table: str  # the temporary table
    columns: list[str]  # the file's columns, in its order
    staged: str  # path in the stage
    rows: int


# The local warehouse answers a statement fakesnow cannot run with its (shortened) text; the reason is in its log.
_LOCAL_UNRUNNABLE = re.compile(r"could not run this statement: (.*?); statement: .*$", re.I | re.S)


def _reason(e: snowflake.connector.errors.Error) -> str:
    """The warehouse's reason in one short line, without the SQL text (Snowflake's COPY errors name the file's
    line and column; the local warehouse's fallback quotes the statement, which says nothing to the user)."""
    text = " ".join(str(getattr(e, "msg", None) or e).split())
    text = re.sub(r"^\d{6} \(\w+\): ", "", text)  # the error code and SQL state say nothing to the user
    text = _LOCAL_UNRUNNABLE.sub(lambda m: f"could not load it ({m[1]})", text).strip()
    return text if len(text) <= 300 else text[:300] + "…"


def _stage_file(cur: Any, folder: Path, spec: ExportFile, header: list[str], member: str, batch: str) -> _Loaded:
    """PUT the file and COPY it into a temporary table: the warehouse's checks run here, before any insert."""
    stage_dir = f"{member}/{batch}"
    source = (folder / spec.name).resolve()
    cur.execute(f"PUT {_sql_string(source.as_uri())} @{STAGE}/{stage_dir}/ AUTO_COMPRESS = TRUE OVERWRITE = TRUE")
    staged = f"{stage_dir}/{cur.fetchone()[1]}"

    file_columns = [column_name(h) for h in header]  # in the file's order
    load = f"EXPORT_LOAD_{spec.table.rsplit('_', 1)[-1]}"
    cur.execute(
        f"CREATE OR REPLACE TEMPORARY TABLE {load} ("
        + ", ".join(f"{c} VARCHAR" for c in file_columns)
        + ", FILE_ROW_NUMBER NUMBER(38, 0))"
    )
    positional = ", ".join(f"t.${i}" for i in range(1, len(file_columns) + 1))
    cur.execute(
        f"COPY INTO {load} ({', '.join(file_columns)}, FILE_ROW_NUMBER) "
        f"FROM (SELECT {positional}, METADATA$FILE_ROW_NUMBER FROM @{STAGE}/{staged} t) "
        f"FILE_FORMAT = (FORMAT_NAME = '{FILE_FORMAT}') ON_ERROR = ABORT_STATEMENT"
    )
    cur.execute(f"SELECT COUNT(*) FROM {load}")
    (rows,) = cur.fetchone()
    return _Loaded(spec, load, file_columns, staged, int(rows))


def _insert(cur: Any, loaded: _Loaded, member: str, batch: str) -> int:
    """The file's rows whose content hash is new for the member, with the audit columns; the count inserted."""
    spec = loaded.spec
    table_columns = [column_name(h) for h in spec.all_headers]  # absent optional columns hash as ''
    present = set(loaded.columns)
    values = ", ".join(f"s.{c}" if c in present else f"NULL AS {c}" for c in table_columns)
    cur.execute(
        f"INSERT INTO {spec.table} (INGEST_BATCH_ID, LOADED_AT, MEMBER_NAME, SOURCE_FILE, STAGED_FILE, "
        f"FILE_ROW_NUMBER, ROW_HASH, {', '.join(table_columns)}) "
        f"SELECT %(batch)s, SYSDATE(), %(member)s, %(file)s, %(staged)s, s.FILE_ROW_NUMBER, s.ROW_HASH, {values} "
        f"FROM (SELECT l.*, {row_hash_sql([f'l.{c}' if c in present else 'NULL' for c in table_columns])} AS ROW_HASH "
        f"FROM {loaded.table} l) s "
        f"WHERE NOT EXISTS (SELECT 1 FROM {spec.table} r WHERE r.MEMBER_NAME = %(member)s AND r.ROW_HASH = s.ROW_HASH) "
        "QUALIFY ROW_NUMBER() OVER (PARTITION BY s.ROW_HASH ORDER BY s.FILE_ROW_NUMBER) = 1",
        {"batch": batch, "member": member, "file": spec.name, "staged": loaded.staged},
    )
    return int(cur.rowcount or 0)


def known_members(cur: Any) -> list[str]:
    """Members the app knows: registered (CONFIG.MEMBERS), or known only from an export imported before
    (export-only members have no CONFIG.MEMBERS row: their Bronze rows are their record, as in GOLD.DIM_MEMBER)."""
    sources = ["SELECT MEMBER_NAME FROM CONFIG.MEMBERS"] + [f"SELECT MEMBER_NAME FROM {f.table}" for f in FILES]
    cur.execute(f"SELECT DISTINCT MEMBER_NAME FROM ({' UNION ALL '.join(sources)}) AS m ORDER BY MEMBER_NAME")
    return [row[0] for row in cur.fetchall()]


def check_member(cur: Any, member: str, new_member: bool) -> None:
    """A mistyped name must not create a member with a copy of the data: only `new_member` may."""
    if new_member:
        return
    known = known_members(cur)
    if member in known:
        return
    shown = ", ".join(known[:_SHOWN_MEMBERS]) + (", …" if len(known) > _SHOWN_MEMBERS else "")
    raise WhoopError(f"no member {member} (known: {shown or 'none'}); pass --new-member to create it")


def remove_abandoned(cur: Any, member: str) -> list[str]:
    """Remove the member's staged batches that no Bronze row refers to and that are older than ABANDONED_AFTER:
    what an import killed before it could clean up left behind (a failure it sees removes its own batch). The
    age keeps an import still running elsewhere safe. Returns the batches removed."""
    cur.execute(f"LIST @{STAGE}")  # the whole stage (the local LIST takes no path): <stage>/<member>/<batch>/<file>
    newest: dict[str, datetime] = {}
    for name, *_, modified in cur.fetchall():
        parts = name.split("/")
        if len(parts) == 4 and parts[1] == member:
            when = parsedate_to_datetime(modified)
            newest[parts[2]] = max(when, newest.get(parts[2], when))
    if not newest:
        return []
    cur.execute(
        " UNION ".join(f"SELECT INGEST_BATCH_ID FROM {f.table} WHERE MEMBER_NAME = %(member)s" for f in FILES),
        {"member": member},
    )
    used = {row[0] for row in cur.fetchall()}
    cutoff = datetime.now(UTC) - ABANDONED_AFTER
    abandoned = sorted(b for b, when in newest.items() if b not in used and when < cutoff)
    for batch in abandoned:
        cur.execute(f"REMOVE @{STAGE}/{member}/{batch}/")  # https://docs.snowflake.com/en/sql-reference/sql/remove
    return abandoned


def _quietly(cur: Any, sql: str) -> None:
    """Clean-up after a failure: its own error must not hide the one being reported."""
    with contextlib.suppress(snowflake.connector.errors.Error):
        cur.execute(sql)


def import_export(conn: Any, folder: Path, member: str, new_member: bool = False) -> dict[str, Any]:
    """Load the export in `folder` (its files present) for `member`, all or nothing; returns the batch id and
    {file: {rows, new, staged}} for those files. Raises WhoopError naming the file (and line) of any problem, with
    nothing of the batch kept."""
    member = member.strip()
    if not _MEMBER.match(member):
        raise WhoopError(f"member name {member!r} is not valid (letters, digits and _ . @ - only)")
    folder = Path(folder)
    headers = check_folder(folder)
    folder = _export_dir(folder)
    present = [spec for spec in FILES if spec.name in headers]
    cur = conn.cursor()
    cur.execute("USE SCHEMA BRONZE")  # the temporary load tables live next to the raw tables
    check_member(cur, member, new_member)
    remove_abandoned(cur, member)
    batch = uuid.uuid4().hex
    loaded: list[_Loaded] = []
    committed = False
    try:
        # PUT, CREATE TEMPORARY TABLE and COPY each end a transaction (DDL commits implicitly), so all of them
        # run before it begins; the transaction holds only the INSERTs, which commit or roll back as one
        # (https://docs.snowflake.com/en/sql-reference/transactions).
        for spec in present:
            try:
                loaded.append(_stage_file(cur, folder, spec, headers[spec.name], member, batch))
            except snowflake.connector.errors.Error as e:
                raise WhoopError(
                    f"{spec.name}: the warehouse refused the file: {_reason(e)}; nothing was imported"
                ) from None
        new: dict[str, int] = {}
        cur.execute("BEGIN TRANSACTION")
        try:
            for item in loaded:
                try:
                    new[item.spec.name] = _insert(cur, item, member, batch)
                except snowflake.connector.errors.Error as e:
                    raise WhoopError(
                        f"{item.spec.name}: loading into {item.spec.table} failed: {_reason(e)}; nothing was imported"
                    ) from None
            cur.execute("COMMIT")
            committed = True
        except BaseException:
            _quietly(cur, "ROLLBACK")
            raise
    except BaseException:
        if not committed:  # the batch's staged files go with its rows; a later import stages its own
            _quietly(cur, f"REMOVE @{STAGE}/{member}/{batch}/")
        raise
    finally:
        for item in loaded:
            _quietly(cur, f"DROP TABLE IF EXISTS {item.table}")
    files = {
        item.spec.name: {"rows": item.rows, "new": new[item.spec.name], "staged": f"@{STAGE}/{item.staged}"}
        for item in loaded
    }
    return {"batch": batch, "files": files}
