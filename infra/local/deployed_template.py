"""A deployed warehouse without deploying again: deploy once per process, copy for each new home, then point the
copy at that home's stack.

Installing the app is the same for every home but takes seconds of CPU (the setup script's statements, the
migrations), and the test suite and the benchmarks set up many homes in one process. So the first home in a process
deploys into a template home, and each home starts from a copy of the template's warehouse data directory and app
stage: the local warehouse keeps everything there, as it does across a restart (infra/local/warehouse/persistence.py).
Only what names the home's own stack (the adapters `deploy_local` points at the sandbox: its URLs, the ML registry
path under the home, the sandbox client of the home's seed) is written again, by the same code `deploy_local` runs.

Use: `with serve_deployed(settings):` serves the warehouse of `settings` in this process with the app installed (a
copy of the template pointed at this stack). Its two steps are `copy_deployed(home)` before a warehouse is started on
`home / "warehouse"` and `point_at_stack(settings)` once it serves (bench/restart.py serves through `whoop local up`).
The template lives until the process exits (the installed app reads its manifest from the template's stage, as an
install reads it from the stage it was created from).
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from infra.local.deploy import _set_local_adapters, connect, deploy_local
from infra.local.in_process import free_port, serve
from infra.local.settings import Settings

_template: list[Path] = []  # this process's template home, the app deployed in it (made at the first copy)
_deploying = threading.Lock()


@contextmanager
def serve_deployed(settings: Settings) -> Iterator[None]:
    """The warehouse of `settings` served in this process with the app installed, as `deploy_local` leaves it: a copy
    of the template pointed at this stack, or, where a warehouse is already left in the home, that warehouse with the
    app upgraded by `deploy_local` (as a deploy on it would)."""
    from infra.local.warehouse.server import create_app

    fresh = not (settings.home / "warehouse").exists()
    if fresh:
        copy_deployed(settings.home)
    with serve(create_app(settings.home / "warehouse", settings.warehouse_url), settings.warehouse_port):
        if fresh:
            point_at_stack(settings)  # this stack's sandbox URLs, registry path and client
        else:
            deploy_local(settings, start_stack=False)
        yield


def copy_deployed(home: Path) -> None:
    """Lay out `home` as `deploy_local` leaves it: the template's warehouse data directory and app stage (the
    stage's files are links to the sources, and stay links)."""
    template = _deployed_template()
    shutil.copytree(template / "app_stage", home / "app_stage", symlinks=True)
    shutil.copytree(template / "warehouse", home / "warehouse")


def point_at_stack(settings: Settings) -> None:
    """Point the installed app on the (serving) warehouse of `settings` at its own sandbox, registry and client."""
    conn = connect(settings)
    try:
        _set_local_adapters(conn, settings)
    finally:
        conn.close()


def _deployed_template() -> Path:
    """The template home, deployed on first use by a warehouse served in this process for the purpose."""
    from infra.local.warehouse.server import create_app

    with _deploying:
        if _template:
            return _template[0]
        home = Path(tempfile.mkdtemp(prefix="whoop-deployed-"))
        atexit.register(shutil.rmtree, home, True)
        settings = Settings(home=home, host="127.0.0.1", warehouse_port=free_port(), sandbox_port=free_port(), seed=7)
        # `serve` joins the server's thread on leaving: copying a data directory the warehouse still writes would
        # copy half a state
        with serve(create_app(home / "warehouse", settings.warehouse_url), settings.warehouse_port, 30):
            deploy_local(settings, start_stack=False)
        _template.append(home)
        return home
