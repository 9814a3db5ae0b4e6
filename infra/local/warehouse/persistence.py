"""What fakesnow 0.12.1 keeps in memory or in the system temp directory, kept under the data directory instead.

Databases are DuckDB files under `<data dir>/databases/` (fakesnow's `db_path`), and each holds its own COPY
load metadata (`_fs_information_schema._fs_load_history`). Two things fakesnow keeps elsewhere, so that a
restart of the warehouse (`whoop local down && whoop local up`, a reboot) lost them:

- its `_fs_global` database, an in-memory DuckDB catalog holding internal stages (`_fs_stages`), named file
  formats (`_fs_file_formats`), table and column comments (`_fs_tables_ext`, `_fs_columns_ext`) and users: it
  becomes the file `<data dir>/fakesnow_global.db`;
- the storage of internal stages (the files `PUT` uploads), a `fakesnow_bucket_*` folder it creates with
  `tempfile.mkdtemp` when imported: it becomes `<data dir>/stages/<database>/<schema>/<stage>/`. Load
  metadata names a file by its path there, so with a fixed bucket a file loaded before a restart is still
  skipped after it, as Snowflake's load metadata skips it
  (https://docs.snowflake.com/en/user-guide/data-load-considerations-load, "Loading older files").

Snowflake keeps an internal stage's files until they are removed or the stage is dropped
(https://docs.snowflake.com/en/sql-reference/sql/drop-stage, https://docs.snowflake.com/en/sql-reference/sql/remove);
so does the local warehouse. fakesnow cannot drop a stage or a file format and leaves both (and the stage's files)
behind when their schema or database is dropped, which a persistent `_fs_global` would keep forever and hand to
the next object of the same name: `DROP STAGE` (its files purged, as Snowflake does for an internal stage),
`DROP FILE FORMAT`, and `DROP SCHEMA` (what it contained goes with it) are handled here. fakesnow has no
`DROP DATABASE`.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

import fakesnow.transforms.stage as fs_stage
from fakesnow import info_schema
from fakesnow.instance import GLOBAL_DATABASE_NAME, FakeSnow
from fakesnow.transforms import show

from infra.local.warehouse.base import LocalSession, Outcome, ok
from infra.local.warehouse.errors import LocalSqlError
from infra.local.warehouse.sqltext import QNAME, qualify, split_name

if TYPE_CHECKING:
    from infra.local.warehouse.engine import Engine

GLOBAL_FILE = "fakesnow_global.db"
STAGES_DIR = "stages"

# fakesnow's import-time bucket, before `use_stage_storage` moves it (removed when still empty)
_IMPORTED_BUCKET = fs_stage.LOCAL_BUCKET_PATH


def use_stage_storage(data_dir: Path) -> Path:
    """Internal stages' files under `<data dir>/stages/`; returns that folder.

    fakesnow reads the bucket from its module global `LOCAL_BUCKET_PATH` at each use, so this holds for every
    stage statement and the `/fs_bucket` upload route. The global is one per process: a server serving several
    warehouses (the tests' in-process stacks) points it at a warehouse's folder before each of its statements.
    """
    bucket = (data_dir / STAGES_DIR).resolve()
    bucket.mkdir(parents=True, exist_ok=True)
    fs_stage.LOCAL_BUCKET_PATH = str(bucket)
    _remove_imported_bucket()
    return bucket


def _remove_imported_bucket() -> None:
    """The empty folder fakesnow made in the system temp directory on import: nothing is stored outside the home."""
    folder = Path(_IMPORTED_BUCKET)
    if folder.name.startswith("fakesnow_bucket_") and folder.parent == Path(tempfile.gettempdir()):
        with contextlib.suppress(OSError):  # not empty (a fakesnow used before the move) or already gone
            folder.rmdir()


def attach_global(fs: FakeSnow, data_dir: Path) -> Path:
    """Swap fakesnow's in-memory `_fs_global` for `<data dir>/fakesnow_global.db`; returns the file.

    Call right after `FakeSnow(...)`, before any connection uses it. Its tables are kept; its views (SHOW's
    queries over the tables) are recreated from the installed fakesnow, so an upgrade of fakesnow does not
    leave stale ones behind.
    """
    path = (data_dir / GLOBAL_FILE).resolve()
    path.parent.mkdir(parents=True, exist_ok=True)
    duck = fs.duck_conn
    duck.execute(f"DETACH {GLOBAL_DATABASE_NAME}")
    quoted = str(path).replace("'", "''")
    duck.execute(f"ATTACH '{quoted}' AS {GLOBAL_DATABASE_NAME}")
    views = duck.execute(
        "SELECT schema_name, view_name FROM duckdb_views() WHERE database_name = ? AND NOT internal",
        [GLOBAL_DATABASE_NAME],
    ).fetchall()
    for schema, view in views:
        duck.execute(f'DROP VIEW IF EXISTS {GLOBAL_DATABASE_NAME}."{schema}"."{view}"')
    duck.execute(info_schema.fs_global_creation_sql())
    duck.execute(show.fs_global_creation_sql())
    return path


# dropping stages, file formats and the schemas that hold them------------------------------------
# read and written through the catalog's connection, which is fakesnow's own DuckDB connection (catalog.py)
_GLOBAL = f"{GLOBAL_DATABASE_NAME}._fs_information_schema"
_DROPS = {"STAGE": ("_fs_stages", "Stage"), "FILE FORMAT": ("_fs_file_formats", "File format")}
# what a dropped schema held, by the columns naming its (database, schema): stages, file formats, table and column
# comments
_SCOPED = {
    "_fs_stages": ("database_name", "schema_name"),
    "_fs_file_formats": ("database_name", "schema_name"),
    "_fs_tables_ext": ("ext_table_catalog", "ext_table_schema"),
    "_fs_columns_ext": ("ext_table_catalog", "ext_table_schema"),
}


def register(engine: Engine) -> None:
    engine.on(rf"^DROP\s+(?P<kind>STAGE|FILE\s+FORMAT)\s+(?P<ie>IF\s+EXISTS\s+)?(?P<name>{QNAME})$", _drop)
    engine.on(rf"^DROP\s+SCHEMA\s+(?:IF\s+EXISTS\s+)?(?P<name>{QNAME})(?:\s+(?:CASCADE|RESTRICT))?$", _drop_schema)


def _stage_dir(*parts: str) -> Path:
    """A stage's (or a schema's) folder in the bucket; never the bucket itself or outside it."""
    bucket = Path(fs_stage.LOCAL_BUCKET_PATH)
    folder = bucket.joinpath(*parts)
    if folder.resolve() == bucket.resolve() or not folder.resolve().is_relative_to(bucket.resolve()):
        raise LocalSqlError(f"Invalid stage location: {'.'.join(parts)}", errno=1003)
    return folder


def staged(session: LocalSession, stage: str, path: str | None) -> tuple[str, str, str, list[str]]:
    """What GET and REMOVE act on: the stage's name, its folder, the folder or file `path` names there, and the
    files under that (relative to the stage's folder)."""
    catalog, schema, name = fs_stage.parts_from_var(stage, session.database, session.schema)
    root = fs_stage.internal_dir(f"{catalog}.{schema}.{name}")
    target = fs_stage.internal_dir(f"{catalog}.{schema}.{name}", (path or "/").lstrip("/"))
    if os.path.isdir(target):
        files = [os.path.relpath(os.path.join(folder, f), root) for folder, _, names in os.walk(target) for f in names]
    else:
        files = [os.path.relpath(target.rstrip("/"), root)] if os.path.isfile(target.rstrip("/")) else []
    return name, root, target, files


def _drop(engine: Engine, session: LocalSession, text: str, m: re.Match[str]) -> Outcome:
    kind = " ".join(m["kind"].upper().split())
    (table, label), name = _DROPS[kind], qualify(m["name"], session.database, session.schema)
    parts = [name.database, name.schema, name.name]
    where = "database_name = ? AND schema_name = ? AND name = ?"
    if not engine.catalog.query(f"DELETE FROM {_GLOBAL}.{table} WHERE {where} RETURNING 1", parts):
        if m["ie"]:
            return ok(f"Drop statement executed successfully ({label.lower()} already dropped).")
        raise LocalSqlError(f"SQL compilation error:\n{label} '{name.fqn}' does not exist or not authorized.", 2003)
    if kind == "STAGE":  # an internal stage's files go with it
        shutil.rmtree(_stage_dir(*parts), ignore_errors=True)
    return ok(f"{name.name} successfully dropped.")


def _drop_schema(engine: Engine, session: LocalSession, text: str, m: re.Match[str]) -> Outcome:
    """fakesnow drops the schema; once it has, its stages (with their files), file formats and comments go too."""
    parts = split_name(m["name"])
    scope = [session.database or "", parts[0]] if len(parts) == 1 else parts[-2:]

    def forget(dropped: bool) -> None:
        if not dropped or not all(scope):
            return
        for table, (database, schema) in _SCOPED.items():
            engine.catalog.query(f"DELETE FROM {_GLOBAL}.{table} WHERE {database} = ? AND {schema} = ?", scope)
        shutil.rmtree(_stage_dir(*scope), ignore_errors=True)

    return Outcome(sql=text, after=forget)
