"""Shared by the dashboard tests: page paths, an AppTest runner pointed at a local warehouse, stacks with and
without data, and a few ML rows (the ML layer's table shapes) so the predictions page has something to show."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from bench.dashboard import ML_DDL  # the ML layer's table shapes, shared with the dashboard benchmark
from infra.local import dashboard_session, pipeline
from infra.local.errors import WhoopError
from infra.local.settings import REPO_ROOT, Settings
from tests.conftest import free_port
from tests.integration.conftest import query

APP_DIR = REPO_ROOT / "app" / "streamlit"
MAIN = APP_DIR / "streamlit_app.py"
PAGES = sorted((APP_DIR / "pages").glob("*.py"))
PAGE = {p.stem.split("_", 1)[1]: p for p in PAGES}  # "Recovery_Overview" -> path

# `streamlit run` puts the main script's folder on sys.path (so does Streamlit in Snowflake); AppTest does not
if str(APP_DIR) not in sys.path:
    sys.path.insert(0, str(APP_DIR))


def app_test(path: Path, warehouse_url: str, monkeypatch, role: str = "app_admin"):
    """An AppTest of one page, run once against `warehouse_url`."""
    from streamlit.testing.v1 import AppTest

    dashboard_session.install()  # the local session and viewer behind get_active_session() and st.user
    monkeypatch.setenv("WHOOP_DASHBOARD_WAREHOUSE", warehouse_url)
    monkeypatch.setenv("WHOOP_DASHBOARD_ROLE", role)
    return AppTest.from_file(str(path), default_timeout=120).run()


def charts(at) -> list:
    # st.altair_chart is an "arrow_vega_lite_chart" element up to Streamlit 1.5x (the pinned version), a
    # "vega_lite_chart" one in later releases; count either so the tests follow the pin
    return [*at.get("arrow_vega_lite_chart"), *at.get("vega_lite_chart")]


def chart_data(chart):
    """The rows a chart was drawn from (its datasets, as Streamlit sends them to the browser)."""
    import pandas as pd
    from streamlit.dataframe_util import convert_arrow_bytes_to_pandas_df

    frames = [convert_arrow_bytes_to_pandas_df(d.data.data) for d in chart.proto.datasets]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def texts(elements) -> str:
    return " | ".join(str(e.value) for e in elements)


@contextmanager
def empty_stack(home: Path) -> Iterator[Settings]:
    """The local warehouse with the app deployed and nothing else: no members, no runs, no ML schema."""
    from infra.local import deployed_template

    settings = Settings(home=home, host="127.0.0.1", warehouse_port=free_port(), sandbox_port=free_port(), seed=7)
    with deployed_template.serve_deployed(settings):
        yield settings


def seed_ml(settings: Settings, member: str, version: str = "v3") -> None:
    """Forecasts for the member's last 14 recovery days (model on the last 7, a baseline before), an evaluation,
    one flagged night and what drove the newest recovery, computed from the member's own Gold rows."""
    conn = pipeline.connect(settings)
    try:
        cur = conn.cursor()
        for ddl in ML_DDL:
            cur.execute(ddl)
        key = f"MD5('member|{member}')"
        cur.execute(
            "INSERT INTO ML.FACT_PREDICTIONS (MEMBER_KEY, TARGET_DATE_KEY, MODEL_NAME, MODEL_VERSION, SERVED_BY, "
            "PREDICTION, INTERVAL_LOW, INTERVAL_HIGH, PREDICTED_AT) "
            f"SELECT r.MEMBER_KEY, r.DATE_KEY, 'NEXT_DAY_RECOVERY', '{version}', "
            "CASE WHEN r.RN <= 7 THEN 'model' ELSE 'baseline_mean_7' END, r.RECOVERY_SCORE + 4, "
            "r.RECOVERY_SCORE - 10, r.RECOVERY_SCORE + 18, '2026-11-20 06:00:00'::TIMESTAMP_NTZ "
            "FROM (SELECT f.MEMBER_KEY, f.DATE_KEY, f.RECOVERY_SCORE, "
            "ROW_NUMBER() OVER (ORDER BY f.DATE_KEY DESC) AS RN FROM GOLD.FACT_DAILY_RECOVERY AS f "
            f"WHERE f.MEMBER_KEY = {key}) AS r WHERE r.RN <= 14"
        )
        cur.execute(
            "INSERT INTO ML.EVALUATIONS (MEMBER_KEY, MODEL_NAME, MODEL_VERSION, PREDICTOR, MAE, RMSE, N_PREDICTIONS, "
            "SKILL, IS_BEST_BASELINE, IS_SERVED, SERVING_REASON, EVALUATED_AT) "
            f"SELECT {key}, 'NEXT_DAY_RECOVERY', '{version}', 'model', 9.5, 12.0, 60, 0.08, FALSE, TRUE, "
            "'model beats the best baseline by 8 %', '2026-11-20 05:00:00'::TIMESTAMP_NTZ "
            f"UNION ALL SELECT {key}, 'NEXT_DAY_RECOVERY', '{version}', 'baseline_mean_7', 10.3, 13.1, 60, 0.0, "
            "TRUE, FALSE, 'best baseline', '2026-11-20 05:00:00'::TIMESTAMP_NTZ"
        )
        cur.execute(
            "INSERT INTO ML.FACT_ANOMALIES (MEMBER_KEY, DATE_KEY, SIGNALS, REASON, DETECTED_AT) "
            f"SELECT {key}, MAX(f.DATE_KEY), 'hrv_down,rhr_up', '2 signals agree', "
            "'2026-11-20 06:00:00'::TIMESTAMP_NTZ "
            f"FROM GOLD.FACT_DAILY_RECOVERY AS f WHERE f.MEMBER_KEY = {key}"
        )
        # what drove the newest recovery: usual 55 + intercept 1 + drivers (+6 -2.5 +1 +0.5 -0.2 = +4.8) = 60.8
        drivers = [
            ("HRV_RMSSD_MS", 72.0, 58.0, 1.5, 6.0),
            ("RESTING_HEART_RATE_BPM", 58.0, 54.0, 1.0, -2.5),
            ("TOTAL_SLEEP_MINUTES", 480.0, 450.0, 0.5, 1.0),
            ("SLEEP_PERFORMANCE_PCT", 88.0, 85.0, 0.3, 0.5),
            ("RESPIRATORY_RATE", 15.2, 15.0, 0.4, -0.2),
        ]
        for driver, value, usual, z, points in drivers:
            cur.execute(
                "INSERT INTO ML.FACT_RECOVERY_DRIVERS (MEMBER_KEY, DATE_KEY, DRIVER, DRIVER_VALUE, DRIVER_USUAL, "
                "Z_SCORE, CONTRIBUTION_POINTS, RECOVERY_SCORE, BASELINE_RECOVERY, INTERCEPT_POINTS, "
                "EXPLAINED_RECOVERY, MODEL_NAME, MODEL_VERSION, COMPUTED_AT) "
                f"SELECT {key}, MAX(f.DATE_KEY), '{driver}', {value}, {usual}, {z}, {points}, MAX_BY(f.RECOVERY_SCORE, "
                f"f.DATE_KEY), 55, 1, 60.8, 'RECOVERY_DRIVERS', '{version}', '2026-11-20 06:30:00'::TIMESTAMP_NTZ "
                f"FROM GOLD.FACT_DAILY_RECOVERY AS f WHERE f.MEMBER_KEY = {key}"
            )
    finally:
        conn.close()


def revoke_and_run(settings: Settings, member: str) -> None:
    """Replace the member's refresh token by one the sandbox refuses, then run the pipeline: the run stops naming
    the member, who now needs re-authorization (the pages' warning)."""
    query(settings, "CALL OPS.REGISTER_MEMBER(?, ?, ?)", [member, "not-a-valid-refresh-token", 1], paramstyle="qmark")
    with pytest.raises(WhoopError, match=f"member {member} needs re-authorization"):  # the run says so
        pipeline.run_once(settings)
