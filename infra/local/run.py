"""`whoop run`: one firing of the app's task graph, and what it did.

On the local stack the CLI fires the root task itself (EXECUTE TASK runs the graph synchronously there), follows
the ingest as it goes and then gives the local scheduler its beat (the dynamic tables' refresh). On an account (a
named connection) it calls the app's procedures only: OPS.RUN_PIPELINE fires the graph (EXECUTE TASK queues a run
and returns: https://docs.snowflake.com/en/sql-reference/sql/execute-task), then OPS.RUN_STATUS is polled until
that graph run has finished, and OPS.APP_STATUS gives the quality counts; Gold refreshes on its own target lag.
Either way the result has the same shape; jobs return it and report progress through a callback, the CLI prints.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import requests
import snowflake.connector

from infra.local import reach
from infra.local.connection import LOCAL_APP, Target
from infra.local.errors import RunFailed, WhoopError
from infra.local.settings import Settings
from snowpark_procs.pipeline_state import STARTED, STATE_KEY, STOPPED

Progress = Callable[[str], None]  # a progress event: one line for whoever shows it (the CLI prints it)
DATABASE = LOCAL_APP
ROOT_TASK = "OPS.WHOOP_PIPELINE_ROOT"
FINALIZER = "DATA_QUALITY_TASK"  # the graph's finalizer (sql/quality/01_data_quality.sql)
RAW_API = ("RAW_CYCLE", "RAW_RECOVERY", "RAW_SLEEP", "RAW_WORKOUT", "RAW_PROFILE", "RAW_BODY")  # the ingest's tables
NOT_STARTED = (
    "the pipeline is not started: authorize a member (`whoop auth`) or import an export, "
    "which start it, or CALL OPS.START_PIPELINE()"
)
POLL_SECONDS = 2.0
WAIT_SECONDS = 3600.0  # a first run on an account is every member's backfill, paced by WHOOP's rate limit
SAY_EVERY_SECONDS = 30.0


def connect(settings: Settings, **extra: Any) -> snowflake.connector.SnowflakeConnection:
    return Target(settings).connect(**extra)


def run(target: Target, progress: Progress | None = None) -> dict[str, Any]:
    """One run of the task graph on `target`: the local stack's own way, or through the app's procedures."""
    return run_local(target.settings, progress) if target.is_local else run_in_app(target, progress)


def run_in_app(target: Target, progress: Progress | None = None, wait: float = WAIT_SECONDS) -> dict[str, Any]:
    """Fire the graph with CALL <app>.OPS.RUN_PIPELINE(), wait for that graph run in CALL <app>.OPS.RUN_STATUS()."""
    say = progress or (lambda _line: None)
    app = target.app
    conn = target.connect()
    try:
        cur = conn.cursor()
        before = _newest_graph_run(cur, app)
        try:
            cur.execute(f"CALL {app}.OPS.RUN_PIPELINE()")
        except snowflake.connector.errors.ProgrammingError as e:
            raise WhoopError(f"CALL {app}.OPS.RUN_PIPELINE() failed: {' '.join(str(e.msg).split())}") from None
        fired = time.monotonic()
        said = fired
        while True:
            status = _status(cur, app)
            if status.get("graph_run_id") not in (None, before) and _finished(status):
                break
            if time.monotonic() - fired > wait:
                raise WhoopError(f"the graph run did not finish within {wait:.0f} s; see `whoop status` later")
            if time.monotonic() - said >= SAY_EVERY_SECONDS:
                say(f"  waiting for the graph run ({time.monotonic() - fired:.0f} s so far)…")
                said = time.monotonic()
            time.sleep(POLL_SECONDS)
        if status["status"] == "SKIPPED":
            raise WhoopError(f"the pipeline did not run: {status['reason']}; try again once it has finished")
        cur.execute(f"CALL {app}.OPS.APP_STATUS()")
        quality = json.loads(cur.fetchone()[0])["quality"]
    finally:
        conn.close()
    result = {
        "tasks": [{**t, "returned": None} for t in status["tasks"]],
        "status": status["status"],
        "reason": status["reason"],
        "members": status["members"],
        "dynamic_tables_refreshed": None,  # Snowflake refreshes them on their target lag
        "data_quality": {k: quality[k] for k in ("checks", "failed", "failed_error", "failed_warn")},
    }
    if status["status"] != "SUCCEEDED":
        where = "-x " if target.temporary else f"-c {target.name} --app {app} "
        raise RunFailed(result, where)
    return result


def _status(cur: Any, app: str) -> dict[str, Any]:
    cur.execute(f"CALL {app}.OPS.RUN_STATUS()")
    return json.loads(cur.fetchone()[0])


def _newest_graph_run(cur: Any, app: str) -> str | None:
    try:
        return _status(cur, app).get("graph_run_id")
    except snowflake.connector.errors.ProgrammingError as e:
        raise WhoopError(f"CALL {app}.OPS.RUN_STATUS() failed: {' '.join(str(e.msg).split())}") from None


def _finished(status: dict[str, Any]) -> bool:
    """A graph run has ended once its finalizer has (it runs whatever the other tasks did), or it was skipped."""
    return status["status"] == "SKIPPED" or any(t["task"].split(".")[-1] == FINALIZER for t in status["tasks"])


def start_pipeline(cur: Any) -> None:
    """What the Setup page's Start button does once a member exists: resume the app's tasks and dynamic tables."""
    try:
        cur.execute("CALL OPS.START_PIPELINE()")
    except snowflake.connector.errors.ProgrammingError as e:
        raise WhoopError(f"starting the pipeline failed: {' '.join(str(e.msg).split())}") from None


def pipeline_state(cur: Any) -> str:
    cur.execute("SELECT MAX(SETTING_VALUE) FROM CONFIG.SETTINGS WHERE SETTING_KEY = %s", (STATE_KEY,))
    return cur.fetchone()[0] or STOPPED


def tick_local(settings: Settings) -> dict[str, Any]:
    """The local scheduler's beat: refresh the dynamic tables (a refresh may take minutes; connecting may not)."""
    url = f"{settings.warehouse_url}/_local/tick"
    return requests.post(url, timeout=(reach.CONNECT_SECONDS, reach.STATEMENT_SECONDS)).json()


def run_local(settings: Settings, progress: Progress | None = None) -> dict[str, Any]:
    """One firing of the task graph (EXECUTE TASK on the root), then the scheduler's refresh of Gold.

    What each member's ingest and each task did comes from OPS.RUN_STATUS for this firing. A skipped firing (another
    run of the graph still executing) raises at once; a failed member or task raises after Gold is refreshed (the
    other members' data is loaded): `RunFailed`, carrying the result. With `progress`, an event as each member's
    ingest and the ingest as a whole finish, while the graph runs (a first run is a backfill).
    """
    conn = connect(settings)
    try:
        cur = conn.cursor()
        if pipeline_state(cur) != STARTED:
            raise WhoopError(NOT_STARTED)
        root = f"{DATABASE}.{ROOT_TASK}"
        history = "WHOOP_LOCAL.CATALOG.TASK_HISTORY"
        cur.execute(f"SELECT DISTINCT RUN_ID FROM {history} WHERE ROOT_TASK = %s", (root,))
        before = {r[0] for r in cur.fetchall()}
        issued = datetime.now(UTC)
        watcher = _RunWatcher(settings, issued, progress) if progress else None
        try:
            cur.execute(f"EXECUTE TASK {ROOT_TASK}")
        finally:
            if watcher:
                watcher.finish()
        # this firing: the first new graph run that started after EXECUTE TASK was issued (a run that overlapped it
        # started earlier; one skipped while it ran started later)
        cur.execute(
            f"SELECT RUN_ID, QUERY_START_TIME FROM {history} WHERE NAME = %s ORDER BY QUERY_START_TIME", (root,)
        )
        new = [(run_id, started) for run_id, started in cur.fetchall() if run_id not in before]
        ours = [run_id for run_id, started in new if _aware(started) >= issued] or [run_id for run_id, _ in new]
        if not ours:
            raise WhoopError(f"EXECUTE TASK {ROOT_TASK} left no run in the task history")
        run_id = ours[0]
        cur.execute(
            f"SELECT NAME, STATE, ERROR_MESSAGE, RETURN_VALUE FROM {history} WHERE RUN_ID = %s "
            "ORDER BY QUERY_START_TIME",
            (run_id,),
        )
        tasks = [{"task": n, "state": s, "error": e, "returned": r} for n, s, e, r in cur.fetchall()]
        cur.execute("CALL OPS.RUN_STATUS(%s)", (run_id,))
        status = json.loads(cur.fetchone()[0])
        if status["status"] == "SKIPPED":
            raise WhoopError(f"the pipeline did not run: {status['reason']}; try again once it has finished")
        quality = _quality_summary(cur)
    finally:
        conn.close()
    tick = tick_local(settings)
    if not tick.get("success"):
        raise WhoopError(f"dynamic table refresh failed: {tick.get('message')}")
    result = {
        "tasks": tasks,
        "status": status["status"],
        "reason": status["reason"],
        "members": status["members"],
        "dynamic_tables_refreshed": tick["refreshed"],
        "data_quality": quality,
    }
    if status["status"] != "SUCCEEDED":
        raise RunFailed(result)
    return result


class _RunWatcher(threading.Thread):
    """While EXECUTE TASK runs (synchronously here), print a line as each member's ingest ends (its OPS.INGEST_RUNS
    row), the record versions written to Bronze so far when nothing else was said for `quiet_for` seconds (a
    backfill waits on the API's rate limit), and when the ingest as a whole has ended (the root's TASK_HISTORY row);
    from a connection of its own."""

    def __init__(
        self, settings: Settings, since: datetime, step: Progress, every: float = 1.0, quiet_for: float = 10.0
    ) -> None:
        super().__init__(name="whoop-run-progress", daemon=True)
        self.settings, self.since, self.every, self.quiet_for = settings, since, every, quiet_for
        self.step = step
        self.done = threading.Event()
        self.start()

    def run(self) -> None:
        try:
            conn = connect(self.settings)
        except WhoopError:
            return  # progress is a courtesy; the run itself reports a lost warehouse
        try:
            cur = conn.cursor()
            cur.execute("SELECT COUNT(*) FROM CONFIG.MEMBERS WHERE STATUS = 'ACTIVE'")
            total, seen, ingested = int(cur.fetchone()[0]), set(), False
            since = self.since.replace(tzinfo=None).isoformat(sep=" ")
            written = "SELECT " + " + ".join(
                f"(SELECT COUNT(*) FROM BRONZE.{t} WHERE LOADED_AT >= %(since)s)" for t in RAW_API
            )
            said = time.monotonic()
            while not self.done.wait(self.every) and not ingested:
                if time.monotonic() - said >= self.quiet_for:
                    cur.execute(written, {"since": since})
                    written_so_far = cur.fetchone()[0]
                    self.step(
                        f"  ingest: {written_so_far} new record versions in Bronze so far, "
                        f"{len(seen)}/{total} members done"
                    )
                    said = time.monotonic()
                cur.execute(
                    "SELECT MEMBER_NAME, STATUS, NEW_VERSIONS FROM OPS.INGEST_RUNS WHERE STARTED_AT >= %s "
                    "ORDER BY FINISHED_AT",
                    (since,),
                )
                for member, status, new in cur.fetchall():
                    if member not in seen:
                        seen.add(member)
                        what = f"{new} new versions" if status == "SUCCEEDED" else status
                        self.step(f"  ingest: {len(seen)}/{total} members done ({member}: {what})")
                        said = time.monotonic()
                cur.execute(
                    "SELECT COUNT(*) FROM WHOOP_LOCAL.CATALOG.TASK_HISTORY WHERE NAME = %s AND QUERY_START_TIME >= %s",
                    (f"{DATABASE}.{ROOT_TASK}", self.since.isoformat()),
                )
                if cur.fetchone()[0]:
                    ingested = True
                    self.step("  ingest finished; Silver tasks and quality checks running…")
        except snowflake.connector.errors.Error:
            pass  # as above: the run's own statements report what went wrong
        finally:
            conn.close()

    def finish(self) -> None:
        self.done.set()
        self.join(timeout=30)


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _quality_summary(cur: Any) -> dict[str, int]:
    """Counts of the newest data quality run (the graph's finalizer writes it): checks, failed, by severity."""
    cur.execute(
        "SELECT COUNT(*), COUNT_IF(NOT PASSED), COUNT_IF(NOT PASSED AND SEVERITY = 'error'), "
        "COUNT_IF(NOT PASSED AND SEVERITY = 'warn') FROM OPS.DQ_RESULTS "
        "WHERE RUN_ID = (SELECT MAX_BY(RUN_ID, STARTED_AT) FROM OPS.DQ_RUNS)"
    )
    checks, failed, failed_error, failed_warn = (int(v or 0) for v in cur.fetchone())
    return {"checks": checks, "failed": failed, "failed_error": failed_error, "failed_warn": failed_warn}
