"""Synthetic sandbox members straight into a local warehouse: their API payloads generated in this process, appended to
Bronze the way INGEST_WHOOP stores them, and built through Silver and Gold as the task graph and the scheduler do.

Set-up for what needs many member-years through the app's own pipeline without the API's pace: the benchmarks
(bench/medallion.py and the modules that build on it) and the population prior shipped with the app
(infra/local/sandbox/prior.py).
"""

from __future__ import annotations

import json
import time
from contextlib import ExitStack
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import requests

from infra.local import deployed_template, pipeline
from infra.local.in_process import free_port
from infra.local.settings import Settings

# Silver procedure → the Bronze stream its task waits for (WHEN SYSTEM$STREAM_HAS_DATA)
SILVER_PROCEDURES = {
    "CYCLE": "RAW_CYCLE_STREAM",
    "RECOVERY": "RAW_RECOVERY_STREAM",
    "SLEEP": "RAW_SLEEP_STREAM",
    "WORKOUT": "RAW_WORKOUT_STREAM",
    "MEMBER_PROFILE": "RAW_PROFILE_STREAM",
    "BODY_MEASUREMENT": "RAW_BODY_STREAM",
    "EXPORT_CYCLE": "RAW_EXPORT_CYCLE_STREAM",
    "EXPORT_SLEEP": "RAW_EXPORT_SLEEP_STREAM",
    "EXPORT_WORKOUT": "RAW_EXPORT_WORKOUT_STREAM",
    "JOURNAL_ENTRY": "RAW_EXPORT_JOURNAL_STREAM",
}
TODAY = date(2026, 11, 20)
BATCH = 4000  # payloads per INSERT … FLATTEN statement


def payloads(seed: int, members: list[str], days: int) -> tuple[dict[str, list], dict[str, list], dict[str, int]]:
    """(history rows, newest rows, user ids): rows are (member id, record key, payload) by Bronze table."""
    from infra.local.sandbox.config import SandboxConfig
    from infra.local.sandbox.members import generate_member

    config = SandboxConfig(seed=seed, members=members, days=days, today=TODAY)
    cutoff = (datetime.combine(TODAY, datetime.min.time()) - timedelta(days=2)).isoformat()
    history: dict[str, list] = {}
    newest: dict[str, list] = {}
    ids = {}
    for name in members:
        data = generate_member(config, name)
        ids[name] = data.user_id
        tables: list[tuple[str, list[dict[str, Any]], str]] = [
            ("RAW_CYCLE", data.cycles, "id"),
            ("RAW_SLEEP", data.sleeps, "id"),
            ("RAW_WORKOUT", data.workouts, "id"),
        ]
        cycle_start = {c["id"]: c["start"] for c in data.cycles}
        for table, records, key in tables:
            for r in records:
                target = newest if r["start"] >= cutoff else history
                target.setdefault(table, []).append((data.user_id, str(r[key]), r))
        for r in data.recoveries:
            target = newest if cycle_start[r["cycle_id"]] >= cutoff else history
            target.setdefault("RAW_RECOVERY", []).append((data.user_id, str(r["cycle_id"]), r))
        history.setdefault("RAW_PROFILE", []).append((data.user_id, str(data.user_id), data.profile))
        history.setdefault("RAW_BODY", []).append((data.user_id, str(data.user_id), data.body))
    return history, newest, ids


def load_bronze(cur: Any, rows: dict[str, list]) -> int:
    """Append payloads to Bronze in a few large statements; returns the rows written."""
    written = 0
    for table, items in rows.items():
        for i in range(0, len(items), BATCH):
            chunk = [{"m": m, "k": k, "p": p} for m, k, p in items[i : i + BATCH]]
            cur.execute(
                f"INSERT INTO BRONZE.{table} (INGEST_BATCH_ID, LOADED_AT, MEMBER_ID, SOURCE, API_VERSION, RECORD_KEY, "
                "RECORD_UPDATED_AT, PAYLOAD_HASH, PAYLOAD) "
                "SELECT 'bench', SYSDATE(), f.VALUE:m::NUMBER, 'bench', 'v2', f.VALUE:k::VARCHAR, NULL, "
                "MD5(TO_VARCHAR(f.VALUE:p)), f.VALUE:p FROM TABLE(FLATTEN(INPUT => PARSE_JSON(%s))) AS f",
                (json.dumps(chunk),),
            )
            written += len(chunk)
    return written


def build(settings: Settings) -> tuple[float, float]:
    """What the task graph does after an ingest (each Silver task whose stream has data), then the
    scheduler's refresh of Gold; returns the Silver and Gold wall times."""
    start = time.perf_counter()
    conn = pipeline.connect(settings)
    try:
        cur = conn.cursor()
        for name, stream in SILVER_PROCEDURES.items():
            cur.execute(f"SELECT SYSTEM$STREAM_HAS_DATA('BRONZE.{stream}')")
            if cur.fetchone()[0]:
                cur.execute(f"CALL OPS.BUILD_SILVER_{name}()")
    finally:
        conn.close()
    silver = time.perf_counter() - start
    tick = requests.post(f"{settings.warehouse_url}/_local/tick", timeout=3600).json()
    if not tick.get("success"):
        raise RuntimeError(f"Gold refresh failed: {tick.get('message')}")
    return silver, time.perf_counter() - start - silver


def deployed_warehouse(stack: ExitStack, home: Path, ids: dict[str, int], seed: int) -> tuple[Settings, Any]:
    """A local warehouse served in-process under `home` with the app deployed and `ids` (name → WHOOP user id)
    registered as active members; returns its settings and a connection, both closed when `stack` exits."""
    settings = Settings(home=home, host="127.0.0.1", warehouse_port=free_port(), sandbox_port=free_port(), seed=seed)
    stack.enter_context(deployed_template.serve_deployed(settings))  # the app installed, deployed once per process
    conn = pipeline.connect(settings)
    stack.callback(conn.close)
    cur = conn.cursor()
    for name, user_id in ids.items():
        cur.execute(
            "INSERT INTO CONFIG.MEMBERS (MEMBER_NAME, WHOOP_USER_ID, STATUS, AUTHORIZED_AT) "
            "SELECT %s, %s, 'ACTIVE', SYSDATE()",
            (name, user_id),
        )
    # the app installs STOPPED (its setup script suspends the tasks and Gold dynamic tables); members registered,
    # start it as `whoop auth` does, so the scheduler's tick refreshes Gold
    cur.execute("CALL OPS.START_PIPELINE()")
    return settings, conn
