"""Morning recovery drivers: what moved today's recovery, as per-feature contributions.

Unlike the next-day forecast this explains a score already known (the morning of D), so same-night
HRV, resting HR, sleep and respiratory rate are legitimate inputs. Each driver is that morning's value
against the member's own baseline — the mean of the 28 calendar days strictly before D (HRV as a log
ratio to its geometric mean, the others as differences) — divided by the spread of the member's earlier
values, so today's value is in neither its baseline nor its scale. A linear model on each driver's response
(`response`: the deviation itself, or for HRV and resting HR a deviation that saturates) makes each
contribution simply coefficient × response, in recovery points. A 28-day baseline
rather than all earlier days: recovery is scored against a recent baseline, so a drift in HRV or resting HR
over months moves the baseline, not the day's recovery.

Served like the forecasts: OPS.TRAIN_ML evaluates it on the later 30 % of each member's days (a model fit
on the earlier 70 %) against naive baselines that know no morning signal — yesterday's recovery and the
7- and 28-day means before D — and registers a refit on all days; OPS.SCORE_ML explains the newest
scored day with that model: baseline + intercept + Σ contributions = the model's recovery for the day.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pandas as pd

MODEL_NAME = "RECOVERY_DRIVERS"
DRIVERS = ["HRV_Z", "RHR_Z", "SLEEP_Z", "SLEEP_PERF_Z", "RESP_Z"]
# The Gold column behind each driver (what ML.FACT_RECOVERY_DRIVERS.DRIVER names).
SOURCES = {
    "HRV_Z": "HRV_RMSSD_MS",
    "RHR_Z": "RESTING_HEART_RATE_BPM",
    "SLEEP_Z": "TOTAL_SLEEP_MINUTES",
    "SLEEP_PERF_Z": "SLEEP_PERFORMANCE_PCT",
    "RESP_Z": "RESPIRATORY_RATE",
}
LABEL = "RECOVERY_SCORE"
# Naive predictors of today's recovery without this morning's signals (names as in ML.EVALUATIONS).
BASELINES = {
    "baseline_today": "REC_PREV",
    "baseline_mean_7": "REC_PREV_MEAN_7",
    "baseline_mean_28": "REC_PREV_MEAN_28",
}
MIN_HISTORY = 10  # earlier days the spread of a driver and the recovery baseline need
BASELINE_DAYS = 28  # calendar days before D a driver's baseline averages
BASELINE_MIN_DAYS = 7  # recorded days among them for a baseline to exist
# Drivers whose effect on recovery saturates: recovery is a bounded score, so an HRV 4 SD below usual does not
# cost twice the points of one 2 SD below. Their response is SATURATION × tanh(z / SATURATION): about z within
# ±1 SD, never beyond ±SATURATION. On the public exports this cut the drivers' held-out MAE from 7.7 to 6.6 on
# average (the longest series 5.4 → 4.1); sleep and respiratory rate gained nothing from it.
SATURATING = ("HRV_Z", "RHR_Z")
SATURATION = 1.5


def _baseline(values: pd.Series) -> pd.Series:
    """Mean of the `BASELINE_DAYS` calendar days strictly before each row (rows are a gap-free calendar)."""
    return values.shift(1).rolling(BASELINE_DAYS, min_periods=BASELINE_MIN_DAYS).mean()


def _z(value: pd.Series) -> pd.Series:
    """Today's deviation from the 28-day baseline over the SD of all earlier days; 0 (= usual) when unknown."""
    sd = value.shift(1).expanding(min_periods=MIN_HISTORY).std()
    return ((value - _baseline(value)) / sd.where(sd > 0)).clip(-5, 5).fillna(0.0)


def response(driver: str, z: pd.Series | np.ndarray) -> pd.Series | np.ndarray:
    """The model input of a driver's z-score: the z-score itself, or its saturating response (SATURATING)."""
    return SATURATION * np.tanh(z / SATURATION) if driver in SATURATING else z


def inputs(frame: pd.DataFrame) -> pd.DataFrame:
    """The model's inputs for rows of a driver frame: each driver's response to its z-score (index kept)."""
    return pd.DataFrame({d: response(d, frame[d]) for d in DRIVERS}, index=frame.index)


def driver_frame(features: pd.DataFrame) -> pd.DataFrame:
    """One member's morning inputs (rows in date order, one per calendar day): standardized deviations from
    the member's 28-day baselines, each computed from days strictly before the row."""
    f = features.sort_values("DATE_KEY").reset_index(drop=True)
    out = pd.DataFrame({"DATE_KEY": f["DATE_KEY"], LABEL: f[LABEL]})
    for driver, source in SOURCES.items():
        out[driver] = _z(_driver_scale(driver, f[source]))
    before = f[LABEL].shift(1)  # days before D: today's score is not in any of these
    out["BASE"] = before.expanding(min_periods=MIN_HISTORY).mean()
    out["DEV"] = out[LABEL] - out["BASE"]
    out["REC_PREV"] = before
    out["REC_PREV_MEAN_7"] = before.rolling(7, min_periods=3).mean()
    out["REC_PREV_MEAN_28"] = before.rolling(28, min_periods=7).mean()
    return out


def _driver_scale(driver: str, values: pd.Series) -> pd.Series:
    """The scale a driver is compared on: HRV on a log scale (ratio to baseline), the others as recorded."""
    values = pd.to_numeric(values, errors="coerce").astype(float)
    return values.where(values > 0).transform(np.log) if driver == "HRV_Z" else values


def fit(frame: pd.DataFrame, alpha: float = 1.0) -> Any:
    """Snowpark ML Ridge on rows with a score and a baseline; predicts the deviation from the baseline."""
    # the estimators are generated when the module loads, so a type checker cannot see the name
    from snowflake.ml.modeling.linear_model import Ridge  # pyright: ignore[reportAttributeAccessIssue]

    train = frame[frame[LABEL].notna() & frame["BASE"].notna()]
    model = Ridge(alpha=alpha, input_cols=DRIVERS, label_cols=["DEV"], output_cols=["PRED_DEV"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        model.fit(inputs(train).assign(DEV=train["DEV"]).reset_index(drop=True))
    return model


def predict(model: Any, frame: pd.DataFrame) -> np.ndarray:
    out = model.predict(inputs(frame).reset_index(drop=True))
    return np.clip(frame["BASE"].to_numpy() + out["PRED_DEV"].to_numpy(dtype=float), 0, 100)


def contributions(model: Any, frame: pd.DataFrame) -> pd.DataFrame:
    """Recovery points each driver adds (+) or takes away (−) per row: coefficient × the driver's response."""
    coef = np.ravel(model.to_sklearn().coef_)
    return pd.DataFrame(inputs(frame).to_numpy() * coef, columns=DRIVERS, index=frame.index)


def intercept(model: Any) -> float:
    return float(np.ravel(model.to_sklearn().intercept_)[0])


def usable(frame: pd.DataFrame) -> pd.DataFrame:
    """Rows with a score and a baseline: what the model is fit and explained on."""
    return frame[frame[LABEL].notna() & frame["BASE"].notna()]


def holdout(features: pd.DataFrame, train_fraction: float = 0.7) -> tuple[pd.DataFrame, int, Any]:
    """Time-ordered split: a model fit on the earlier `train_fraction` of the usable days predicts the later
    days, whose naive baselines are all defined. Returns (DATE_KEY, ACTUAL, model, baseline_*) per held-out
    day — the shape `forecast.evaluate` scores —, the number of training days and the model."""
    rows = usable(driver_frame(features))
    cut = int(len(rows) * train_fraction)
    model = fit(rows.iloc[:cut])
    test = rows.iloc[cut:]
    test = test[test[list(BASELINES.values())].notna().all(axis=1)]
    out = pd.DataFrame({"DATE_KEY": test["DATE_KEY"].to_numpy(), "ACTUAL": test[LABEL].to_numpy(dtype=float)})
    out["model"] = predict(model, test) if len(test) else np.empty(0)
    for name, col in BASELINES.items():
        out[name] = test[col].to_numpy(dtype=float)
    return out, cut, model


def holdout_mae(features: pd.DataFrame, train_fraction: float = 0.7) -> tuple[float, int, Any]:
    """MAE on the later part of the history with a model fit on the earlier part (time-ordered split)."""
    out, _, model = holdout(features, train_fraction)
    mae = float(np.mean(np.abs(out["ACTUAL"] - out["model"])))
    return mae, len(out), model


EXPLANATION_COLUMNS = [
    "DATE_KEY",
    "DRIVER",
    "DRIVER_VALUE",
    "DRIVER_USUAL",
    "Z_SCORE",
    "CONTRIBUTION_POINTS",
    "RECOVERY_SCORE",
    "BASELINE_RECOVERY",
    "INTERCEPT_POINTS",
    "EXPLAINED_RECOVERY",
]


def baselines(features: pd.DataFrame) -> pd.DataFrame:
    """Each driver's usual value before each day (rows in date order), in the Gold column's unit: the 28-day
    baseline its deviation is taken from (HRV: the geometric mean)."""
    f = features.sort_values("DATE_KEY").reset_index(drop=True)
    out = pd.DataFrame({"DATE_KEY": f["DATE_KEY"]})
    for driver, source in SOURCES.items():
        base = _baseline(_driver_scale(driver, f[source]))
        out[source] = np.exp(base) if driver == "HRV_Z" else base
    return out


def explain_latest(model: Any, features: pd.DataFrame) -> pd.DataFrame:
    """One row per driver for the member's newest day with a score and a baseline (none if there is no
    such day): today's value and the usual one, z-score and contribution, and the day's decomposition
    BASELINE_RECOVERY + INTERCEPT_POINTS + Σ CONTRIBUTION_POINTS = EXPLAINED_RECOVERY (before the 0–100 clip)."""
    f = features.sort_values("DATE_KEY").reset_index(drop=True)
    rows = usable(driver_frame(f))
    if rows.empty:
        return pd.DataFrame(columns=EXPLANATION_COLUMNS)
    day = rows.iloc[[-1]]
    i = int(day.index[0])
    usual = baselines(f).iloc[i]
    parts = contributions(model, day).iloc[0]
    explained = float(predict(model, day)[0])
    out = []
    for driver in DRIVERS:
        source = SOURCES[driver]
        out.append(
            {
                "DATE_KEY": int(day["DATE_KEY"].iloc[0]),
                "DRIVER": source,
                "DRIVER_VALUE": float(f.loc[i, source]),
                "DRIVER_USUAL": float(usual[source]),
                "Z_SCORE": float(day[driver].iloc[0]),
                "CONTRIBUTION_POINTS": float(parts[driver]),
                "RECOVERY_SCORE": float(day[LABEL].iloc[0]),
                "BASELINE_RECOVERY": float(day["BASE"].iloc[0]),
                "INTERCEPT_POINTS": intercept(model),
                "EXPLAINED_RECOVERY": explained,
            }
        )
    return pd.DataFrame(out, columns=EXPLANATION_COLUMNS)
