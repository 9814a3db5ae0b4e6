"""OPS.IMPORT_EXPORT: the WHOOP app's CSV export, staged by the consumer, into Bronze all or nothing.

In an installed app no consumer role may write the Bronze tables; the app's admin role may write one stage,
`@BRONZE.EXPORT_STAGE` (READ, WRITE granted to app_admin in sql/ops/12_import_export.sql), and call this
procedure, which runs with the app's rights. The caller PUTs the export's CSV files (any of the four, at least
one) under `<member>/<batch>/` of that stage (`whoop import-export` does, and the Setup page's upload), then
`CALL OPS.IMPORT_EXPORT(member, '<member>/<batch>', new_member)`. The same code runs in Snowflake and locally.

Steps (nothing is written before every file passed step 1):
1. read every staged file of the batch (session.file.get) and scan it whole: UTF-8, comma-separated,
   headers of a language in `HEADER_LANGUAGES` (mapped to the English ones), every record as wide as the
   header, no field larger than a VARCHAR holds; a problem is one line naming the file, the line and the reason
   (every header not recognised is listed);
2. check the member: one the app knows (registered, or imported before) unless `new_member`;
3. `COPY INTO` a temporary table per file (one VARCHAR column per CSV column, plus the record number) with the
   named file format `BRONZE.WHOOP_EXPORT_CSV`, every file before any Bronze row is written;
4. in one explicit transaction, `INSERT … WHERE NOT EXISTS` into each `BRONZE.RAW_EXPORT_*` with the audit
   columns, keeping only rows whose content hash is new for that member (so a re-import adds nothing);
5. start the pipeline (OPS.START_PIPELINE): the export's rows reach Silver and Gold on the next run, as an API
   member's do.
A failure at any step rolls the inserts back and removes the batch's staged files: nothing of the import stays.
A problem the member can fix is returned as {"ok": false, "error": "<one line>"} rather than raised, so every
caller (the CLI, the Setup page, a SQL worksheet) shows the line, not a Python traceback.

A stage in the consumer's account cannot be passed instead: SYSTEM$REFERENCE and manifest references list no
STAGE object type (https://docs.snowflake.com/en/sql-reference/functions/system_reference,
https://docs.snowflake.com/en/developer-guide/native-apps/requesting-refs), so the app-owned stage is the one way.
"""

from __future__ import annotations

import contextlib
import csv
import gzip
import hashlib
import io
import re
import stat
import tempfile
import uuid
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from snowflake.snowpark import Session

STAGE = "BRONZE.EXPORT_STAGE"
FILE_FORMAT = "BRONZE.WHOOP_EXPORT_CSV"
HASH_SEPARATOR = "\x1f"  # CHR(31) in SQL: the unit separator cannot occur in the export's text


class ExportError(ValueError):
    """A problem with the export the member can act on; its message is one line."""


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
FILE_NAMES = tuple(spec.name for spec in FILES)


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

MEMBER_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.@-]*$")
_BATCH = re.compile(r"^[0-9a-f]{32}$")

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


def new_batch() -> str:
    """A batch id: the folder of one import's files under `<member>/` on the stage."""
    return uuid.uuid4().hex


def check_member_name(member: str) -> str:
    member = member.strip()
    if not MEMBER_PATTERN.match(member):
        raise ExportError(f"member name {member!r} is not valid (letters, digits and _ . @ - only)")
    return member


@contextlib.contextmanager
def _csv_field_limit(limit: int) -> Iterator[None]:
    """Python's csv module refuses fields over 128 KiB by default; the scan measures them itself."""
    previous = csv.field_size_limit(limit)
    try:
        yield
    finally:
        csv.field_size_limit(previous)


def _decode(name: str, data: bytes) -> str:
    """The file as text; invalid UTF-8 names its line (a BOM is fine: COPY skips it, SKIP_BYTE_ORDER_MARK)."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line = data[: e.start].count(b"\n") + 1
        raise ExportError(
            f"{name} line {line}: not UTF-8 text (byte 0x{data[e.start]:02x}); the WHOOP export is UTF-8, "
            "export it again or save the file as UTF-8"
        ) from None


def _size(n: int) -> str:
    return f"{n / 1024 / 1024:.1f} MB"


def scan(spec: ExportFile, data: bytes) -> list[str]:
    """Read the whole file as the COPY will and return its header in English; the first problem raises one line
    naming the file, the line (of the record's start) and the reason. Exports are a few MB, so this is cheap."""
    name = spec.name
    text = _decode(name, data)
    # strict: a quote inside an unquoted field or an unclosed quote is an error, as it is for the COPY
    with _csv_field_limit(2**31 - 1):
        reader = csv.reader(io.StringIO(text, newline=""), strict=True)
        header: list[str] | None = None
        english: list[str] = []
        line = 1
        try:
            for record in reader:
                if header is None:
                    header = record
                    if not header or not any(h.strip() for h in header):
                        break
                    _check_delimiter(name, header)
                    english = check_header(spec, header)
                elif len(record) != len(header):
                    found = "an empty line" if not record else f"{len(record)} fields"
                    raise ExportError(
                        f"{name} line {line}: {found}, expected {len(header)} as in the header "
                        "(a truncated or edited file: export it again)"
                    )
                for n, field in enumerate(record, start=1):
                    if len(field) * 4 > MAX_FIELD_BYTES and len(field.encode()) > MAX_FIELD_BYTES:
                        raise ExportError(
                            f"{name} line {line}: field {n} is {_size(len(field.encode()))}, over the "
                            f"{_size(MAX_FIELD_BYTES)} a Snowflake VARCHAR value holds"
                        )
                line = reader.line_num + 1
        except csv.Error as e:
            raise ExportError(f"{name} line {line}: not valid CSV ({e})") from None
    if not header or not any(h.strip() for h in header):
        raise ExportError(f"{name} is empty: expected a header row")
    return english


def _check_delimiter(name: str, header: list[str]) -> None:
    """A header read as one column holding semicolons (or tabs) is a file with the wrong delimiter."""
    if len(header) != 1:
        return
    found = max(_DELIMITERS, key=header[0].count)
    if header[0].count(found):
        raise ExportError(
            f"{name} line 1: the fields are separated by {found!r}, not commas (a spreadsheet re-saved "
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
        raise ExportError(
            f"{spec.name}: {'; '.join(parts)} (the import reads exports in {languages}: set the WHOOP app's "
            "language to one of these and export again)"
        )
    return english


# A real export is a few MB; a ZIP member claiming more than this is not one (and may be a decompression bomb).
MAX_EXPORT_FILE_BYTES = 1024 * 1024 * 1024
_IGNORED = ("__MACOSX/", ".DS_Store")  # what macOS adds when a member re-zips the folder


def zip_entries(label: str, archive: zipfile.ZipFile) -> dict[str, zipfile.ZipInfo]:
    """The export's files in the archive by file name. Refuses the whole archive, naming the entry, for a path
    that could leave the folder it is unzipped into, a link, an encrypted entry, an archive inside it, an export
    file twice or in two folders, or one deeper than a folder; other files (a readme) are left alone."""
    found: dict[str, zipfile.ZipInfo] = {}
    names = {spec.name for spec in FILES}
    for info in archive.infolist():
        name = info.filename
        pure = PurePosixPath(name.replace("\\", "/"))
        if name.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:", name) or ".." in pure.parts or "\0" in name:
            raise ExportError(f"{label}: entry {name!r} points outside the archive's folder; refusing the ZIP")
        if stat.S_ISLNK(info.external_attr >> 16):
            raise ExportError(f"{label}: entry {name!r} is a link; refusing the ZIP")
        if info.is_dir() or name.startswith(_IGNORED[0]) or pure.name == _IGNORED[1]:
            continue
        if info.flag_bits & 0x1:
            raise ExportError(f"{label}: entry {name!r} is encrypted; refusing the ZIP")
        if pure.suffix.lower() in (".zip", ".gz", ".tar", ".7z", ".rar"):
            raise ExportError(f"{label}: entry {name!r} is an archive inside the archive: unzip it and pass that")
        if pure.name not in names:
            continue
        if len(pure.parts) > 2:
            raise ExportError(f"{label}: {name!r} is nested deeper than one folder; refusing the ZIP")
        if pure.name in found:
            raise ExportError(
                f"{label}: {pure.name} is in the archive twice ({found[pure.name].filename!r} "
                f"and {name!r}); refusing the ZIP"
            )
        if info.file_size > MAX_EXPORT_FILE_BYTES:
            raise ExportError(
                f"{label}: {name!r} unzips to {_size(info.file_size)}, over the "
                f"{_size(MAX_EXPORT_FILE_BYTES)} an export file has; refusing the ZIP"
            )
        found[pure.name] = info
    folders = {PurePosixPath(i.filename).parent for i in found.values()}
    if len(folders) > 1:
        shown = ", ".join(sorted(f"{str(f)!r}" for f in folders))
        raise ExportError(f"{label}: the export's files are in different folders ({shown}); refusing the ZIP")
    return found


def row_hash_sql(expressions: list[str]) -> str:
    """MD5 of the export's fields joined by CHR(31), NULL as '' (see `row_hash` for the same in Python)."""
    return f"MD5(CONCAT_WS(CHR(31), {', '.join(f'COALESCE({e}, {chr(39) * 2})' for e in expressions)}))"


def row_hash(values: list[str | None]) -> str:
    """What ROW_HASH holds for a row's fields, in the order of every column of its table."""
    return hashlib.md5(HASH_SEPARATOR.join(v or "" for v in values).encode()).hexdigest()


# --- the procedure -------------------------------------------------------------------------------------------
def _sql(session: Session, statement: str, params: list[Any] | None = None) -> list[Any]:
    """Every statement of the import runs here (one place a test can make one fail)."""
    return session.sql(statement, params=params).collect() if params else session.sql(statement).collect()


# A warehouse that quotes the statement it could not run (the local one does) says why before the quote.
_QUOTED_STATEMENT = re.compile(r"could not run this statement: (.*?); statement: .*$", re.I | re.S)


def _reason(e: Exception) -> str:
    """The warehouse's reason in one short line, without the SQL text (Snowflake's COPY errors name the file's
    line and column; a statement quoted back says nothing to the member)."""
    text = " ".join(str(getattr(e, "message", None) or e).split())
    text = re.sub(r"^\(\d+\): ", "", text)  # Snowpark's query id prefix
    text = re.sub(r"^\d{6} \(\w+\): ", "", text)  # the error code and SQL state say nothing to the member
    text = _QUOTED_STATEMENT.sub(lambda m: f"could not load it ({m[1]})", text).strip()
    return text if len(text) <= 300 else text[:300] + "…"


@dataclass
class _Staged:
    """One file of the batch on the stage: read, scanned, then copied into its temporary table."""

    spec: ExportFile
    staged: str  # path in the stage, <member>/<batch>/<file>
    header: list[str]  # the file's columns in English, in its order
    table: str = ""  # the temporary table
    rows: int = 0


def staged_files(session: Session, member: str, batch: str) -> tuple[dict[str, str], list[str]]:
    """The batch's export files on the stage, by export file name → path in the stage, and its ZIPs (the export as
    WHOOP sends it, as the Setup page stages it). LIST of the whole stage (the local LIST takes no path); names are
    <stage>/<member>/<batch>/<file>[.gz]."""
    found: dict[str, str] = {}
    zips: list[str] = []
    for row in _sql(session, f"LIST @{STAGE}"):
        parts = str(row[0]).split("/")
        if len(parts) != 4 or parts[1] != member or parts[2] != batch:
            continue
        name = parts[3][:-3] if parts[3].endswith(".gz") else parts[3]
        if name in FILE_NAMES:
            found[name] = "/".join(parts[1:])
        elif name.lower().endswith(".zip"):
            zips.append("/".join(parts[1:]))
    return found, sorted(zips)


def _unzip_on_stage(session: Session, member: str, batch: str, staged_zip: str) -> dict[str, str]:
    """A staged ZIP's export files, read with the same rules as `whoop import-export` uses for a ZIP on disk, put
    next to it as CSV files (session.file.put_stream, which a stored procedure may call:
    https://docs.snowflake.com/en/developer-guide/snowpark/reference/python/latest/snowpark/api/
    snowflake.snowpark.FileOperation.put_stream); the ZIP itself then leaves the stage. zipfile checks each
    entry's CRC and size as it reads it."""
    label = staged_zip.rsplit("/", 1)[-1].removesuffix(".gz")
    data = _read(session, staged_zip)
    files: dict[str, str] = {}
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            entries = zip_entries(label, archive)
            if not entries:
                raise ExportError(f"no WHOOP export in {label}: none of {', '.join(FILE_NAMES)} is in the ZIP")
            for name, info in entries.items():
                content = archive.read(info)
                session.file.put_stream(
                    io.BytesIO(content), f"@{STAGE}/{member}/{batch}/{name}", auto_compress=True, overwrite=True
                )
                files[name] = f"{member}/{batch}/{name}.gz"
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, OSError) as e:
        raise ExportError(f"{label}: cannot read the ZIP ({' '.join(str(e).split())})") from None
    _sql(session, f"REMOVE @{STAGE}/{staged_zip}")
    return files


def _read(session: Session, staged: str) -> bytes:
    """A staged file's bytes, gunzipped (PUT compresses with AUTO_COMPRESS): GET into a folder of this call, read,
    the folder removed. session.file.get runs from a stored procedure's own session, into /tmp
    (https://docs.snowflake.com/en/developer-guide/snowpark/reference/python/latest/snowpark/api/
    snowflake.snowpark.FileOperation.get; reading staged files from a Python procedure:
    https://docs.snowflake.com/en/developer-guide/stored-procedure/python/procedure-python-read-files)."""
    with tempfile.TemporaryDirectory(prefix="whoop-export-") as folder:
        session.file.get(f"@{STAGE}/{staged}", folder)
        data = (Path(folder) / staged.rsplit("/", 1)[-1]).read_bytes()
    return gzip.decompress(data) if staged.endswith(".gz") else data


# the members named by an imported export's Bronze rows (an export-only member has no CONFIG.MEMBERS row: these rows
# are their record, as in GOLD.DIM_MEMBER; OPS.APP_STATUS lists them too)
EXPORTED_MEMBERS = " UNION ".join(f"SELECT MEMBER_NAME FROM {f.table}" for f in FILES)


def known_members(session: Session) -> list[str]:
    """Members the app knows: registered (CONFIG.MEMBERS), or known only from an export imported before."""
    sources = f"SELECT MEMBER_NAME FROM CONFIG.MEMBERS UNION {EXPORTED_MEMBERS}"
    rows = _sql(session, f"SELECT DISTINCT MEMBER_NAME FROM ({sources}) AS m ORDER BY MEMBER_NAME")
    return [row[0] for row in rows]


def check_member(session: Session, member: str, new_member: bool) -> None:
    """A mistyped name must not create a member with a copy of the data: only `new_member` may."""
    if new_member:
        return
    known = known_members(session)
    if member in known:
        return
    shown = ", ".join(known[:_SHOWN_MEMBERS]) + (", …" if len(known) > _SHOWN_MEMBERS else "")
    raise ExportError(f"no member {member} (known: {shown or 'none'}); pass --new-member to create it")


def remove_abandoned(session: Session, member: str, keep: str) -> list[str]:
    """Remove the member's staged batches that no Bronze row refers to and that are older than ABANDONED_AFTER:
    what an import killed before it could clean up left behind (staged but never called, or killed mid-call).
    The age keeps an import still running elsewhere safe. Returns the batches removed."""
    newest: dict[str, datetime] = {}
    for name, *_, modified in _sql(session, f"LIST @{STAGE}"):
        parts = str(name).split("/")
        if len(parts) == 4 and parts[1] == member and parts[2] != keep:
            when = modified if isinstance(modified, datetime) else parsedate_to_datetime(str(modified))
            newest[parts[2]] = max(when, newest.get(parts[2], when))
    if not newest:
        return []
    used_sql = " UNION ".join(f"SELECT INGEST_BATCH_ID FROM {f.table} WHERE MEMBER_NAME = ?" for f in FILES)
    used = {row[0] for row in _sql(session, used_sql, [member] * len(FILES))}
    cutoff = datetime.now(UTC) - ABANDONED_AFTER
    abandoned = sorted(b for b, when in newest.items() if b not in used and when < cutoff)
    for batch in abandoned:
        _sql(session, f"REMOVE @{STAGE}/{member}/{batch}/")  # https://docs.snowflake.com/en/sql-reference/sql/remove
    return abandoned


def _copy(session: Session, item: _Staged) -> None:
    """COPY the staged file into a temporary table: the warehouse's checks run here, before any insert."""
    file_columns = [column_name(h) for h in item.header]  # in the file's order
    item.table = f"EXPORT_LOAD_{item.spec.table.rsplit('_', 1)[-1]}"  # in the session's schema (OPS)
    _sql(
        session,
        f"CREATE OR REPLACE TEMPORARY TABLE {item.table} ("
        + ", ".join(f"{c} VARCHAR" for c in file_columns)
        + ", FILE_ROW_NUMBER NUMBER(38, 0))",
    )
    positional = ", ".join(f"t.${i}" for i in range(1, len(file_columns) + 1))
    _sql(
        session,
        f"COPY INTO {item.table} ({', '.join(file_columns)}, FILE_ROW_NUMBER) "
        f"FROM (SELECT {positional}, METADATA$FILE_ROW_NUMBER FROM @{STAGE}/{item.staged} t) "
        f"FILE_FORMAT = (FORMAT_NAME = '{FILE_FORMAT}') ON_ERROR = ABORT_STATEMENT",
    )
    item.rows = int(_sql(session, f"SELECT COUNT(*) FROM {item.table}")[0][0])


def _insert(session: Session, item: _Staged, member: str, batch: str) -> int:
    """The file's rows whose content hash is new for the member, with the audit columns; the count inserted."""
    spec = item.spec
    table_columns = [column_name(h) for h in spec.all_headers]  # absent optional columns hash as ''
    present = {column_name(h) for h in item.header}
    values = ", ".join(f"s.{c}" if c in present else f"NULL AS {c}" for c in table_columns)
    hashed = row_hash_sql([f"l.{c}" if c in present else "NULL" for c in table_columns])
    rows = _sql(
        session,
        f"INSERT INTO {spec.table} (INGEST_BATCH_ID, LOADED_AT, MEMBER_NAME, SOURCE_FILE, STAGED_FILE, "
        f"FILE_ROW_NUMBER, ROW_HASH, {', '.join(table_columns)}) "
        f"SELECT ?, SYSDATE(), ?, ?, ?, s.FILE_ROW_NUMBER, s.ROW_HASH, {values} "
        f"FROM (SELECT l.*, {hashed} AS ROW_HASH FROM {item.table} l) s "
        f"WHERE NOT EXISTS (SELECT 1 FROM {spec.table} r WHERE r.MEMBER_NAME = ? AND r.ROW_HASH = s.ROW_HASH) "
        "QUALIFY ROW_NUMBER() OVER (PARTITION BY s.ROW_HASH ORDER BY s.FILE_ROW_NUMBER) = 1",
        [batch, member, spec.name, item.staged, member],
    )
    return int(rows[0][0]) if rows else 0


def _quietly(session: Session, statement: str) -> None:
    """Clean-up after a failure: its own error must not hide the one being reported."""
    with contextlib.suppress(Exception):
        _sql(session, statement)


def _batch_of(member: str, stage_path: str) -> str:
    """The batch id of `<member>/<batch>`: the path must be the member's own folder of one batch."""
    parts = stage_path.strip().strip("/").split("/")
    if len(parts) != 2 or parts[0] != member or not _BATCH.match(parts[1]):
        raise ExportError(
            f"stage path {stage_path!r} is not <member>/<batch>: PUT the export's CSV files under "
            f"@{STAGE}/{member}/<32 hex digits>/ and pass that path"
        )
    return parts[1]


def load(session: Session, member: str, stage_path: str, new_member: bool = False) -> dict[str, Any]:
    """Import the batch at `stage_path` for `member`, all or nothing; raises ExportError with one line."""
    member = check_member_name(member)
    batch = _batch_of(member, stage_path)
    loaded: list[_Staged] = []
    committed = False
    try:
        staged, zips = staged_files(session, member, batch)
        if zips:
            if staged or len(zips) > 1:
                shown = ", ".join([*sorted(staged), *(z.rsplit("/", 1)[-1] for z in zips)])
                raise ExportError(f"stage the export's ZIP or its CSV files, not both or two ZIPs (found {shown})")
            staged = _unzip_on_stage(session, member, batch, zips[0])
        if not staged:
            raise ExportError(
                f"no WHOOP export staged at @{STAGE}/{member}/{batch}/: none of {', '.join(FILE_NAMES)} is there"
            )
        # 1. every file read and scanned before anything is written
        items = [_Staged(spec, staged[spec.name], []) for spec in FILES if spec.name in staged]
        problems = []
        for item in items:
            try:
                item.header = scan(item.spec, _read(session, item.staged))
            except ExportError as e:
                problems.append(str(e))
        if problems:  # every file's problem in the one line, so one corrected export is enough
            raise ExportError(" | ".join(problems))
        check_member(session, member, new_member)
        remove_abandoned(session, member, keep=batch)
        # 2. CREATE TEMPORARY TABLE and COPY each end a transaction (DDL commits implicitly), so all of them run
        # before it begins; the transaction holds only the INSERTs, which commit or roll back as one
        # (https://docs.snowflake.com/en/sql-reference/transactions: a stored procedure may begin and end one).
        for item in items:
            try:
                _copy(session, item)
            except ExportError:
                raise
            except Exception as e:
                raise ExportError(
                    f"{item.spec.name}: the warehouse refused the file: {_reason(e)}; nothing was imported"
                ) from None
            loaded.append(item)
        new: dict[str, int] = {}
        _sql(session, "BEGIN TRANSACTION")
        try:
            for item in loaded:
                try:
                    new[item.spec.name] = _insert(session, item, member, batch)
                except Exception as e:
                    raise ExportError(
                        f"{item.spec.name}: loading into {item.spec.table} failed: {_reason(e)}; nothing was imported"
                    ) from None
            _sql(session, "COMMIT")
            committed = True
        except BaseException:
            _quietly(session, "ROLLBACK")
            raise
    except BaseException:
        if not committed:  # the batch's staged files go with its rows; a later import stages its own
            _quietly(session, f"REMOVE @{STAGE}/{member}/{batch}/")
        raise
    finally:
        for item in loaded:
            _quietly(session, f"DROP TABLE IF EXISTS {item.table}")
    files = {
        item.spec.name: {"rows": item.rows, "new": new[item.spec.name], "staged": f"@{STAGE}/{item.staged}"}
        for item in loaded
    }
    return {"batch": batch, "files": files}


def main(session: Session, member: str, stage_path: str, new_member: bool | None = False) -> dict[str, Any]:
    """Handler of OPS.IMPORT_EXPORT: {"ok": true, "batch", "files": {file: {rows, new, staged}}, "pipeline"} or
    {"ok": false, "error": "<one line>"} for a problem with the export, the member or the path (nothing kept).
    After a load the pipeline is started (as a registration does): the rows reach Gold on its next run."""
    from snowpark_procs import pipeline_state

    try:
        result = load(session, member, stage_path, bool(new_member))
    except ExportError as e:
        return {"ok": False, "error": str(e)}
    try:
        state: Any = pipeline_state.start(session)
    except ValueError as e:  # nothing to run yet (e.g. only a sleeps file of a new member): the load stands
        state = {"started": False, "reason": str(e)}
    return {"ok": True, **result, "pipeline": state}
