"""Next-day recovery: model inputs, walk-forward evaluation against naive baselines, the serving rule.

Why walk-forward: every prediction for day D+1 is made by a model trained only on rows whose target
was known by the evening of D (rows dated before D), retrained every `retrain_every` days on an
expanding window — the same information the daily scoring job has. Baselines are scored on exactly
the same rows, so "skill" (1 − MAE_model / MAE_best_baseline) compares like with like.

The model predicts the deviation of tomorrow's recovery from the member's 28-day mean from personal
z-scores (today vs the member's own baselines) and the day of week, so one small linear model per
member is enough and needs no scaler (inputs are already on a unit scale). It is fit to match how it is
judged (MAE): a Huber loss (squared within `HUBER_K` points, absolute beyond, so the crash days that
dominate a squared loss do not drag every prediction), and a ridge penalty that shrinks the member's
coefficients toward a prior rather than toward zero — the population's coefficients, fit on the other
members' days dated before the forecast (`pooling`), or for a member with no one to pool with the same fit on
synthetic sandbox members shipped with the app (`population_prior`; without it, zero = tomorrow is the 28-day
mean, the usual best baseline). With a prior a member is predicted from day `MIN_HISTORY` (14) and the member's
own days take over as they accumulate (partial pooling); with none, from day `MIN_HISTORY_ALONE` (60).
The serving rule still serves a baseline wherever the walk-forward model does not beat it.

The 80 % interval is conformal rather than Gaussian: a prediction's bounds are the empirical 10th and 90th
percentiles (finite-sample order statistics) of the residuals of the walk-forward predictions whose actuals
were known before it was made, the newest `INTERVAL_WINDOW` of them — the same rule serves tomorrow's interval
and is scored in the walk-forward, so the recorded coverage is what a member would have seen.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from snowpark_procs.ml.pooling import PriorPath

MODEL_NAME = "NEXT_DAY_RECOVERY"
BASELINES = {
    "baseline_today": "RECOVERY_SCORE",
    "baseline_mean_7": "REC_MEAN_7",
    "baseline_mean_28": "REC_MEAN_28",
}
INPUTS = [
    "ONE",  # the intercept as an input, so the prior and the penalty cover it too (fit_intercept=False)
    "REC_Z",
    "REC7_Z",
    "REC60_Z",
    "HRV_Z",
    "HRV7_Z",
    "RHR_Z",
    "RHR7_Z",
    "STRAIN_Z",
    "STRAIN7_Z",
    "SLEEP_Z",
    "SLEEP_PERF_Z",
    *[f"DOW_{d}" for d in range(1, 7)],
]
LABEL = "TARGET_DEV"
OUTPUT = "PRED_DEV"
# Ridge penalty toward the prior, in days' worth of data per coefficient. 30 rather than 10: the prior is worth more
# than a member's first weeks — next-day skill +9.2 → +10.5 % on the bench, +6.5 → +7.1 % on the five public exports
# (4 of 5 better); 60–100 gained a little more on the bench but cost the one member unlike the population (s5).
ALPHA = 30.0
INTERCEPT_PENALTY = 0.1  # the intercept (the member's typical deviation from the mean) is shrunk 10x less
HUBER_K = 10.0  # recovery points beyond which a residual's loss grows linearly (MAE-like), not squared
HUBER_ITERATIONS = 8
MIN_HISTORY = 14  # calendar days before a member's first walk-forward prediction (the prior carries the first weeks)
MIN_HISTORY_ALONE = 60  # the same for a member with no one to pool with: their own days must carry the model
INTERVAL_LEVEL = 0.8
INTERVAL_WINDOW = 180  # newest residuals an interval is taken from: recent enough to follow a drift in error
INTERVAL_MIN_RESIDUALS = 30  # earlier residuals an interval needs before its coverage is counted


def _z(value: pd.Series, mean: pd.Series, sd: pd.Series) -> pd.Series:
    out = (value - mean) / sd.where(sd > 0)
    return out.clip(-5, 5).fillna(0.0)  # missing = at the member's baseline


def model_frame(features: pd.DataFrame) -> pd.DataFrame:
    """Model inputs from the feature frame: personal z-scores and day-of-week dummies (same index)."""
    f = features
    out = pd.DataFrame(index=f.index)
    out["ONE"] = 1.0
    out["REC_Z"] = _z(f["RECOVERY_SCORE"], f["REC_MEAN_28"], f["REC_SD_28"])
    out["REC7_Z"] = _z(f["REC_MEAN_7"], f["REC_MEAN_28"], f["REC_SD_28"])
    out["REC60_Z"] = _z(f["REC_MEAN_60"], f["REC_MEAN_28"], f["REC_SD_28"])
    out["HRV_Z"] = _z(f["HRV_RMSSD_MS"], f["HRV_MEAN_28"], f["HRV_SD_28"])
    out["HRV7_Z"] = _z(f["HRV_MEAN_7"], f["HRV_MEAN_28"], f["HRV_SD_28"])
    out["RHR_Z"] = _z(f["RESTING_HEART_RATE_BPM"], f["RHR_MEAN_28"], f["RHR_SD_28"])
    out["RHR7_Z"] = _z(f["RHR_MEAN_7"], f["RHR_MEAN_28"], f["RHR_SD_28"])
    out["STRAIN_Z"] = _z(f["DAY_STRAIN_SCORE"], f["STRAIN_MEAN_28"], f["STRAIN_SD_28"])
    out["STRAIN7_Z"] = _z(f["STRAIN_MEAN_7"], f["STRAIN_MEAN_28"], f["STRAIN_SD_28"])
    out["SLEEP_Z"] = _z(f["TOTAL_SLEEP_MINUTES"], f["SLEEP_MEAN_28"], f["SLEEP_SD_28"])
    out["SLEEP_PERF_Z"] = ((f["SLEEP_PERFORMANCE_PCT"] - 75.0) / 15.0).clip(-5, 5).fillna(0.0)
    for d in range(1, 7):  # Sunday (7) is the reference level
        out[f"DOW_{d}"] = (f["NEXT_DAY_OF_WEEK"] == d).astype(float)
    out[LABEL] = f["TARGET_RECOVERY"] - f["REC_MEAN_28"]
    out["BASE"] = f["REC_MEAN_28"]
    return out


def _trainable(frame: pd.DataFrame) -> pd.DataFrame:
    return frame[frame[LABEL].notna() & frame["BASE"].notna()]


def penalty_diagonal(alpha: float) -> np.ndarray:
    diag = np.full(len(INPUTS), float(alpha))
    diag[INPUTS.index("ONE")] *= INTERCEPT_PENALTY
    return diag


def huber_weights(x: np.ndarray, y: np.ndarray, prior: np.ndarray, alpha: float = ALPHA) -> np.ndarray:
    """Row weights at which the Huber-loss ridge toward `prior` is a weighted least squares (IRLS: a row whose
    residual exceeds HUBER_K points counts HUBER_K/|residual|, so its loss grows linearly, as in MAE)."""
    penalty = penalty_diagonal(alpha)
    w = np.ones(len(y))
    for _ in range(HUBER_ITERATIONS):
        coef = _solve(x, y, w, prior, penalty)
        w = np.minimum(1.0, HUBER_K / np.maximum(np.abs(y - x @ coef), 1e-9))
    return w


def _solve(x: np.ndarray, y: np.ndarray, w: np.ndarray, prior: np.ndarray, penalty: np.ndarray) -> np.ndarray:
    """argmin_b Σ w (y − x b)² + Σ penalty (b − prior)²."""
    xw = x * w[:, None]
    return np.linalg.solve(xw.T @ x + np.diag(penalty), xw.T @ y + penalty * prior)


def coefficients(frame: pd.DataFrame, prior: np.ndarray | None = None, alpha: float = ALPHA) -> np.ndarray:
    """The model's coefficients (one per INPUTS) on the rows with a target and a baseline; the prior alone when
    there are none. Same solution as `fit`, without an estimator: what the walk-forward refits every block."""
    train = _trainable(frame)
    return coefficients_of(train[INPUTS].to_numpy(dtype=float), train[LABEL].to_numpy(dtype=float), prior, alpha)


def coefficients_of(x: np.ndarray, y: np.ndarray, prior: np.ndarray | None = None, alpha: float = ALPHA) -> np.ndarray:
    """`coefficients` on arrays (inputs in INPUTS order, label)."""
    prior = np.zeros(x.shape[1]) if prior is None else np.asarray(prior, dtype=float)
    if len(y) == 0:
        return prior.copy()
    return _solve(x, y, huber_weights(x, y, prior, alpha), prior, penalty_diagonal(alpha))


def new_estimator() -> Any:
    """A Snowpark ML Ridge (fits on pandas locally; the same object logs to the Snowflake registry)."""
    # the estimators are generated when the module loads, so a type checker cannot see the name
    from snowflake.ml.modeling.linear_model import Ridge  # pyright: ignore[reportAttributeAccessIssue]

    # alpha ~0: the penalty toward the prior is in the pseudo-rows `fit` adds (sklearn's own shrinks toward 0)
    return Ridge(
        alpha=1e-9,
        fit_intercept=False,
        input_cols=INPUTS,
        label_cols=[LABEL],
        output_cols=[OUTPUT],
        sample_weight_col="WEIGHT",
    )


def fit(frame: pd.DataFrame, prior: np.ndarray | PriorPath | None = None, alpha: float = ALPHA) -> Any:
    """The served estimator: a weighted least squares at the Huber weights, with one pseudo-row per coefficient
    (√penalty on that input, √penalty × prior as its label) — the ridge toward the prior written as data, so a
    standard Ridge holds the same coefficients as `coefficients` and logs to the registry as one. A prior path
    serves its latest fit (every other member's day is known by now)."""
    prior = served_prior(prior)
    prior = np.zeros(len(INPUTS)) if prior is None else np.asarray(prior, dtype=float)
    train = _trainable(frame)
    x, y = train[INPUTS].to_numpy(dtype=float), train[LABEL].to_numpy(dtype=float)
    root = np.sqrt(penalty_diagonal(alpha))
    rows = pd.DataFrame(np.vstack([x, np.diag(root)]), columns=INPUTS)
    rows[LABEL] = np.concatenate([y, root * prior])
    rows["WEIGHT"] = np.concatenate([huber_weights(x, y, prior, alpha) if len(y) else [], np.ones(len(INPUTS))])
    estimator = new_estimator()
    with warnings.catch_warnings():  # Snowpark ML infers a signature from the sample and says so on every fit
        warnings.simplefilter("ignore", UserWarning)
        estimator.fit(rows)
    return estimator


def predict(estimator: Any, frame: pd.DataFrame) -> np.ndarray:
    """Predicted recovery (0–100) for each row of a model frame."""
    out = estimator.predict(frame[INPUTS].reset_index(drop=True))
    return np.clip(frame["BASE"].to_numpy() + out[OUTPUT].to_numpy(dtype=float), 0, 100)


def predict_coefficients(coef: np.ndarray, frame: pd.DataFrame) -> np.ndarray:
    """`predict` for coefficients from `coefficients`."""
    return _predicted(coef, frame[INPUTS].to_numpy(dtype=float), frame["BASE"].to_numpy(dtype=float))


def _predicted(coef: np.ndarray, x: np.ndarray, base: np.ndarray) -> np.ndarray:
    return np.clip(base + x @ coef, 0, 100)


@dataclass
class Evaluation:
    """Walk-forward result for one member: per-predictor metrics and the serving decision."""

    metrics: dict[str, dict[str, float]]
    best_baseline: str
    served_by: str
    reason: str
    skill: float
    residual_quantiles: dict[str, tuple[float, float]] = field(default_factory=dict)
    predictions: pd.DataFrame | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "metrics": self.metrics,
            "best_baseline": self.best_baseline,
            "served_by": self.served_by,
            "reason": self.reason,
            "skill": self.skill,
            "interval": self.interval(),
        }

    def interval(self) -> dict[str, Any]:
        """The served predictor's 80 % interval: offsets scoring adds to its prediction (None: unbounded side,
        the 0–100 clip bounds it) and the share of walk-forward actuals such intervals held."""
        low, high = self.residual_quantiles.get(self.served_by, (math.nan, math.nan))
        served = self.metrics.get(self.served_by, {})
        return {
            "level": INTERVAL_LEVEL,
            "residual_low": low if math.isfinite(low) else None,
            "residual_high": high if math.isfinite(high) else None,
            "coverage": served.get("interval_coverage", math.nan),
            "n": served.get("interval_n", 0),
        }


def history_needed(prior: np.ndarray | PriorPath | None) -> int:
    """Days before a member's first prediction: two weeks on a population prior, two months alone."""
    return MIN_HISTORY if prior is not None else MIN_HISTORY_ALONE


def served_prior(prior: np.ndarray | PriorPath | None) -> np.ndarray | None:
    """The prior the served model is shrunk toward: a path's fit on every other member's day (all known now)."""
    return prior.latest if _is_path(prior) else prior  # type: ignore[union-attr]


def _prior_on(prior: np.ndarray | PriorPath | None, date_key: int) -> np.ndarray | None:
    """The prior a forecast made on `date_key` may use (a path's, as it stood then; a fixed prior's, itself)."""
    return prior.at(date_key) if _is_path(prior) else prior  # type: ignore[union-attr]


def _is_path(prior: object) -> bool:
    from snowpark_procs.ml.pooling import PriorPath  # pooling imports this module

    return isinstance(prior, PriorPath)


def walk_forward(
    features: pd.DataFrame,
    min_history: int = MIN_HISTORY,
    retrain_every: int = 7,
    prior: np.ndarray | PriorPath | None = None,
    alpha: float = ALPHA,
) -> pd.DataFrame:
    """One member's out-of-sample predictions: model and baselines on the same rows.

    Rows are eligible once the member has `min_history` calendar days before D, a target, and every
    baseline defined. The model for a block starting at D0 is fit on rows dated before D0 only, shrunk
    toward the prior as it stood on D0 (other members' rows dated before D0: see `pooling.PriorPath`);
    on a path, a day with no prior yet waits for MIN_HISTORY_ALONE days as a member alone does.
    """
    f = features.sort_values("DATE_KEY").reset_index(drop=True)
    frame = model_frame(f)
    dates = f["DATE_KEY"].to_numpy(dtype=np.int64)
    history = np.full(len(f), min_history)
    if _is_path(prior):
        alone = np.array([_prior_on(prior, int(d)) is None for d in dates], dtype=bool)
        history[alone] = max(min_history, MIN_HISTORY_ALONE)
    eligible = (
        (f.index >= history)
        & f["TARGET_RECOVERY"].notna()
        & f[list(BASELINES.values())].notna().all(axis=1)
        & frame["BASE"].notna()
    )
    out = np.flatnonzero(np.asarray(eligible))  # an index comparison makes it an array, not a Series
    if len(out) == 0:
        return pd.DataFrame(columns=["DATE_KEY", "TARGET_DATE_KEY", "ACTUAL", "model", *BASELINES])
    # the frame as arrays once: a block's fit slices them (pandas per fit cost more than the fit itself)
    x = frame[INPUTS].to_numpy(dtype=float)
    y = frame[LABEL].to_numpy(dtype=float)
    base = frame["BASE"].to_numpy(dtype=float)
    trainable = ~np.isnan(y) & ~np.isnan(base)

    def fit_before(d0: int) -> np.ndarray:
        known = trainable[:d0]
        return coefficients_of(x[:d0][known], y[:d0][known], _prior_on(prior, int(dates[d0])), alpha)

    preds = predict_in_blocks(out, retrain_every, fit_before, lambda coef, rows: _predicted(coef, x[rows], base[rows]))
    return predictions_frame(f, out, "TARGET_RECOVERY", preds, BASELINES)


def predict_in_blocks(
    rows: np.ndarray,
    retrain_every: int,
    fit_before: Callable[[int], Any],
    predict_rows: Callable[[Any, np.ndarray], np.ndarray],
) -> np.ndarray:
    """Walk-forward predictions for the ascending row positions `rows`: the block starting at row D0 covers
    D0 .. D0 + retrain_every - 1 and is predicted by `fit_before(D0)`, a model fit on rows dated before D0
    only (their targets are known by D0's evening). One fit and one batched predict per block: a snowflake-ml
    call costs ~10 ms whatever its rows."""
    preds = np.empty(len(rows))
    start = 0
    while start < len(rows):
        d0 = rows[start]
        end = start + int(np.searchsorted(rows[start:], d0 + retrain_every))
        preds[start:end] = predict_rows(fit_before(d0), rows[start:end])
        start = end
    return preds


def predictions_frame(
    source: pd.DataFrame, rows: np.ndarray, target: str, preds: np.ndarray, baselines: dict[str, str]
) -> pd.DataFrame:
    """The shape `evaluate` scores: DATE_KEY, TARGET_DATE_KEY, ACTUAL, model and each baseline, per row."""
    result = pd.DataFrame(
        {
            "DATE_KEY": source.loc[rows, "DATE_KEY"].to_numpy(),
            "TARGET_DATE_KEY": source.loc[rows, "TARGET_DATE_KEY"].to_numpy(),
            "ACTUAL": source.loc[rows, target].to_numpy(),
            "model": preds,
        }
    )
    for name, col in baselines.items():
        result[name] = source.loc[rows, col].to_numpy()
    return result


def evaluate(predictions: pd.DataFrame, baselines: dict[str, str] | None = None) -> Evaluation:
    """MAE, RMSE and n per predictor; the model is served only where it beats the best baseline. Without rows the
    last baseline listed (the longest window, by convention) is served."""
    baselines = BASELINES if baselines is None else baselines
    metrics: dict[str, dict[str, float]] = {}
    quantiles: dict[str, tuple[float, float]] = {}
    n = len(predictions)
    for name in ["model", *baselines]:
        if n == 0:
            metrics[name] = {"mae": math.nan, "rmse": math.nan, "n": 0, "interval_coverage": math.nan, "interval_n": 0}
            quantiles[name] = (math.nan, math.nan)
            continue
        residual = predictions["ACTUAL"].to_numpy() - predictions[name].to_numpy()
        metrics[name] = {
            "mae": float(np.mean(np.abs(residual))),
            "rmse": float(np.sqrt(np.mean(residual**2))),
            "n": n,
        }
        quantiles[name] = residual_interval(residual[-INTERVAL_WINDOW:])
        metrics[name].update(interval_coverage(predictions, name))
    if n == 0:
        fallback = list(baselines)[-1]
        return Evaluation(metrics, fallback, fallback, "no walk-forward rows", math.nan, quantiles)
    best = min(baselines, key=lambda b: metrics[b]["mae"])
    skill = 1.0 - metrics["model"]["mae"] / metrics[best]["mae"] if metrics[best]["mae"] > 0 else math.nan
    if metrics["model"]["mae"] < metrics[best]["mae"]:
        served, reason = "model", f"model MAE {metrics['model']['mae']:.2f} beats {best} {metrics[best]['mae']:.2f}"
    else:
        served = best
        reason = f"model MAE {metrics['model']['mae']:.2f} does not beat {best} {metrics[best]['mae']:.2f}"
    for name in metrics:
        metrics[name]["skill"] = 1.0 - metrics[name]["mae"] / metrics[best]["mae"] if metrics[best]["mae"] else math.nan
    return Evaluation(metrics, best, served, reason, skill, quantiles, predictions)


def residual_interval(residuals: np.ndarray, level: float = INTERVAL_LEVEL) -> tuple[float, float]:
    """Offsets (low, high) to add to a prediction for a `level` interval from earlier residuals (actual − predicted).

    Split-conformal order statistics: the upper offset is the ⌈(n+1)(1+level)/2⌉-th smallest residual, the lower
    the ⌊(n+1)(1−level)/2⌋-th, so each side misses at most (1 − level)/2 of exchangeable new residuals; too few
    residuals for an order statistic leave that side unbounded (±inf: the 0–100 clip bounds it)."""
    r = np.sort(np.asarray(residuals, dtype=float)[np.isfinite(residuals)])
    n = len(r)
    if n == 0:
        return math.nan, math.nan
    k_high = math.ceil((n + 1) * (1 + level) / 2)
    k_low = math.floor((n + 1) * (1 - level) / 2)
    high = float(r[k_high - 1]) if k_high <= n else math.inf
    low = float(r[k_low - 1]) if k_low >= 1 else -math.inf
    return low, high


def clipped_interval(prediction: float, low: float, high: float) -> tuple[float, float]:
    """The interval around a prediction on the 0–100 scale of recovery and sleep performance."""
    return min(max(prediction + low, 0.0), 100.0), min(max(prediction + high, 0.0), 100.0)


def walk_forward_intervals(
    predictions: pd.DataFrame,
    name: str,
    window: int = INTERVAL_WINDOW,
    min_residuals: int = INTERVAL_MIN_RESIDUALS,
    level: float = INTERVAL_LEVEL,
) -> pd.DataFrame:
    """The interval each walk-forward prediction of `name` would have been served with: from the residuals of
    earlier rows whose actual was known when it was made (a next-day row's actual on its TARGET_DATE_KEY, which
    must be on or before the row's DATE_KEY; without TARGET_DATE_KEY — same-day explanations — rows strictly
    before), the newest `window` of them, clipped to 0–100. LOW/HIGH are NaN where fewer than `min_residuals`
    residuals were known. Rows in date order."""
    if "DATE_KEY" not in predictions:  # undated rows: in order, each after the ones before it
        predictions = predictions.assign(DATE_KEY=np.arange(len(predictions)))
    p = predictions.sort_values("DATE_KEY", kind="stable").reset_index(drop=True)
    residual = p["ACTUAL"].to_numpy(dtype=float) - p[name].to_numpy(dtype=float)
    dates = p["DATE_KEY"].to_numpy(dtype=np.int64)
    if "TARGET_DATE_KEY" in p:
        known = p["TARGET_DATE_KEY"].to_numpy(dtype=np.int64)  # ascending with DATE_KEY
        counts = np.searchsorted(known, dates, side="right")
    else:
        counts = np.searchsorted(dates, dates, side="left")
    low = np.full(len(p), np.nan)
    high = np.full(len(p), np.nan)
    for i, k in enumerate(counts):
        if k < min_residuals:
            continue
        lo, hi = residual_interval(residual[max(0, k - window) : k], level)
        low[i], high[i] = clipped_interval(float(p.loc[i, name]), lo, hi)
    return pd.DataFrame({"DATE_KEY": p["DATE_KEY"], "ACTUAL": p["ACTUAL"], "LOW": low, "HIGH": high})


def interval_coverage(predictions: pd.DataFrame, name: str) -> dict[str, float]:
    """Share of walk-forward actuals inside the interval served with them (see `walk_forward_intervals`), over
    the rows that had one: {"interval_coverage": share or NaN, "interval_n": rows counted}."""
    bounds = walk_forward_intervals(predictions, name).dropna(subset=["LOW", "HIGH"])
    if bounds.empty:
        return {"interval_coverage": math.nan, "interval_n": 0}
    inside = (bounds["ACTUAL"] >= bounds["LOW"]) & (bounds["ACTUAL"] <= bounds["HIGH"])
    return {"interval_coverage": float(inside.mean()), "interval_n": len(bounds)}
