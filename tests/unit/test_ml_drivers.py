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
    assert hrv["DRIVER_USUAL"] == pytest.approx(np.exp(np.log(f["HRV_RMSSD_MS"].iloc[:-1]).mean()))
    assert np.sign(hrv["CONTRIBUTION_POINTS"]) == np.sign(hrv["Z_SCORE"])  # HRV above usual lifts recovery


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
