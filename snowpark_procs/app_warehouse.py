"""The app's own warehouse, named after the app, and the objects that must name it.

A warehouse is an account-level object: two installs in one account (dev and prod, or the per-user suffix in
snowflake.yml) that both create `WHOOP_PLATFORM_WH` would share one, and the second would fail to use a warehouse
it does not own. So the name is derived from the app's name, which only the running app knows
(CURRENT_DATABASE() inside it). A dynamic table's `WAREHOUSE =` takes a name, not an expression
(https://docs.snowflake.com/en/sql-reference/sql/create-dynamic-table), and Snowflake does not document
IDENTIFIER() or variables there, so the Gold definitions and the data-quality alert are Jinja templates with
`{{ app_warehouse }}`, rendered and run here: their files reach the procedure through IMPORTS, which places them
in the import directory (https://docs.snowflake.com/en/developer-guide/stored-procedure/python/procedure-python-writing
"Reading files"; rendering: snowpark_procs/sql_templates.py). The same files, rendered, are what `whoop preflight`
and the static tests read.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from snowpark_procs.app_name import app_name
from snowpark_procs.sql_templates import import_directory, imported_templates, run_template

if TYPE_CHECKING:
    from snowflake.snowpark import Session

ALERT_TEMPLATE = "02_data_quality_alert.sql"
WAREHOUSE_OPTIONS = "WAREHOUSE_SIZE = 'XSMALL' AUTO_SUSPEND = 60 AUTO_RESUME = TRUE INITIALLY_SUSPENDED = TRUE"


def ensure_warehouse(session: Session) -> str:
    name = f"{app_name(session)}_WH"
    session.sql(f"CREATE WAREHOUSE IF NOT EXISTS {name} {WAREHOUSE_OPTIONS}").collect()
    return name


def build_gold(session: Session) -> dict:
    """BUILD_GOLD: the app's warehouse, then every Gold file it imports, in file-name order (layer order)."""
    name = ensure_warehouse(session)
    files = imported_templates(skip=(ALERT_TEMPLATE,))
    if not files:
        raise ValueError("BUILD_GOLD imports no Gold SQL files")
    ran = {p.name: run_template(session, p, name) for p in files}
    return {"warehouse": name, "files": len(ran), "statements": sum(ran.values())}


def create_alert(session: Session) -> str:
    """CREATE_DATA_QUALITY_ALERT: the alert on the app's warehouse (needs EXECUTE ALERT, the consumer's grant)."""
    name = ensure_warehouse(session)
    run_template(session, import_directory() / ALERT_TEMPLATE, name)
    return f"OPS.DATA_QUALITY_ALERT created on {name}"
