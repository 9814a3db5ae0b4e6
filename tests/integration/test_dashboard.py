"""The Streamlit dashboard on demo data: two sandbox members through the pipeline once, then every page in AppTest.

Each page must run without an exception and show its headline metrics and charts, computed from the warehouse
the session adapter points at (WHOOP_DASHBOARD_WAREHOUSE). One stack for the module.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from datetime import timedelta

import pytest

from infra.local import pipeline
from infra.local.settings import Settings
from tests.integration.conftest import local_stack, query
from tests.integration.dashboard_support import MAIN, PAGE, app_test, chart_data, charts, seed_ml, texts


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Settings]:
    with local_stack(tmp_path_factory.mktemp("dash_home"), ["ann", "ben"], days=90) as settings:
        pipeline.run_once(settings)
        seed_ml(settings, "ann")
        yield settings


def _ok(at) -> None:
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, texts(at.error)


def _labels(at) -> list[str]:
    return [m.label for m in at.metric]


def test_home_lists_gold_tables(demo, monkeypatch):
    at = app_test(MAIN, demo.warehouse_url, monkeypatch)
    _ok(at)
    rows = at.dataframe[0].value
    counts = dict(zip(rows["table"], rows["rows"], strict=True))
    assert counts["fact_daily_recovery"] > 100  # two members, ~90 days each
    assert "Recovery Overview" in texts(at.markdown)


def test_sidebar_member_and_range_on_every_data_page(demo, monkeypatch):
    for name in ("Recovery_Overview", "Sleep_Analysis", "Strain_Performance", "Predictive_Insights", "Data_Quality"):
        at = app_test(PAGE[name], demo.warehouse_url, monkeypatch)
        _ok(at)
        assert at.sidebar.selectbox[0].options == ["ann", "ben"], name
        start, end = at.sidebar.date_input[0].value
        # default: the member's last 90 days with data (clamped to the first day the member has data)
        assert 80 <= (end - start).days <= 89, name
        assert "2026-11-15" <= str(end) <= "2026-11-21", name  # the newest day with data; the sandbox ends 11-20


def test_recovery_overview(demo, monkeypatch):
    at = app_test(PAGE["Recovery_Overview"], demo.warehouse_url, monkeypatch)
    _ok(at)
    assert _labels(at) == ["Recovery", "HRV (RMSSD)", "Resting HR", "Green days in range"]
    recovery = int(at.metric[0].value.rstrip(" %"))
    zone = "green" if recovery >= 67 else "yellow" if recovery >= 34 else "red"
    assert f"({zone})" in texts(at.markdown)
    assert at.metric[1].delta and "vs baseline" in at.metric[1].delta  # enough history for the 28-day band
    assert len(charts(at)) == 3  # trend, HRV band, resting-HR band


def test_recovery_follows_member_and_range(demo, monkeypatch):
    at = app_test(PAGE["Recovery_Overview"], demo.warehouse_url, monkeypatch)
    ann = at.metric[0].value
    at.sidebar.selectbox[0].select("ben").run()
    _ok(at)
    assert "ben" in texts(at.sidebar.caption)
    _, end = at.sidebar.date_input[0].value
    at.sidebar.date_input[0].set_value((end.replace(day=1), end)).run()
    _ok(at)
    days = int(at.metric[3].value.split(" of ")[1])
    assert days <= end.day
    assert at.metric[0].value and ann  # both members have a latest recovery


def test_sleep_analysis(demo, monkeypatch):
    at = app_test(PAGE["Sleep_Analysis"], demo.warehouse_url, monkeypatch)
    _ok(at)
    labels = _labels(at)
    for label in ("Avg asleep", "Avg need", "Sleep debt (last night)", "Avg efficiency", "Bedtime consistency (SD)"):
        assert label in labels
    assert len(charts(at)) == 4  # stages, need vs actual, debt/efficiency, regularity heatmap
    assert "Naps" in [s.value for s in at.subheader]


def test_strain_performance(demo, monkeypatch):
    at = app_test(PAGE["Strain_Performance"], demo.warehouse_url, monkeypatch)
    _ok(at)
    assert _labels(at) == ["Avg day strain", "Strenuous days (≥ 14)", "Strain ↔ next-day recovery (r)", "Workouts"]
    assert float(at.metric[0].value) > 0
    # scatter, day strain, activities, HR zones per activity, HR zones per workout, weekly load, HR zones per week
    assert len(charts(at)) == 7
    subheaders = [s.value for s in at.subheader]
    assert "Heart-rate zones per workout" in subheaders and "Heart-rate zones per week" in subheaders


ZONE_LABELS = ["Zone 0 · very light", "Zone 1 · light", "Zone 2 · moderate", "Zone 3 · hard", "Zone 4 · very hard",
               "Zone 5 · maximum"]  # fmt: skip


def test_strain_performance_shows_minutes_per_heart_rate_zone_per_workout_and_week(demo, monkeypatch):
    at = app_test(PAGE["Strain_Performance"], demo.warehouse_url, monkeypatch)
    _ok(at)
    start, end = at.sidebar.date_input[0].value
    ann = hashlib.md5(b"member|ann").hexdigest()
    zones = ", ".join(f"ZONE_{z}_MINUTES" for z in range(6))
    gold = query(
        demo,
        f"SELECT WORKOUT_ID, DURATION_MINUTES, {zones} FROM GOLD.FACT_WORKOUTS "
        "WHERE MEMBER_KEY = %s AND DATE_KEY BETWEEN %s AND %s",
        (ann, int(start.strftime("%Y%m%d")), int(end.strftime("%Y%m%d"))),
    )
    assert len(gold) >= 10
    # one stacked bar per workout: its six zones as Gold has them, together the workout's duration
    per_workout = chart_data(charts(at)[4]).pivot(index="WORKOUT_ID", columns="ZONE", values="MINUTES")
    assert sorted(per_workout.index) == sorted(w[0] for w in gold)
    for workout_id, duration, *minutes in gold:
        shown = [float(per_workout.loc[workout_id, label]) for label in ZONE_LABELS]
        assert shown == [float(m) for m in minutes], workout_id
        assert abs(sum(shown) - duration) <= 0.03, workout_id
    # one stacked bar per week: the week's minutes per zone from AGG_MEMBER_WEEKLY
    weeks = query(
        demo,
        f"SELECT WEEK_START_DATE_KEY, {zones} FROM GOLD.AGG_MEMBER_WEEKLY "
        "WHERE MEMBER_KEY = %s AND WEEK_START_DATE_KEY BETWEEN %s AND %s",
        (ann, int((start - timedelta(days=6)).strftime("%Y%m%d")), int(end.strftime("%Y%m%d"))),
    )
    per_week = chart_data(charts(at)[6])
    per_week["WEEK"] = per_week["WEEK_START"].dt.strftime("%Y%m%d").astype(int)
    shown = per_week.pivot(index="WEEK", columns="ZONE", values="MINUTES")
    assert sorted(shown.index) == sorted(w[0] for w in weeks)
    for week, *minutes in weeks:
        assert [float(shown.loc[week, label]) for label in ZONE_LABELS] == [float(m) for m in minutes], week


def test_predictive_insights_names_version_and_server(demo, monkeypatch):
    at = app_test(PAGE["Predictive_Insights"], demo.warehouse_url, monkeypatch)
    _ok(at)
    metrics = {m.label.split(" for ")[0].split(" (n = ")[0]: m for m in at.metric}
    assert metrics["Served by"].value == "model"
    assert metrics["Served by"].delta == "NEXT_DAY_RECOVERY v3"
    assert metrics["Mean absolute error in range"].value == "4.0 pts"  # seeded forecasts are actual + 4
    captions = texts(at.caption)
    assert "NEXT_DAY_RECOVERY v3 served by model on 7 day(s)" in captions
    assert "NEXT_DAY_RECOVERY v3 served by baseline (mean_7) on 7 day(s)" in captions
    assert len(charts(at)) == 2  # recovery drivers, forecasts
    assert len(at.dataframe) == 2  # evaluation, flagged nights
    # a member the ML layer has not scored: explained, not an error
    at.sidebar.selectbox[0].select("ben").run()
    _ok(at)
    assert "No forecasts for this member" in texts(at.info)
    assert "No recovery drivers for this member" in texts(at.info)


def test_predictive_insights_shows_what_drove_the_newest_recovery(demo, monkeypatch):
    at = app_test(PAGE["Predictive_Insights"], demo.warehouse_url, monkeypatch)
    _ok(at)
    assert "What drove today's recovery" in [s.value for s in at.subheader]
    metrics = {m.label.split(" on ")[0]: m for m in at.metric}
    conn = pipeline.connect(demo)
    try:
        sql = "SELECT MAX_BY(RECOVERY_SCORE, DATE_KEY) FROM GOLD.FACT_DAILY_RECOVERY WHERE MEMBER_KEY = %s"
        newest = conn.cursor().execute(sql, (hashlib.md5(b"member|ann").hexdigest(),)).fetchone()[0]
    finally:
        conn.close()
    assert metrics["Recovery"].value == f"{float(newest):.0f} %"
    assert metrics["Explained by the drivers"].value == "61 %"
    assert metrics["Explained by the drivers"].delta == "usual 56 %, drivers +4.8 pts"
    assert metrics["Biggest driver"].value == "HRV"
    assert metrics["Biggest driver"].delta == "+6.0 pts (72.0 ms vs usual 58.0 ms)"
    assert "CONTRIBUTION_POINTS" in str(charts(at)[0].proto)  # the first chart is the drivers'
    assert "RECOVERY_DRIVERS v3" in texts(at.caption)
    # a range that ends before the explained day: said so, and the rest of the page still renders
    start, _ = at.sidebar.date_input[0].value
    at.sidebar.date_input[0].set_value((start, start)).run()
    _ok(at)
    assert "No recovery drivers for this member between" in texts(at.info)


def test_data_quality(demo, monkeypatch):
    at = app_test(PAGE["Data_Quality"], demo.warehouse_url, monkeypatch)
    _ok(at)
    metrics = {m.label: m.value for m in at.metric}
    assert int(metrics["Checks"]) > 10
    assert int(metrics["Runs shown"]) >= 2  # one ingest run per member
    assert "Days missing a recovery, strain or main sleep" in metrics
    assert len(charts(at)) >= 2  # history, missing-days calendar (+ quarantine when rows are held)
    subheaders = [s.value for s in at.subheader]
    for title in ("Latest data quality run", "Freshness per member", "Quarantine", "Ingest runs"):
        assert title in subheaders


def test_setup_is_gated_on_the_admin_role(demo, monkeypatch):
    at = app_test(PAGE["Setup"], demo.warehouse_url, monkeypatch, role="app_viewer")
    _ok(at)
    assert "APP_ADMIN" in texts(at.warning)
    assert not at.dataframe and not at.button


def test_setup_lists_members_and_runs_now(demo, monkeypatch):
    at = app_test(PAGE["Setup"], demo.warehouse_url, monkeypatch)
    _ok(at)
    members = at.dataframe[0].value
    assert sorted(members["MEMBER_NAME"]) == ["ann", "ben"]
    assert set(members["AUTH_MODE"]) == {"APP_MANAGED"}
    assert {m.label: m.value for m in at.metric}["Members"] == "2"
    at.button(key="run_now").click().run()
    _ok(at)
    assert "WHOOP_PIPELINE_ROOT started" in texts(at.success)


def test_setup_connect_member_returns_the_oauth_statement(demo, monkeypatch):
    at = app_test(PAGE["Setup"], demo.warehouse_url, monkeypatch)
    at.text_input[0].input("cat")
    at.text_input[1].input("424242")
    next(b for b in at.button if b.label == "Prepare").click().run()
    _ok(at)
    assert "OPS.START_MEMBER_OAUTH('cat')" in at.code[0].value


def test_setup_stops_and_starts_the_pipeline(demo, monkeypatch):
    at = app_test(PAGE["Setup"], demo.warehouse_url, monkeypatch)
    _ok(at)
    assert "Started" in texts(at.success)
    at.button(key="stop_pipeline").click().run()
    _ok(at)
    assert "Stopped" in texts(at.info)
    at.button(key="start_pipeline").click().run()
    _ok(at)
    assert "Started" in texts(at.success)


def test_predictive_insights_shows_the_interval_on_the_0_100_scale(demo, monkeypatch):
    """A stored interval reaching past 100 (e.g. written before scoring clipped it) is shown on the % scale."""
    key = hashlib.md5(b"member|ann").hexdigest()
    newest = "SELECT MAX(p.TARGET_DATE_KEY) FROM ML.FACT_PREDICTIONS AS p WHERE p.MEMBER_KEY = %s"
    target = query(demo, newest, (key,))[0][0]
    update = (
        "UPDATE ML.FACT_PREDICTIONS SET INTERVAL_LOW = PREDICTION + %s, INTERVAL_HIGH = PREDICTION + %s "
        "WHERE MEMBER_KEY = %s AND TARGET_DATE_KEY = %s"
    )
    query(demo, update, (-200, 200, key, target))
    try:
        at = app_test(PAGE["Predictive_Insights"], demo.warehouse_url, monkeypatch)
        _ok(at)
        forecast = next(m for m in at.metric if m.label.startswith("Forecast for "))
        assert forecast.delta == "80 % interval 0–100"
    finally:
        query(demo, update, (-14, 14, key, target))  # as seed_ml wrote it
