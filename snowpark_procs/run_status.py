"""OPS.RUN_STATUS and OPS.FINISH_PIPELINE_RUN: what the newest run of the ingest task graph did, and its verdict.

The ingest keeps going when one member fails, so the root task succeeds whatever happened to each member. What a
caller needs (the `whoop` CLI, an operator in Snowsight, a monitoring query) is one answer per graph run: per member
the status, where it stopped, the new versions; each task's state; an overall status and one line saying who and
why. RUN_STATUS reads it from the app's own task history (INFORMATION_SCHEMA.TASK_HISTORY, whose runs of one graph
share GRAPH_RUN_GROUP_ID: https://docs.snowflake.com/en/sql-reference/functions/task_history) and OPS.INGEST_RUNS
(whose GRAPH_RUN_ID the ingest records). The graph's finalizer calls FINISH_PIPELINE_RUN, which runs the quality
checks and then fails when a member of its graph run failed, so the graph run itself is FAILED in Snowflake's task
history (a finalizer is a task of the graph: https://docs.snowflake.com/en/user-guide/tasks-graphs).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from snowpark_procs.task_run import graph_run_id as _graph_run_id

if TYPE_CHECKING:
    from snowflake.snowpark import Session

ROOT_TASK = "WHOOP_PIPELINE_ROOT"
FINALIZER = "DATA_QUALITY_TASK"
# states of finished task runs (https://docs.snowflake.com/en/sql-reference/functions/task_history): SCHEDULED and
# EXECUTING rows are runs that have not ended
FINISHED = ("SUCCEEDED", "FAILED", "SKIPPED", "CANCELLED", "FAILED_AND_AUTO_SUSPENDED")
ERROR_CHARS = 200


def status(session: Session, graph_run_id: str | None = None) -> dict[str, Any]:
    """Handler of OPS.RUN_STATUS(GRAPH_RUN_ID): the given graph run of the ingest graph, or the newest one."""
    history = session.sql(
        "SELECT NAME, STATE, ERROR_MESSAGE, RETURN_VALUE, GRAPH_RUN_GROUP_ID, "
        "COALESCE(QUERY_START_TIME, SCHEDULED_TIME) AS STARTED, COMPLETED_TIME "
        "FROM TABLE(INFORMATION_SCHEMA.TASK_HISTORY(RESULT_LIMIT => 1000)) "
        f"WHERE STATE IN ({', '.join(repr(s) for s in FINISHED)}) "
        "ORDER BY STARTED DESC"
    ).collect()
    roots = [r for r in history if r[0] == ROOT_TASK and (graph_run_id is None or r[4] == graph_run_id)]
    if not roots:
        wanted = f"graph run {graph_run_id}" if graph_run_id else "run"
        return {"status": "NO_RUN", "reason": f"no {wanted} of OPS.{ROOT_TASK} in the task history", "members": []}
    root = roots[0]
    graph = root[4]
    rows = sorted((r for r in history if r[4] == graph), key=lambda r: (r[0] == FINALIZER, str(r[5])))
    tasks = [{"task": r[0], "state": r[1], "error": r[2]} for r in rows]
    members = [
        {
            "member": m[0],
            "status": m[1],
            "failed_resource": m[2],
            "records": int(m[3]),
            "new_versions": int(m[4]),
            "error": m[5],
        }
        for m in session.sql(
            "SELECT MEMBER_NAME, STATUS, FAILED_RESOURCE, RECORDS, NEW_VERSIONS, ERROR_MESSAGE FROM OPS.INGEST_RUNS "
            "WHERE GRAPH_RUN_ID = ? ORDER BY MEMBER_NAME",
            params=[graph],
        ).collect()
    ]
    state, reason = verdict(root[1], root[2], tasks, members)
    return {
        "graph_run_id": graph,
        "status": state,
        "reason": reason,
        "started_at": str(root[5]),
        "completed_at": str(max(r[6] for r in rows)),
        "members": members,
        "tasks": tasks,
        "ingest": root[3],
    }


def verdict(root_state: str, root_error: str | None, tasks: list[dict], members: list[dict]) -> tuple[str, str]:
    """The graph run's overall status and one line saying who and why: a skipped firing, then failed members (the
    cause), then failed tasks (the finalizer last: it fails because of the members)."""
    if root_state == "SKIPPED":
        why = root_error or "the previous run of the task graph was still executing"
        return "SKIPPED", f"the run was skipped: {why}"
    failed = [m for m in members if m["status"] != "SUCCEEDED"]
    if failed:
        first = failed[0]
        more = f"; {len(failed) - 1} more member(s) failed" if len(failed) > 1 else ""
        return "FAILED", f"{member_reason(first)}{more}"
    broken = [t for t in tasks if t["state"] in ("FAILED", "FAILED_AND_AUTO_SUSPENDED", "CANCELLED")]
    if broken:
        t = broken[0]
        return "FAILED", f"task {t['task']} {t['state'].lower()}: {_short(t['error'])}"
    if not any(t["task"] == FINALIZER for t in tasks):
        return "SUCCEEDED", "every member's ingest and every task succeeded (no finalizer ran)"
    return "SUCCEEDED", f"{len(members)} member(s) ingested, every task succeeded or had nothing to do"


def member_reason(m: dict) -> str:
    """One member's failure in words: who, what, where and the error."""
    if m["status"] == "NEEDS_REAUTHORIZATION":
        return f"member {m['member']} needs re-authorization ({_short(m['error'])})"
    where = f" at {m['failed_resource']}" if m.get("failed_resource") else ""
    return f"member {m['member']}'s ingest failed{where}: {_short(m['error'])}"


def _short(text: str | None) -> str:
    one = " ".join(str(text or "no error message").split())
    return one if len(one) <= ERROR_CHARS else one[: ERROR_CHARS - 1] + "…"


def finish(session: Session) -> str:
    """Handler of OPS.FINISH_PIPELINE_RUN, the graph's finalizer: write the quality results (OPS.RUN_DATA_QUALITY,
    whose ingest check records each member's outcome), then fail when a member of this graph run's ingest failed.
    Outside a task run it judges the newest ingest run."""
    session.sql("CALL OPS.RUN_DATA_QUALITY()").collect()
    # the member alerts (stale data, a grant to renew, red streaks on Gold as refreshed so far) after every run, not
    # only after the daily scoring; a failure here must not hide the ingest's verdict, so it is reported with it
    try:
        session.sql("CALL OPS.EVALUATE_MEMBER_ALERTS()").collect()
        alerts_error = None
    except Exception as e:  # any failure of the call is reported in the finalizer's own error
        alerts_error = " ".join(str(e).split())[:300]
    graph = _graph_run_id(session)
    where = "GRAPH_RUN_ID = ?" if graph else "RUN_ID = (SELECT MAX_BY(RUN_ID, STARTED_AT) FROM OPS.INGEST_RUNS)"
    rows = session.sql(
        f"SELECT MEMBER_NAME, STATUS, FAILED_RESOURCE, ERROR_MESSAGE FROM OPS.INGEST_RUNS WHERE {where} "
        "ORDER BY MEMBER_NAME",
        params=[graph] if graph else None,
    ).collect()
    members = [{"member": r[0], "status": r[1], "failed_resource": r[2], "error": r[3]} for r in rows]
    failed = [m for m in members if m["status"] != "SUCCEEDED"]
    alerts = f"; the member alerts were not evaluated: {alerts_error}" if alerts_error else ""
    if failed:
        names = ", ".join(m["member"] for m in failed)
        raise RuntimeError(
            f"the ingest failed for {len(failed)} of {len(members)} member(s) ({names}): {member_reason(failed[0])}; "
            f"the other members' data was loaded and the quality results are in OPS.DQ_RESULTS{alerts}"
        )
    if alerts_error:
        raise RuntimeError(f"the member alerts were not evaluated: {alerts_error}")
    return f"quality results written, member alerts evaluated; the ingest succeeded for {len(members)} member(s)"
