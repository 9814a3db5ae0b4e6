"""Warehouse resumes per day (issue 12): an idle install, and one member at the default schedule.

Counted from what the deployed app has scheduled, read back from the local warehouse with the statements an
operator would use on Snowflake (SHOW TASKS, SHOW ALERTS, SHOW DYNAMIC TABLES), and from the work each firing
does. What resumes the app's warehouse in a day:
- a started task or alert that names a warehouse: once per run (its schedule's runs per day). The app's tasks are
  serverless (USER_TASK_MANAGED_INITIAL_WAREHOUSE_SIZE), so they never resume it themselves;
- the Gold dynamic tables' refreshes: only when a source changed, since a refresh without changes uses no warehouse
  (https://docs.snowflake.com/en/user-guide/dynamic-tables-cost). Each ingest firing that changes Silver is followed
  by the graph finalizer's Gold refresh, which runs back to back on one resume (AUTO_SUSPEND = 60 s). How many
  firings change Silver is measured below: each firing after the backfill re-reads the overlap window, and a
  member's in-progress cycle (strain through the day) changes between firings, so at the default schedule every
  daytime firing does; the figure counts every firing (an upper bound) and notes what the sandbox showed;
- a FULL-refresh dynamic table whose query reads CURRENT_DATE (DIM_DATE): once a day while resumed;
- the data-quality alert's own schedule (a daily backstop); the quality run executes it right after the Gold refresh,
  on the same resume, so those runs add none.
A suspended task, alert or dynamic table resumes nothing. The target is 0 for an idle install: nothing runs until
the consumer calls OPS.START_PIPELINE().
"""

from __future__ import annotations

import json
import tempfile
from contextlib import ExitStack
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from croniter import croniter

from bench.harness import Recorder
from infra.local import deployed_template, pipeline
from infra.local.in_process import free_port, serve
from infra.local.settings import Settings

FINALIZER = "DATA_QUALITY_TASK"
DAY = datetime(2026, 11, 20)


def runs_per_day(schedule: str | None) -> int:
    """Runs in one UTC day of a Snowflake task or alert SCHEDULE ('USING CRON … tz' or 'N MINUTE(S)')."""
    if not schedule:
        return 0
    text = schedule.strip().upper()
    if text.startswith("USING CRON"):
        fields = schedule.split()[2:7]  # minute hour day month weekday; the time zone is UTC here
        it = croniter(" ".join(fields), DAY - timedelta(microseconds=1))
        count = 0
        while it.get_next(datetime) < DAY + timedelta(days=1):
            count += 1
        return count
    minutes = int(text.split()[0])
    return (24 * 60) // minutes


def resumes_per_day(cur: Any, firings_with_changes: float = 1.0) -> dict[str, Any]:
    """What would resume the app's warehouse in a day, from the deployed state (see the module docstring)."""
    cur.execute(f"SHOW TASKS IN DATABASE {pipeline.DATABASE}")
    tasks = [dict(zip([c[0] for c in cur.description], r, strict=False)) for r in cur.fetchall()]
    cur.execute(f"SHOW ALERTS IN DATABASE {pipeline.DATABASE}")
    alerts = [dict(zip([c[0] for c in cur.description], r, strict=False)) for r in cur.fetchall()]
    cur.execute(f"SHOW DYNAMIC TABLES IN DATABASE {pipeline.DATABASE}")
    tables = [dict(zip([c[0] for c in cur.description], r, strict=False)) for r in cur.fetchall()]
    started = {t["name"]: t for t in tasks if str(t["state"]).lower() == "started"}
    by_task = {n: runs_per_day(t["schedule"]) for n, t in started.items() if t["warehouse"]}
    by_alert = {a["name"]: runs_per_day(a["schedule"]) for a in alerts if str(a["state"]).lower() == "started"}
    root_firings = sum(runs_per_day(t["schedule"]) for n, t in started.items() if n == "WHOOP_PIPELINE_ROOT")
    resumed = [d for d in tables if str(d.get("scheduling_state") or "").upper() == "ACTIVE"]
    gold_after_firings = root_firings * firings_with_changes if FINALIZER in started and resumed else 0
    daily_full = [
        d["name"] for d in resumed if str(d["refresh_mode"]).upper() == "FULL" and "CURRENT_DATE" in str(d["text"])
    ]
    total = sum(by_task.values()) + sum(by_alert.values()) + gold_after_firings + len(daily_full)
    return {
        "total": total,
        "tasks_on_warehouse": by_task,
        "alerts": by_alert,
        "gold_refreshes_after_firings": gold_after_firings,
        "daily_full_refreshes": daily_full,
        "started_tasks": sorted(started),
        "resumed_dynamic_tables": len(resumed),
    }


def _firings_that_changed_silver(settings: Settings, firings: int) -> tuple[int, int]:
    """Run the graph `firings` times after the backfill; count those in which a Silver task did work."""
    changed = 0
    for _ in range(firings):
        result = pipeline.run_once(settings)
        changed += any(t["task"].split(".")[-1].startswith("SILVER_") and t["state"] == "SUCCEEDED"
                       for t in result["tasks"])  # fmt: skip
    return changed, firings


def run(rec: Recorder, quick: bool = False) -> None:
    from infra.local.sandbox.app import create_app as sandbox_app
    from infra.local.sandbox.config import SandboxConfig

    with tempfile.TemporaryDirectory() as tmp, ExitStack() as stack:
        home = Path(tmp)
        settings = Settings(home=home, host="127.0.0.1", warehouse_port=free_port(), sandbox_port=free_port(), seed=5)
        config = SandboxConfig(seed=5, members=["mia"], days=30 if quick else 90, today=date(2026, 11, 20),
                               state_dir=home / "sandbox")  # fmt: skip
        stack.enter_context(serve(sandbox_app(config), settings.sandbox_port))
        stack.enter_context(deployed_template.serve_deployed(settings))  # the app installed, deployed once per process
        conn = pipeline.connect(settings)
        stack.callback(conn.close)
        idle = resumes_per_day(conn.cursor())
        pipeline.auth(settings)  # registers the member and starts the pipeline
        pipeline.run_once(settings)  # the backfill
        changed, firings = _firings_that_changed_silver(settings, 1 if quick else 4)
        member = resumes_per_day(conn.cursor(), firings_with_changes=1.0)
    rec.add(
        "warehouse_resumes_per_day_idle_install",
        idle["total"],
        "resumes/day",
        "an installed app before OPS.START_PIPELINE (no member yet): started tasks and alerts on the warehouse, "
        "Gold refreshes, daily FULL refreshes",
        target=0,
        note=json.dumps({k: v for k, v in idle.items() if k != "total"}, default=str),
    )
    rec.add(
        "warehouse_resumes_per_day_one_member",
        member["total"],
        "resumes/day",
        "one member at the default schedule (root CRON 5,35 * * * *): each firing that changes Silver is followed by "
        "one Gold refresh on the warehouse; serverless tasks resume nothing",
        note=f"counts every firing as changing Silver (a member's in-progress cycle changes through the day); the "
        f"static sandbox changed Silver in {changed} of {firings} firings after the backfill; "
        + json.dumps({k: v for k, v in member.items() if k not in ("total", "started_tasks")}, default=str),
    )
