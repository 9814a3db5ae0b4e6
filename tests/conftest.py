"""Shared fixtures: a local warehouse served on a free loopback port, and clients connected to it."""

from __future__ import annotations

import functools
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import snowflake.connector

# fails the run when a secret the sandbox issued appears in captured output (hooks re-exported for pytest)
from infra.local.in_process import free_port, serve
from tests.secret_scan import (  # noqa: F401
    pytest_runtest_logreport,
    pytest_sessionfinish,
    pytest_sessionstart,
    pytest_testnodedown,
)


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict]:
    """A fresh local warehouse per test module; yields the connection keyword arguments."""
    from infra.local.warehouse.server import create_app

    data_dir: Path = tmp_path_factory.mktemp("warehouse")
    port = free_port()
    app = create_app(data_dir, f"http://127.0.0.1:{port}")
    with serve(app, port):
        yield {
            "account": "local",
            "user": "whoop",
            "password": "local",
            "host": "127.0.0.1",
            "port": port,
            "protocol": "http",
            "session_parameters": {"CLIENT_OUT_OF_BAND_TELEMETRY_ENABLED": False},
            "_app": app,
            "_data_dir": data_dir,
        }


def connect(kw: dict, **extra) -> snowflake.connector.SnowflakeConnection:
    args = {k: v for k, v in kw.items() if not k.startswith("_")}
    args.update(extra)
    return snowflake.connector.connect(**args)


class _NoExitHooks:
    """Stands in for `atexit` inside Snowpark's session module during tests: Snowpark closes every
    session it ever opened at interpreter exit, over HTTP, and the test servers are gone by then, so the
    connector would retry for minutes. Sessions are closed by the tests and procedures themselves."""

    @staticmethod
    def register(func, *args, **kwargs):
        return func

    @staticmethod
    def unregister(func) -> None:
        return None


def pytest_configure(config: pytest.Config) -> None:
    import snowflake.ml._internal.telemetry as ml_telemetry
    import snowflake.snowpark.session as snowpark_session

    snowpark_session.atexit = _NoExitHooks()
    # snowflake-ml's usage telemetry caches one connection for the whole process and heartbeats it before
    # every estimator call; in tests that connection belongs to a server an earlier module already stopped,
    # and each heartbeat retries for minutes. There is no Snowflake to send telemetry to here.
    ml_telemetry._get_snowflake_connection = lambda: None
    _untrace_fakesnow()


def _untrace_fakesnow() -> None:
    """Run fakesnow's statements without coverage's line tracer (this project's code stays traced).

    The tests serve the local warehouse in their own process, so `--cov` traces sqlglot's ~80 transforms and
    fakesnow's cursor on every statement: on Python 3.11 a line tracer roughly doubles that pure-Python work, and
    it is none of this project's code. Pausing the tracer around FakeSnowflakeCursor.execute cut the CPU of
    tests/integration/test_gold_cases.py from 59-63 s to 46-47 s (30 s without coverage) and left the coverage
    report of snowpark_procs/ line for line the same; only the warehouse's own fakesnow patches that run inside
    a statement (statement_cache, fakesnow_fixes) are no longer counted. The tracer is coverage's per-thread
    CTracer: `sys.settrace(None)` pauses it on this thread and its `start()` re-installs it as it was (a
    Python-level `sys.settrace(tracer)` would miss the return events of the frames already running and unbalance
    its stack). Any other tracer (a debugger) is left alone.
    """
    from fakesnow.cursor import FakeSnowflakeCursor

    from infra.local.warehouse import statement_cache

    statement_cache.apply()  # idempotent: the servers apply it too; the wrapper must go around the patched execute
    execute = FakeSnowflakeCursor.execute

    @functools.wraps(execute)
    def untraced(*args, **kwargs):
        tracer = sys.gettrace()
        if type(tracer).__name__ != "CTracer":
            return execute(*args, **kwargs)
        sys.settrace(None)
        try:
            return execute(*args, **kwargs)
        finally:
            tracer.start()

    FakeSnowflakeCursor.execute = untraced
