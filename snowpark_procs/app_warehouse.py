"""The app's own warehouse, named after the app, and the objects that must name it.

A warehouse is an account-level object: two installs in one account (dev and prod, or the per-user suffix in
snowflake.yml) that both create `WHOOP_PLATFORM_WH` would share one, and the second would fail to use a warehouse
it does not own. So the name is derived from the app's name, which only the running app knows
(CURRENT_DATABASE() inside it). A dynamic table's `WAREHOUSE =` takes a name, not an expression
(https://docs.snowflake.com/en/sql-reference/sql/create-dynamic-table), and Snowflake does not document
IDENTIFIER() or variables there, so the Gold definitions and the data-quality alert are Jinja templates with
`{{ app_warehouse }}`, rendered and run here: their files reach the procedure through IMPORTS, which places them
in the import directory (https://docs.snowflake.com/en/developer-guide/stored-procedure/python/procedure-python-writing
"Reading files"). The same files, rendered, are what `whoop preflight` and the static tests read.
"""

from __future__ import annotations

import io
import sys
from pathlib import Path
from typing import Any

import jinja2
from snowflake.connector.util_text import split_statements

from snowpark_procs.app_name import app_name

ALERT_TEMPLATE = "02_data_quality_alert.sql"
WAREHOUSE_OPTIONS = "WAREHOUSE_SIZE = 'XSMALL' AUTO_SUSPEND = 60 AUTO_RESUME = TRUE INITIALLY_SUSPENDED = TRUE"


def render(text: str, app_warehouse: str, folder: Path | None = None) -> str:
    """A template's SQL for this app (a missing variable is an error, never an empty string). `folder` is where
    `{% from '…' import … %}` finds shared macros: the template's own folder (in the procedure, the flat import
    directory; in the repository, the file's folder under sql/)."""
    loader = jinja2.FileSystemLoader(str(folder)) if folder is not None else None
    env = jinja2.Environment(
        undefined=jinja2.StrictUndefined, autoescape=False, keep_trailing_newline=True, loader=loader
    )
    return env.from_string(text).render(app_warehouse=app_warehouse)


def render_file(path: Path, app_warehouse: str) -> str:
    """A template file rendered with its folder as the place its macro imports are found."""
    return render(path.read_text(), app_warehouse, path.parent)


def statements(sql: str) -> list[str]:
    """The statements of a rendered file, comments kept with the statement they precede."""
    return [s.strip() for s, _ in split_statements(io.StringIO(sql), remove_comments=True) if s.strip()]


def _import_directory() -> Path:
    return Path(sys._xoptions["snowflake_import_directory"])  # type: ignore[attr-defined]


def _run_template(session: Any, path: Path, app_warehouse: str) -> int:
    ran = 0
    for statement in statements(render_file(path, app_warehouse)):
        session.sql(statement).collect()
        ran += 1
    return ran


def ensure_warehouse(session: Any) -> str:
    name = f"{app_name(session)}_WH"
    session.sql(f"CREATE WAREHOUSE IF NOT EXISTS {name} {WAREHOUSE_OPTIONS}").collect()
    return name


def build_gold(session: Any) -> dict:
    """BUILD_GOLD: the app's warehouse, then every Gold file it imports, in file-name order (layer order)."""
    name = ensure_warehouse(session)
    files = sorted(p for p in _import_directory().iterdir() if p.suffix == ".sql" and p.name != ALERT_TEMPLATE)
    if not files:
        raise ValueError("BUILD_GOLD imports no Gold SQL files")
    ran = {p.name: _run_template(session, p, name) for p in files}
    return {"warehouse": name, "files": len(ran), "statements": sum(ran.values())}


def create_alert(session: Any) -> str:
    """CREATE_DATA_QUALITY_ALERT: the alert on the app's warehouse (needs EXECUTE ALERT, the consumer's grant)."""
    name = ensure_warehouse(session)
    _run_template(session, _import_directory() / ALERT_TEMPLATE, name)
    return f"OPS.DATA_QUALITY_ALERT created on {name}"
