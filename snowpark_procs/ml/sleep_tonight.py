"""Tonight's sleep performance, forecast in the evening of D (the sleep that wakes on D+1).

Inputs are known by the evening of D and come from the next-day feature frame (one row per calendar day
on a gap-free spine, so a window of n rows is n days): today's strain against the member's 28-day
baseline, last night's sleep performance and its 7/28-day trend, bedtime regularity (SD of the last 7
bedtimes, and last night's bedtime vs the 28-day mean) and tonight's day of week. Windows are trailing
and end at today (`end_offset=0`); the leakage test sets `end_offset=1` (windows read tomorrow) to
prove it can fail. The target is the only forward-looking column: SLEEP_PERFORMANCE_PCT of D+1.

Evaluation reuses the next-day recovery's walk-forward and serving rule (`forecast.evaluate`) against
the baselines tonight = last night, 7-day mean and 28-day mean.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pandas as pd

from snowpark_procs.ml.forecast import predict_in_blocks, predictions_frame

MODEL_NAME = "SLEEP_PERFORMANCE_TONIGHT"
BASELINES = {
    "baseline_today": "SP_TODAY",
    "baseline_mean_7": "SP_MEAN_7",
    "baseline_mean_28": "SP_MEAN_28",
}
INPUTS = [
    "STRAIN_Z",
    "SP_Z",
    "SP7_Z",
    "BED_SD_7_H",
    "BED_DEV_H",
    *[f"DOW_{d}" for d in range(1, 7)],
]
LABEL = "TARGET_DEV"
TYPICAL_BEDTIME_SD_H = 1.0
OUTPUT = "PRED_DEV"


def _trailing(series: pd.Series, n: int, how: str, end_offset: int) -> pd.Series:
    source = series.shift(-end_offset) if end_offset else series
    rolling = source.rolling(n, min_periods=max(3, n // 4))
    return rolling.mean() if how == "mean" else rolling.std()


def tonight_frame(features: pd.DataFrame, end_offset: int = 0) -> pd.DataFrame:
    """One member's evening inputs, baselines and target (rows in date order, same length as the input)."""
    f = features.sort_values("DATE_KEY").reset_index(drop=True)
    sp = f["SLEEP_PERFORMANCE_PCT"]
    bed = f["BEDTIME_MINUTES"]
    out = pd.DataFrame({"MEMBER_KEY": f.get("MEMBER_KEY"), "DATE_KEY": f["DATE_KEY"]})
    out["TARGET_DATE_KEY"] = f["TARGET_DATE_KEY"]
    out["SP_TODAY"] = sp.shift(-end_offset) if end_offset else sp
    out["SP_MEAN_7"] = _trailing(sp, 7, "mean", end_offset)
    out["SP_MEAN_28"] = _trailing(sp, 28, "mean", end_offset)
    sd28 = _trailing(sp, 28, "sd", end_offset)
    strain = f["DAY_STRAIN_SCORE"].shift(-end_offset) if end_offset else f["DAY_STRAIN_SCORE"]
    strain_mean = _trailing(f["DAY_STRAIN_SCORE"], 28, "mean", end_offset)
    strain_sd = _trailing(f["DAY_STRAIN_SCORE"], 28, "sd", end_offset)

    def z(value: pd.Series, mean: pd.Series, sd: pd.Series) -> pd.Series:
        return ((value - mean) / sd.where(sd > 0)).clip(-5, 5).fillna(0.0)

    out["STRAIN_Z"] = z(strain, strain_mean, strain_sd)
    out["SP_Z"] = z(out["SP_TODAY"], out["SP_MEAN_28"], sd28)
    out["SP7_Z"] = z(out["SP_MEAN_7"], out["SP_MEAN_28"], sd28)
    bed_sd7 = _trailing(bed, 7, "sd", end_offset) / 60.0
    out["BED_SD_7_H"] = bed_sd7.fillna(TYPICAL_BEDTIME_SD_H).clip(0, 6)  # a constant: a median would read the future
    bed_today = bed.shift(-end_offset) if end_offset else bed
    out["BED_DEV_H"] = ((bed_today - _trailing(bed, 28, "mean", end_offset)) / 60.0).clip(-6, 6).fillna(0.0)
    for d in range(1, 7):  # tonight's wake day; Sunday (7) is the reference level
        out[f"DOW_{d}"] = (f["NEXT_DAY_OF_WEEK"] == d).astype(float)
    out["TARGET"] = sp.shift(-1)  # tonight's sleep: the only forward-looking column
    out[LABEL] = out["TARGET"] - out["SP_MEAN_28"]
    out["BASE"] = out["SP_MEAN_28"]
    return out


ALPHA = 30.0


def fit(frame: pd.DataFrame, alpha: float = ALPHA) -> Any:
    from snowflake.ml.modeling.linear_model import Ridge  # pyright: ignore[reportAttributeAccessIssue] (lazy export)

    train = frame[frame[LABEL].notna() & frame["BASE"].notna()]
    estimator = Ridge(alpha=alpha, input_cols=INPUTS, label_cols=[LABEL], output_cols=[OUTPUT])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        estimator.fit(train[[*INPUTS, LABEL]].reset_index(drop=True))
    return estimator


def predict(estimator: Any, frame: pd.DataFrame) -> np.ndarray:
    """Predicted sleep performance (0–100) per row."""
    out = estimator.predict(frame[INPUTS].reset_index(drop=True))
    return np.clip(frame["BASE"].to_numpy() + out[OUTPUT].to_numpy(dtype=float), 0, 100)


def coefficients_of(x: np.ndarray, y: np.ndarray, alpha: float = ALPHA) -> tuple[float, np.ndarray]:
    """The (intercept, coefficients) `fit` registers, solved in numpy: the ridge on centred inputs with an
    unpenalised intercept (scikit-learn's Ridge). What the walk-forward refits every block: a snowflake-ml fit
    costs ~10 ms whatever its rows."""
    x_mean, y_mean = x.mean(axis=0), float(y.mean())
    xc = x - x_mean
    coef = np.linalg.solve(xc.T @ xc + alpha * np.eye(x.shape[1]), xc.T @ (y - y_mean))
    return y_mean - float(x_mean @ coef), coef


def walk_forward(features: pd.DataFrame, min_history: int = 60, retrain_every: int = 14) -> pd.DataFrame:
    """Out-of-sample predictions: a block starting at D0 uses a model fit on rows dated before D0 only (the ridge
    `fit` registers, solved in numpy: `coefficients_of`)."""
    frame = tonight_frame(features)
    eligible = (
        (frame.index >= min_history) & frame["TARGET"].notna() & frame[list(BASELINES.values())].notna().all(axis=1)
    )
    rows = np.flatnonzero(np.asarray(eligible))
    columns = ["DATE_KEY", "TARGET_DATE_KEY", "ACTUAL", "model", *BASELINES]
    if len(rows) == 0:
        return pd.DataFrame(columns=columns)
    x = frame[INPUTS].to_numpy(dtype=float)
    y = frame[LABEL].to_numpy(dtype=float)
    base = frame["BASE"].to_numpy(dtype=float)
    trainable = ~np.isnan(y) & ~np.isnan(base)

    def fit_before(d0: int) -> tuple[float, np.ndarray]:
        known = trainable[:d0]
        return coefficients_of(x[:d0][known], y[:d0][known])

    def predict_rows(model: tuple[float, np.ndarray], r: np.ndarray) -> np.ndarray:
        return np.clip(base[r] + model[0] + x[r] @ model[1], 0, 100)

    preds = predict_in_blocks(rows, retrain_every, fit_before, predict_rows)
    return predictions_frame(frame, rows, "TARGET", preds, BASELINES)
