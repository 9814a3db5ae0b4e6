"""The REPORTING views the Power BI report's Predictive Insights and Data Quality pages read, on the local stack.

Each view is checked for what it adds to the app table it reads: the member's newest explained day among the
recovery drivers, only the newest model evaluation, the newest data quality run, table-level and per-member
checks apart, a 90-day window on the check history; and that flagged nights and journal effects pass through.
The ML rows are planted (training is not what is under test); the data quality rows come from two real runs.
"""

from __future__ import annotations

from datetime import datetime

import pytest

from infra.local import migrations, pipeline
from tests.integration.conftest import local_stack, query

MEMBERS = ["ann", "ben"]
REPORTING = f"{migrations.REPORTING_DATABASE}.REPORTING"
KEYS = "SELECT m.MEMBER_KEY FROM GOLD.DIM_MEMBER AS m ORDER BY m.MEMBER_NAME"


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    with local_stack(tmp_path_factory.mktemp("whoop_bi_views"), MEMBERS, days=40) as settings:
        pipeline.run_once(settings)
        pipeline.run_once(settings)  # a second data quality run, so "the newest" has to be picked
        yield settings


def keys(settings) -> list[str]:
    found = [k for (k,) in query(settings, KEYS)]
    assert len(found) == len(MEMBERS)
    return found


def test_recovery_drivers_mark_each_members_newest_day(stack):
    days = {key: (20261101 + i, 20261110 + i) for i, key in enumerate(keys(stack))}
    for key, member_days in days.items():
        for day in member_days:
            for driver, points in (("HRV_RMSSD_MS", 4.0), ("RESTING_HEART_RATE_BPM", -1.5)):
                query(
                    stack,
                    "INSERT INTO ML.FACT_RECOVERY_DRIVERS (MEMBER_KEY, DATE_KEY, DRIVER, DRIVER_VALUE, DRIVER_USUAL, "
                    "Z_SCORE, CONTRIBUTION_POINTS, RECOVERY_SCORE, BASELINE_RECOVERY, INTERCEPT_POINTS, "
                    "EXPLAINED_RECOVERY, MODEL_NAME, MODEL_VERSION, COMPUTED_AT) "
                    "SELECT %s, %s, %s, 1, 1, 1, %s, 60, 57, 0.5, 60, 'RECOVERY_DRIVERS', 'v1', SYSDATE()",
                    (key, day, driver, points),
                )
    rows = query(
        stack,
        f"SELECT MEMBER_KEY, DATE_KEY, DRIVER, CONTRIBUTION_POINTS, IS_NEWEST FROM {REPORTING}.V_RECOVERY_DRIVERS",
    )
    assert len(rows) == 8
    for key, day, _, _, is_newest in rows:
        assert is_newest == (day == days[key][1]), (key, day)
    newest = {(k, d, p) for k, _, d, p, newest in rows if newest}
    assert newest == {(k, "HRV_RMSSD_MS", 4.0) for k in days} | {(k, "RESTING_HEART_RATE_BPM", -1.5) for k in days}


def test_model_evaluations_keep_only_the_newest_evaluation(stack):
    for key in keys(stack):
        for evaluated_at, version, mae in (("2026-11-02 05:00:00", "v1", 9.0), ("2026-11-09 05:00:00", "v2", 7.5)):
            for predictor, served in (("model", True), ("baseline_mean_7", False)):
                query(
                    stack,
                    "INSERT INTO ML.EVALUATIONS (MEMBER_KEY, MODEL_NAME, MODEL_VERSION, PREDICTOR, MAE, RMSE, "
                    "N_PREDICTIONS, SKILL, IS_BEST_BASELINE, IS_SERVED, SERVING_REASON, EVALUATED_AT) "
                    "SELECT %s, 'NEXT_DAY_RECOVERY', %s, %s, %s, 10, 30, 0.1, NOT %s, %s, 'test', "
                    "%s::TIMESTAMP_NTZ",
                    (key, version, predictor, mae, served, served, evaluated_at),
                )
    rows = query(
        stack, f"SELECT MEMBER_KEY, MODEL_VERSION, PREDICTOR, MAE, IS_SERVED FROM {REPORTING}.V_MODEL_EVALUATIONS"
    )
    assert sorted(rows) == sorted(
        (k, "v2", p, 7.5, p == "model") for k in keys(stack) for p in ("model", "baseline_mean_7")
    )


def test_anomalies_and_journal_effects_pass_through(stack):
    ann, ben = keys(stack)
    query(
        stack,
        "INSERT INTO ML.FACT_ANOMALIES (MEMBER_KEY, DATE_KEY, SIGNALS, Z_HRV_DOWN, REASON, DETECTED_AT) "
        "SELECT %s, 20261115, 'hrv_down,rhr_up', 3.2, '2 signals agree', SYSDATE()",
        (ann,),
    )
    query(
        stack,
        "INSERT INTO ML.BEHAVIOUR_EFFECTS (MEMBER_KEY, QUESTION_TEXT, STATUS, EFFECT_POINTS, CI_LOW, CI_HIGH, N_YES, "
        "N_NO, P_VALUE, Q_VALUE, ADJUSTED_FOR, SIGNIFICANT, COMPUTED_AT) "
        "SELECT %s, 'Have any alcoholic drinks?', 'ESTIMATED', -6.5, -9.0, -4.0, 12, 20, 0.001, 0.004, "
        "'weekday, strain', TRUE, SYSDATE() "
        "UNION ALL SELECT %s, 'Take melatonin?', 'TOO_FEW_ANSWERS', NULL, NULL, NULL, 2, 30, NULL, NULL, "
        "'weekday, strain', NULL, SYSDATE()",
        (ben, ben),
    )
    assert query(stack, f"SELECT MEMBER_KEY, DATE_KEY, SIGNALS, Z_HRV_DOWN, REASON FROM {REPORTING}.V_ANOMALIES") == [
        (ann, 20261115, "hrv_down,rhr_up", 3.2, "2 signals agree")
    ]
    assert query(
        stack,
        f"SELECT MEMBER_KEY, QUESTION_TEXT, STATUS, EFFECT_POINTS, CI_LOW, CI_HIGH, N_YES, N_NO, Q_VALUE, SIGNIFICANT "
        f"FROM {REPORTING}.V_JOURNAL_EFFECTS ORDER BY QUESTION_TEXT",
    ) == [
        (ben, "Have any alcoholic drinks?", "ESTIMATED", -6.5, -9.0, -4.0, 12, 20, 0.004, True),
        (ben, "Take melatonin?", "TOO_FEW_ANSWERS", None, None, None, 2, 30, None, None),
    ]


def test_data_quality_views_split_table_and_member_checks_of_recent_runs(stack):
    # a run from 100 days ago is history the report does not import
    query(stack, "INSERT INTO OPS.DQ_RUNS (RUN_ID, STARTED_AT) SELECT 'old-run', DATEADD(DAY, -100, SYSDATE())")
    query(
        stack,
        "INSERT INTO OPS.DQ_RESULTS (CHECKED_AT, RUN_ID, LAYER, TABLE_NAME, CHECK_NAME, CHECK_KIND, SEVERITY, "
        "MEMBER_KEY, ROWS_TESTED, FAILURES, PASSED, DETAIL) "
        "SELECT r.STARTED_AT, r.RUN_ID, 'GOLD', 'GOLD.FACT_STRAIN', 'old_check', 'range', 'error', m.MEMBER_KEY, 1, "
        "1, FALSE, 'old' FROM OPS.DQ_RUNS AS r CROSS JOIN (SELECT NULL AS MEMBER_KEY UNION ALL "
        "SELECT MIN(k.MEMBER_KEY) FROM GOLD.DIM_MEMBER AS k) AS m WHERE r.RUN_ID = 'old-run'",
    )
    runs = query(stack, "SELECT RUN_ID, STARTED_AT FROM OPS.DQ_RUNS WHERE RUN_ID <> 'old-run' ORDER BY STARTED_AT")
    assert len(runs) == 2, runs
    newest = runs[-1][0]
    source = query(
        stack,
        "SELECT RUN_ID, CHECKED_AT, TABLE_NAME, CHECK_NAME, MEMBER_KEY, FAILURES, PASSED FROM OPS.DQ_RESULTS "
        "WHERE RUN_ID <> 'old-run'",
    )
    table_rows = query(
        stack,
        "SELECT RUN_ID, CHECKED_AT, CHECK_DATE_KEY, TABLE_NAME, CHECK_NAME, FAILURES, PASSED, IS_LATEST_RUN "
        f"FROM {REPORTING}.V_DQ_CHECKS",
    )
    member_rows = query(
        stack,
        "SELECT RUN_ID, CHECKED_AT, CHECK_DATE_KEY, TABLE_NAME, CHECK_NAME, MEMBER_KEY, FAILURES, PASSED, "
        f"IS_LATEST_RUN FROM {REPORTING}.V_DQ_MEMBER_CHECKS",
    )
    assert sorted((r, t, c, f, p) for r, _, _, t, c, f, p, _ in table_rows) == sorted(
        (r, t, c, f, p) for r, _, t, c, m, f, p in source if m is None
    )
    assert sorted((r, t, c, m, f, p) for r, _, _, t, c, m, f, p, _ in member_rows) == sorted(
        (r, t, c, m, f, p) for r, _, t, c, m, f, p in source if m is not None
    )
    assert {m for *_, m, _, _, _ in member_rows} == set(keys(stack)), "freshness and missing days per member"
    for run_id, checked_at, date_key, *_, is_latest in [*table_rows, *member_rows]:
        assert is_latest == (run_id == newest), run_id
        assert date_key == int(datetime.strftime(checked_at, "%Y%m%d"))


def test_predictions_carry_the_walk_forward_history_once_per_day(stack):
    """A day with a scored forecast shows the forecast; a day OPS.TRAIN_ML only kept history for shows that."""
    key = keys(stack)[0]
    for day, kind, prediction in (
        (20261101, "WALK_FORWARD", 50.0),  # history only
        (20261102, "WALK_FORWARD", 51.0),  # history of a day that was also forecast
        (20261102, "FORECAST", 61.0),
        (20261103, "FORECAST", 62.0),
    ):
        query(
            stack,
            "INSERT INTO ML.FACT_PREDICTIONS (MEMBER_KEY, TARGET_DATE_KEY, MODEL_NAME, MODEL_VERSION, SERVED_BY, "
            "PREDICTION, INTERVAL_LOW, INTERVAL_HIGH, PREDICTED_AT, KIND) "
            "SELECT %s, %s, 'NEXT_DAY_RECOVERY', 'v2', 'model', %s, 40, 70, SYSDATE(), %s",
            (key, day, prediction, kind),
        )
    rows = query(
        stack,
        f"SELECT TARGET_DATE_KEY, PREDICTION FROM {REPORTING}.V_PREDICTIONS WHERE MEMBER_KEY = %s "
        "ORDER BY TARGET_DATE_KEY",
        (key,),
    )
    assert [(int(d), float(p)) for d, p in rows] == [(20261101, 50.0), (20261102, 61.0), (20261103, 62.0)]
