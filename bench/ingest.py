"""Ingest figures (issue 3): request efficiency, rate-limit-bound wall time, 429s, incremental cost,
and the success rate of whole pipeline runs with the sandbox's faults on.

Everything runs in-process on loopback: the local warehouse, the WHOOP sandbox (rate limits at the
documented 100 requests/minute, with the clock scaled so a window lasts seconds), the real procedure.
"""

from __future__ import annotations

import json
import math
import tempfile
import time
from contextlib import ExitStack
from datetime import date
from pathlib import Path
from typing import Any

import requests

from bench.harness import Recorder
from infra.local import deployed_template, pipeline
from infra.local.in_process import free_port, serve
from infra.local.settings import Settings

RATE_PER_MINUTE = 100
FAULTS = {"seed": 4, "p_5xx": 0.10, "p_429": 0.05, "burst_429": 2, "p_malformed": 0.03}


def _stack(stack: ExitStack, home: Path, members: list[str], clock_scale: float) -> Settings:
    from infra.local.sandbox.app import create_app as sandbox_app
    from infra.local.sandbox.config import SandboxConfig

    settings = Settings(home=home, host="127.0.0.1", warehouse_port=free_port(), sandbox_port=free_port(), seed=21)
    config = SandboxConfig(
        seed=21,
        members=members,
        days=365,
        today=date(2026, 11, 20),
        state_dir=home / "sandbox",
        rate_per_minute=RATE_PER_MINUTE,
        clock_scale=clock_scale,
    )
    stack.enter_context(serve(sandbox_app(config), settings.sandbox_port))
    stack.enter_context(deployed_template.serve_deployed(settings))  # the app installed, deployed once per process
    pipeline.auth(settings)
    return settings


def _query(settings: Settings, sql: str) -> list[tuple[Any, ...]]:
    conn = pipeline.connect(settings)
    try:
        cur = conn.cursor()
        cur.execute(sql)
        return cur.fetchall()
    finally:
        conn.close()


def _minimum_requests(settings: Settings, members: list[str]) -> int:
    """ceil(records / 25) per collection and member, plus one request per snapshot."""
    total = 0
    for member in members:
        truth = requests.get(f"{settings.sandbox_url}/_sandbox/truth/{member}", timeout=30).json()
        for key in ("cycles", "recoveries", "sleeps", "workouts"):
            total += max(1, math.ceil(len(truth[key]) / 25))
        total += 2
    return total


def run(rec: Recorder, quick: bool = False) -> None:
    members = ["mia"] if quick else ["mia", "noa", "oli"]
    # scaled so the bench stays short; the fixed per-request warehouse cost weighs more the shorter the window
    clock_scale = 0.02 if quick else 0.1  # a 60 s window lasts 1.2 s / 6 s
    with tempfile.TemporaryDirectory() as tmp, ExitStack() as stack:
        settings = _stack(stack, Path(tmp), members, clock_scale)
        requests.post(f"{settings.sandbox_url}/_sandbox/reset-metrics", timeout=10)
        started = time.perf_counter()
        (summary,) = _query(settings, "CALL OPS.INGEST_WHOOP('all')")[0]
        wall = time.perf_counter() - started
        if json.loads(summary)["failed"]:
            raise RuntimeError(f"backfill failed: {summary}")
        used = int(_query(settings, "SELECT SUM(REQUESTS) FROM OPS.INGEST_RUNS")[0][0])
        minimum = _minimum_requests(settings, members)
        metrics = requests.get(f"{settings.sandbox_url}/_sandbox/metrics", timeout=10).json()
        window = 60 * clock_scale
        bound = math.floor((used - 1) / RATE_PER_MINUTE) * window  # full windows the limit forces a client to wait
        rec.add(
            "ingest_backfill_requests_ratio",
            used / minimum,
            "x",
            "minimum possible: ceil(records/25) per "
            f"collection + 1 per snapshot ({minimum} for {len(members)} member-year(s))",
            target=1.05,
        )
        rec.add(
            "ingest_backfill_wall_vs_rate_bound",
            wall / bound if bound else wall / window,
            "x",
            f"rate-limit bound at {RATE_PER_MINUTE} requests/minute with the clock scaled ×{clock_scale}",
            target=1.15,
            note=f"{used} requests in {wall:.1f} s; bound {bound:.1f} s",
        )
        rec.add(
            "ingest_429_fault_free",
            metrics["served_429"],
            "responses",
            "zero: the client waits for the window its X-RateLimit headers announce",
            target=0,
        )
        _query(settings, "DELETE FROM OPS.INGEST_RUNS")
        _query(settings, "CALL OPS.INGEST_WHOOP('all')")
        incremental = int(_query(settings, "SELECT SUM(REQUESTS) FROM OPS.INGEST_RUNS")[0][0])
        rec.add(
            "ingest_incremental_requests_per_resource",
            incremental / (len(members) * 6),
            "requests",
            "per member and resource for a run one day later (overlap window 3 days)",
            target=2,
        )
        requests.put(f"{settings.sandbox_url}/_sandbox/faults", json=FAULTS, timeout=10).raise_for_status()
        runs = 2 if quick else 20  # quick: fewer repeats of the same run (faults on for each)
        ok = 0
        for _ in range(runs):
            try:
                result = pipeline.run_once(settings)
                returned = json.loads(result["tasks"][0]["returned"] or "{}")
                ok += int(returned.get("failed", 1) == 0)
            except Exception:  # a failed run is what this figure counts
                pass
        rec.add(
            "pipeline_success_rate_with_faults",
            100.0 * ok / runs,
            "%",
            f"{runs} whole pipeline runs with 10 % 5xx, 5 % 429 bursts, 3 % malformed bodies",
            target=100,
        )
