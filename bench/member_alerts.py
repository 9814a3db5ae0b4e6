"""Alert evaluation after a run (issue 16 item 3): OPS.EVALUATE_MEMBER_ALERTS on 10 member-years in the local warehouse.

The warehouse is built as bench/medallion.py builds it (sandbox payloads into Bronze, Silver procedures, one Gold
refresh); every member is mapped to the athlete themself and a coach (OPS.GRANT_MEMBER_ACCESS), every other member's
newest night and the nights with a recovery under 20 % are flagged in ML.FACT_ANOMALIES, and the sleep-debt rule's
threshold is lowered to 30 minutes, so rules hold for many members. Figures: the first evaluation after the
run (every holding rule opens an event and its deliveries) and a steady-state one (nothing new: the comparison with
the open events only), each the median of a few repeats on a fresh outbox. Target: well inside the daily task's
slot, < 10 s.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path

from bench.harness import Recorder
from infra.local.synthetic_members import build, deployed_warehouse, load_bronze, payloads

TARGET_SECONDS = 10.0


def run(rec: Recorder, quick: bool = False, members: int | None = None) -> None:
    count = members or (2 if quick else 10)
    days = 60 if quick else 365
    repeats = 1 if quick else 3
    names = [f"a{i:03d}" for i in range(count)]
    history, newest, ids = payloads(17, names, days)
    first: list[float] = []
    steady: list[float] = []
    with ExitStack() as stack, tempfile.TemporaryDirectory() as tmp:
        settings, conn = deployed_warehouse(stack, Path(tmp), ids, seed=17)
        cur = conn.cursor()
        load_bronze(cur, history)
        load_bronze(cur, newest)
        build(settings)
        for i, name in enumerate(names):
            cur.execute("CALL OPS.GRANT_MEMBER_ACCESS(%s, %s, 'self', %s)", (name, f"u_{name}", f"{name}@example.com"))
            coach = f"coach_{i % 3}"
            cur.execute("CALL OPS.GRANT_MEMBER_ACCESS(%s, %s, 'coach', %s)", (name, coach, f"{coach}@example.com"))
        cur.execute(
            "INSERT INTO ML.FACT_ANOMALIES (MEMBER_KEY, DATE_KEY, SIGNALS, REASON, DETECTED_AT) "
            "SELECT r.MEMBER_KEY, r.DATE_KEY, 'hrv_down', 'bench', SYSDATE() FROM GOLD.FACT_DAILY_RECOVERY AS r "
            "WHERE r.RECOVERY_SCORE < 20 OR (r.DATE_KEY, r.MEMBER_KEY) IN (SELECT MAX(x.DATE_KEY), x.MEMBER_KEY "
            "FROM GOLD.FACT_DAILY_RECOVERY AS x JOIN GOLD.DIM_MEMBER AS m ON m.MEMBER_KEY = x.MEMBER_KEY "
            "WHERE MOD(ABS(HASH(m.MEMBER_NAME)), 2) = 0 GROUP BY x.MEMBER_KEY)"
        )
        cur.execute("UPDATE CONFIG.ALERT_RULES SET THRESHOLD = 30 WHERE RULE_NAME = 'sleep_debt'")
        cur.execute("SELECT COUNT(*) FROM GOLD.FACT_DAILY_RECOVERY")
        recoveries = int(cur.fetchone()[0])
        for _ in range(repeats):
            cur.execute("DELETE FROM OPS.MEMBER_ALERT_DELIVERIES")
            cur.execute("DELETE FROM OPS.MEMBER_ALERT_EVENTS")
            start = time.perf_counter()
            cur.execute("CALL OPS.EVALUATE_MEMBER_ALERTS()")
            cur.fetchall()
            first.append(time.perf_counter() - start)
            start = time.perf_counter()
            cur.execute("CALL OPS.EVALUATE_MEMBER_ALERTS()")
            cur.fetchall()
            steady.append(time.perf_counter() - start)
        cur.execute("SELECT COUNT(*) FROM OPS.MEMBER_ALERT_EVENTS")
        opened = int(cur.fetchone()[0])
        cur.execute("SELECT COUNT(*) FROM OPS.MEMBER_ALERT_DELIVERIES")
        deliveries = int(cur.fetchone()[0])
    member_years = count * days / 365
    rec.add(
        "member_alerts_first_evaluation_seconds",
        statistics.median(first),
        "s",
        f"OPS.EVALUATE_MEMBER_ALERTS right after a run: 5 rules over {member_years:.0f} member-year(s) "
        f"({recoveries} recovery days), opening {opened} event(s) and {deliveries} deliveries",
        target=TARGET_SECONDS,
        note=f"median of {len(first)}; max {max(first):.3f} s",
    )
    rec.add(
        "member_alerts_steady_evaluation_seconds",
        statistics.median(steady),
        "s",
        f"the next evaluation with nothing new ({opened} event(s) still open, none repeated)",
        target=TARGET_SECONDS,
        note=f"median of {len(steady)}; max {max(steady):.3f} s",
    )
