"""Losing the local warehouse (issue 13 item 2): every client gives up within seconds with one line, and the
dashboard recovers by itself once the warehouse is back.

The warehouse runs as its own process here (as `whoop local up` runs it) so that it can be killed for real and
restarted on the same data; the sandbox is served in-process. Before the fix `whoop run` retried a dead
warehouse for ten minutes (the connector's network_timeout) and the dashboard hung, then kept a session the
restarted warehouse no longer knew ("the app is not set up yet"). A test that would hang on such code runs
its client in a thread and fails when it has not answered within CLIENT_SECONDS instead.
"""

from __future__ import annotations

import subprocess
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import snowflake.connector.cursor

from infra.local import pipeline, reach, stack
from infra.local.cli import main
from infra.local.errors import UNREACHABLE
from infra.local.settings import REPO_ROOT, Settings
from tests.conftest import free_port, serve
from tests.integration.conftest import point_cli_at
from tests.integration.dashboard_support import MAIN, PAGE, PAGES, app_test, charts, texts

CLIENT_SECONDS = 90  # far above the few seconds the fix needs, far below the ten minutes it replaced
START_SECONDS = 60


class WarehouseProcess:
    """The local warehouse as a child process on the settings' port and data directory: start, kill, start."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        command = stack.SERVICES[0].command(self.settings)  # exactly what `whoop local up` launches
        self.settings.logs_dir.mkdir(parents=True, exist_ok=True)
        with (self.settings.logs_dir / "warehouse.log").open("a") as log:
            self.proc = subprocess.Popen(command, cwd=REPO_ROOT, stdout=log, stderr=subprocess.STDOUT)
        deadline = threading.Event()
        for _ in range(int(START_SECONDS / 0.1)):
            if reach.probe(self.settings.warehouse_url, timeout=1) == "up":
                return
            if self.proc.poll() is not None:
                break
            deadline.wait(0.1)
        raise RuntimeError(f"the warehouse did not start; see {self.settings.logs_dir / 'warehouse.log'}")

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()  # SIGKILL: gone without a goodbye, as with `kill -9` or a crash
            self.proc.wait(timeout=10)


@contextmanager
def stack_with_warehouse_process(home: Path, members: list[str], days: int) -> Iterator[tuple[Settings, Any]]:
    """Deployed and authorized, the members' data through the pipeline once; yields (settings, warehouse)."""
    from infra.local.sandbox.app import create_app as sandbox_app
    from infra.local.sandbox.config import SandboxConfig

    settings = Settings(home=home, host="127.0.0.1", warehouse_port=free_port(), sandbox_port=free_port(), seed=7)
    config = SandboxConfig(
        seed=7,
        members=members,
        days=days,
        today=date(2026, 11, 20),
        state_dir=home / "sandbox",
        rate_per_minute=100_000,
        rate_per_day=1_000_000,
    )
    warehouse = WarehouseProcess(settings)
    with serve(sandbox_app(config), settings.sandbox_port):
        warehouse.start()
        try:
            pipeline.deploy_local(settings, start_stack=False)
            pipeline.auth(settings)
            pipeline.run_once(settings)
            yield settings, warehouse
        finally:
            warehouse.kill()


@pytest.fixture(scope="module")
def down_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Settings, WarehouseProcess]]:
    with stack_with_warehouse_process(tmp_path_factory.mktemp("down_home"), ["ann"], days=40) as pair:
        yield pair


def _in_thread(fn: Callable[[], Any]) -> Any:
    """`fn()` in a daemon thread; fails the test when it has not returned within CLIENT_SECONDS."""
    outcome: dict[str, Any] = {}

    def target() -> None:
        try:
            outcome["value"] = fn()
        except BaseException as e:  # handed to the test
            outcome["error"] = e

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(CLIENT_SECONDS)
    assert not thread.is_alive(), f"still waiting for the warehouse after {CLIENT_SECONDS} s"
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]


def _cli_env(monkeypatch: pytest.MonkeyPatch, settings: Settings, warehouse_port: int | None = None) -> None:
    point_cli_at(monkeypatch, settings, warehouse_port)


@pytest.mark.parametrize("argv", [["run"], ["ml", "backtest", "--member", "ann"]], ids=["run", "ml-backtest"])
def test_cli_with_no_warehouse_says_so_in_one_line(argv, tmp_path, monkeypatch, capsys):
    """Nothing listens on the warehouse port: the connector path (`run`) and the Snowpark one (`ml backtest`)."""
    port = free_port()
    home = tmp_path / "home"
    _cli_env(monkeypatch, Settings(home, "127.0.0.1", port, free_port(), 7))
    assert _in_thread(lambda: main(argv)) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [f"whoop: {UNREACHABLE.format(url=f'http://127.0.0.1:{port}')}"]
    assert not (home / "logs" / "cli.log").exists()  # not treated as a bug


def test_dashboard_says_the_warehouse_is_down_then_recovers_without_a_restart(down_stack, monkeypatch):
    settings, warehouse = down_stack
    message = UNREACHABLE.format(url=settings.warehouse_url)
    recovery = app_test(PAGE["Recovery_Overview"], settings.warehouse_url, monkeypatch)
    assert not recovery.exception and not recovery.error
    assert recovery.metric and len(charts(recovery)) == 3

    warehouse.kill()
    try:
        recovery.run(timeout=CLIENT_SECONDS)  # AppTest fails the run when it takes longer
        assert texts(recovery.error) == message
        assert not recovery.exception and not recovery.metric
        assert "not set up" not in texts(recovery.info) and "No recovery yet" not in texts(recovery.info)
        for path in (MAIN, *PAGES):  # every page, each in a fresh session of this same process
            at = app_test(path, settings.warehouse_url, monkeypatch)
            assert texts(at.error) == message, path.name
            assert not at.exception, path.name
    finally:
        warehouse.start()  # the same data directory and port: the warehouse is back

    # no restart of the dashboard: the same sessions rerun and show data again
    recovery.run(timeout=CLIENT_SECONDS)
    assert not recovery.exception and not recovery.error, texts(recovery.error)
    assert recovery.metric and len(charts(recovery)) == 3
    setup = app_test(PAGE["Setup"], settings.warehouse_url, monkeypatch)
    assert not setup.exception and not setup.error, texts(setup.error)
    assert "ann" in setup.dataframe[0].value.to_string()

    # a restart nobody saw (no rerun while it was down): the cached session is unknown to the new process
    warehouse.kill()
    warehouse.start()
    for at in (recovery, setup):
        at.run(timeout=CLIENT_SECONDS)
        assert not at.exception and not at.error, texts(at.error)
    assert recovery.metric and len(charts(recovery)) == 3
    assert "ann" in setup.dataframe[0].value.to_string()


def test_whoop_run_when_the_warehouse_dies_mid_command(down_stack, monkeypatch, capsys):
    """The warehouse is killed as the run fires the task graph: one line, exit 1, no ten-minute retry loop."""
    settings, warehouse = down_stack
    execute = snowflake.connector.cursor.SnowflakeCursor.execute

    def execute_then_die(self, command, *args, **kwargs):
        if str(command).lstrip().upper().startswith("EXECUTE TASK"):
            warehouse.kill()
        return execute(self, command, *args, **kwargs)

    monkeypatch.setattr(snowflake.connector.cursor.SnowflakeCursor, "execute", execute_then_die)
    _cli_env(monkeypatch, settings)
    try:
        assert _in_thread(lambda: main(["run"])) == 1
        err = capsys.readouterr().err.strip().splitlines()
        assert err == [f"whoop: {UNREACHABLE.format(url=settings.warehouse_url)}"]
        assert not (settings.home / "logs" / "cli.log").exists()
    finally:
        monkeypatch.undo()
        warehouse.start()
    assert pipeline.run_once(settings)["tasks"]  # nothing was left broken: the next run works


def test_a_slow_statement_is_waited_for_and_a_dead_warehouse_ends_one_within_seconds(down_stack):
    """Telling "slow" from "gone" while a statement is in flight: one that outlives the socket timeout is re-sent
    and answered; one whose warehouse dies (its connection resets, nothing listens) fails with the one line."""
    settings, warehouse = down_stack
    conn = pipeline.connect(settings, socket_timeout=1)  # every wait over a second is a retry
    cur = conn.cursor()
    for name, seconds in (("SLOW_ANSWER", 4), ("NO_ANSWER", 300)):
        cur.execute(
            f"CREATE OR REPLACE PROCEDURE PUBLIC.{name}() RETURNS VARCHAR LANGUAGE PYTHON RUNTIME_VERSION = '3.11' "
            "PACKAGES = ('snowflake-snowpark-python') HANDLER = 'run' AS $$\n"
            f"import time\ndef run(session):\n    time.sleep({seconds})\n    return 'done'\n$$"
        )
    cur.execute("CALL PUBLIC.SLOW_ANSWER()")
    assert cur.fetchall() == [("done",)]

    killer = threading.Timer(3.0, warehouse.kill)  # while NO_ANSWER runs, between and during retries
    killer.start()
    try:
        with pytest.raises(Exception) as raised:
            _in_thread(lambda: cur.execute("CALL PUBLIC.NO_ANSWER()"))
        assert str(raised.value) == UNREACHABLE.format(url=settings.warehouse_url)
    finally:
        killer.join()
        warehouse.start()
        conn.close()
