"""The serving rule and the walk-forward's use of the past only (pure pandas, no warehouse)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from snowpark_procs.ml import forecast, pooling, procs
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


def _noisy(n: int, noise, seed: int = 11, level: float = 60.0) -> pd.DataFrame:
    """Walk-forward rows whose actual is the prediction plus `noise(rng, n)`: a known residual distribution."""
    rng = np.random.default_rng(seed)
    days = pd.date_range("2024-01-01", periods=n + 1)
    keys = [int(d.strftime("%Y%m%d")) for d in days]
    pred = level + 10 * np.sin(np.arange(n) / 9)
    return pd.DataFrame(
        {"DATE_KEY": keys[:-1], "TARGET_DATE_KEY": keys[1:], "ACTUAL": pred + noise(rng, n), "model": pred}
    )


def test_the_80_percent_interval_covers_80_percent_of_gaussian_residuals():
    """Residuals N(0, 10): each walk-forward interval, from the residuals known before it, holds 75-85 % of the
    actuals, and its width is that of the Gaussian 80 % interval (2 × 1.2816 × 10)."""
    rows = _noisy(3000, lambda rng, n: rng.normal(0, 10, n))
    cover = forecast.interval_coverage(rows, "model")
    assert 0.75 <= cover["interval_coverage"] <= 0.85, cover
    assert abs(cover["interval_coverage"] - 0.8) < 0.025 and cover["interval_n"] == 3000 - 30
    bounds = forecast.walk_forward_intervals(rows, "model").dropna()
    assert abs((bounds["HIGH"] - bounds["LOW"]).median() - 25.6) < 2.5
    ev = forecast.evaluate(rows.assign(last=rows["ACTUAL"] + 20), {"last": "X"})
    assert ev.metrics["model"]["interval_coverage"] == cover["interval_coverage"]
    low, high = ev.residual_quantiles["model"]
    assert -15.5 < low < -10 and 10 < high < 15.5  # served offsets: the newest 180 residuals' 10th/90th percentiles
    assert ev.to_dict()["interval"]["coverage"] == cover["interval_coverage"]


def test_skewed_residuals_are_covered_where_a_gaussian_interval_would_not_be():
    """Residuals from a skewed law (recovery crashes on bad days): the conformal interval still covers ~80 %,
    and its bounds are asymmetric like the residuals."""
    rows = _noisy(2000, lambda rng, n: 8 - rng.exponential(8, n))
    cover = forecast.interval_coverage(rows, "model")["interval_coverage"]
    assert 0.75 <= cover <= 0.85
    low, high = forecast.residual_interval(rows["ACTUAL"] - rows["model"])
    assert -low > 1.3 * high  # a Gaussian interval would be symmetric: ±10.3 for this law


def test_an_interval_uses_only_residuals_known_before_its_prediction():
    rows = _noisy(400, lambda rng, n: rng.normal(0, 10, n))
    changed = rows.copy()
    changed.loc[300:, "ACTUAL"] = changed.loc[300:, "ACTUAL"] + 80  # actuals known from day 301 on
    first = forecast.walk_forward_intervals(rows, "model")
    second = forecast.walk_forward_intervals(changed, "model")
    # row 300's target is known on day 301: rows up to 300 are predicted before any changed actual is known
    pd.testing.assert_frame_equal(first.loc[:300, ["LOW", "HIGH"]], second.loc[:300, ["LOW", "HIGH"]])
    assert (second.loc[302:, "HIGH"] >= first.loc[302:, "HIGH"]).all()
    assert (second.loc[340:, "HIGH"] > first.loc[340:, "HIGH"]).any()
    assert first.loc[:29, "LOW"].isna().all() and first.loc[30:, "LOW"].notna().all()


def test_intervals_stay_within_0_and_100():
    rows = _noisy(500, lambda rng, n: rng.normal(0, 15, n), level=92.0)
    rows["ACTUAL"] = rows["ACTUAL"].clip(0, 100)
    bounds = forecast.walk_forward_intervals(rows, "model").dropna()
    assert (bounds["LOW"] >= 0).all() and (bounds["HIGH"] <= 100).all() and (bounds["HIGH"] == 100).any()
    assert forecast.clipped_interval(95.0, -20.0, 19.0) == (75.0, 100.0)
    assert forecast.clipped_interval(3.0, -20.0, 19.0) == (0.0, 22.0)


def test_too_few_residuals_leave_an_interval_side_open_not_a_crash():
    low, high = forecast.residual_interval(np.array([1.0, -2.0, 3.0]))
    assert low == -np.inf and high == np.inf
    assert forecast.clipped_interval(50.0, low, high) == (0.0, 100.0)
    assert procs._interval(50.0, None, float("nan")) == (0.0, 100.0)  # stored as NULL: scoring serves 0-100
    assert procs._interval(90.0, -12.5, 14.0) == (77.5, 100.0)
    empty = forecast.evaluate(_predictions(0.0).iloc[0:0])
    assert empty.metrics["model"]["interval_n"] == 0 and empty.to_dict()["interval"]["n"] == 0


def _member(n: int, effect: float, seed: int, noise: float = 5.0, start: str | None = None) -> pd.DataFrame:
    """A member's feature frame whose next-day recovery is the 28-day mean + `effect` × today's HRV z-score
    + noise (the baselines know nothing of HRV): HRV_MEAN_28 = 0 and HRV_SD_28 = 1 make HRV_Z the raw value."""
    rng = np.random.default_rng(seed)
    f = pd.DataFrame(0.0, index=range(n), columns=feature_columns())
    f["HRV_RMSSD_MS"] = rng.standard_normal(n)
    f["HRV_SD_28"] = 1.0
    for col in ("RECOVERY_SCORE", "REC_MEAN_7"):
        f[col] = 60 + 12 * rng.standard_normal(n)
    f["REC_MEAN_28"] = 60.0
    f["REC_SD_28"] = 15.0
    f["NEXT_DAY_OF_WEEK"] = (np.arange(n) % 7) + 1
    f["TARGET_RECOVERY"] = (60 + effect * f["HRV_RMSSD_MS"] + noise * rng.standard_normal(n)).clip(0, 100)
    f.loc[n - 1, "TARGET_RECOVERY"] = np.nan  # tomorrow is not known yet
    first = pd.Timestamp(start) if start else pd.Timestamp("2025-01-01") + pd.Timedelta(days=seed)
    f["DATE_KEY"] = [int(d.strftime("%Y%m%d")) for d in pd.date_range(first, periods=n)]
    f["TARGET_DATE_KEY"] = [int(d.strftime("%Y%m%d")) for d in pd.date_range(first + pd.Timedelta(days=1), periods=n)]
    f["MEMBER_KEY"] = f"m{seed}"
    return f


def test_the_registered_model_holds_the_walk_forward_coefficients():
    """The walk-forward refits in numpy (`coefficients`); the Ridge logged to the registry (`fit`, the prior as
    pseudo-rows and the Huber weights as sample weights) must predict exactly what was evaluated."""
    frame = forecast.model_frame(_member(200, 10.0, seed=1))
    prior = np.linspace(-2, 2, len(forecast.INPUTS))
    expected = forecast.predict_coefficients(forecast.coefficients(frame, prior), frame)
    np.testing.assert_allclose(forecast.predict(forecast.fit(frame, prior), frame), expected, atol=1e-6)
    coef = np.ravel(forecast.fit(frame, prior).to_sklearn().coef_)
    np.testing.assert_allclose(coef, forecast.coefficients(frame, prior), atol=1e-6)


def test_crash_days_do_not_drag_every_prediction():
    """One day in ten a crash 40 points below the usual (illness, a night out): a squared loss lowers every
    forecast by ~4 points to meet them, the Huber loss (linear beyond HUBER_K, like the MAE it is judged by)
    barely moves, so the typical day's forecast stays near the truth."""
    f = _member(400, 10.0, seed=2, noise=3.0)
    crash = np.arange(len(f)) % 10 == 0
    f.loc[crash, "TARGET_RECOVERY"] -= 40
    frame = forecast.model_frame(f)
    clean = frame[~crash & frame[forecast.LABEL].notna()]
    truth = 60 + 10 * f.loc[clean.index, "HRV_RMSSD_MS"]
    error = np.abs(forecast.predict(forecast.fit(frame), clean) - truth)
    assert error.mean() < 2.0, error.mean()  # 1.5 here; a squared loss ~4
    ls = np.linalg.lstsq(clean[forecast.INPUTS].to_numpy(), clean[forecast.LABEL].to_numpy(), rcond=None)[0]
    assert abs(forecast.coefficients(frame)[0] - ls[0]) < 1.5  # and on clean days it is the least squares fit


def test_the_prior_carries_a_new_member_until_their_own_days_take_over():
    prior = np.zeros(len(forecast.INPUTS))
    prior[forecast.INPUTS.index("HRV_Z")] = 10.0
    hrv = forecast.INPUTS.index("HRV_Z")
    own = forecast.model_frame(_member(800, 4.0, seed=3))
    assert forecast.coefficients(own.iloc[0:0], prior)[hrv] == 10.0  # no days: the prior
    assert 5.0 < forecast.coefficients(own.iloc[:14], prior)[hrv] < 9.0  # two weeks: both count (ALPHA = 30 days)
    assert abs(forecast.coefficients(own, prior)[hrv] - 4.0) < 0.5  # two years: the member's own relation
    assert abs(forecast.coefficients(own.iloc[:14])[hrv]) < 4.0  # alone, two weeks shrink toward 0 (the mean)


def test_a_members_prior_is_fit_on_other_members_days_only():
    """Out of fold by member: nothing of a member's own days — past or future — reaches their prior."""
    members = {f"m{s}": _member(300, 10.0, seed=s) for s in range(pooling.FOLDS + 2)}  # folds of 1 and 2 members
    priors = pooling.out_of_fold_priors(members)
    changed = dict(members)
    changed["m0"] = members["m0"].assign(TARGET_RECOVERY=members["m0"]["TARGET_RECOVERY"][::-1].to_numpy())
    np.testing.assert_allclose(pooling.out_of_fold_priors(changed)["m0"].latest, priors["m0"].latest)
    assert not np.allclose(pooling.out_of_fold_priors(changed)["m1"].latest, priors["m1"].latest)
    hrv = forecast.INPUTS.index("HRV_Z")
    assert all(abs(p.latest[hrv] - 10.0) < 1.0 for p in priors.values())
    alone = pooling.out_of_fold_priors({"m0": members["m0"]}, shipped=None)
    assert alone["m0"] is None  # no one else and nothing shipped: no prior, the member's own two months first
    assert forecast.history_needed(alone["m0"]) == 60 and forecast.history_needed(priors["m0"]) == 14


def test_a_member_with_14_to_60_days_is_served_from_the_population_prior():
    """A member with 50 days is predicted from day 14 (not 60) by the other members' relation and beats every
    baseline on the walk-forward; alone, the same days give a weaker model. A member unlike the population
    (recovery unrelated to HRV) is not served the prior's model: the walk-forward shows it losing."""
    others = {f"m{s}": _member(365, 10.0, seed=s) for s in range(10, 16)}
    new = _member(50, 10.0, seed=1, start="2025-09-01")  # joins an account whose members have months of days
    priors = pooling.out_of_fold_priors({**others, "new": new})
    walked = forecast.walk_forward(new, forecast.MIN_HISTORY, 14, priors["new"])
    assert forecast.MIN_HISTORY == 14 and len(walked) == 50 - 14 - 1
    pooled = forecast.evaluate(walked)
    assert pooled.served_by == "model" and pooled.skill > 0.3, pooled.reason
    alone = forecast.evaluate(forecast.walk_forward(new, forecast.MIN_HISTORY, 14))
    assert alone.metrics["model"]["mae"] > pooled.metrics["model"]["mae"]
    unlike = _member(50, 0.0, seed=2, start="2025-09-01")
    prior = pooling.out_of_fold_priors({**others, "unlike": unlike})["unlike"]
    judged = forecast.evaluate(forecast.walk_forward(unlike, forecast.MIN_HISTORY, 14, prior))
    assert judged.served_by == judged.best_baseline and judged.skill < 0


def test_walk_forward_with_a_prior_does_not_depend_on_later_targets():
    f = _member(200, 10.0, seed=4)
    prior = np.full(len(forecast.INPUTS), 0.5)
    first = forecast.walk_forward(f, forecast.MIN_HISTORY, 14, prior)
    changed = f.copy()
    changed.loc[120:, "TARGET_RECOVERY"] -= 30  # targets known only after day 120 (tomorrow stays unknown)
    second = forecast.walk_forward(changed, forecast.MIN_HISTORY, 14, prior)
    early = first["DATE_KEY"] <= f.loc[120, "DATE_KEY"]
    np.testing.assert_allclose(first.loc[early, "model"], second.loc[early, "model"])
    assert not np.allclose(first.loc[~early, "model"], second.loc[~early, "model"])


def test_a_walk_forward_forecast_uses_no_other_members_later_days():
    """The prior a forecast made on day t is shrunk toward is fit on other members' rows dated before t only:
    changing another member's days from t on changes none of m0's forecasts made by t (it does change later
    ones, once the monthly refit has seen those days)."""
    members = {f"m{s}": _member(240, 10.0, seed=s, start="2025-01-01") for s in range(3)}
    path = pooling.out_of_fold_priors(members)["m0"]
    first = forecast.walk_forward(members["m0"], forecast.history_needed(path), 14, path)
    t = members["m1"].loc[120, "DATE_KEY"]
    changed = dict(members)
    later = members["m1"]["DATE_KEY"] >= t
    changed["m1"] = members["m1"].assign(
        HRV_RMSSD_MS=members["m1"]["HRV_RMSSD_MS"].where(~later, -members["m1"]["HRV_RMSSD_MS"])
    )
    path2 = pooling.out_of_fold_priors(changed)["m0"]
    second = forecast.walk_forward(members["m0"], forecast.history_needed(path2), 14, path2)
    early = first["DATE_KEY"] <= t
    assert early.sum() > 50
    np.testing.assert_allclose(first.loc[early, "model"], second.loc[early, "model"])
    assert not np.allclose(first.loc[~early, "model"], second.loc[~early, "model"])


def test_a_prior_path_has_no_prior_before_other_members_have_days():
    """Before the other members have MIN_ROWS days a member is alone: without a shipped prior, forecast from day
    60, not 14; with it, from day 14 on the shipped prior until the account's pool takes over."""
    others = {f"m{s}": _member(200, 10.0, seed=s, start="2025-06-01") for s in range(1, 3)}
    early = _member(300, 10.0, seed=0, start="2025-01-01")
    path = pooling.out_of_fold_priors({**others, "m0": early}, shipped=None)["m0"]
    assert path.at(20250501) is None and path.at(20250801) is not None
    walked = forecast.walk_forward(early, forecast.history_needed(path), 14, path)
    assert walked["DATE_KEY"].min() == early.loc[forecast.MIN_HISTORY_ALONE, "DATE_KEY"]
    shipped = pooling.out_of_fold_priors({**others, "m0": early})["m0"]
    np.testing.assert_array_equal(shipped.at(20250501), pooling.SHIPPED)
    assert not np.allclose(shipped.at(20250801), pooling.SHIPPED)  # the account's own pool from then on
    walked = forecast.walk_forward(early, forecast.history_needed(shipped), 14, shipped)
    assert walked["DATE_KEY"].min() == early.loc[forecast.MIN_HISTORY, "DATE_KEY"]


def _like_the_population(n: int, coef: np.ndarray, seed: int, noise: float = 5.0) -> pd.DataFrame:
    """A member alone whose next-day deviation from the 28-day mean is `coef` · the model's inputs + noise: every
    input's baseline is 0 with SD 1 (recovery's 60 and 15), so the z-scores are the drawn values."""
    rng = np.random.default_rng(seed)
    f = pd.DataFrame(0.0, index=range(n), columns=feature_columns())
    for prefix, today in (("HRV", "HRV_RMSSD_MS"), ("RHR", "RESTING_HEART_RATE_BPM"), ("STRAIN", "DAY_STRAIN_SCORE")):
        f[today], f[f"{prefix}_MEAN_7"], f[f"{prefix}_SD_28"] = rng.standard_normal(n), rng.normal(0, 0.5, n), 1.0
    f["TOTAL_SLEEP_MINUTES"], f["SLEEP_SD_28"] = rng.standard_normal(n), 1.0
    f["SLEEP_PERFORMANCE_PCT"] = 75 + 15 * rng.standard_normal(n)
    f["RECOVERY_SCORE"] = 60 + 15 * rng.standard_normal(n)
    f["REC_MEAN_7"], f["REC_MEAN_60"] = 60 + rng.normal(0, 6, n), 60 + rng.normal(0, 4, n)
    f["REC_MEAN_28"], f["REC_SD_28"] = 60.0, 15.0
    f["NEXT_DAY_OF_WEEK"] = (np.arange(n) % 7) + 1
    inputs = forecast.model_frame(f.assign(TARGET_RECOVERY=0.0))[forecast.INPUTS].to_numpy()
    f["TARGET_RECOVERY"] = (60 + inputs @ coef + noise * rng.standard_normal(n)).clip(0, 100)
    f.loc[n - 1, "TARGET_RECOVERY"] = np.nan
    f["DATE_KEY"] = [int(d.strftime("%Y%m%d")) for d in pd.date_range("2026-03-01", periods=n)]
    f["TARGET_DATE_KEY"] = [int(d.strftime("%Y%m%d")) for d in pd.date_range("2026-03-02", periods=n)]
    f["MEMBER_KEY"] = f"p{seed}"
    return f


def test_a_member_alone_is_served_from_the_shipped_prior():
    """Alone in a fresh install, a member with 45 days whose days follow the population's relation is forecast
    from day 14 on the shipped prior and served the model (beating every baseline), where without it they would
    wait for day 60 and be served a baseline; a member unlike the population (tomorrow unrelated to today) is
    still served a baseline: the walk-forward shows the prior's model losing."""
    like = _like_the_population(45, pooling.SHIPPED, seed=1)
    prior = pooling.out_of_fold_priors({"like": like})["like"]
    np.testing.assert_array_equal(prior, pooling.SHIPPED)
    walked = forecast.walk_forward(like, forecast.history_needed(prior), 14, prior)
    assert len(walked) == 45 - forecast.MIN_HISTORY - 1
    served = forecast.evaluate(walked)
    assert served.served_by == "model" and served.skill > 0.2, served.reason
    nothing = pooling.out_of_fold_priors({"like": like}, shipped=None)["like"]
    without = forecast.evaluate(forecast.walk_forward(like, forecast.history_needed(nothing), 14, nothing))
    assert without.served_by.startswith("baseline_") and without.metrics["model"]["n"] == 0
    unlike = _like_the_population(45, np.zeros(len(forecast.INPUTS)), seed=2)
    prior = pooling.out_of_fold_priors({"unlike": unlike})["unlike"]
    judged = forecast.evaluate(forecast.walk_forward(unlike, forecast.history_needed(prior), 14, prior))
    assert judged.served_by == judged.best_baseline and judged.skill < 0, judged.reason


def test_the_shipped_prior_matches_the_models_inputs():
    """The shipped file was fit for today's inputs (a stale one would not be used: `shipped_prior` is None), on
    synthetic members only, and carries no population weekday effect (weekday habits are a member's own)."""
    from snowpark_procs.ml import population_prior

    assert tuple(forecast.INPUTS) == population_prior.INPUTS and pooling.SHIPPED is not None
    assert population_prior.ROWS > 10_000 and population_prior.MEMBERS * population_prior.DAYS > population_prior.ROWS
    personal = [forecast.INPUTS.index(name) for name in pooling.PERSONAL_INPUTS]
    assert np.all(pooling.SHIPPED[personal] == 0) and np.abs(pooling.SHIPPED).max() > 1
