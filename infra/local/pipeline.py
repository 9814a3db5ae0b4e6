"""The jobs the `whoop` CLI runs, by name, and the entry points tests and benchmarks call.

Each job lives in a module of its own (connection, deploy, auth, run, importing, demo, status); this module only
names them, so `whoop` and its callers have one import. Jobs never print: they return their result and report
progress through a callback; the CLI (infra/local/cli.py, with the wording in report.py) is what prints.
"""

from __future__ import annotations

import subprocess
import sys
from typing import Any

from infra.local import auth as _auth
from infra.local import demo as _demo
from infra.local import deploy as _deploy
from infra.local import importing as _importing
from infra.local import run as _run
from infra.local import status as _status
from infra.local.connection import Target
from infra.local.deploy import CONSUMER_GRANTS, DATABASE, connect
from infra.local.errors import RunFailed, WhoopError
from infra.local.run import Progress
from infra.local.settings import REPO_ROOT, Settings

LAYERS = _demo.LAYERS
sandbox_members = _auth.sandbox_members
table_counts = _demo.table_counts
import_export = _importing.import_export  # a member's WHOOP export into the app (infra/local/importing.py)
_tick = _run.tick_local
_demo_ml = _demo._demo_ml

__all__ = [
    "CONSUMER_GRANTS",
    "DATABASE",
    "LAYERS",
    "REPO_ROOT",
    "RunFailed",
    "WhoopError",
    "auth",
    "bench",
    "connect",
    "demo",
    "deploy_local",
    "import_export",
    "ml_backtest",
    "run_once",
    "sandbox_members",
    "status",
    "table_counts",
]


def _target(where: Settings | Target) -> Target:
    return where if isinstance(where, Target) else Target(where)


def deploy_local(settings: Settings, start_stack: bool = True) -> dict[str, Any]:
    """Install the app on the local warehouse (infra/local/deploy.py)."""
    return _deploy.deploy_local(settings, start_stack=start_stack)


def auth(settings: Settings, progress: Progress | None = None, **kwargs: Any) -> list[str]:
    """Authorize members (infra/local/auth.py); returns their names."""
    return _auth.auth(settings, progress=progress, **kwargs)


def run_once(where: Settings | Target, progress: Progress | None = None) -> dict[str, Any]:
    """One run of the task graph on the local stack or a connection (infra/local/run.py); `RunFailed` if it failed."""
    return _run.run(_target(where), progress)


def demo(settings: Settings, progress: Progress | None = None) -> dict[str, Any]:
    return _demo.demo(settings, progress)


def status(where: Settings | Target) -> dict[str, Any]:
    return _status.status(_target(where))


def ml_backtest(where: Settings | Target, member: str) -> dict[str, Any]:
    return _status.ml_backtest(_target(where), member)


def ml_train(where: Settings | Target, member: str | None = None) -> dict[str, Any]:
    return _status.ml_train(_target(where), member)


def ml_score(where: Settings | Target) -> dict[str, Any]:
    return _status.ml_score(_target(where))


def bench(settings: Settings, quick: bool = False, only: list[str] | None = None) -> int:
    """The benchmarks, as their own program (`python -m bench.run`): bench/ imports infra/, never the reverse."""
    argv = [sys.executable, "-m", "bench.run", *(["--quick"] if quick else [])]
    argv += [arg for name in only or [] for arg in ("--only", name)]
    return subprocess.run(argv, cwd=REPO_ROOT, check=False).returncode


def _snowpark(settings: Settings) -> Any:
    """A Snowpark session on the local warehouse (what a procedure handler gets)."""
    return Target(settings).snowpark()
