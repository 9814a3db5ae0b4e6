"""What the local warehouse holds, as plain data: every object kind the app creates and every table's row count.

Read with the same SQL a consumer runs in Snowflake (SHOW, INFORMATION_SCHEMA, LIST) plus the local catalog
(`WHOOP_LOCAL.CATALOG`, where the emulation layer records what fakesnow cannot hold), so two inventories taken
around a restart of the stack can be compared (tests/integration/test_restart.py, bench/restart.py).
"""

from __future__ import annotations

from typing import Any

from infra.local.deploy import connect
from infra.local.settings import Settings
from infra.local.warehouse.catalog import CATALOG_DB, CATALOG_SCHEMA

APP = "WHOOP"
STAGES = ("WHOOP.BRONZE.EXPORT_STAGE",)

# one statement per object kind the app or its deploy creates
SHOW = (
    "SHOW DATABASES",
    "SHOW SCHEMAS IN ACCOUNT",
    "SHOW TABLES IN ACCOUNT",
    "SHOW VIEWS IN ACCOUNT",  # secure views (is_secure), the REPORTING views and, locally, streams' views
    "SHOW DYNAMIC TABLES",
    "SHOW STREAMS",
    "SHOW TASKS",  # with their state (started / suspended)
    f"SHOW FUNCTIONS IN DATABASE {APP}",
    f"SHOW SEQUENCES IN DATABASE {APP}",
    "SHOW SECRETS",
    f"SHOW STAGES IN DATABASE {APP}",
    f"SHOW FILE FORMATS IN DATABASE {APP}",
    "SHOW ALERTS",
    "SHOW NETWORK RULES",
    "SHOW MASKING POLICIES IN ACCOUNT",
    "SHOW TAGS",
    "SHOW INTEGRATIONS",
    "SHOW WAREHOUSES",
    "SHOW ROLES",
    f"SHOW APPLICATION ROLES IN APPLICATION {APP}",
    f"SHOW GRANTS TO APPLICATION {APP}",
    f"SHOW SPECIFICATIONS IN APPLICATION {APP}",
)

# the local catalog's definitions, not its histories: the app and its version, procedures, grants, row access and
# masking policies and where they apply, streamlits, integrations, streams' offsets, tasks' state
CATALOG_TABLES = (
    "OBJECTS",
    "GRANTS",
    "POLICY_REFERENCES",
    "TAG_REFERENCES",
    "STREAMS",
    "TASKS",
    "DYNAMIC_TABLES",
    "PROCEDURES",
    "SPECIFICATIONS",
)

# a session's own parameters: every new connection writes some, and a restart ends sessions (as in Snowflake)
SESSION_TABLES = (f"{CATALOG_DB}.{CATALOG_SCHEMA}.SESSION_PARAMETERS",)


def _rows(cur: Any, sql: str) -> list[tuple] | str:
    """The statement's rows in a stable order, or its error (one line) so a missing object shows as a difference."""
    try:
        cur.execute(sql)
        rows = cur.fetchall() if cur.description else []
    except Exception as e:
        return f"error: {' '.join(str(getattr(e, 'msg', e)).split())}"
    return sorted((tuple(r) for r in rows), key=repr)


def databases(cur: Any) -> list[str]:
    cur.execute("SHOW DATABASES")
    names = [d[0] for d in cur.description]
    return sorted(row[names.index("name")] for row in cur.fetchall())


def row_counts(cur: Any) -> dict[str, int | str]:
    """Rows of every table and view in every database (streams are views locally), by qualified name."""
    counts: dict[str, int | str] = {}
    for db in databases(cur):
        cur.execute(f'SELECT TABLE_SCHEMA, TABLE_NAME FROM "{db}".INFORMATION_SCHEMA.TABLES ORDER BY 1, 2')
        for schema, table in cur.fetchall():
            name = f"{db}.{schema}.{table}"
            if name in SESSION_TABLES:
                continue
            rows = _rows(cur, f'SELECT COUNT(*) FROM "{db}"."{schema}"."{table}"')
            counts[name] = rows if isinstance(rows, str) else int(rows[0][0])
    return counts


def staged_files(cur: Any) -> dict[str, list[tuple] | str]:
    """LIST of each of the app's stages: name, size, md5 and last-modified time per file."""
    return {stage: _rows(cur, f"LIST @{stage}") for stage in STAGES}


def snapshot(cur: Any) -> dict[str, Any]:
    """Every object kind, the staged files, load metadata, table comments, settings and row counts."""
    inventory: dict[str, Any] = {sql: _rows(cur, sql) for sql in SHOW}
    for table in CATALOG_TABLES:
        inventory[f"{CATALOG_DB}.{CATALOG_SCHEMA}.{table}"] = _rows(
            cur, f"SELECT * FROM {CATALOG_DB}.{CATALOG_SCHEMA}.{table}"
        )
    for db in databases(cur):
        inventory[f"{db} tables"] = _rows(
            cur, f'SELECT TABLE_SCHEMA, TABLE_NAME, TABLE_TYPE, COMMENT FROM "{db}".INFORMATION_SCHEMA.TABLES'
        )
        inventory[f"{db} columns"] = _rows(
            cur,
            "SELECT TABLE_SCHEMA, TABLE_NAME, COLUMN_NAME, ORDINAL_POSITION, DATA_TYPE, IS_NULLABLE, COMMENT "
            f'FROM "{db}".INFORMATION_SCHEMA.COLUMNS',
        )
        # COPY's load metadata: a file already loaded into a table is skipped
        inventory[f"{db} load history"] = _rows(cur, f'SELECT * FROM "{db}".INFORMATION_SCHEMA.LOAD_HISTORY')
    inventory[f"{APP}.CONFIG.SETTINGS"] = _rows(cur, f"SELECT * FROM {APP}.CONFIG.SETTINGS")
    inventory["staged files"] = staged_files(cur)
    inventory["row counts"] = row_counts(cur)
    return inventory


def of_stack(settings: Settings) -> dict[str, Any]:
    """`snapshot` of the local stack of `settings`, on a connection of its own."""
    conn = connect(settings)
    try:
        return snapshot(conn.cursor())
    finally:
        conn.close()
