"""Import a WHOOP app data export (the four CSV files) into Bronze through a stage and COPY INTO, all or nothing.

Steps, all plain Snowflake SQL (the same statements run against a real account):
1. scan every file here, before anything is written: UTF-8 text, comma-separated, the English headers of the
   export, every record as wide as the header, no field larger than a VARCHAR holds; a problem is one line
   naming the file, the line and the reason (a localised, truncated or re-saved export fails here);
2. check the member: one the app knows (registered, or imported before) unless the caller creates one;
3. `PUT` each file to `@BRONZE.EXPORT_STAGE/<member>/<batch>/` and `COPY INTO` a temporary table (one VARCHAR
   column per CSV column, plus the record number) with the named file format `BRONZE.WHOOP_EXPORT_CSV`, all four
   files before any Bronze row is written;
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
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from pathlib import Path
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
    """Read the whole file as the COPY will and return its header; the first problem raises one line naming
    the file, the line (of the record's start) and the reason. Exports are a few MB, so this is cheap."""
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
                    check_header(spec, header)
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
    return header


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


def check_header(spec: ExportFile, header: list[str]) -> None:
    """Exactly the English headers (the optional ones may be absent), each once."""
    unknown = [h for h in header if h not in spec.all_headers]
    missing = [h for h in spec.headers if h not in header]
    duplicated = sorted({h for h in header if header.count(h) > 1})
    if unknown or missing or duplicated:
        parts = []
        if unknown:
            parts.append("unrecognised headers " + ", ".join(repr(h) for h in unknown))
        if missing:
            parts.append(f"{len(missing)} expected header(s) missing, e.g. {missing[0]!r}")
        if duplicated:
            parts.append("repeated headers " + ", ".join(repr(h) for h in duplicated))
        raise WhoopError(
            f"{spec.name}: {'; '.join(parts)} (the import reads the English export: set the WHOOP app's "
            "language to English and export again)"
        )


def check_folder(folder: Path) -> dict[str, list[str]]:
    """Validate the export folder and scan every file before anything is uploaded; the headers by file."""
    if not folder.exists():
        raise WhoopError(f"export folder not found: {folder}")
    if not folder.is_dir():
        raise WhoopError(f"{folder} is not a folder: unzip the WHOOP export and pass its folder")
    missing = [f.name for f in FILES if not (folder / f.name).is_file()]
    if missing:
        raise WhoopError(f"export folder {folder} lacks {', '.join(missing)}")
    return {spec.name: scan_file(folder / spec.name, spec) for spec in FILES}


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
    """Load the export in `folder` for `member`, all or nothing; returns the batch id and {file: {rows, new,
    staged}}. Raises WhoopError naming the file (and line) of any problem, with nothing of the batch kept."""
    member = member.strip()
    if not _MEMBER.match(member):
        raise WhoopError(f"member name {member!r} is not valid (letters, digits and _ . @ - only)")
    folder = Path(folder)
    headers = check_folder(folder)
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
        for spec in FILES:
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
