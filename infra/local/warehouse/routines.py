"""What the layer's routine objects (streams, tasks, dynamic tables, procedures) share.

Each kind keeps one row per object in its own catalog table. CREATE over an existing object, ALTER (the kind's own
actions; any other is left to the next handler), DROP, SHOW and the not-found error are routed and answered the same
way for all of them, from this table of kinds. Task graphs and dynamic tables run in dependency order.
"""

from __future__ import annotations

import contextlib
import functools
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from infra.local.warehouse.base import Handler, LocalSession, Outcome, answer, ok
from infra.local.warehouse.catalog import PREFIX
from infra.local.warehouse.errors import LocalSqlError
from infra.local.warehouse.sqltext import QNAME, ObjectName, qualify

if TYPE_CHECKING:
    from infra.local.warehouse.application import AppContext
    from infra.local.warehouse.engine import Engine


@dataclass(frozen=True)
class Kind:
    """A routine kind: its SQL words, its catalog table, the label its errors use and its SHOW columns after
    created_on, name, database_name and schema_name (expressions over the catalog row `t`)."""

    words: str
    table: str
    label: str
    show: str = ""
    show_join: str = ""
    modifier: str = ""  # the one word CREATE may put before the kind (TRANSIENT, SECURE)

    @property
    def pattern(self) -> str:
        return self.words.replace(" ", r"\s+")


STREAM = Kind("STREAM", "STREAMS", "Stream", 't.SOURCE_TABLE AS "table_name", t.MODE AS "mode", FALSE AS "stale"')
TASK = Kind(
    "TASK",
    "TASKS",
    "Task",
    't.WAREHOUSE AS "warehouse", t.SCHEDULE AS "schedule", t.PREDECESSORS AS "predecessors", t.STATE AS "state", '
    't.DEFINITION AS "definition", t.CONDITION AS "condition"',
)
DYNAMIC_TABLE = Kind(
    "DYNAMIC TABLE",
    "DYNAMIC_TABLES",
    "Dynamic table",
    't.TARGET_LAG AS "target_lag", t.REFRESH_MODE AS "refresh_mode", '
    '\'locally every refresh is FULL\' AS "refresh_mode_reason", t.WAREHOUSE AS "warehouse", t.QUERY_TEXT AS "text", '
    "COALESCE(PARSE_JSON(o.PROPERTIES):scheduling_state::VARCHAR, 'ACTIVE') AS \"scheduling_state\", "
    't.LAST_REFRESHED_ON AS "data_timestamp"',
    # the scheduling state lives with the generic objects (dynamic_tables._set_state)
    f"LEFT JOIN {PREFIX}.OBJECTS AS o ON o.KIND = 'DYNAMIC TABLE STATE' AND o.NAME = t.NAME",
    "TRANSIENT",
)
PROCEDURE = Kind("PROCEDURE", "PROCEDURES", "Procedure", modifier="SECURE")

# what DROP does beyond deleting the catalog row; its Outcome (if any) answers the statement
Dropped = Callable[["Engine", LocalSession, ObjectName], "Outcome | None"]
# an ALTER action: the object's qualified name and the action's match (its pattern's groups)
Action = Callable[["Engine", str, re.Match[str]], object]
Actions = Mapping[str, Action]  # each key a pattern of a whole ALTER action


def create_pattern(kind: Kind) -> str:
    """CREATE [OR REPLACE] <kind> [IF NOT EXISTS] <name> <rest>: the groups replace, ine, name and rest."""
    modifier = rf"(?:{kind.modifier}\s+)?" if kind.modifier else ""
    return (
        rf"^CREATE\s+(?P<replace>OR\s+REPLACE\s+)?{modifier}{kind.pattern}\s+"
        rf"(?P<ine>IF\s+NOT\s+EXISTS\s+)?(?P<name>{QNAME})\s*(?P<rest>.*)$"
    )


def register(
    engine: Engine, kind: Kind, create: Handler, actions: Actions | None = None, dropped: Dropped | None = None
) -> None:
    """CREATE, ALTER … <one of `actions`>, DROP [IF EXISTS] and SHOW <kind>S."""
    words = kind.pattern
    engine.on(create_pattern(kind), create)
    if actions:
        alter = rf"^ALTER\s+{words}\s+(?P<ie>IF\s+EXISTS\s+)?(?P<name>{QNAME})\s+(?P<action>.+)$"
        engine.on(alter, functools.partial(_alter, kind, actions))
    engine.on(rf"^DROP\s+{words}\s+(?P<ie>IF\s+EXISTS\s+)?(?P<name>{QNAME})$", functools.partial(_drop, kind, dropped))
    engine.on(rf"^SHOW\s+{words}S\b.*$", functools.partial(_show, kind))


def not_found(kind: Kind, name: str) -> LocalSqlError:
    return LocalSqlError(f"{kind.label} '{name}' does not exist or not authorized.", errno=2003)


def absent(kind: Kind, name: str, if_exists: object, message: str = "Statement executed successfully.") -> Outcome:
    """The answer to a statement on a missing object: `message` under IF EXISTS, else Snowflake's not-found error."""
    if if_exists:
        return ok(message)
    raise not_found(kind, name)


def exists(engine: Engine, kind: Kind, fqn: str, where: str = "", params: Iterable[object] = ()) -> bool:
    return bool(engine.catalog.query(f"SELECT 1 FROM {PREFIX}.{kind.table} WHERE NAME = ?{where}", [fqn, *params]))


def create_over(engine: Engine, kind: Kind, name: ObjectName, m: re.Match[str], **match: object) -> Outcome | None:
    """None when CREATE goes on (a new object, or OR REPLACE); IF NOT EXISTS's answer or the error otherwise.
    `match` narrows which row counts as the same object (a procedure's ARG_TYPES)."""
    where = "".join(f" AND {column} = ?" for column in match)
    if m["replace"] or not exists(engine, kind, name.fqn, where, match.values()):
        return None
    if m["ine"]:
        return ok(f"{name.name} already exists, statement succeeded.")
    raise LocalSqlError(f"Object '{name.fqn}' already exists.", errno=2002)


def _drop(
    kind: Kind, dropped: Dropped | None, engine: Engine, session: LocalSession, text: str, m: re.Match[str]
) -> Outcome:
    name = qualify(m["name"], session.database, session.schema)
    if not engine.catalog.query(f"DELETE FROM {PREFIX}.{kind.table} WHERE NAME = ? RETURNING NAME", [name.fqn]):
        # IF EXISTS of a missing object completes successfully (https://docs.snowflake.com/en/sql-reference/sql/drop-task)
        return absent(kind, name.fqn, m["ie"], f"Drop statement executed successfully ({name.name} already dropped).")
    return (dropped and dropped(engine, session, name)) or ok(f"{name.name} successfully dropped.")


def _alter(
    kind: Kind, actions: Actions, engine: Engine, session: LocalSession, text: str, m: re.Match[str]
) -> Outcome | None:
    """The kind's own actions; None (the next handler's turn) for any other: tags and policies are the governance
    handlers' to record, and what no handler takes fails naming the statement (engine._reject_unknown)."""
    for pattern, act in actions.items():
        if found := re.fullmatch(pattern, m["action"].strip(), re.I | re.S):
            name = qualify(m["name"], session.database, session.schema)
            if not exists(engine, kind, name.fqn):
                return absent(kind, name.fqn, m["ie"])
            act(engine, name.fqn, found)
            return ok()
    return None


def _show(kind: Kind, engine: Engine, session: LocalSession, text: str, m: re.Match[str]) -> Outcome:
    return answer(
        'SELECT t.CREATED_ON AS "created_on", SPLIT_PART(t.NAME, \'.\', 3) AS "name", '
        "SPLIT_PART(t.NAME, '.', 1) AS \"database_name\", SPLIT_PART(t.NAME, '.', 2) AS \"schema_name\", "
        f"{kind.show} FROM {PREFIX}.{kind.table} AS t {kind.show_join} ORDER BY t.NAME"
    )


def record(engine: Engine, table: str, *values: object) -> None:
    """One row of a history table (TASK_HISTORY, DYNAMIC_TABLE_REFRESH_HISTORY, PROCEDURE_CALLS)."""
    engine.catalog.query(f"INSERT INTO {PREFIX}.{table} VALUES ({', '.join('?' * len(values))})", list(values))


@contextlib.contextmanager
def internal_session(engine: Engine, fqn: str, label: str, app: AppContext | None = None) -> Iterator[LocalSession]:
    """A session the layer runs its own work on (a task body, a refresh, a SQL procedure), in the schema of `fqn`,
    as `app` when an application's object runs with its owner's rights; closed afterwards."""
    database, schema, _ = fqn.split(".")
    session = engine.internal_session(database, schema, label)
    session.app = app
    try:
        yield session
    finally:
        session.conn.close()


def reachable(start: str, step: Callable[[str], Iterable[str]]) -> set[str]:
    """`start` and every node `step` leads to from it (a graph's successors, or a table's sources)."""
    seen: set[str] = set()
    stack = [start]
    while stack:
        node = stack.pop()
        if node not in seen:
            seen.add(node)
            stack.extend(step(node))
    return seen


def dependency_order(depends_on: Mapping[str, Iterable[str]], cycle_message: str) -> list[str]:
    """Every node after the nodes it depends on (names outside the mapping are ignored); ties by name."""
    deps = {n: [d for d in ds if d in depends_on] for n, ds in depends_on.items()}
    ordered: list[str] = []
    while len(ordered) < len(deps):
        ready = sorted(n for n in deps if n not in ordered and all(d in ordered for d in deps[n]))
        if not ready:
            raise LocalSqlError(cycle_message, errno=2000)
        ordered.extend(ready)
    return ordered
