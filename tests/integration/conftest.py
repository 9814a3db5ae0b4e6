"""The local stack in-process (warehouse + sandbox on free loopback ports), deployed and authorized.

In-process servers let coverage see the procedure handlers, which run inside the warehouse.

Installing the app is the same for every stack but takes seconds of CPU (the setup script, the migrations), so a
test process deploys once into a template warehouse and each stack starts from a copy of its data directory; only
what names the stack's own ports, home and seed is written again (infra/local/deployed_template.py).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import requests

from infra.local import deployed_template, pipeline
from infra.local.sandbox.export import write_export
from infra.local.settings import Settings
from tests.conftest import free_port, serve


def query(settings: Settings, sql: str, params: Any = None, **connect: Any) -> list[tuple]:
    """Run one statement on a new connection to the local warehouse; its rows ([] for a statement without any)."""
    conn = pipeline.connect(settings, **connect)
    try:
        cur = conn.cursor()
        cur.execute(sql, params)
        return cur.fetchall() if cur.description else []
    finally:
        conn.close()


def ann_and_her_export(label: str) -> tuple[Any, Any]:
    """A module's `stack` (ann's 45 days, deployed and authorized) and `export` fixtures (her WHOOP export, as the
    sandbox writes it, in a folder of its own)."""

    @pytest.fixture(scope="module", name="stack")
    def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Settings]:
        with local_stack(tmp_path_factory.mktemp(f"{label}_home"), ["ann"], days=45) as settings:
            yield settings

    @pytest.fixture(scope="module", name="export")
    def export(stack: Settings, tmp_path_factory: pytest.TempPathFactory) -> Path:
        folder = tmp_path_factory.mktemp(f"{label}_export")
        write_export(truth(stack, "ann"), folder)
        return folder

    return stack, export


def point_cli_at(monkeypatch: pytest.MonkeyPatch, settings: Settings, warehouse_port: int | None = None) -> None:
    """`whoop` run in this process uses the stack of `settings` (its home, host, ports and seed)."""
    monkeypatch.setenv("WHOOP_HOME", str(settings.home))
    monkeypatch.setenv("WHOOP_LOCAL_HOST", settings.host)
    monkeypatch.setenv("WHOOP_WAREHOUSE_PORT", str(warehouse_port or settings.warehouse_port))
    monkeypatch.setenv("WHOOP_SANDBOX_PORT", str(settings.sandbox_port))
    monkeypatch.setenv("WHOOP_SEED", str(settings.seed))


def add_member_without_token(settings: Settings, name: str, whoop_user_id: int, reason: str) -> None:
    """A member the sandbox does not know, with no token (NEEDS_REAUTHORIZATION): only records a test plants."""
    query(
        settings,
        "INSERT INTO CONFIG.MEMBERS (MEMBER_NAME, WHOOP_USER_ID, STATUS, AUTHORIZED_AT, STATUS_REASON) "
        "SELECT %s, %s, 'NEEDS_REAUTHORIZATION', SYSDATE(), %s",
        (name, whoop_user_id, reason),
    )


def leaked_secrets(settings: Settings, values: list[str], *tables: str) -> int:
    """How many secret `values` show in a log under the home or in the rows of the tables the pipeline writes
    (OPS.INGEST_RUNS, CONFIG.MEMBERS, the catalog's objects and procedure calls, and `tables`): a count, so a
    failing test never prints a value."""
    scanned = (
        "OPS.INGEST_RUNS",
        "CONFIG.MEMBERS",
        "WHOOP_LOCAL.CATALOG.OBJECTS",
        "WHOOP_LOCAL.CATALOG.PROCEDURE_CALLS",
    )
    dumped = " ".join(str(r) for table in scanned + tables for r in query(settings, f"SELECT * FROM {table}"))
    logs = " ".join(p.read_text(errors="replace") for p in settings.home.rglob("*.log"))
    return sum(v in dumped or v in logs for v in values)


@contextmanager
def local_stack(
    home: Path, members: list[str], days: int, seed: int = 7, authorize: bool = True, **sandbox: Any
) -> Iterator[Settings]:
    """Warehouse and sandbox served in this process, the pipeline deployed and (unless not `authorize`, an install
    before the consumer's first step) the members authorized."""
    from infra.local.sandbox.app import create_app as sandbox_app
    from infra.local.sandbox.config import SandboxConfig

    settings = Settings(home=home, host="127.0.0.1", warehouse_port=free_port(), sandbox_port=free_port(), seed=seed)
    options = {"rate_per_minute": 100_000, "rate_per_day": 1_000_000, **sandbox}
    config = SandboxConfig(
        seed=seed, members=members, days=days, today=date(2026, 11, 20), state_dir=home / "sandbox", **options
    )
    with serve(sandbox_app(config), settings.sandbox_port), deployed_template.serve_deployed(settings):
        if authorize:
            pipeline.auth(settings)
        yield settings


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Settings]:
    with local_stack(tmp_path_factory.mktemp("whoop_home"), ["ann", "ben"], days=120) as settings:
        yield settings


def truth(settings: Settings, member: str) -> dict:
    response = requests.get(f"{settings.sandbox_url}/_sandbox/truth/{member}", timeout=30)
    response.raise_for_status()
    return response.json()
