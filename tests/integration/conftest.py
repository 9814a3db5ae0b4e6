"""The local stack in-process (warehouse + sandbox on free loopback ports), deployed and authorized.

In-process servers let coverage see the procedure handlers, which run inside the warehouse.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pytest
import requests

from infra.local import pipeline
from infra.local.settings import Settings
from tests.conftest import ServerThread, free_port


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Settings]:
    from infra.local.sandbox.app import create_app as sandbox_app
    from infra.local.sandbox.config import SandboxConfig
    from infra.local.warehouse.server import create_app as warehouse_app

    home = tmp_path_factory.mktemp("whoop_home")
    settings = Settings(home=home, host="127.0.0.1", warehouse_port=free_port(), sandbox_port=free_port(), seed=7)
    sandbox = sandbox_app(
        SandboxConfig(
            seed=7,
            members=["ann", "ben"],
            days=120,
            today=date(2026, 11, 20),
            state_dir=home / "sandbox",
            rate_per_minute=100_000,
            rate_per_day=1_000_000,
        )
    )
    warehouse = warehouse_app(home / "warehouse", settings.warehouse_url)
    with ServerThread(sandbox, settings.sandbox_port), ServerThread(warehouse, settings.warehouse_port):
        pipeline.deploy_local(settings, quiet=True, start_stack=False)
        pipeline.auth(settings, quiet=True)
        yield settings


def truth(settings: Settings, member: str) -> dict:
    response = requests.get(f"{settings.sandbox_url}/_sandbox/truth/{member}", timeout=30)
    response.raise_for_status()
    return response.json()
