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
from collections.abc import Iterable
from typing import TYPE_CHECKING

from infra.local.warehouse import routines
from infra.local.warehouse.base import LocalSession, Outcome, answer, ok
from infra.local.warehouse.catalog import PREFIX, now
from infra.local.warehouse.errors import LocalSqlError
from infra.local.warehouse.routines import DYNAMIC_TABLE, dependency_order
from infra.local.warehouse.sqltext import (
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
    routines.register(engine, DYNAMIC_TABLE, _create, _ACTIONS, _drop_table)


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
        keys = ("TARGET_LAG", "WAREHOUSE", "REFRESH_MODE")
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
    mode = options.get("REFRESH_MODE", "AUTO").upper()
    engine.catalog.query(
        f"INSERT OR REPLACE INTO {PREFIX}.DYNAMIC_TABLES VALUES (?, ?, ?, ?, ?, ?, ?, NULL)",
        [name.fqn, lag, mode, options.get("WAREHOUSE"), query, json.dumps(depends), now()],
    )
    _set_state(engine, name.fqn, "ACTIVE")
    engine.changes.refreshed.pop(name.fqn, None)  # a new definition: the next refresh must run
    try:
        _materialise(engine, name, query)
    except Exception:
        engine.catalog.query(f"DELETE FROM {PREFIX}.DYNAMIC_TABLES WHERE NAME = ?", [name.fqn])
        raise
    engine.changes.bump(name.fqn)
    return ok(f"Table {name.name} successfully created.")


HISTORY = "DYNAMIC_TABLE_REFRESH_HISTORY"


def _set_state(engine: Engine, fqn: str, state: str) -> None:
    engine.catalog.put_object("DYNAMIC TABLE STATE", fqn, {"scheduling_state": state}, "")


def _state(engine: Engine, fqn: str) -> str:
    found = engine.catalog.get_object("DYNAMIC TABLE STATE", fqn)
    return found["scheduling_state"] if found else "ACTIVE"


def _materialise(engine: Engine, name: ObjectName, query: str) -> int:
    with routines.internal_session(engine, name.fqn, f"dt:{name.fqn}") as session:
        cur = session.conn.cursor()
        cur.execute(f"CREATE OR REPLACE TABLE {name.sql()} AS {query}")
        return int(cur.execute(f"SELECT COUNT(*) FROM {name.sql()}").fetchone()[0])


def _definitions(engine: Engine) -> dict[str, tuple[str, list[str]]]:
    """Every dynamic table's query and the tables it reads."""
    rows = engine.catalog.query(f"SELECT NAME, QUERY_TEXT, DEPENDS_ON FROM {PREFIX}.DYNAMIC_TABLES")
    return {name: (query, json.loads(depends)) for name, query, depends in rows}


def _in_order(definitions: dict[str, tuple[str, list[str]]], names: Iterable[str]) -> list[str]:
    return dependency_order({n: definitions[n][1] for n in names}, "Dynamic tables depend on each other in a cycle")


def refresh(engine: Engine, fqn: str) -> None:
    """Recompute one dynamic table, after the dynamic tables it reads (theirs first, and so on upstream)."""
    definitions = _definitions(engine)
    if fqn not in definitions:
        raise routines.not_found(DYNAMIC_TABLE, fqn)
    upstream = routines.reachable(fqn, lambda n: [d for d in definitions[n][1] if d in definitions])
    for name in _in_order(definitions, upstream):
        _refresh(engine, name, *definitions[name])


def refresh_all(engine: Engine) -> list[str]:
    """The scheduler's tick: every resumed dynamic table, upstream before downstream."""
    definitions = _definitions(engine)
    active = [n for n in _in_order(definitions, definitions) if _state(engine, n) == "ACTIVE"]
    for name in active:
        _refresh(engine, name, *definitions[name])
    return active


def _refresh(engine: Engine, fqn: str, query: str, depends: list[str]) -> None:
    """Recompute one dynamic table unless nothing it reads changed since its last refresh (NO_DATA)."""
    started = now()
    signature = engine.changes.signature(depends)
    if engine.changes.refreshed.get(fqn) == signature:
        return routines.record(engine, HISTORY, fqn, "NO_DATA", "SUCCEEDED", None, None, started, now())
    try:
        rows = _materialise(engine, ObjectName(*fqn.split(".")), query)
    except Exception as e:
        message = getattr(e, "message", None) or str(e)
        routines.record(engine, HISTORY, fqn, "FULL", "FAILED", None, message[:4000], started, now())
        raise LocalSqlError(f"Dynamic table {fqn} failed to refresh: {message}", errno=2000) from e
    engine.changes.bump(fqn)  # its readers must refresh too
    engine.changes.refreshed[fqn] = signature
    finished = now()
    routines.record(engine, HISTORY, fqn, "FULL", "SUCCEEDED", rows, None, started, finished)
    engine.catalog.query(f"UPDATE {PREFIX}.DYNAMIC_TABLES SET LAST_REFRESHED_ON = ? WHERE NAME = ?", [finished, fqn])


# REFRESH, SUSPEND and RESUME: what the product and its tests use
_ACTIONS: routines.Actions = {
    "REFRESH": lambda engine, fqn, m: refresh(engine, fqn),
    "SUSPEND": lambda engine, fqn, m: _set_state(engine, fqn, "SUSPENDED"),
    "RESUME": lambda engine, fqn, m: _set_state(engine, fqn, "ACTIVE"),
}


def _drop_table(engine: Engine, session: LocalSession, name: ObjectName) -> Outcome:
    return answer(f"DROP TABLE IF EXISTS {name.sql()}")
