"""The morning recovery-drivers model without a warehouse: held-out days stay unseen, the explanation adds up,
and training logs a model and evaluation rows only where there is enough history."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from snowpark_procs.ml import drivers, procs


def _features(n: int = 200, seed: int = 3) -> pd.DataFrame:
    """A member whose recovery follows HRV up and resting HR down (plus noise)."""
    rng = np.random.default_rng(seed)
    hrv = rng.normal(0, 1, n)
    rhr = rng.normal(0, 1, n)
    return pd.DataFrame(
        {
            "DATE_KEY": [int(d.strftime("%Y%m%d")) for d in pd.date_range("2026-01-01", periods=n)],
            "HRV_RMSSD_MS": 60 * np.exp(0.2 * hrv),
            "RESTING_HEART_RATE_BPM": 55 + 4 * rhr,
            "TOTAL_SLEEP_MINUTES": 420 + 40 * rng.standard_normal(n),
            "SLEEP_PERFORMANCE_PCT": 80 + 8 * rng.standard_normal(n),
            "RESPIRATORY_RATE": 15 + 0.5 * rng.standard_normal(n),
            "RECOVERY_SCORE": np.clip(60 + 15 * hrv - 8 * rhr + 4 * rng.standard_normal(n), 1, 99),
        }
    )


def test_held_out_days_do_not_reach_the_model():
    """The model is fit on the earlier days only; a held-out day's prediction uses the days before it (their
    scores are known that morning: the baseline) but not its own score or later ones."""
    f = _features()
    first, trained_on, model = drivers.holdout(f)
    cut = int(first["DATE_KEY"].iloc[len(first) // 2])
    later = f.copy()
    later.loc[later["DATE_KEY"] >= cut, "RECOVERY_SCORE"] = 0.0
    second, _, changed = drivers.holdout(later)
    assert trained_on > 100 and len(first) > 40
    np.testing.assert_allclose(model.to_sklearn().coef_, changed.to_sklearn().coef_)
    before = first["DATE_KEY"] <= cut
    np.testing.assert_allclose(first.loc[before, "model"], second.loc[before, "model"])
    assert not np.allclose(first.loc[~before, "model"], second.loc[~before, "model"])  # the perturbation landed


def test_model_beats_baselines_that_know_no_morning_signal():
    out, _, model = drivers.holdout(_features())
    maes = {c: float(np.mean(np.abs(out["ACTUAL"] - out[c]))) for c in ["model", *drivers.BASELINES]}
    assert maes["model"] < 0.6 * min(maes[b] for b in drivers.BASELINES), maes
    coef = dict(zip(drivers.DRIVERS, np.ravel(model.to_sklearn().coef_), strict=True))
    assert coef["HRV_Z"] > 0 > coef["RHR_Z"]


def test_explanation_of_the_newest_day_adds_up_to_the_models_recovery():
    f = _features()
    _, _, model = drivers.holdout(f)
    out = drivers.explain_latest(model, f)
    assert list(out.columns) == drivers.EXPLANATION_COLUMNS
    assert sorted(out["DRIVER"]) == sorted(drivers.SOURCES.values())
    assert set(out["DATE_KEY"]) == {int(f["DATE_KEY"].max())}
    day = out.iloc[0]
    rebuilt = day["BASELINE_RECOVERY"] + day["INTERCEPT_POINTS"] + out["CONTRIBUTION_POINTS"].sum()
    assert day["EXPLAINED_RECOVERY"] == pytest.approx(min(max(rebuilt, 0), 100))
    assert day["RECOVERY_SCORE"] == pytest.approx(f["RECOVERY_SCORE"].iloc[-1])
    assert day["BASELINE_RECOVERY"] == pytest.approx(f["RECOVERY_SCORE"].iloc[:-1].mean())
    hrv = out.set_index("DRIVER").loc["HRV_RMSSD_MS"]
    assert hrv["DRIVER_VALUE"] == pytest.approx(f["HRV_RMSSD_MS"].iloc[-1])
    assert hrv["DRIVER_USUAL"] == pytest.approx(np.exp(np.log(f["HRV_RMSSD_MS"].iloc[-29:-1]).mean()))
    assert np.sign(hrv["CONTRIBUTION_POINTS"]) == np.sign(hrv["Z_SCORE"])  # HRV above usual lifts recovery


def _drifting(n: int = 600, seed: int = 7) -> pd.DataFrame:
    """A member whose recovery follows this morning's HRV, resting HR, sleep performance and respiratory rate
    against their 28-day baselines, while HRV and resting HR drift by season and training block (what
    real series show): a deviation from the recent baseline moves recovery, the drift does not."""
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    drift_hrv = 0.35 * np.sin(2 * np.pi * t / 240) + np.cumsum(rng.normal(0, 0.02, n))
    drift_rhr = 4 * np.sin(2 * np.pi * t / 180 + 1)
    ln_hrv = np.log(55) + drift_hrv + rng.normal(0, 0.15, n)
    rhr = 54 + drift_rhr + rng.normal(0, 2.5, n)
    perf = np.clip(80 + 10 * rng.standard_normal(n), 20, 100)
    resp = 15 + 0.3 * np.sin(2 * np.pi * t / 300) + rng.normal(0, 0.4, n)
    f = pd.DataFrame(
        {
            "DATE_KEY": [int(d.strftime("%Y%m%d")) for d in pd.date_range("2025-01-01", periods=n)],
            "HRV_RMSSD_MS": np.exp(ln_hrv),
            "RESTING_HEART_RATE_BPM": rhr,
            "TOTAL_SLEEP_MINUTES": 420 + 40 * rng.standard_normal(n),
            "SLEEP_PERFORMANCE_PCT": perf,
            "RESPIRATORY_RATE": resp,
        }
    )
    base = pd.DataFrame({"h": ln_hrv, "r": rhr, "q": resp}).shift(1).rolling(28, min_periods=7).mean()
    score = 55 + 70 * (ln_hrv - base["h"]) - 2.0 * (rhr - base["r"]) + 0.4 * (perf - 80) - 6 * (resp - base["q"])
    f["RECOVERY_SCORE"] = np.clip(score + rng.normal(0, 4, n), 1, 99)
    f.loc[:27, "RECOVERY_SCORE"] = np.nan  # no score until the baselines exist
    return f


def test_drivers_against_the_28_day_baseline_explain_a_drifting_member_within_8_points():
    """Where HRV and resting HR drift, deviations from all earlier days mix the drift into the drivers; against
    the 28 days before each morning the held-out error stays within the issue's 8 points."""
    out, _, model = drivers.holdout(_drifting())
    maes = {c: float(np.mean(np.abs(out["ACTUAL"] - out[c]))) for c in ["model", *drivers.BASELINES]}
    assert maes["model"] < 8.0, maes
    assert maes["model"] < 0.5 * min(maes[b] for b in drivers.BASELINES), maes
    coef = dict(zip(drivers.DRIVERS, np.ravel(model.to_sklearn().coef_), strict=True))
    assert coef["HRV_Z"] > 0 and coef["RHR_Z"] < 0 and coef["SLEEP_PERF_Z"] > 0 and coef["RESP_Z"] < 0


def test_each_driver_is_the_mornings_deviation_from_the_28_days_before():
    f = _drifting(120)
    frame = drivers.driver_frame(f)
    usual = drivers.baselines(f)
    d = 90
    for driver, source in drivers.SOURCES.items():
        raw = np.log(f[source]) if driver == "HRV_Z" else f[source]
        expected_base = raw.iloc[d - 28 : d].mean()
        expected = (raw.iloc[d] - expected_base) / raw.iloc[:d].std()
        assert frame.loc[d, driver] == pytest.approx(float(np.clip(expected, -5, 5))), driver
        shown = np.exp(expected_base) if driver == "HRV_Z" else expected_base
        assert usual.loc[d, source] == pytest.approx(shown), driver


@pytest.mark.parametrize("driver", drivers.DRIVERS)
def test_a_driver_of_a_morning_does_not_see_that_day_or_later_days(driver):
    """Leakage, per driver: changing the day's own value and every later one changes neither the baseline (usual
    value) nor the spread of that morning or any earlier one, and no earlier deviation; later scores neither."""
    f = _drifting(200)
    source = drivers.SOURCES[driver]
    d = 150
    changed = f.copy()
    changed.loc[d:, source] = changed.loc[d:, source] * 1.7 + 3
    changed.loc[d:, "RECOVERY_SCORE"] = 100 - changed.loc[d:, "RECOVERY_SCORE"]
    before, after = drivers.driver_frame(f), drivers.driver_frame(changed)
    pd.testing.assert_frame_equal(before.iloc[:d], after.iloc[:d])
    pd.testing.assert_series_equal(
        drivers.baselines(f)[source].iloc[: d + 1], drivers.baselines(changed)[source].iloc[: d + 1]
    )
    pd.testing.assert_series_equal(before["BASE"].iloc[: d + 1], after["BASE"].iloc[: d + 1])
    assert before.loc[d, driver] != after.loc[d, driver]  # the perturbation landed on that morning


def test_contributions_and_intercept_add_up_to_every_explained_day():
    f = _drifting()
    _, _, model = drivers.holdout(f)
    frame = drivers.usable(drivers.driver_frame(f))
    rebuilt = frame["BASE"] + drivers.intercept(model) + drivers.contributions(model, frame).sum(axis=1)
    np.testing.assert_allclose(np.clip(rebuilt.to_numpy(), 0, 100), drivers.predict(model, frame), atol=1e-9)


def test_too_short_a_history_explains_nothing():
    _, _, model = drivers.holdout(_features())
    assert drivers.explain_latest(model, _features(n=8)).empty


class _Registry:
    def __init__(self) -> None:
        self.logged: list[str] = []

    def log_model(self, model, *, model_name, version_name, metrics):
        assert metrics["served_by"] == "model" and metrics["mae"] < 10
        self.logged.append(model_name)


def test_training_logs_a_model_and_evaluation_rows_only_with_enough_history():
    registry = _Registry()
    key = "a" * 32
    evaluation, rows = procs.train_drivers(registry, key, "V1", _features(), "2026-07-01T00:00:00")
    assert evaluation.served_by == "model"
    assert registry.logged == [procs.model_name_for(key, drivers.MODEL_NAME)]
    assert sorted(r[3] for r in rows) == ["baseline_mean_28", "baseline_mean_7", "baseline_today", "model"]
    assert {r[1] for r in rows} == {"RECOVERY_DRIVERS"} and {r[14] for r in rows} == {None}  # no retrain cadence
    short, rows = procs.train_drivers(registry, key, "V2", _features(n=40), "2026-07-01T00:00:00")
    assert short.served_by.startswith("baseline_") and len(registry.logged) == 1
    assert {r[6] for r in rows} == {0}


def _saturating(n: int = 400, seed: int = 3) -> pd.DataFrame:
    """A member whose recovery is a bounded score of the morning's HRV and resting HR: it saturates, so a night
    far off usual moves it less than in proportion (heavy-tailed nights, as real members have)."""
    rng = np.random.default_rng(seed)
    f = _features(n, seed)
    hrv = rng.standard_t(4, n)
    rhr = rng.standard_t(4, n)
    f["HRV_RMSSD_MS"] = 60 * np.exp(0.2 * hrv)
    f["RESTING_HEART_RATE_BPM"] = 55 + 4 * rhr
    score = 55 + 30 * np.tanh(0.6 * hrv) - 12 * np.tanh(0.6 * rhr)
    f["RECOVERY_SCORE"] = np.clip(score + 4 * rng.standard_normal(n), 1, 99)
    return f


def test_a_morning_far_off_usual_moves_recovery_less_than_in_proportion():
    """HRV and resting HR saturate as recovery does: the held-out error stays near the noise where a response in
    proportion to the deviation misreads the member's extreme mornings, and HRV 4 SD above usual adds less than
    twice the points of 2 SD above."""
    f = _saturating()
    out, _, model = drivers.holdout(f)
    mae = float(np.mean(np.abs(out["ACTUAL"] - out["model"])))
    assert mae < 5.0, mae  # 4.2 here; 5.9 with every driver in proportion
    day = drivers.usable(drivers.driver_frame(f)).iloc[[-1, -1]].copy()
    day["HRV_Z"] = [2.0, 4.0]
    hrv = drivers.contributions(model, day)["HRV_Z"].to_numpy()
    assert 0 < hrv[0] < hrv[1] < 2 * hrv[0]
    assert drivers.response("SLEEP_Z", 4.0) == 4.0  # sleep's effect stays in proportion
