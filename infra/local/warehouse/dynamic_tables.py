"""Dynamic tables.

Local meaning: `CREATE DYNAMIC TABLE … AS <query>` keeps the definition in
`WHOOP_LOCAL.CATALOG.DYNAMIC_TABLES` and materialises the query into a table of that name. A refresh
recomputes it from its definition in one statement (`CREATE OR REPLACE TABLE … AS <query>`), so
readers see the old or the new contents, never a mix. `ALTER DYNAMIC TABLE t REFRESH` first refreshes
the dynamic tables it reads, in dependency order; the local scheduler's tick (`POST /_local/tick`,
called by `whoop run`) refreshes every resumed dynamic table in dependency order. Each refresh is a
row in `DYNAMIC_TABLE_REFRESH_HISTORY`.

A refresh whose sources have not changed since the last one is skipped and recorded as NO_DATA, as in
Snowflake (infra/local/warehouse/changes.py tracks writes).

Differences from Snowflake: every refresh that runs is a full recomputation (the requested REFRESH_MODE is
recorded, and the history says FULL); target lags are recorded, not timed; a definition Snowflake
would reject for incremental refresh is not rejected here (the static checks cover that).
"""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING

from infra.local.warehouse.base import LocalSession, Outcome
from infra.local.warehouse.catalog import PREFIX, now
from infra.local.warehouse.errors import LocalSqlError
from infra.local.warehouse.graph import dependency_order
from infra.local.warehouse.sqltext import (
    QNAME,
    ObjectName,
    closing_paren,
    create_options,
    property_value,
    qualify,
    split_as,
    status_select,
    tables_in,
)

if TYPE_CHECKING:
    from infra.local.warehouse.engine import Engine


def register(engine: Engine) -> None:
    engine.on(
        rf"^CREATE\s+(?P<replace>OR\s+REPLACE\s+)?(?:TRANSIENT\s+)?DYNAMIC\s+TABLE\s+(?P<ine>IF\s+NOT\s+EXISTS\s+)?"
        rf"(?P<name>{QNAME})\s*(?P<rest>.*)$",
        _create,
    )
    # column policy and tag attachments (MODIFY/ALTER COLUMN … SET TAG) are the governance handlers' business
    engine.on(
        rf"^ALTER\s+DYNAMIC\s+TABLE\s+(?P<ie>IF\s+EXISTS\s+)?(?P<name>{QNAME})\s+(?!(?:MODIFY|ALTER)\s)(?P<action>.*)$",
        _alter,
    )
    engine.on(rf"^DROP\s+DYNAMIC\s+TABLE\s+(?P<ie>IF\s+EXISTS\s+)?(?P<name>{QNAME})$", _drop)
    engine.on(r"^SHOW\s+DYNAMIC\s+TABLES\b.*$", _show)


def _create(engine: Engine, session: LocalSession, text: str, m: re.Match[str]) -> Outcome:
    name = qualify(m["name"], session.database, session.schema)
    header, query = split_as(m["rest"])
    columns = ""
    if header.startswith("("):
        close = closing_paren(header, 0)
        columns, header = header[: close + 1], header[close + 1 :]
    options = _options(text, header)
    lag = options.get("TARGET_LAG")
    if lag is None:
        raise LocalSqlError("CREATE DYNAMIC TABLE needs TARGET_LAG", errno=1003)
    mode = options.get("REFRESH_MODE", "AUTO").upper()
    initialize = options.get("INITIALIZE", "ON_CREATE").upper()
    exists = engine.catalog.query(f"SELECT 1 FROM {PREFIX}.DYNAMIC_TABLES WHERE NAME = ?", [name.fqn])
    if exists and not m["replace"]:
        if m["ine"]:
            return Outcome(sql=status_select(f"{name.name} already exists, statement succeeded."))
        raise LocalSqlError(f"Object '{name.fqn}' already exists.", errno=2002)
    depends = sorted(_resolve(t, session) for t in tables_in(query))
    if columns:
        names = [c.strip().split()[0] for c in columns[1:-1].split(",") if c.strip()]
        query = f"SELECT * FROM ({query}) AS q({', '.join(names)})"
    engine.catalog.query(
        f"INSERT OR REPLACE INTO {PREFIX}.DYNAMIC_TABLES VALUES (?, ?, ?, ?, ?, ?, ?, NULL)",
        [name.fqn, lag, mode, options.get("WAREHOUSE"), query, json.dumps(depends), now()],
    )
    _set_state(engine, name.fqn, "ACTIVE")
    engine.changes.refreshed.pop(name.fqn, None)  # a new definition: the next refresh must run
    try:
        _materialise(engine, name, query, empty=initialize == "ON_SCHEDULE")
    except Exception:
        engine.catalog.query(f"DELETE FROM {PREFIX}.DYNAMIC_TABLES WHERE NAME = ?", [name.fqn])
        raise
    engine.changes.bump(name.fqn)
    return Outcome(sql=status_select(f"Table {name.name} successfully created."))


def _options(text: str, header: str) -> dict[str, str]:
    """TARGET_LAG, WAREHOUSE, REFRESH_MODE, INITIALIZE, … as sqlglot parses the statement (sqltext.create_options);
    read from the header text when sqlglot cannot parse it."""
    options = create_options(text)
    if options is None:
        keys = ("TARGET_LAG", "WAREHOUSE", "REFRESH_MODE", "INITIALIZE")
        return {k: v for k in keys if (v := property_value(header, k)) is not None}
    return options


def _resolve(parts: tuple[str | None, str | None, str], session: LocalSession) -> str:
    catalog, db, table = parts
    return qualify(".".join(p for p in (catalog, db, table) if p), session.database, session.schema).fqn


def _set_state(engine: Engine, fqn: str, state: str) -> None:
    engine.catalog.put_object("DYNAMIC TABLE STATE", fqn, {"scheduling_state": state}, "")


def _state(engine: Engine, fqn: str) -> str:
    found = engine.catalog.get_object("DYNAMIC TABLE STATE", fqn)
    return found["scheduling_state"] if found else "ACTIVE"


def _materialise(engine: Engine, name: ObjectName, query: str, empty: bool = False) -> int:
    session = engine.internal_session(name.database, name.schema, f"dt:{name.fqn}")
    try:
        body = f"SELECT * FROM ({query}) WHERE FALSE" if empty else query
        cur = session.conn.cursor()
        cur.execute(f"CREATE OR REPLACE TABLE {name.sql()} AS {body}")
        cur.execute(f"SELECT COUNT(*) FROM {name.sql()}")
        return int(cur.fetchone()[0])
    finally:
        session.conn.close()


def _definition(engine: Engine, fqn: str) -> tuple[str, list[str]] | None:
    rows = engine.catalog.query(f"SELECT QUERY_TEXT, DEPENDS_ON FROM {PREFIX}.DYNAMIC_TABLES WHERE NAME = ?", [fqn])
    return (rows[0][0], json.loads(rows[0][1])) if rows else None


def refresh(engine: Engine, fqn: str, with_upstream: bool = True, _seen: set[str] | None = None) -> None:
    """Recompute one dynamic table, after the dynamic tables it reads when `with_upstream`."""
    seen = _seen if _seen is not None else set()
    if fqn in seen:
        return
    seen.add(fqn)
    found = _definition(engine, fqn)
    if found is None:
        raise LocalSqlError(f"Dynamic table '{fqn}' does not exist or not authorized.", errno=2003)
    query, depends = found
    if with_upstream:
        for dep in depends:
            if _definition(engine, dep) is not None:
                refresh(engine, dep, True, seen)
    started = now()
    signature = engine.changes.signature(depends)
    if engine.changes.refreshed.get(fqn) == signature:
        engine.catalog.query(
            f"INSERT INTO {PREFIX}.DYNAMIC_TABLE_REFRESH_HISTORY VALUES (?, 'NO_DATA', 'SUCCEEDED', NULL, NULL, ?, ?)",
            [fqn, started, now()],
        )
        return
    try:
        rows = _materialise(engine, ObjectName(*fqn.split(".")), query)
    except Exception as e:
        message = getattr(e, "message", None) or str(e)
        engine.catalog.query(
            f"INSERT INTO {PREFIX}.DYNAMIC_TABLE_REFRESH_HISTORY VALUES (?, 'FULL', 'FAILED', NULL, ?, ?, ?)",
            [fqn, message[:4000], started, now()],
        )
        raise LocalSqlError(f"Dynamic table {fqn} failed to refresh: {message}", errno=2000) from e
    engine.changes.bump(fqn)  # its readers must refresh too
    engine.changes.refreshed[fqn] = signature
    finished = now()
    engine.catalog.query(
        f"INSERT INTO {PREFIX}.DYNAMIC_TABLE_REFRESH_HISTORY VALUES (?, 'FULL', 'SUCCEEDED', ?, NULL, ?, ?)",
        [fqn, rows, started, finished],
    )
    engine.catalog.query(f"UPDATE {PREFIX}.DYNAMIC_TABLES SET LAST_REFRESHED_ON = ? WHERE NAME = ?", [finished, fqn])


def refresh_all(engine: Engine) -> list[str]:
    """The scheduler's tick: every resumed dynamic table, upstream before downstream."""
    rows = engine.catalog.query(f"SELECT NAME, DEPENDS_ON FROM {PREFIX}.DYNAMIC_TABLES")
    order = dependency_order({n: json.loads(ds) for n, ds in rows}, "Dynamic tables depend on each other in a cycle")
    active = [n for n in order if _state(engine, n) == "ACTIVE"]
    for n in active:
        refresh(engine, n, with_upstream=False)
    return active


def _alter(engine: Engine, session: LocalSession, text: str, m: re.Match[str]) -> Outcome:
    name = qualify(m["name"], session.database, session.schema)
    if _definition(engine, name.fqn) is None:
        if m["ie"]:
            return Outcome(sql=status_select("Statement executed successfully."))
        raise LocalSqlError(f"Dynamic table '{name.fqn}' does not exist or not authorized.", errno=2003)
    action = m["action"].strip().upper()
    if action == "REFRESH":
        refresh(engine, name.fqn)
    elif action in {"SUSPEND", "RESUME"}:
        _set_state(engine, name.fqn, "SUSPENDED" if action == "SUSPEND" else "ACTIVE")
    elif action.startswith("SET"):
        lag = property_value(m["action"], "TARGET_LAG")
        if lag:
            engine.catalog.query(f"UPDATE {PREFIX}.DYNAMIC_TABLES SET TARGET_LAG = ? WHERE NAME = ?", [lag, name.fqn])
    else:
        raise LocalSqlError(
            f"The local warehouse does not support ALTER DYNAMIC TABLE … {action.split()[0]}", errno=2000
        )
    return Outcome(sql=status_select("Statement executed successfully."))


def _drop(engine: Engine, session: LocalSession, text: str, m: re.Match[str]) -> Outcome:
    name = qualify(m["name"], session.database, session.schema)
    deleted = engine.catalog.query(f"DELETE FROM {PREFIX}.DYNAMIC_TABLES WHERE NAME = ? RETURNING NAME", [name.fqn])
    if not deleted:
        if m["ie"]:
            return Outcome(sql=status_select("Statement executed successfully."))
        raise LocalSqlError(f"Dynamic table '{name.fqn}' does not exist or not authorized.", errno=2003)
    return Outcome(sql=f"DROP TABLE IF EXISTS {name.sql()}", keep_params=False)


def _show(engine: Engine, session: LocalSession, text: str, m: re.Match[str]) -> Outcome:
    return Outcome(
        sql=(
            'SELECT d.CREATED_ON AS "created_on", SPLIT_PART(d.NAME, \'.\', 3) AS "name", '
            "SPLIT_PART(d.NAME, '.', 1) AS \"database_name\", SPLIT_PART(d.NAME, '.', 2) AS \"schema_name\", "
            'd.TARGET_LAG AS "target_lag", d.REFRESH_MODE AS "refresh_mode", '
            '\'locally every refresh is FULL\' AS "refresh_mode_reason", d.WAREHOUSE AS "warehouse", '
            "d.QUERY_TEXT AS \"text\", COALESCE(PARSE_JSON(o.PROPERTIES):scheduling_state::VARCHAR, 'ACTIVE') "
            'AS "scheduling_state", d.LAST_REFRESHED_ON AS "data_timestamp" '
            f"FROM {PREFIX}.DYNAMIC_TABLES d LEFT JOIN {PREFIX}.OBJECTS o "
            "ON o.KIND = 'DYNAMIC TABLE STATE' AND o.NAME = d.NAME ORDER BY d.NAME"
        ),
        keep_params=False,
    )
