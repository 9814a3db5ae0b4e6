"""Rows lost after `whoop local down` / `whoop local up` (issue 13 item 3): the target is 0.

The stack runs as a user runs it, as background processes (infra/local/stack.py) under a fresh WHOOP_HOME:
deploy (a copy of this process's deployed template, infra/local/deployed_template.py: set-up, not measured),
authorize one sandbox member, run the pipeline, import that member's export (stage, file format, staged
files) and run again. Then every table's and view's rows and the export stage's files are counted, the stack is
stopped and started, and they are counted again. The processes get an empty TMPDIR, which must stay empty:
nothing the stack keeps may live outside WHOOP_HOME.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import requests

from bench.harness import Recorder
from infra.local import deployed_template, inventory, pipeline, stack
from infra.local.in_process import free_port
from infra.local.sandbox.export import write_export
from infra.local.settings import Settings


@contextlib.contextmanager
def _tmpdir(path: Path) -> Iterator[None]:
    """TMPDIR for the processes the stack starts (they inherit this process's environment)."""
    previous = os.environ.get("TMPDIR")
    os.environ["TMPDIR"] = str(path)
    try:
        yield
    finally:
        if previous is None:
            os.environ.pop("TMPDIR", None)
        else:
            os.environ["TMPDIR"] = previous


def _fill(settings: Settings, export: Path) -> str:
    """Point the deployed copy at the stack, authorize the first sandbox member, run, import their export and run
    again; returns the member."""
    with contextlib.redirect_stdout(io.StringIO()):  # the import prints a line per file
        deployed_template.point_at_stack(settings)
        member = pipeline.sandbox_members(settings)[0]
        pipeline.auth(settings, member=member)
        pipeline.run_once(settings)
        truth = requests.get(f"{settings.sandbox_url}/_sandbox/truth/{member}", timeout=60)
        truth.raise_for_status()
        write_export(truth.json(), export)
        pipeline.import_export(settings, export, member)
        pipeline.run_once(settings)
    return member


def rows_lost(before: dict[str, int | str], after: dict[str, int | str]) -> int:
    """Rows of each table or view missing afterwards (a table that is gone or unreadable loses all its rows)."""
    lost = 0
    for table, n in before.items():
        if not isinstance(n, int):
            continue
        m = after.get(table)
        lost += max(0, n - m) if isinstance(m, int) else n
    return lost


def files_lost(before: dict[str, Any], after: dict[str, Any]) -> int:
    """Staged files listed before that are not listed afterwards (a stage that is gone loses them all)."""
    lost = 0
    for stage_name, files in before.items():
        if isinstance(files, str):
            continue
        kept = after.get(stage_name)
        names = {f[0] for f in kept} if isinstance(kept, list) else set()
        lost += sum(f[0] not in names for f in files)
    return lost


def run(rec: Recorder, quick: bool = False) -> None:
    with tempfile.TemporaryDirectory(prefix="bench-restart-") as tmp:
        root = Path(tmp)
        (root / "tmp").mkdir()
        settings = Settings(
            home=root / "home", host="127.0.0.1", warehouse_port=free_port(), sandbox_port=free_port(), seed=11
        )
        deployed_template.copy_deployed(settings.home)  # in this process, outside the stack's TMPDIR
        with _tmpdir(root / "tmp"):
            try:
                stack.up(settings)
                member = _fill(settings, root / "export")
                before = inventory.of_stack(settings)
                started = time.perf_counter()
                stack.down(settings)
                stack.up(settings)
                restart_seconds = time.perf_counter() - started
                after = inventory.of_stack(settings)
            finally:
                stack.down(settings)
        outside = sorted(p.name for p in (root / "tmp").iterdir())

    rows = sum(n for n in before["row counts"].values() if isinstance(n, int))
    files = sum(len(f) for f in before["staged files"].values() if isinstance(f, list))
    changed = sorted(key for key in before if key not in ("row counts", "staged files") and before[key] != after[key])
    compared = f"{rows} rows in {len(before['row counts'])} tables and views before `local down` / `local up`"
    rec.add(
        "restart_rows_lost",
        rows_lost(before["row counts"], after["row counts"]),
        "rows",
        compared,
        target=0,
        note=f"one member ({member}) ingested, exported and imported, the pipeline run twice",
    )
    rec.add(
        "restart_staged_files_lost",
        files_lost(before["staged files"], after["staged files"]),
        "files",
        f"{files} files on the export stage before the restart",
        target=0,
    )
    rec.add(
        "restart_object_listings_changed",
        len(changed),
        "listings",
        f"{len(before) - 2} listings (SHOW per object kind, the local catalog, INFORMATION_SCHEMA, load history) "
        "before the restart",
        target=0,
        note=json.dumps(changed),
    )
    rec.add(
        "restart_files_outside_home",
        len(outside),
        "files",
        "entries left in the stack's TMPDIR (everything belongs under WHOOP_HOME)",
        target=0,
        note=json.dumps(outside[:10]),
    )
    rec.add("restart_down_up_seconds", restart_seconds, "s", "`local down` then `local up` (both services)")
