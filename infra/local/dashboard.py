"""`whoop app` / `make app`: the Streamlit dashboard served on localhost against the local warehouse.

The same app/streamlit code runs in Snowsight; here infra/local/dashboard_session.py puts a session to the local
warehouse (WHOOP_DASHBOARD_WAREHOUSE) behind the app's get_active_session() before Streamlit starts. Run
`whoop demo` (or `whoop run`) first so there is data to show.
"""

from __future__ import annotations

import os
import subprocess
import sys

from infra.local.settings import REPO_ROOT, Settings

MAIN = REPO_ROOT / "app" / "streamlit" / "streamlit_app.py"
DEFAULT_PORT = 8501


def command(port: int) -> list[str]:
    return [
        sys.executable,
        "-m",
        "infra.local.dashboard_session",  # Streamlit's CLI after the local session is put in place
        "run",
        str(MAIN),
        "--server.port",
        str(port),
        "--server.address",
        "127.0.0.1",
        "--server.headless",
        "true",
        "--browser.gatherUsageStats",
        "false",
        "--client.toolbarMode",
        "viewer",
    ]


def environment(settings: Settings, role: str | None = None) -> dict[str, str]:
    env = dict(os.environ, WHOOP_DASHBOARD_WAREHOUSE=settings.warehouse_url)
    if role:
        env["WHOOP_DASHBOARD_ROLE"] = role
    return env


def serve(settings: Settings, port: int = DEFAULT_PORT, role: str | None = None) -> int:
    """Serve the dashboard until Ctrl-C; returns Streamlit's exit code."""
    return subprocess.call(command(port), env=environment(settings, role), cwd=REPO_ROOT)
