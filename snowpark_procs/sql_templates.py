"""SQL files that are Jinja templates, rendered and run by a procedure at install and upgrade.

Two layers are declared as templates and built this way, each by one procedure the setup script calls:

- Gold (OPS.BUILD_GOLD, snowpark_procs/app_warehouse.py): a dynamic table's `WAREHOUSE =` takes a literal name and
  the app's warehouse is named after the app, which only the running app knows.
- Silver and the data-quality procedure (OPS.CREATE_FROM_TEMPLATES, `create_from_templates` below): the Silver
  tables share one shape (typed table, PENDING table, transform procedure that quarantines, MERGEs and logs the run,
  task), declared once as a macro (sql/silver/_entity.sql); each sql/silver/ file declares one entity as data
  (columns, key, version rule) plus the SQL only it has (the typed, checked SELECT of its stream).
  OPS.RUN_DATA_QUALITY takes its single-table checks from lists of rows (sql/quality/10_run_data_quality.sql).

Why a procedure that renders at install, rather than SQL rendered at build time: the setup script cannot run Python;
a rendered copy checked in next to its template is the very repetition the templates remove; and a build step that
renders into the app zip would make the bundle differ from the repository that `snow app bundle` and the local stage
read. Rendering what the procedure imports is the pattern Gold already uses, runs the same in Snowflake and locally,
and creates the same plain SQL tables, procedures and tasks as before (what each runs is visible in Snowsight).

Imported files land flat in the import directory
(https://docs.snowflake.com/en/developer-guide/stored-procedure/python/procedure-python-writing "Reading files"),
so a template's `{% from '_entity.sql' import … %}` is found in its own folder there and in the repository alike.
Files whose names start with `_` hold macros only and are not run.
"""

from __future__ import annotations

import io
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import jinja2
from snowflake.connector.util_text import split_statements

if TYPE_CHECKING:
    from snowflake.snowpark import Session


def render(text: str, app_warehouse: str | None = None, folder: Path | None = None) -> str:
    """A template's SQL (a missing variable is an error, never an empty string). `folder` is where
    `{% from '…' import … %}` finds shared macros: the template's own folder."""
    loader = jinja2.FileSystemLoader(str(folder)) if folder is not None else None
    env = jinja2.Environment(
        undefined=jinja2.StrictUndefined, autoescape=False, keep_trailing_newline=True, loader=loader
    )
    variables = {} if app_warehouse is None else {"app_warehouse": app_warehouse}
    return env.from_string(text).render(**variables)


def render_file(path: Path, app_warehouse: str | None = None) -> str:
    """A template file rendered with its folder as the place its macro imports are found."""
    return render(path.read_text(), app_warehouse, path.parent)


def statements(sql: str) -> list[str]:
    """The statements of a rendered file, comments kept with the statement they precede."""
    return [s.strip() for s, _ in split_statements(io.StringIO(sql), remove_comments=True) if s.strip()]


def import_directory() -> Path:
    return Path(sys._xoptions["snowflake_import_directory"])  # type: ignore[attr-defined]


def imported_templates(skip: tuple[str, ...] = ()) -> list[Path]:
    """The SQL templates the running procedure imports, in file-name order (layer order), macro files left out."""
    return sorted(
        p
        for p in import_directory().iterdir()
        if p.suffix == ".sql" and not p.name.startswith("_") and p.name not in skip
    )


def run_template(session: Session, path: Path, app_warehouse: str | None = None) -> int:
    ran = 0
    for statement in statements(render_file(path, app_warehouse)):
        session.sql(statement).collect()
        ran += 1
    return ran


def create_from_templates(session: Session) -> dict:
    """CREATE_FROM_TEMPLATES: every template it imports (the Silver entities, the data-quality procedure), in file-name
    order (the objects they create depend on none of each other)."""
    files = imported_templates()
    if not files:
        raise ValueError("CREATE_FROM_TEMPLATES imports no SQL templates")
    ran = {p.name: run_template(session, p) for p in files}
    return {"files": len(ran), "statements": sum(ran.values())}
