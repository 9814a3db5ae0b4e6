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

from infra.local.warehouse import routines
from infra.local.warehouse.base import LocalSession, Outcome, answer, ok
from infra.local.warehouse.catalog import PREFIX, now
from infra.local.warehouse.errors import LocalSqlError
from infra.local.warehouse.routines import DYNAMIC_TABLE, dependency_order
from infra.local.warehouse.sqltext import (
    QNAME,
    ObjectName,
    closing_paren,
    create_options,
    property_value,
    qualify,
    split_as,
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
    routines.register(engine, DYNAMIC_TABLE, _drop_table)


def _create(engine: Engine, session: LocalSession, text: str, m: re.Match[str]) -> Outcome:
    name = qualify(m["name"], session.database, session.schema)
    header, query = split_as(m["rest"])
    columns = ""
    if header.startswith("("):
        close = closing_paren(header, 0)
        columns, header = header[: close + 1], header[close + 1 :]
    # sqlglot's parse of the statement (sqltext.create_options), or the header text where sqlglot cannot parse it
    options = create_options(text)
    if options is None:
        keys = ("TARGET_LAG", "WAREHOUSE", "REFRESH_MODE", "INITIALIZE")
        options = {k: v for k in keys if (v := property_value(header, k)) is not None}
    lag = options.get("TARGET_LAG")
    if lag is None:
        raise LocalSqlError("CREATE DYNAMIC TABLE needs TARGET_LAG", errno=1003)
    if (over := routines.create_over(engine, DYNAMIC_TABLE, name, m)) is not None:
        return over
    depends = sorted(
        qualify(".".join(p for p in parts if p), session.database, session.schema).fqn for parts in tables_in(query)
    )
    if columns:
        names = [c.strip().split()[0] for c in columns[1:-1].split(",") if c.strip()]
        query = f"SELECT * FROM ({query}) AS q({', '.join(names)})"
    engine.catalog.query(
        f"INSERT OR REPLACE INTO {PREFIX}.DYNAMIC_TABLES VALUES (?, ?, ?, ?, ?, ?, ?, NULL)",
        [
            name.fqn,
            lag,
            options.get("REFRESH_MODE", "AUTO").upper(),
            options.get("WAREHOUSE"),
            query,
            json.dumps(depends),
            now(),
        ],
    )
    _set_state(engine, name.fqn, "ACTIVE")
    engine.changes.refreshed.pop(name.fqn, None)  # a new definition: the next refresh must run
    try:
        _materialise(engine, name, query, empty=options.get("INITIALIZE", "ON_CREATE").upper() == "ON_SCHEDULE")
    except Exception:
        engine.catalog.query(f"DELETE FROM {PREFIX}.DYNAMIC_TABLES WHERE NAME = ?", [name.fqn])
        raise
    engine.changes.bump(name.fqn)
    return ok(f"Table {name.name} successfully created.")


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


def _record(
    engine: Engine, fqn: str, action: str, state: str, rows: int | None, error: str | None, started: object
) -> None:
    engine.catalog.query(
        f"INSERT INTO {PREFIX}.DYNAMIC_TABLE_REFRESH_HISTORY VALUES (?, ?, ?, ?, ?, ?, ?)",
        [fqn, action, state, rows, error, started, now()],
    )


def refresh(engine: Engine, fqn: str, with_upstream: bool = True, _seen: set[str] | None = None) -> None:
    """Recompute one dynamic table, after the dynamic tables it reads when `with_upstream`."""
    seen = _seen if _seen is not None else set()
    if fqn in seen:
        return
    seen.add(fqn)
    found = _definition(engine, fqn)
    if found is None:
        raise routines.not_found(DYNAMIC_TABLE, fqn)
    query, depends = found
    if with_upstream:
        for dep in depends:
            if _definition(engine, dep) is not None:
                refresh(engine, dep, True, seen)
    started = now()
    signature = engine.changes.signature(depends)
    if engine.changes.refreshed.get(fqn) == signature:
        return _record(engine, fqn, "NO_DATA", "SUCCEEDED", None, None, started)
    try:
        rows = _materialise(engine, ObjectName(*fqn.split(".")), query)
    except Exception as e:
        message = getattr(e, "message", None) or str(e)
        _record(engine, fqn, "FULL", "FAILED", None, message[:4000], started)
        raise LocalSqlError(f"Dynamic table {fqn} failed to refresh: {message}", errno=2000) from e
    engine.changes.bump(fqn)  # its readers must refresh too
    engine.changes.refreshed[fqn] = signature
    _record(engine, fqn, "FULL", "SUCCEEDED", rows, None, started)
    engine.catalog.query(f"UPDATE {PREFIX}.DYNAMIC_TABLES SET LAST_REFRESHED_ON = ? WHERE NAME = ?", [now(), fqn])


def refresh_all(engine: Engine) -> list[str]:
    """The scheduler's tick: every resumed dynamic table, upstream before downstream."""
    rows = engine.catalog.query(f"SELECT NAME, DEPENDS_ON FROM {PREFIX}.DYNAMIC_TABLES")
    order = dependency_order({n: json.loads(ds) for n, ds in rows}, "Dynamic tables depend on each other in a cycle")
    active = [n for n in order if _state(engine, n) == "ACTIVE"]
    for n in active:
        refresh(engine, n, with_upstream=False)
    return active


def _alter(engine: Engine, session: LocalSession, text: str, m: re.Match[str]) -> Outcome:
    """REFRESH, SUSPEND and RESUME, what the product and its tests use; other actions fail naming them."""
    name = qualify(m["name"], session.database, session.schema)
    if not routines.exists(engine, DYNAMIC_TABLE, name.fqn):
        return routines.absent(DYNAMIC_TABLE, name.fqn, m["ie"])
    action = m["action"].strip().upper()
    if action == "REFRESH":
        refresh(engine, name.fqn)
    elif action in {"SUSPEND", "RESUME"}:
        _set_state(engine, name.fqn, "SUSPENDED" if action == "SUSPEND" else "ACTIVE")
    else:
        raise LocalSqlError(
            f"The local warehouse does not support ALTER DYNAMIC TABLE … {action.split()[0]}", errno=2000
        )
    return ok()


def _drop_table(engine: Engine, session: LocalSession, name: ObjectName) -> Outcome:
    return answer(f"DROP TABLE IF EXISTS {name.sql()}")
