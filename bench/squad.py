"""Squad page time (issue 16): every athlete on one page, 25 members × 1 year in the local warehouse.

The warehouse is built as bench/dashboard.py builds it (sandbox payloads into Bronze, Silver procedures, one Gold
refresh, ML tables filled, flagged nights among them). Two figures, each a p95 over repeated first visits:

- the page's statements (app/streamlit/queries.py: the table check every page makes, then `squad()`, the one
  statement for all members), uncached, as on a first visit or after the app's memo expires;
- the whole page in Streamlit's AppTest (a fresh session each time, so nothing is remembered): the statements plus
  building, sorting and styling the table, i.e. what a viewer waits for.

Target < 1 s. `python -m bench.run --only squad`.
"""

from __future__ import annotations

import os
import statistics
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path

from bench.dashboard import APP_DIR, TARGET_SECONDS, _p95, _queries, loaded_warehouse
from bench.harness import Recorder

PAGE = APP_DIR / "pages" / "0_Squad.py"


def _render_seconds(url: str, visits: int) -> list[float]:
    """Seconds per AppTest run of the Squad page against `url`, each in a new session."""
    from streamlit.testing.v1 import AppTest

    from infra.local import dashboard_session

    dashboard_session.install()
    saved = {k: os.environ.get(k) for k in ("WHOOP_DASHBOARD_WAREHOUSE", "WHOOP_DASHBOARD_ROLE")}
    os.environ["WHOOP_DASHBOARD_WAREHOUSE"] = url
    os.environ["WHOOP_DASHBOARD_ROLE"] = "app_admin"
    try:
        times = []
        for _ in range(visits):
            at = AppTest.from_file(str(PAGE), default_timeout=120)
            start = time.perf_counter()
            at.run()
            times.append(time.perf_counter() - start)
            if at.exception or at.error or not at.dataframe:
                problems = [e.value for e in [*at.exception, *at.error]]
                raise RuntimeError(f"the squad page did not render its table: {problems}")
        return times
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def run(rec: Recorder, quick: bool = False, members: int | None = None) -> None:
    q = _queries()
    count = members or (3 if quick else 25)
    days = 60 if quick else 365
    visits = 3 if quick else 40
    renders = 2 if quick else 20
    names = [f"s{i:03d}" for i in range(count)]
    with ExitStack() as stack, tempfile.TemporaryDirectory() as tmp:
        settings, cur, recoveries = loaded_warehouse(stack, Path(tmp), names, days, seed=17)
        statements = [q.tables_sql(), q.squad()["squad"]]
        samples = []
        rows = 0
        for _ in range(visits):
            start = time.perf_counter()
            for sql in statements:
                cur.execute(sql)
                rows = len(cur.fetchall())
            samples.append(time.perf_counter() - start)
        if rows != count:
            raise RuntimeError(f"the squad statement returned {rows} rows for {count} members")
        rendered = _render_seconds(settings.warehouse_url, renders)
    scope = f"{count} members × {days} days ({recoveries} recovery days), one statement for all members"
    rec.add(
        "squad_page_queries_p95_seconds",
        _p95(samples),
        "s",
        f"the squad page's statements, uncached: {scope}",
        target=TARGET_SECONDS,
        note=f"median {statistics.median(samples):.3f} s over {len(samples)} visits; first visit {samples[0]:.3f} s",
    )
    rec.add(
        "squad_page_render_p95_seconds",
        _p95(rendered),
        "s",
        f"the squad page end to end in AppTest (statements, table, sort, styling), a new session per visit: {scope}",
        target=TARGET_SECONDS,
        note=f"median {statistics.median(rendered):.3f} s over {len(rendered)} visits; first {rendered[0]:.3f} s",
    )
