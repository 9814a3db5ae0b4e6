"""Dashboard page times (issue 6): each Streamlit page's queries on 10 member-years in the local warehouse.

The warehouse is built as bench/medallion.py builds it (sandbox payloads into Bronze, Silver procedures, one Gold
refresh), ML tables are filled with a forecast per recovery day and some flagged nights, then each page's
statements (app/streamlit/queries.py, the very SQL the pages run, plus the shared sidebar's) are executed
uncached, as on a first visit or after the app's cache expires, for every member and a 90-day range (the
default) and a 365-day range. Figure: p95 of the page's total query time; target < 1 s per page.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from contextlib import ExitStack
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from bench.harness import Recorder
from infra.local.settings import REPO_ROOT
from infra.local.synthetic_members import build, deployed_warehouse, load_bronze, payloads

APP_DIR = REPO_ROOT / "app" / "streamlit"
TARGET_SECONDS = 1.0

# The ML layer's tables (their shapes as the ML layer defines them); created if absent, so the Predictive
# Insights page is timed with data. tests/integration/dashboard_support.py uses the same statements.
ML_DDL = (
    "CREATE SCHEMA IF NOT EXISTS ML",
    """CREATE TABLE IF NOT EXISTS ML.EVALUATIONS (MEMBER_KEY VARCHAR NOT NULL, MODEL_NAME VARCHAR NOT NULL,
        MODEL_VERSION VARCHAR NOT NULL, PREDICTOR VARCHAR NOT NULL, MAE FLOAT, RMSE FLOAT, N_PREDICTIONS NUMBER(38, 0),
        SKILL FLOAT, IS_BEST_BASELINE BOOLEAN, IS_SERVED BOOLEAN, SERVING_REASON VARCHAR, RESIDUAL_Q10 FLOAT,
        RESIDUAL_Q90 FLOAT, MIN_HISTORY_DAYS NUMBER(38, 0), RETRAIN_EVERY_DAYS NUMBER(38, 0),
        EVALUATED_AT TIMESTAMP_NTZ NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS ML.FACT_PREDICTIONS (MEMBER_KEY VARCHAR NOT NULL,
        TARGET_DATE_KEY NUMBER(38, 0) NOT NULL, MODEL_NAME VARCHAR NOT NULL, MODEL_VERSION VARCHAR NOT NULL,
        SERVED_BY VARCHAR NOT NULL, PREDICTION FLOAT, INTERVAL_LOW FLOAT, INTERVAL_HIGH FLOAT,
        PREDICTED_AT TIMESTAMP_NTZ NOT NULL, KIND VARCHAR)""",
    """CREATE TABLE IF NOT EXISTS ML.FACT_ANOMALIES (MEMBER_KEY VARCHAR NOT NULL, DATE_KEY NUMBER(38, 0) NOT NULL,
        SIGNALS VARCHAR, Z_HRV_DOWN FLOAT, Z_RHR_UP FLOAT, Z_RESP_UP FLOAT, Z_SKIN_TEMP_UP FLOAT, IF_SCORE FLOAT,
        REASON VARCHAR, DETECTED_AT TIMESTAMP_NTZ NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS ML.FACT_RECOVERY_DRIVERS (MEMBER_KEY VARCHAR NOT NULL,
        DATE_KEY NUMBER(38, 0) NOT NULL, DRIVER VARCHAR NOT NULL, DRIVER_VALUE FLOAT, DRIVER_USUAL FLOAT,
        Z_SCORE FLOAT, CONTRIBUTION_POINTS FLOAT, RECOVERY_SCORE FLOAT, BASELINE_RECOVERY FLOAT,
        INTERCEPT_POINTS FLOAT, EXPLAINED_RECOVERY FLOAT, MODEL_NAME VARCHAR NOT NULL, MODEL_VERSION VARCHAR NOT NULL,
        COMPUTED_AT TIMESTAMP_NTZ NOT NULL)""",
)


def _queries() -> Any:
    if str(APP_DIR) not in sys.path:
        sys.path.insert(0, str(APP_DIR))
    import queries

    return queries


def _fill_ml(cur: Any) -> None:
    for ddl in ML_DDL:
        cur.execute(ddl)
    cur.execute(
        "INSERT INTO ML.FACT_PREDICTIONS (MEMBER_KEY, TARGET_DATE_KEY, MODEL_NAME, MODEL_VERSION, SERVED_BY, "
        "PREDICTION, INTERVAL_LOW, INTERVAL_HIGH, PREDICTED_AT) "
        "SELECT r.MEMBER_KEY, r.DATE_KEY, 'recovery_next_day', 'v1', 'model', r.RECOVERY_SCORE, "
        "r.RECOVERY_SCORE - 12, r.RECOVERY_SCORE + 12, SYSDATE() FROM GOLD.FACT_DAILY_RECOVERY AS r"
    )
    cur.execute(
        "INSERT INTO ML.EVALUATIONS (MEMBER_KEY, MODEL_NAME, MODEL_VERSION, PREDICTOR, MAE, RMSE, N_PREDICTIONS, "
        "SKILL, IS_BEST_BASELINE, IS_SERVED, SERVING_REASON, EVALUATED_AT) "
        "SELECT m.MEMBER_KEY, 'recovery_next_day', 'v1', 'model', 9.0, 12.0, 300, 0.05, FALSE, TRUE, 'bench', "
        "SYSDATE() FROM GOLD.DIM_MEMBER AS m"
    )
    cur.execute(
        "INSERT INTO ML.FACT_ANOMALIES (MEMBER_KEY, DATE_KEY, SIGNALS, REASON, DETECTED_AT) "
        "SELECT r.MEMBER_KEY, r.DATE_KEY, 'hrv_down', 'bench', SYSDATE() FROM GOLD.FACT_DAILY_RECOVERY AS r "
        "WHERE r.RECOVERY_SCORE < 20"
    )
    cur.execute(  # one driver row per recovery day (the page reads the newest day's rows)
        "INSERT INTO ML.FACT_RECOVERY_DRIVERS (MEMBER_KEY, DATE_KEY, DRIVER, DRIVER_VALUE, DRIVER_USUAL, Z_SCORE, "
        "CONTRIBUTION_POINTS, RECOVERY_SCORE, BASELINE_RECOVERY, INTERCEPT_POINTS, EXPLAINED_RECOVERY, MODEL_NAME, "
        "MODEL_VERSION, COMPUTED_AT) SELECT r.MEMBER_KEY, r.DATE_KEY, 'HRV_RMSSD_MS', r.HRV_RMSSD_MS, 50, 0.5, 3.0, "
        "r.RECOVERY_SCORE, 55, 0, 58, 'RECOVERY_DRIVERS', 'v1', SYSDATE() FROM GOLD.FACT_DAILY_RECOVERY AS r"
    )


def _page_statements(q: Any, page: str, member_key: str, start: date, end: date) -> list[str]:
    """What one visit to `page` runs: the sidebar's three statements, then the page's own."""
    shared = [q.tables_sql(), q.members_sql(), q.member_span_sql(member_key)]
    if page == "setup":
        return [q.tables_sql(), *q.setup().values()]
    return shared + list(q.PAGES[page](q.Filters(member_key, start, end)).values())


def _time_page(cur: Any, statements: list[str]) -> float:
    start = time.perf_counter()
    for sql in statements:
        cur.execute(sql)
        cur.fetchall()
    return time.perf_counter() - start


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def loaded_warehouse(stack: ExitStack, home: Path, names: list[str], days: int, seed: int) -> tuple[Any, Any, int]:
    """A deployed local warehouse with `days` of sandbox history for `names` through Gold and ML rows:
    (settings, cursor, recovery days). The dashboard and squad benchmarks measure pages on it."""
    history, newest, ids = payloads(seed, names, days)
    settings, conn = deployed_warehouse(stack, home, ids, seed=seed)
    cur = conn.cursor()
    load_bronze(cur, history)
    load_bronze(cur, newest)
    build(settings)
    _fill_ml(cur)
    cur.execute("SELECT COUNT(*) FROM GOLD.FACT_DAILY_RECOVERY")
    return settings, cur, int(cur.fetchone()[0])


def run(rec: Recorder, quick: bool = False, members: int | None = None) -> None:
    q = _queries()
    count = members or (2 if quick else 10)
    days = 60 if quick else 365
    repeats = 1 if quick else 3
    names = [f"d{i:03d}" for i in range(count)]
    with ExitStack() as stack, tempfile.TemporaryDirectory() as tmp:
        _, cur, recoveries = loaded_warehouse(stack, Path(tmp), names, days, seed=13)
        cur.execute(q.members_sql())
        member_keys = [row[0] for row in cur.fetchall()]
        times: dict[str, dict[str, list[float]]] = {}
        for page in (*q.PAGES, "setup"):
            for label, span in (("90d", 90), ("365d", 365)):
                samples = times.setdefault(page, {}).setdefault(label, [])
                for _ in range(repeats):
                    for key in member_keys:
                        cur.execute(q.member_span_sql(key))
                        last = cur.fetchone()[1]
                        end = date(last // 10000, last // 100 % 100, last % 100)
                        statements = _page_statements(q, page, key, end - timedelta(days=span - 1), end)
                        samples.append(_time_page(cur, statements))
    member_years = count * days / 365
    for page, by_range in times.items():
        p95 = _p95(by_range["90d"])
        rec.add(
            f"dashboard_{page}_page_p95_seconds",
            p95,
            "s",
            f"the {page} page's queries, uncached, 90-day range, {member_years:.0f} member-year(s) "
            f"({recoveries} recovery days)",
            target=TARGET_SECONDS,
            note=f"median {statistics.median(by_range['90d']):.3f} s over {len(by_range['90d'])} visits; "
            f"365-day range p95 {_p95(by_range['365d']):.3f} s",
        )
