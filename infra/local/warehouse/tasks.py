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
`SELECT SYSTEM$TASK_RUNTIME_INFO(…)` (as a statement of its own) answers CURRENT_TASK_NAME, CURRENT_ROOT_TASK_NAME
and CURRENT_TASK_GRAPH_RUN_GROUP_ID inside a task run (and fails outside one, as documented:
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
import threading
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING

from infra.local.warehouse.application import context_of
from infra.local.warehouse.base import LocalSession, Outcome
from infra.local.warehouse.catalog import PREFIX, now
from infra.local.warehouse.errors import LocalSqlError
from infra.local.warehouse.graph import dependency_order
from infra.local.warehouse.sqltext import (
    QNAME,
    property_value,
    qualify,
    split_as,
    split_name,
    sql_literal,
    status_select,
)

if TYPE_CHECKING:
    from infra.local.warehouse.engine import Engine


def register(engine: Engine) -> None:
    engine.on(
        rf"^CREATE\s+(?P<replace>OR\s+REPLACE\s+)?TASK\s+(?P<ine>IF\s+NOT\s+EXISTS\s+)?(?P<name>{QNAME})\s+(?P<rest>.*)$",
        _create,
    )
    engine.on(rf"^ALTER\s+TASK\s+(?P<ie>IF\s+EXISTS\s+)?(?P<name>{QNAME})\s+(?P<action>.*)$", _alter)
    engine.on(rf"^DROP\s+TASK\s+(?P<ie>IF\s+EXISTS\s+)?(?P<name>{QNAME})$", _drop)
    engine.on(rf"^EXECUTE\s+TASK\s+(?P<name>{QNAME})(?:\s+RETRY\s+LAST)?$", _execute)
    engine.on(r"^SHOW\s+TASKS\b.*$", _show)
    engine.on(r"^(?:CALL|SELECT)\s+SYSTEM\$SET_RETURN_VALUE\s*\((?P<arg>.+)\)$", _set_return_value)
    engine.on(r"^SELECT\s+SYSTEM\$TASK_RUNTIME_INFO\s*\(\s*'(?P<arg>\w+)'\s*\)(?:\s+AS\s+\w+)?$", _task_runtime_info)
    engine.on(r"^SELECT\b.*\bINFORMATION_SCHEMA\s*\.\s*TASK_HISTORY\s*\(.*$", _task_history)


@dataclass
class _TaskRun:
    """A task run in progress: what SYSTEM$TASK_RUNTIME_INFO answers and where SYSTEM$SET_RETURN_VALUE writes."""

    root: str
    name: str
    graph_run_id: str
    return_value: str | None = None


_task_runs: dict[str, _TaskRun] = {}  # the task run's internal session id -> the run
_task_runs_guard = threading.Lock()
RETURN_VALUE_LIMIT = 10 * 1024  # bytes of UTF-8 (system_set_return_value)


def _current_run(engine: Engine, session: LocalSession, function: str) -> _TaskRun:
    """The task run the statement belongs to: its own session's, or the task's that CALLed the procedure."""
    with _task_runs_guard:
        run = _task_runs.get(engine.session_identity(session.session_id))
    if run is None:
        raise LocalSqlError(f"{function} can only be called in a task run", errno=91111)
    return run


def _set_return_value(engine: Engine, session: LocalSession, text: str, m: re.Match[str]) -> Outcome:
    run = _current_run(engine, session, "SYSTEM$SET_RETURN_VALUE")
    (value,) = engine.execute(session, f"SELECT ({m['arg']})::VARCHAR", session.pending_params)[0]
    if value is not None and len(str(value).encode()) > RETURN_VALUE_LIMIT:
        raise LocalSqlError("SYSTEM$SET_RETURN_VALUE: the return value must be at most 10 kB", errno=91112)
    run.return_value = value
    return Outcome(
        sql=status_select("Statement executed successfully.", column="SYSTEM$SET_RETURN_VALUE"), keep_params=False
    )


def _task_runtime_info(engine: Engine, session: LocalSession, text: str, m: re.Match[str]) -> Outcome:
    run = _current_run(engine, session, "SYSTEM$TASK_RUNTIME_INFO")
    answers = {
        "CURRENT_TASK_NAME": split_name(run.name)[2],
        "CURRENT_ROOT_TASK_NAME": split_name(run.root)[2],
        "CURRENT_TASK_GRAPH_RUN_GROUP_ID": run.graph_run_id,
    }
    arg = m["arg"].upper()
    if arg not in answers:
        raise LocalSqlError(f"SYSTEM$TASK_RUNTIME_INFO('{arg}') is not emulated by the local warehouse", errno=2000)
    return Outcome(sql=status_select(answers[arg], column="SYSTEM$TASK_RUNTIME_INFO"), keep_params=False)


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


def _parse_header(header: str, session: LocalSession) -> dict[str, object]:
    when = None
    m_when = re.search(r"\bWHEN\b(?P<cond>.*)$", header, re.I | re.S)
    if m_when:
        when = m_when["cond"].strip()
        header = header[: m_when.start()]
    after: list[str] = []
    m_after = re.search(rf"\bAFTER\s+(?P<list>{QNAME}(?:\s*,\s*{QNAME})*)", header, re.I)
    if m_after:
        for part in re.split(r"\s*,\s*", m_after["list"].strip()):
            after.append(qualify(part, session.database, session.schema).fqn)
        header = header[: m_after.start()] + header[m_after.end() :]
    finalize = None
    m_final = re.search(rf"\bFINALIZE\s*=\s*(?P<root>{QNAME})", header, re.I)
    if m_final:
        finalize = qualify(m_final["root"], session.database, session.schema).fqn
        header = header[: m_final.start()] + header[m_final.end() :]
    return {
        "warehouse": property_value(header, "WAREHOUSE"),
        "schedule": property_value(header, "SCHEDULE"),
        "after": after,
        "when": when,
        "finalize": finalize,
    }


def _create(engine: Engine, session: LocalSession, text: str, m: re.Match[str]) -> Outcome:
    name = qualify(m["name"], session.database, session.schema)
    header, body = split_as(m["rest"])
    props = _parse_header(header, session)
    if props["schedule"] and props["after"]:
        raise LocalSqlError("A task cannot have both SCHEDULE and AFTER", errno=2000)
    if props["finalize"] and (props["schedule"] or props["after"]):
        raise LocalSqlError("A finalizer task cannot have a SCHEDULE or AFTER", errno=2000)
    exists = engine.catalog.query(f"SELECT 1 FROM {PREFIX}.TASKS WHERE NAME = ?", [name.fqn])
    if exists and not m["replace"]:
        if m["ine"]:
            return Outcome(sql=status_select(f"{name.name} already exists, statement succeeded."))
        raise LocalSqlError(f"Object '{name.fqn}' already exists.", errno=2002)
    for pred in [*props["after"], *([props["finalize"]] if props["finalize"] else [])]:  # type: ignore[misc]
        if not engine.catalog.query(f"SELECT 1 FROM {PREFIX}.TASKS WHERE NAME = ?", [pred]):
            raise LocalSqlError(f"Task '{pred}' does not exist or not authorized.", errno=2003)
    engine.catalog.query(
        f"INSERT OR REPLACE INTO {PREFIX}.TASKS (NAME, WAREHOUSE, SCHEDULE, PREDECESSORS, CONDITION, DEFINITION, "
        "STATE, CREATED_ON, FINALIZE) VALUES (?, ?, ?, ?, ?, ?, 'suspended', ?, ?)",
        [
            name.fqn,
            props["warehouse"],
            props["schedule"],
            json.dumps(props["after"]),
            props["when"],
            body,
            now(),
            props["finalize"],
        ],
    )
    return Outcome(sql=status_select(f"Task {name.name} successfully created."))


def _task(engine: Engine, fqn: str) -> dict[str, object] | None:
    rows = engine.catalog.query(
        f"SELECT NAME, WAREHOUSE, SCHEDULE, PREDECESSORS, CONDITION, DEFINITION, STATE, FINALIZE FROM {PREFIX}.TASKS "
        "WHERE NAME = ?",
        [fqn],
    )
    if not rows:
        return None
    n, wh, sched, preds, cond, body, state, finalize = rows[0]
    return {
        "name": n,
        "warehouse": wh,
        "schedule": sched,
        "after": json.loads(preds),
        "when": cond,
        "body": body,
        "state": state,
        "finalize": finalize,
    }


def _alter(engine: Engine, session: LocalSession, text: str, m: re.Match[str]) -> Outcome:
    name = qualify(m["name"], session.database, session.schema)
    task = _task(engine, name.fqn)
    if task is None:
        if m["ie"]:
            return Outcome(sql=status_select("Statement executed successfully."))
        raise LocalSqlError(f"Task '{name.fqn}' does not exist or not authorized.", errno=2003)
    action = m["action"].strip()
    upper = action.upper()
    if upper in {"RESUME", "SUSPEND"}:
        state = "started" if upper == "RESUME" else "suspended"
        engine.catalog.query(f"UPDATE {PREFIX}.TASKS SET STATE = ? WHERE NAME = ?", [state, name.fqn])
    elif upper.startswith("MODIFY AS"):
        engine.catalog.query(
            f"UPDATE {PREFIX}.TASKS SET DEFINITION = ? WHERE NAME = ?", [action[len("MODIFY AS") :].strip(), name.fqn]
        )
    elif upper.startswith("MODIFY WHEN"):
        engine.catalog.query(
            f"UPDATE {PREFIX}.TASKS SET CONDITION = ? WHERE NAME = ?", [action[len("MODIFY WHEN") :].strip(), name.fqn]
        )
    elif upper.startswith(("ADD AFTER", "REMOVE AFTER")):
        names = [qualify(p, session.database, session.schema).fqn for p in action.split(None, 2)[2].split(",")]
        after = list(task["after"])  # type: ignore[call-overload]
        after = sorted(set(after) | set(names)) if upper.startswith("ADD") else [a for a in after if a not in names]
        engine.catalog.query(
            f"UPDATE {PREFIX}.TASKS SET PREDECESSORS = ? WHERE NAME = ?", [json.dumps(after), name.fqn]
        )
    elif upper.startswith("SET"):
        for key, column in (("SCHEDULE", "SCHEDULE"), ("WAREHOUSE", "WAREHOUSE")):
            value = property_value(action, key)
            if value is not None:
                engine.catalog.query(f"UPDATE {PREFIX}.TASKS SET {column} = ? WHERE NAME = ?", [value, name.fqn])
    else:
        raise LocalSqlError(
            f"The local warehouse does not support ALTER TASK … {action.split()[0].upper()}", errno=2000
        )
    return Outcome(sql=status_select("Statement executed successfully."))


def _drop(engine: Engine, session: LocalSession, text: str, m: re.Match[str]) -> Outcome:
    name = qualify(m["name"], session.database, session.schema)
    deleted = engine.catalog.query(f"DELETE FROM {PREFIX}.TASKS WHERE NAME = ? RETURNING NAME", [name.fqn])
    if not deleted and not m["ie"]:
        raise LocalSqlError(f"Task '{name.fqn}' does not exist or not authorized.", errno=2003)
    return Outcome(sql=status_select(f"{name.name} successfully dropped."))


def _show(engine: Engine, session: LocalSession, text: str, m: re.Match[str]) -> Outcome:
    return Outcome(
        sql=(
            'SELECT CREATED_ON AS "created_on", SPLIT_PART(NAME, \'.\', 3) AS "name", '
            "SPLIT_PART(NAME, '.', 1) AS \"database_name\", SPLIT_PART(NAME, '.', 2) AS \"schema_name\", "
            'WAREHOUSE AS "warehouse", SCHEDULE AS "schedule", PREDECESSORS AS "predecessors", '
            'STATE AS "state", DEFINITION AS "definition", CONDITION AS "condition" '
            f"FROM {PREFIX}.TASKS ORDER BY NAME"
        ),
        keep_params=False,
    )


def _execute(engine: Engine, session: LocalSession, text: str, m: re.Match[str]) -> Outcome:
    name = qualify(m["name"], session.database, session.schema)
    root = _task(engine, name.fqn)
    if root is None:
        raise LocalSqlError(f"Task '{name.fqn}' does not exist or not authorized.", errno=2003)
    if root["after"] or root["finalize"]:
        raise LocalSqlError(f"Task {name.name} is not a root task; EXECUTE TASK runs a graph from its root", errno=2000)
    run_graph(engine, name.fqn)
    return Outcome(sql=status_select(f"Task {name.name} is scheduled to run immediately."))


def graph_order(engine: Engine, root: str) -> list[dict[str, object]]:
    """The root and every task reachable from it, predecessors before successors."""
    rows = engine.catalog.query(f"SELECT NAME FROM {PREFIX}.TASKS")
    tasks = {r[0]: _task(engine, r[0]) for r in rows}
    children: dict[str, list[str]] = {}
    for t in tasks.values():
        for p in t["after"]:  # type: ignore[union-attr]
            children.setdefault(p, []).append(t["name"])  # type: ignore[arg-type]
    reachable: set[str] = set()
    stack = [root]
    while stack:
        n = stack.pop()
        if n in reachable:
            continue
        reachable.add(n)
        stack.extend(children.get(n, []))
    order = dependency_order(
        {n: tasks[n]["after"] for n in reachable},  # type: ignore[misc]
        f"Task graph under {root} has a cycle",
    )
    return [tasks[n] for n in order]  # type: ignore[misc]


_running: dict[tuple[int, str], threading.Lock] = {}
_running_guard = threading.Lock()


def run_graph(engine: Engine, root: str) -> str:
    """Run one firing of the graph rooted at `root`, then its finalizer; returns the run id.

    As in Snowflake (ALLOW_OVERLAPPING_EXECUTION defaults to FALSE), a firing while the previous run of
    the graph is still executing is skipped, not run alongside it."""
    with _running_guard:
        lock = _running.setdefault((id(engine), root), threading.Lock())
    if not lock.acquire(blocking=False):
        run_id = uuid.uuid4().hex
        _history(engine, run_id, root, root, "SKIPPED", "the previous run of the graph is still executing", None, now())
        return run_id
    try:
        return _run_graph(engine, root)
    finally:
        lock.release()


def _run_graph(engine: Engine, root: str) -> str:
    run_id = uuid.uuid4().hex
    states: dict[str, str] = {}
    for task in graph_order(engine, root):
        name = str(task["name"])
        if name != root and task["state"] != "started":
            continue  # suspended child tasks do not run, as in Snowflake
        preds = [p for p in task["after"] if p in states]  # type: ignore[union-attr]
        if any(states[p] != "SUCCEEDED" for p in preds):
            states[name] = "SKIPPED"
            _history(engine, run_id, root, name, "SKIPPED", "a predecessor did not succeed", None, now())
            continue
        states[name] = _run_task(engine, run_id, root, task)
    # the finalizer runs after every other task finished, whether it succeeded, failed or was skipped
    for (final,) in engine.catalog.query(
        f"SELECT NAME FROM {PREFIX}.TASKS WHERE FINALIZE = ? AND STATE = 'started' ORDER BY NAME", [root]
    ):
        _run_task(engine, run_id, root, _task(engine, final))  # type: ignore[arg-type]
    return run_id


def _run_task(engine: Engine, run_id: str, root: str, task: dict[str, object]) -> str:
    """Evaluate the task's WHEN and run its body; record and return the state (never raises)."""
    name = str(task["name"])
    started = now()
    database, schema, _ = split_name(name)
    local = engine.internal_session(database, schema, f"task:{name}:{run_id}")
    run = _TaskRun(root, name, run_id)
    with _task_runs_guard:
        _task_runs[local.session_id] = run
    try:
        # a task in an application's database is the app's: its body runs with the app's privileges
        local.app = context_of(engine, database)
        if task["when"]:
            (condition,) = engine.execute(local, f"SELECT ({task['when']})")[0]
            if not condition:
                _history(engine, run_id, root, name, "SKIPPED", "WHEN condition was false", None, started)
                return "SKIPPED"
        engine.execute(local, str(task["body"]))
        _history(engine, run_id, root, name, "SUCCEEDED", None, run.return_value, started)
        return "SUCCEEDED"
    except Exception as e:  # a failing task is recorded and its successors skipped, never raised
        message = e.message if isinstance(e, LocalSqlError) else str(e)
        _history(engine, run_id, root, name, "FAILED", message[:4000], run.return_value, started)
        return "FAILED"
    finally:
        with _task_runs_guard:
            _task_runs.pop(local.session_id, None)
        local.conn.close()


def _history(
    engine: Engine, run_id: str, root: str, name: str, state: str, error: str | None, value: object, started: object
) -> None:
    engine.catalog.query(
        f"INSERT INTO {PREFIX}.TASK_HISTORY VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [run_id, root, name, state, error, None if value is None else str(value), started, now()],
    )
