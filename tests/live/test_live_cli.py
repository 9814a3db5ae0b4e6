"""`whoop status` against a real account (issue 14 item 1), through the same connection code as the offline tests
(tests/integration/test_connection.py): a temporary connection from the live tier's SNOWFLAKE_* variables, the app
named by WHOOP_APP_DATABASE. Skipped without credentials (tests/live/conftest.py)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from infra.local.settings import REPO_ROOT
from tests.live.conftest import DEFAULT_ROLE, DEFAULT_WAREHOUSE

pytestmark = pytest.mark.live


def test_whoop_status_on_the_account(names, tmp_path):
    env = {
        **os.environ,
        "SNOWFLAKE_ROLE": os.environ.get("SNOWFLAKE_ROLE", DEFAULT_ROLE),
        "SNOWFLAKE_WAREHOUSE": os.environ.get("SNOWFLAKE_WAREHOUSE", DEFAULT_WAREHOUSE),
        "WHOOP_HOME": str(tmp_path),
    }
    result = subprocess.run(
        [sys.executable, "-m", "infra.local.cli", "-x", "--app", names["app"], "status", "--json"],
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
        env=env,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    body = json.loads(result.stdout)
    assert body["app"] == names["app"] and body["pipeline"] in ("STARTED", "STOPPED")
    assert {"members", "last_run", "quality"} <= set(body)
    assert os.environ.get("SNOWFLAKE_PASSWORD", "\0") not in result.stdout + result.stderr
