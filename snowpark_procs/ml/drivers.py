"""Morning recovery drivers: what moved today's recovery, as per-feature contributions.

Unlike the next-day forecast this explains a score already known (the morning of D), so same-night
HRV, resting HR and sleep are legitimate inputs. A linear model on personal z-scores (vs all of the
member's earlier days, so today's value is not in its own baseline) makes each
contribution simply coefficient × today's standardized deviation, in recovery points.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pandas as pd

DRIVERS = ["HRV_Z", "RHR_Z", "SLEEP_Z", "SLEEP_PERF_Z", "RESP_Z"]
LABEL = "RECOVERY_SCORE"


def _z(value: pd.Series, history: pd.Series) -> pd.Series:
    past = history.shift(1).expanding(min_periods=10)
    sd = past.std()
    return ((value - past.mean()) / sd.where(sd > 0)).clip(-5, 5).fillna(0.0)


def driver_frame(features: pd.DataFrame) -> pd.DataFrame:
    """One member's morning inputs (rows in date order): z-scores vs all the days before."""
    f = features.sort_values("DATE_KEY").reset_index(drop=True)
    ln_hrv = np.log(f["HRV_RMSSD_MS"].where(f["HRV_RMSSD_MS"] > 0))
    out = pd.DataFrame({"DATE_KEY": f["DATE_KEY"], LABEL: f[LABEL]})
    out["HRV_Z"] = _z(ln_hrv, ln_hrv)
    out["RHR_Z"] = _z(f["RESTING_HEART_RATE_BPM"], f["RESTING_HEART_RATE_BPM"])
    out["SLEEP_Z"] = _z(f["TOTAL_SLEEP_MINUTES"], f["TOTAL_SLEEP_MINUTES"])
    out["SLEEP_PERF_Z"] = _z(f["SLEEP_PERFORMANCE_PCT"], f["SLEEP_PERFORMANCE_PCT"])
    out["RESP_Z"] = _z(f["RESPIRATORY_RATE"], f["RESPIRATORY_RATE"])
    out["BASE"] = f[LABEL].shift(1).expanding(min_periods=10).mean()  # days before D: today's score is not in it
    out["DEV"] = out[LABEL] - out["BASE"]
    return out


def fit(frame: pd.DataFrame, alpha: float = 5.0) -> Any:
    """Snowpark ML Ridge on rows with a score and a baseline; predicts the deviation from the baseline."""
    from snowflake.ml.modeling.linear_model import Ridge

    train = frame[frame[LABEL].notna() & frame["BASE"].notna()]
    model = Ridge(alpha=alpha, input_cols=DRIVERS, label_cols=["DEV"], output_cols=["PRED_DEV"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        model.fit(train[[*DRIVERS, "DEV"]].reset_index(drop=True))
    return model


def predict(model: Any, frame: pd.DataFrame) -> np.ndarray:
    out = model.predict(frame[DRIVERS].reset_index(drop=True))
    return np.clip(frame["BASE"].to_numpy() + out["PRED_DEV"].to_numpy(dtype=float), 0, 100)


def contributions(model: Any, frame: pd.DataFrame) -> pd.DataFrame:
    """Recovery points each driver adds (+) or takes away (−) per row: coefficient × z-score."""
    coef = np.ravel(model.to_sklearn().coef_)
    return pd.DataFrame(frame[DRIVERS].to_numpy() * coef, columns=DRIVERS, index=frame.index)


def holdout_mae(features: pd.DataFrame, train_fraction: float = 0.7) -> tuple[float, int, Any]:
    """MAE on the later part of the history with a model fit on the earlier part (time-ordered split)."""
    frame = driver_frame(features)
    usable = frame[frame[LABEL].notna() & frame["BASE"].notna()]
    cut = int(len(usable) * train_fraction)
    model = fit(usable.iloc[:cut])
    test = usable.iloc[cut:]
    mae = float(np.mean(np.abs(test[LABEL].to_numpy() - predict(model, test))))
    return mae, len(test), model
