"""The serving rule and the walk-forward's use of the past only (pure pandas, no warehouse)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from snowpark_procs.ml import forecast
from snowpark_procs.ml.features import feature_columns


def _predictions(model_error: float) -> pd.DataFrame:
    actual = np.array([50.0, 60.0, 70.0, 80.0])
    return pd.DataFrame(
        {
            "ACTUAL": actual,
            "model": actual + model_error,
            "baseline_today": actual + 10,
            "baseline_mean_7": actual - 4,
            "baseline_mean_28": actual + 6,
        }
    )


def test_model_served_only_when_it_beats_the_best_baseline():
    better = forecast.evaluate(_predictions(3.0))
    assert better.best_baseline == "baseline_mean_7"
    assert better.served_by == "model" and abs(better.skill - 0.25) < 1e-9
    worse = forecast.evaluate(_predictions(5.0))
    assert worse.served_by == "baseline_mean_7" and worse.skill < 0
    assert "does not beat baseline_mean_7" in worse.reason
    assert worse.metrics["baseline_mean_7"]["skill"] == 0.0


def test_no_rows_serves_a_baseline():
    empty = forecast.evaluate(_predictions(0.0).iloc[0:0])
    assert empty.served_by.startswith("baseline_") and empty.metrics["model"]["n"] == 0


def test_the_baselines_given_are_the_ones_judged():
    """evaluate() judges the baselines it is given (tonight's sleep and the drivers have their own), not the
    next-day forecast's: columns of other baselines are neither needed nor used."""
    actual = np.array([50.0, 60.0, 70.0])
    frame = pd.DataFrame({"ACTUAL": actual, "model": actual + 2, "last_night": actual + 1, "week": actual + 5})
    ev = forecast.evaluate(frame, {"last_night": "X", "week": "Y"})
    assert set(ev.metrics) == {"model", "last_night", "week"}
    assert ev.best_baseline == "last_night" and ev.served_by == "last_night"
    empty = forecast.evaluate(frame.iloc[0:0], {"last_night": "X", "week": "Y"})
    assert empty.served_by == "week" and set(empty.metrics) == {"model", "last_night", "week"}


def _features(n: int = 120, seed: int = 5) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    f = pd.DataFrame(rng.normal(0, 1, (n, len(feature_columns()))), columns=feature_columns())
    for col in ("RECOVERY_SCORE", "REC_MEAN_7", "REC_MEAN_28", "REC_MEAN_60"):
        f[col] = 60 + 10 * rng.standard_normal(n)
    f["REC_SD_28"] = 15.0
    f["NEXT_DAY_OF_WEEK"] = (np.arange(n) % 7) + 1
    f["TARGET_RECOVERY"] = 60 + 15 * rng.standard_normal(n)
    f["DATE_KEY"] = [int(d.strftime("%Y%m%d")) for d in pd.date_range("2026-01-01", periods=n)]
    f["TARGET_DATE_KEY"] = f["DATE_KEY"].shift(-1).fillna(0).astype(int)
    return f


def test_walk_forward_predictions_do_not_depend_on_later_targets():
    f = _features()
    first = forecast.walk_forward(f, min_history=60, retrain_every=10)
    changed = f.copy()
    changed.loc[90:, "TARGET_RECOVERY"] = 0.0  # targets known only after day 90
    second = forecast.walk_forward(changed, min_history=60, retrain_every=10)
    early = first["DATE_KEY"] <= f.loc[90, "DATE_KEY"]
    np.testing.assert_allclose(first.loc[early, "model"], second.loc[early, "model"])
    assert len(first) == 120 - 60 and not np.allclose(first["model"], second["model"])
