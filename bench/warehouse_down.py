"""Seconds until a clear error when the local warehouse is down (issue 13 item 2; target < 10 s each).

The warehouse runs as its own process (the command `whoop local up` launches) and is killed with SIGKILL, as a
crash or `kill -9` would end it. Before the fix the connector retried a dead warehouse for its network_timeout
(600 s), and the dashboard's session without end. Figures:

- `warehouse_down_cli_run_seconds`: `whoop run` started as a user starts it (a new process) while the warehouse
  is down: launch to exit 1 with "cannot reach the local warehouse at …".
- `warehouse_down_mid_statement_seconds`: a statement in flight (a procedure that would run for minutes) when the
  warehouse is killed, on a connection from `pipeline.connect` (what every CLI command uses): kill to error.
- `warehouse_down_dashboard_seconds`: the dashboard's session (app/streamlit/whoop_session.py, on the local session
  infra/local/dashboard_session.py puts in place, holding a cached session) after the kill: until it raises the
  same one line.
- `warehouse_down_dashboard_recovery_seconds`: the warehouse restarted on the same data, the same dashboard
  process's next statement: until it has rows again (no dashboard restart).
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from bench.harness import Recorder
from infra.local import pipeline, reach, stack
from infra.local.errors import UNREACHABLE
from infra.local.in_process import free_port
from infra.local.settings import REPO_ROOT, Settings

TARGET_SECONDS = 10.0
COMPARED_TO = "the 10 s target; before the fix about 600 s (the connector's retries until its network_timeout)"
APP_DIR = REPO_ROOT / "app" / "streamlit"
WHOOP = Path(sys.executable).parent / "whoop"


class _Warehouse:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        self.settings.logs_dir.mkdir(parents=True, exist_ok=True)
        with (self.settings.logs_dir / "warehouse.log").open("a") as log:
            self.proc = subprocess.Popen(
                stack.SERVICES[0].command(self.settings), cwd=REPO_ROOT, stdout=log, stderr=subprocess.STDOUT
            )
        deadline = time.monotonic() + 60
        while reach.probe(self.settings.warehouse_url, timeout=1) != "up":
            if time.monotonic() > deadline or self.proc.poll() is not None:
                raise RuntimeError(f"the warehouse did not start; see {self.settings.logs_dir / 'warehouse.log'}")
            time.sleep(0.1)

    def kill(self) -> float:
        """SIGKILL; returns the monotonic time the process was gone."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)
        return time.monotonic()


def _cli_run(settings: Settings) -> float:
    env = dict(
        os.environ,
        WHOOP_HOME=str(settings.home),
        WHOOP_LOCAL_HOST=settings.host,
        WHOOP_WAREHOUSE_PORT=str(settings.warehouse_port),
        WHOOP_SANDBOX_PORT=str(settings.sandbox_port),
    )
    start = time.monotonic()
    done = subprocess.run([str(WHOOP), "run"], env=env, capture_output=True, text=True, timeout=900, cwd=REPO_ROOT)
    elapsed = time.monotonic() - start
    expected = f"whoop: {UNREACHABLE.format(url=settings.warehouse_url)}"
    if done.returncode != 1 or done.stderr.strip().splitlines()[-1:] != [expected]:
        raise RuntimeError(f"`whoop run` did not fail with the one line: rc {done.returncode}, {done.stderr[-300:]}")
    return elapsed


def _mid_statement(settings: Settings, warehouse: _Warehouse) -> float:
    conn = pipeline.connect(settings)
    try:
        cur = conn.cursor()
        cur.execute("CREATE DATABASE IF NOT EXISTS BENCH_DOWN")
        cur.execute("CREATE SCHEMA IF NOT EXISTS BENCH_DOWN.S")
        cur.execute(
            "CREATE OR REPLACE PROCEDURE BENCH_DOWN.S.RUNS_LONG() RETURNS VARCHAR LANGUAGE PYTHON "
            "RUNTIME_VERSION = '3.11' PACKAGES = ('snowflake-snowpark-python') HANDLER = 'run' AS $$\n"
            "import time\ndef run(session):\n    time.sleep(900)\n    return 'done'\n$$"
        )
        killed: list[float] = []
        killer = threading.Timer(2.0, lambda: killed.append(warehouse.kill()))
        killer.start()
        try:
            cur.execute("CALL BENCH_DOWN.S.RUNS_LONG()")
        except Exception as e:
            failed = time.monotonic()
            if str(e) != UNREACHABLE.format(url=settings.warehouse_url):
                raise RuntimeError(f"the statement failed otherwise: {e}") from e
        else:
            raise RuntimeError("the statement returned although its warehouse was killed")
        finally:
            killer.join()
        return failed - killed[0]
    finally:
        conn.close()


def _whoop_session(url: str) -> Any:
    if str(APP_DIR) not in sys.path:
        sys.path.insert(0, str(APP_DIR))
    os.environ["WHOOP_DASHBOARD_WAREHOUSE"] = url
    import whoop_session

    from infra.local import dashboard_session

    dashboard_session.install()  # as `make app` does: the app's get_active_session() is the local warehouse's

    return whoop_session


def run(rec: Recorder, quick: bool = False) -> None:
    previous = os.environ.get("WHOOP_DASHBOARD_WAREHOUSE")
    with tempfile.TemporaryDirectory(prefix="bench_warehouse_down_") as tmp:
        settings = Settings(Path(tmp), "127.0.0.1", free_port(), free_port(), 7)
        warehouse = _Warehouse(settings)
        warehouse.start()
        try:
            mid_statement = _mid_statement(settings, warehouse)  # leaves the warehouse killed
            cli = _cli_run(settings)

            warehouse.start()
            session = _whoop_session(settings.warehouse_url)
            select = lambda s: s.sql("SELECT 1 AS ONE").collect()  # noqa: E731
            session.call(select)  # a cached session, as after a page has rendered
            killed = warehouse.kill()
            try:
                session.call(select)
            except session.WarehouseUnreachable:
                dashboard = time.monotonic() - killed
            else:
                raise RuntimeError("the dashboard's session answered although its warehouse was killed")
            warehouse.start()
            start = time.monotonic()
            if session.call(select)[0][0] != 1:
                raise RuntimeError("the dashboard's session did not recover")
            recovery = time.monotonic() - start
        finally:
            warehouse.kill()
            if previous is None:
                os.environ.pop("WHOOP_DASHBOARD_WAREHOUSE", None)
            else:
                os.environ["WHOOP_DASHBOARD_WAREHOUSE"] = previous

    rec.add(
        "warehouse_down_cli_run_seconds",
        cli,
        "s",
        COMPARED_TO,
        TARGET_SECONDS,
        "`whoop run` in a new process with the warehouse killed: launch (Python start included) to exit 1",
    )
    rec.add(
        "warehouse_down_mid_statement_seconds",
        mid_statement,
        "s",
        COMPARED_TO,
        TARGET_SECONDS,
        "a CALL in flight when the warehouse is killed (pipeline.connect, as every CLI command): kill to error",
    )
    rec.add(
        "warehouse_down_dashboard_seconds",
        dashboard,
        "s",
        "the 10 s target; before the fix the dashboard's session retried without end (no network_timeout)",
        TARGET_SECONDS,
        "the dashboard's session adapter with a cached session, after the kill: until the one-line error",
    )
    rec.add(
        "warehouse_down_dashboard_recovery_seconds",
        recovery,
        "s",
        "the 10 s target; before the fix the dashboard never recovered without a restart",
        TARGET_SECONDS,
        "warehouse restarted on the same data: the same dashboard process's next statement, until rows",
    )
