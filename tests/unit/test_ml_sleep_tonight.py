"""Tonight's sleep-performance forecast and the sleep what-if (pure pandas, no warehouse)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from snowpark_procs.ml import forecast, procs, sleep_tonight
from snowpark_procs.ml.features import feature_columns


def _features(n: int = 150, seed: int = 3) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    f = pd.DataFrame(rng.normal(0, 1, (n, len(feature_columns()))), columns=feature_columns())
    f["SLEEP_PERFORMANCE_PCT"] = np.clip(78 + 10 * rng.standard_normal(n), 0, 100)
    f["BEDTIME_MINUTES"] = 660 + 45 * rng.standard_normal(n)
    f["DAY_STRAIN_SCORE"] = 12 + 3 * rng.standard_normal(n)
    f["NEXT_DAY_OF_WEEK"] = (np.arange(n) % 7) + 1
    f["DATE_KEY"] = [int(d.strftime("%Y%m%d")) for d in pd.date_range("2026-01-01", periods=n)]
    f["TARGET_DATE_KEY"] = f["DATE_KEY"].shift(-1).fillna(0).astype(int)
    return f


def _known_by(frame: pd.DataFrame, cutoff: int) -> pd.DataFrame:
    return frame.loc[frame["DATE_KEY"] <= cutoff, [*sleep_tonight.INPUTS, *sleep_tonight.BASELINES.values()]]


@pytest.mark.parametrize("end_offset, leaks", [(0, False), (1, True)])
def test_tonights_inputs_use_nothing_after_today(end_offset, leaks):
    f = _features()
    cutoff = int(f.loc[90, "DATE_KEY"])
    changed = f.copy()
    later = changed["DATE_KEY"] > cutoff
    changed.loc[later, "SLEEP_PERFORMANCE_PCT"] = 5.0
    changed.loc[later, "BEDTIME_MINUTES"] += 240
    changed.loc[later, "DAY_STRAIN_SCORE"] = 21.0
    a = _known_by(sleep_tonight.tonight_frame(f, end_offset), cutoff)
    b = _known_by(sleep_tonight.tonight_frame(changed, end_offset), cutoff)
    assert (not a.equals(b)) is leaks
    # the target of the cutoff day is tonight's sleep, so it did change
    target = sleep_tonight.tonight_frame(changed)["TARGET"]
    assert target.iloc[90] == 5.0 and sleep_tonight.tonight_frame(f)["TARGET"].iloc[90] != 5.0


def test_walk_forward_is_past_only_and_scored_like_the_baselines():
    f = _features()
    first = sleep_tonight.walk_forward(f, min_history=60, retrain_every=10)
    changed = f.copy()
    changed.loc[110:, "SLEEP_PERFORMANCE_PCT"] = 0.0  # known only after day 109's evening
    second = sleep_tonight.walk_forward(changed, min_history=60, retrain_every=10)
    early = first["DATE_KEY"] < f.loc[109, "DATE_KEY"]
    np.testing.assert_allclose(first.loc[early, "model"], second.loc[early, "model"])
    assert len(first) == 150 - 60 - 1  # the newest day has no target yet
    ev = forecast.evaluate(first, sleep_tonight.BASELINES)
    assert set(ev.metrics) == {"model", *sleep_tonight.BASELINES}
    assert ev.served_by == "model" or ev.served_by == ev.best_baseline


def _sleepy_features(n: int = 200, effect: float = 6.0, seed: int = 9) -> pd.DataFrame:
    """Recovery on D+1 rises `effect` points per SD of last night's sleep."""
    rng = np.random.default_rng(seed)
    f = pd.DataFrame(0.0, index=range(n), columns=feature_columns())
    sleep = 420 + 60 * rng.standard_normal(n)
    f["TOTAL_SLEEP_MINUTES"], f["SLEEP_MEAN_28"], f["SLEEP_SD_28"] = sleep, 420.0, 60.0
    f["REC_MEAN_28"], f["REC_SD_28"] = 60.0, 15.0
    f["NEXT_DAY_OF_WEEK"] = (np.arange(n) % 7) + 1
    f["TARGET_RECOVERY"] = 60 + effect * (sleep - 420) / 60 + 8 * rng.standard_normal(n)
    return f


@pytest.mark.parametrize("effect", [6.0, -6.0])
def test_what_if_moves_with_the_sign_of_the_sleep_coefficient(effect):
    f = _sleepy_features(effect=effect)
    model = forecast.fit(forecast.model_frame(f))
    coef = dict(zip(forecast.INPUTS, np.ravel(model.to_sklearn().coef_), strict=True))["SLEEP_Z"]
    assert np.sign(coef) == np.sign(effect)
    latest = f.iloc[[-1]]
    hours = [5.0, 6.5, 8.0, 9.5]
    preds = [float(forecast.predict(model, procs.what_if_frame(latest, h))[0]) for h in hours]
    steps = np.sign(np.diff(preds))
    assert (steps == np.sign(coef)).all(), preds


def test_the_registered_model_is_the_walk_forwards_fit():
    """The walk-forward solves the ridge in numpy (`coefficients_of`); the estimator registered for serving
    (`fit`, snowflake-ml's Ridge) must predict what was evaluated."""
    frame = sleep_tonight.tonight_frame(_features())
    train = frame.iloc[:120]
    known = train[train[sleep_tonight.LABEL].notna() & train["BASE"].notna()]
    intercept, coef = sleep_tonight.coefficients_of(
        known[sleep_tonight.INPUTS].to_numpy(dtype=float), known[sleep_tonight.LABEL].to_numpy(dtype=float)
    )
    later = frame.iloc[120:149]
    expected = np.clip(later["BASE"].to_numpy() + intercept + later[sleep_tonight.INPUTS].to_numpy() @ coef, 0, 100)
    np.testing.assert_allclose(sleep_tonight.predict(sleep_tonight.fit(train), later), expected, atol=1e-6)
    walked = sleep_tonight.walk_forward(_features(), min_history=120, retrain_every=100).set_index("DATE_KEY")
    np.testing.assert_allclose(walked.loc[later["DATE_KEY"], "model"].to_numpy(), expected, atol=1e-6)
