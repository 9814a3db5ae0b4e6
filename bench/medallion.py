"""Bronze → Silver → Gold figures (issue 4): a full local build for 100 member-years, and an incremental
run after one new day for the same 100 members, as a ratio of the full build.

The sandbox's generator writes each member's year of API payloads, which are loaded into Bronze the way
INGEST_WHOOP stores them (that load is set-up, not measured). The build is what the task graph and the
scheduler do after an ingest: every Silver procedure (stream → pending → quarantine | MERGE), then one
scheduler tick that refreshes every Gold dynamic table in dependency order. Each member's two newest nights
are held back and loaded afterwards for the incremental run: as in a daily run, one day's records arrive
scored and the newest ones still pending.
"""

from __future__ import annotations

import tempfile
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from bench.harness import Recorder
from infra.local.synthetic_members import build, deployed_warehouse, load_bronze, payloads


def _gold_rows(cur: Any) -> int:
    cur.execute(
        "SELECT SUM(ROW_COUNT) FROM WHOOP.INFORMATION_SCHEMA.TABLES WHERE TABLE_SCHEMA = 'GOLD'"
        " AND TABLE_NAME LIKE 'FACT_%'"
    )
    return int(cur.fetchone()[0] or 0)


def run(rec: Recorder, quick: bool = False, members: int | None = None) -> None:
    count = members or (4 if quick else 100)
    days = 60 if quick else 365
    names = [f"m{i:03d}" for i in range(count)]
    history, newest, ids = payloads(11, names, days)
    with ExitStack() as stack, tempfile.TemporaryDirectory() as tmp:
        settings, conn = deployed_warehouse(stack, Path(tmp), ids, seed=11)
        cur = conn.cursor()
        loaded = load_bronze(cur, history)
        full_silver, full_gold = build(settings)
        full = full_silver + full_gold
        gold_after_full = _gold_rows(cur)
        new_rows = load_bronze(cur, newest)
        inc_silver, inc_gold = build(settings)
        incremental = inc_silver + inc_gold
        gold_after_incremental = _gold_rows(cur)
    member_years = count * days / 365
    rec.add(
        "medallion_full_build_seconds",
        full,
        "s",
        f"Bronze → Silver → Gold for {member_years:.0f} member-year(s) ({loaded} Bronze rows)",
        note=f"Silver {full_silver:.2f} s + Gold {full_gold:.2f} s; {gold_after_full} fact rows",
    )
    rec.add(
        "medallion_full_build_rows_per_second",
        loaded / full,
        "rows/s",
        "Bronze rows carried to Gold per second in the full build",
    )
    rec.add(
        "medallion_incremental_vs_full",
        incremental / full,
        "x",
        f"the newest day for {count} members ({new_rows} Bronze rows) as a ratio of the full build",
        target=0.1,
        note=f"incremental {incremental:.2f} s (Silver {inc_silver:.2f} + Gold {inc_gold:.2f}) vs full "
        f"{full:.2f} s; fact rows {gold_after_full} → {gold_after_incremental}",
    )
