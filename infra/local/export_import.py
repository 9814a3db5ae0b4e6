"""Import a WHOOP app data export (the four CSV files) into Bronze through a stage and COPY INTO.

Steps, all plain Snowflake SQL (the same statements run against a real account):
1. check the folder and each file's header row here, against the English headers of the export, so a
   localised or unknown export fails before anything is loaded;
2. `PUT` each file to `@BRONZE.EXPORT_STAGE/<member>/<batch>/`;
3. `COPY INTO` a temporary table (one VARCHAR column per CSV column, plus the record number) with the named
   file format `BRONZE.WHOOP_EXPORT_CSV`;
4. `INSERT … WHERE NOT EXISTS` into `BRONZE.RAW_EXPORT_*` with the audit columns, keeping only rows whose
   content hash is new for that member (so a re-import adds nothing).
"""

from __future__ import annotations

import csv
import hashlib
import re
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

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


def column_name(header: str) -> str:
    """The Bronze column of an export header: `Deep (SWS) duration (min)` → `DEEP_SWS_DURATION_MIN`."""
    return re.sub(r"[^a-z0-9]+", "_", header.replace("%", " pct").lower()).strip("_").upper()


def read_header(path: Path) -> list[str]:
    """The file's header row; fails on a missing or empty file."""
    if not path.is_file():
        raise WhoopError(f"export file missing: {path.name} is not in {path.parent}")
    with path.open(newline="", encoding="utf-8-sig") as fh:
        try:
            header = next(csv.reader(fh), None)
        except (csv.Error, UnicodeDecodeError) as e:
            raise WhoopError(f"{path.name} is not a readable CSV file ({e})") from None
    if not header or not any(h.strip() for h in header):
        raise WhoopError(f"{path.name} is empty: expected a header row ({path})")
    return header


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
    """Validate the export folder and every file's header before anything is uploaded."""
    if not folder.exists():
        raise WhoopError(f"export folder not found: {folder}")
    if not folder.is_dir():
        raise WhoopError(f"{folder} is not a folder: unzip the WHOOP export and pass its folder")
    missing = [f.name for f in FILES if not (folder / f.name).is_file()]
    if missing:
        raise WhoopError(f"export folder {folder} lacks {', '.join(missing)}")
    headers = {}
    for spec in FILES:
        header = read_header(folder / spec.name)
        check_header(spec, header)
        headers[spec.name] = header
    return headers


def _sql_string(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "''") + "'"


def row_hash_sql(expressions: list[str]) -> str:
    """MD5 of the export's fields joined by CHR(31), NULL as '' (see `row_hash` for the same in Python)."""
    return f"MD5(CONCAT_WS(CHR(31), {', '.join(f'COALESCE({e}, {chr(39) * 2})' for e in expressions)}))"


def row_hash(values: list[str | None]) -> str:
    """What ROW_HASH holds for a row's fields, in the order of every column of its table."""
    return hashlib.md5(HASH_SEPARATOR.join(v or "" for v in values).encode()).hexdigest()


def _load_file(cur: Any, folder: Path, spec: ExportFile, header: list[str], member: str, batch: str) -> dict:
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

    table_columns = [column_name(h) for h in spec.all_headers]  # absent optional columns hash as ''
    present = set(file_columns)
    values = ", ".join(f"s.{c}" if c in present else f"NULL AS {c}" for c in table_columns)
    cur.execute(
        f"INSERT INTO {spec.table} (INGEST_BATCH_ID, LOADED_AT, MEMBER_NAME, SOURCE_FILE, STAGED_FILE, "
        f"FILE_ROW_NUMBER, ROW_HASH, {', '.join(table_columns)}) "
        f"SELECT %(batch)s, SYSDATE(), %(member)s, %(file)s, %(staged)s, s.FILE_ROW_NUMBER, s.ROW_HASH, {values} "
        f"FROM (SELECT l.*, {row_hash_sql([f'l.{c}' if c in present else 'NULL' for c in table_columns])} AS ROW_HASH "
        f"FROM {load} l) s "
        f"WHERE NOT EXISTS (SELECT 1 FROM {spec.table} r WHERE r.MEMBER_NAME = %(member)s AND r.ROW_HASH = s.ROW_HASH) "
        "QUALIFY ROW_NUMBER() OVER (PARTITION BY s.ROW_HASH ORDER BY s.FILE_ROW_NUMBER) = 1",
        {"batch": batch, "member": member, "file": spec.name, "staged": staged},
    )
    new = cur.rowcount or 0
    cur.execute(f"DROP TABLE IF EXISTS {load}")
    return {"rows": int(rows), "new": int(new), "staged": f"@{STAGE}/{staged}"}


def import_export(conn: Any, folder: Path, member: str) -> dict[str, dict]:
    """Load the export in `folder` for `member`; returns {file: {rows, new, staged}} and the batch id."""
    member = member.strip()
    if not _MEMBER.match(member):
        raise WhoopError(f"member name {member!r} is not valid (letters, digits and _ . @ - only)")
    folder = Path(folder)
    headers = check_folder(folder)
    batch = uuid.uuid4().hex
    cur = conn.cursor()
    cur.execute("USE SCHEMA BRONZE")  # the temporary load tables live next to the raw tables
    results = {}
    for spec in FILES:
        results[spec.name] = _load_file(cur, folder, spec, headers[spec.name], member, batch)
    return {"batch": batch, "files": results}
