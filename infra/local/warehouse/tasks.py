"""Tasks and task graphs.

Local meaning: `CREATE TASK` records the task (schedule, predecessors, WHEN condition, body) in
`WHOOP_LOCAL.CATALOG.TASKS`; `ALTER TASK … RESUME | SUSPEND` sets its state; `EXECUTE TASK root`
runs the root and then its resumed descendants in dependency order, each after all its
predecessors succeeded (Snowflake's default ALL_SUCCEEDED). A task whose WHEN is false is SKIPPED and
so are the tasks after it. A finalizer (`CREATE TASK f FINALIZE = root AS …`) runs last, when resumed,
whatever the other tasks' states. Every task run is a row in `TASK_HISTORY`; its RETURN_VALUE is what
the run set with SYSTEM$SET_RETURN_VALUE (a task body itself, or a procedure it CALLs, as the Python API's
TaskContext does), never the body's result, as in Snowflake:
https://docs.snowflake.com/en/sql-reference/functions/system_set_return_value and
https://docs.snowflake.com/en/developer-guide/snowflake-python-api/reference/latest/_autosummary/snowflake.core.task.context.TaskContext
`SELECT SYSTEM$TASK_RUNTIME_INFO('CURRENT_TASK_GRAPH_RUN_GROUP_ID')` (as a statement of its own; the one argument
the product asks) answers inside a task run (and fails outside one, as documented:
https://docs.snowflake.com/en/sql-reference/functions/system_task_runtime_info); a query may read
`TABLE([db.]INFORMATION_SCHEMA.TASK_HISTORY([RESULT_LIMIT => n]))` (the runs of the database's tasks, newest first;
GRAPH_RUN_GROUP_ID names the graph run).

Differences from Snowflake: EXECUTE TASK runs synchronously and returns once the graph is done;
schedules are recorded but nothing fires on its own (`whoop run` plays one scheduled firing); a task
body is one statement (typically CALL or MERGE); SYSTEM$PREDECESSORS_STATE and SYSTEM$GET_PREDECESSOR_RETURN_VALUE
are not emulated; TASK_HISTORY has no SCHEDULED or EXECUTING rows (a run is recorded when it ends).
"""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING

from infra.local.warehouse import routines
from infra.local.warehouse.application import context_of
from infra.local.warehouse.base import LocalSession, Outcome, answer, ok
from infra.local.warehouse.catalog import PREFIX, now
from infra.local.warehouse.errors import LocalSqlError
from infra.local.warehouse.routines import TASK, dependency_order
from infra.local.warehouse.sqltext import (
    QNAME,
    property_value,
    qualify,
    split_as,
    sql_literal,
    status_select,
)

if TYPE_CHECKING:
    from infra.local.warehouse.engine import Engine


def _set(column: str, value: str | None = None) -> routines.Action:
    """An ALTER TASK action that sets one column of the task's row: to `value`, or to the action's `body`."""
    return lambda engine, fqn, m: engine.catalog.query(
        f"UPDATE {PREFIX}.TASKS SET {column} = ? WHERE NAME = ?", [value or m["body"], fqn]
    )


# RESUME, SUSPEND and MODIFY AS: what the product and its tests use
_ACTIONS = {
    "RESUME": _set("STATE", "started"),
    "SUSPEND": _set("STATE", "suspended"),
    r"MODIFY\s+AS\s+(?P<body>.+)": _set("DEFINITION"),
}


def register(engine: Engine) -> None:
    routines.register(engine, TASK, _create, _ACTIONS)
    engine.on(rf"^EXECUTE\s+TASK\s+(?P<name>{QNAME})(?:\s+RETRY\s+LAST)?$", _execute)
    engine.on(r"^(?:CALL|SELECT)\s+(?P<function>SYSTEM\$SET_RETURN_VALUE)\s*\((?P<arg>.+)\)$", _in_task_run)
    engine.on(
        r"^SELECT\s+(?P<function>SYSTEM\$TASK_RUNTIME_INFO)\s*\(\s*'(?P<arg>\w+)'\s*\)(?:\s+AS\s+\w+)?$", _in_task_run
    )
    engine.on(r"^SELECT\b.*\bINFORMATION_SCHEMA\s*\.\s*TASK_HISTORY\s*\(.*$", _task_history)


@dataclass
class _TaskRun:
    """A task run in progress: what SYSTEM$TASK_RUNTIME_INFO answers and where SYSTEM$SET_RETURN_VALUE writes."""

    graph_run_id: str
    return_value: str | None = None


# the task run's internal session id -> the run (each id is one run's own; a dict's get/set/pop are atomic)
_task_runs: dict[str, _TaskRun] = {}
RETURN_VALUE_LIMIT = 10 * 1024  # bytes of UTF-8 (system_set_return_value)


def _in_task_run(engine: Engine, session: LocalSession, text: str, m: re.Match[str]) -> Outcome:
    """SYSTEM$SET_RETURN_VALUE and SYSTEM$TASK_RUNTIME_INFO, which answer only in a task run: the statement's own
    session's, or the run of the task that CALLed the procedure the statement runs in."""
    function = m["function"].upper()
    run = _task_runs.get(engine.session_identity(session.session_id))
    if run is None:
        raise LocalSqlError(f"{function} can only be called in a task run", errno=91111)
    if function == "SYSTEM$TASK_RUNTIME_INFO":
        if m["arg"].upper() != "CURRENT_TASK_GRAPH_RUN_GROUP_ID":
            raise LocalSqlError(f"{function}('{m['arg']}') is not emulated by the local warehouse", errno=2000)
        return answer(status_select(run.graph_run_id, column=function))
    (value,) = engine.execute(session, f"SELECT ({m['arg']})::VARCHAR", session.pending_params)[0]
    if value is not None and len(str(value).encode()) > RETURN_VALUE_LIMIT:
        raise LocalSqlError(f"{function}: the return value must be at most 10 kB", errno=91112)
    run.return_value = value
    return answer(status_select("Statement executed successfully.", column=function))


_HISTORY_CALL = re.compile(
    r"TABLE\s*\(\s*(?:(?P<db>\w+)\s*\.\s*)?INFORMATION_SCHEMA\s*\.\s*TASK_HISTORY\s*\((?P<args>[^)]*)\)\s*\)", re.I
)


def _task_history(engine: Engine, session: LocalSession, text: str, m: re.Match[str]) -> Outcome:
    """TABLE(INFORMATION_SCHEMA.TASK_HISTORY(…)) as a subquery over the catalog: the database's task runs, newest
    first, with Snowflake's column names (a subset)."""

    def subquery(call: re.Match[str]) -> str:
        database = (call["db"] or session.database or "").upper()
        limit = 100  # the table function's default RESULT_LIMIT
        for arg in (a.strip() for a in call["args"].split(",") if a.strip()):
            named = re.match(r"^RESULT_LIMIT\s*=>\s*(\d+)$", arg, re.I)
            if not named:
                raise LocalSqlError(
                    f"INFORMATION_SCHEMA.TASK_HISTORY({arg}): only RESULT_LIMIT is emulated by the local warehouse",
                    errno=2000,
                )
            limit = int(named[1])
        return (
            "(SELECT SPLIT_PART(h.NAME, '.', 3) AS NAME, SPLIT_PART(h.NAME, '.', 1) AS DATABASE_NAME, "
            "SPLIT_PART(h.NAME, '.', 2) AS SCHEMA_NAME, h.STATE, h.ERROR_MESSAGE, h.RETURN_VALUE, "
            "h.QUERY_START_TIME AS SCHEDULED_TIME, h.QUERY_START_TIME, h.COMPLETED_TIME, "
            f"h.RUN_ID AS GRAPH_RUN_GROUP_ID FROM {PREFIX}.TASK_HISTORY AS h "
            f"WHERE SPLIT_PART(h.NAME, '.', 1) = {sql_literal(database)} "
            f"ORDER BY h.QUERY_START_TIME DESC LIMIT {limit})"
        )

    return Outcome(sql=_HISTORY_CALL.sub(subquery, text))


def _create(engine: Engine, session: LocalSession, text: str, m: re.Match[str]) -> Outcome:
    """`[WAREHOUSE = …] [SCHEDULE = …] [FINALIZE = root] [AFTER a, b] [WHEN <condition>] AS <statement>` (sqlglot
    30 parses CREATE TASK only as a Command, so the header is read here)."""

    def fqn(part: str) -> str:
        return qualify(part, session.database, session.schema).fqn

    name = qualify(m["name"], session.database, session.schema)
    header, body = split_as(m["rest"])
    when_at = re.search(r"\bWHEN\b", header, re.I)
    header, when = (header[: when_at.start()], header[when_at.end() :].strip()) if when_at else (header, None)
    after = re.search(rf"\bAFTER\s+(?P<list>{QNAME}(?:\s*,\s*{QNAME})*)", header, re.I)
    predecessors = [fqn(p) for p in re.split(r"\s*,\s*", after["list"].strip())] if after else []
    finalize = re.search(rf"\bFINALIZE\s*=\s*(?P<root>{QNAME})", header, re.I)
    root = fqn(finalize["root"]) if finalize else None
    schedule = property_value(header, "SCHEDULE")
    if schedule and predecessors:
        raise LocalSqlError("A task cannot have both SCHEDULE and AFTER", errno=2000)
    if root and (schedule or predecessors):
        raise LocalSqlError("A finalizer task cannot have a SCHEDULE or AFTER", errno=2000)
    if (over := routines.create_over(engine, TASK, name, m)) is not None:
        return over
    for pred in filter(None, [*predecessors, root]):
        if not routines.exists(engine, TASK, pred):
            raise routines.not_found(TASK, pred)
    engine.catalog.query(
        f"INSERT OR REPLACE INTO {PREFIX}.TASKS (NAME, WAREHOUSE, SCHEDULE, PREDECESSORS, CONDITION, DEFINITION, "
        "STATE, CREATED_ON, FINALIZE) VALUES (?, ?, ?, ?, ?, ?, 'suspended', ?, ?)",
        [name.fqn, property_value(header, "WAREHOUSE"), schedule, json.dumps(predecessors), when, body, now(), root],
    )
    return ok(f"Task {name.name} successfully created.")


@dataclass
class _Task:
    """What a run needs of a task's catalog row."""

    name: str
    after: list[str]
    when: str | None
    body: str
    state: str
    finalize: str | None


def _tasks(engine: Engine, where: str = "", params: list[object] | None = None) -> dict[str, _Task]:
    rows = engine.catalog.query(
        f"SELECT NAME, PREDECESSORS, CONDITION, DEFINITION, STATE, FINALIZE FROM {PREFIX}.TASKS {where}", params
    )
    return {r[0]: _Task(r[0], json.loads(r[1]), *r[2:]) for r in rows}


def _execute(engine: Engine, session: LocalSession, text: str, m: re.Match[str]) -> Outcome:
    name = qualify(m["name"], session.database, session.schema)
    root = _tasks(engine, "WHERE NAME = ?", [name.fqn]).get(name.fqn)
    if root is None:
        raise routines.not_found(TASK, name.fqn)
    if root.after or root.finalize:
        raise LocalSqlError(f"Task {name.name} is not a root task; EXECUTE TASK runs a graph from its root", errno=2000)
    run_graph(engine, name.fqn)
    return ok(f"Task {name.name} is scheduled to run immediately.")


def _graph(engine: Engine, root: str) -> list[_Task]:
    """The root and every task reachable from it, predecessors before successors."""
    tasks = _tasks(engine)
    reachable = routines.reachable(root, lambda n: [t.name for t in tasks.values() if n in t.after])
    order = dependency_order({n: tasks[n].after for n in reachable}, f"Task graph under {root} has a cycle")
    return [tasks[n] for n in order]


def run_graph(engine: Engine, root: str) -> str:
    """Run one firing of the graph rooted at `root`, then its finalizer; returns the run id.

    As in Snowflake (ALLOW_OVERLAPPING_EXECUTION defaults to FALSE), a firing while the previous run of
    the graph is still executing is skipped, not run alongside it."""
    run_id = uuid.uuid4().hex
    lock = engine.locks(f"task graph:{root}")
    if not lock.acquire(blocking=False):
        _history(engine, run_id, root, root, "SKIPPED", "the previous run of the graph is still executing")
        return run_id
    try:
        states: dict[str, str] = {}
        for task in _graph(engine, root):
            if task.name != root and task.state != "started":
                continue  # suspended child tasks do not run, as in Snowflake
            if any(states.get(p, "SUCCEEDED") != "SUCCEEDED" for p in task.after):
                states[task.name] = "SKIPPED"
                _history(engine, run_id, root, task.name, "SKIPPED", "a predecessor did not succeed")
            else:
                states[task.name] = _run_task(engine, run_id, root, task)
        # the finalizer runs after every other task finished, whether it succeeded, failed or was skipped
        for final in _tasks(engine, "WHERE FINALIZE = ? AND STATE = 'started' ORDER BY NAME", [root]).values():
            _run_task(engine, run_id, root, final)
        return run_id
    finally:
        lock.release()


def _run_task(engine: Engine, run_id: str, root: str, task: _Task) -> str:
    """Evaluate the task's WHEN and run its body; record and return the state (never raises)."""
    started = now()
    run, state, error = _TaskRun(run_id), "SUCCEEDED", None
    # a task in an application's database is the app's: its body runs with the app's privileges
    app = context_of(engine, task.name.split(".")[0])
    with routines.internal_session(engine, task.name, f"task:{task.name}:{run_id}", app) as local:
        _task_runs[local.session_id] = run
        try:
            if task.when and not engine.execute(local, f"SELECT ({task.when})")[0][0]:
                state, error = "SKIPPED", "WHEN condition was false"
            else:
                engine.execute(local, task.body)
        except Exception as e:  # a failing task is recorded and its successors skipped, never raised
            state, error = "FAILED", (e.message if isinstance(e, LocalSqlError) else str(e))[:4000]
        finally:
            _task_runs.pop(local.session_id, None)
    _history(engine, run_id, root, task.name, state, error, run.return_value, started)
    return state


def _history(
    engine: Engine,
    run_id: str,
    root: str,
    name: str,
    state: str,
    error: str | None,
    value: object = None,
    started: object = None,
) -> None:
    value = None if value is None else str(value)
    routines.record(engine, "TASK_HISTORY", run_id, root, name, state, error, value, started or now(), now())
