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
so does the local warehouse.
"""

from __future__ import annotations

import contextlib
import tempfile
from pathlib import Path

import fakesnow.transforms.stage as fs_stage
from fakesnow import info_schema
from fakesnow.instance import GLOBAL_DATABASE_NAME, FakeSnow
from fakesnow.transforms import show

GLOBAL_FILE = "fakesnow_global.db"
STAGES_DIR = "stages"

# fakesnow's import-time bucket, before `use_stage_storage` moves it (removed when still empty)
_IMPORTED_BUCKET = fs_stage.LOCAL_BUCKET_PATH


def use_stage_storage(data_dir: Path) -> Path:
    """Internal stages' files under `<data dir>/stages/`; returns that folder.

    fakesnow reads the bucket from its module global `LOCAL_BUCKET_PATH` at each use, so this holds for every
    stage statement and the `/fs_bucket` upload route. It is one folder per process: the server runs one
    warehouse; in-process test servers share it, the newest one's (as they shared fakesnow's temp folder).
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
    duck.execute(f"ATTACH {_literal(str(path))} AS {GLOBAL_DATABASE_NAME}")
    views = duck.execute(
        "SELECT schema_name, view_name FROM duckdb_views() WHERE database_name = ? AND NOT internal",
        [GLOBAL_DATABASE_NAME],
    ).fetchall()
    for schema, view in views:
        duck.execute(f'DROP VIEW IF EXISTS {GLOBAL_DATABASE_NAME}."{schema}"."{view}"')
    duck.execute(info_schema.fs_global_creation_sql())
    duck.execute(show.fs_global_creation_sql())
    return path


def _literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"
