"""Population prior for the next-day forecast: what the other members' days say, for a member's first weeks.

One member's history alone gives a noisy model for months; the relations it learns (a low-HRV morning,
a hard day, a short night → a lower recovery tomorrow, in personal z-scores) are largely shared. So each
member's model is shrunk toward the coefficients of one model fit on the *other* members' days (never the
member's own, so a member's walk-forward never sees its own future through the prior): from day
`forecast.MIN_HISTORY` the member is predicted by the population, and their own days take over as they
accumulate (forecast.coefficients: ridge toward the prior). A member alone has no prior: their model shrinks
toward zero (tomorrow is the 28-day mean, the usual best baseline) and waits for two months of their own days.

Out-of-fold by member so the pool costs a fixed number of fits however many members there are: members are
dealt into at most `FOLDS` groups (one group per member when there are fewer), and each group's members get
the fit on every other group's days — Huber weights included, so not even a member's residuals reach their prior.

Dated as well as out-of-fold: a walk-forward forecast made on day D may only use what was known on D, and the
other members' later days are not (they would tell the model how a season or a firmware change played out). So a
member's prior is a `PriorPath`: the fit as it stood at each month's start (other members' rows dated before it),
what a walk-forward block starting that month is shrunk toward, and the fit on all their days, which is served.
Refitting monthly rather than every block keeps the cost at FOLDS × months fits.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from snowpark_procs.ml import forecast

MIN_DAYS = forecast.MIN_HISTORY  # a member's rows count toward the pool from this many days of history
FOLDS = 10  # pool fits per training run and month: members are dealt into this many groups
MIN_ROWS = forecast.MIN_HISTORY_ALONE  # fewer pooled rows than one member needs alone make no prior


@dataclass(frozen=True)
class PriorPath:
    """A member's prior over time: `fits[i]` is the fit on the other members' rows dated before `cuts[i]` (None
    while they had fewer than MIN_ROWS), `latest` the fit on all their rows (what the served model is shrunk
    toward)."""

    cuts: np.ndarray  # ascending DATE_KEYs (month starts)
    fits: tuple[np.ndarray | None, ...]
    latest: np.ndarray

    def at(self, date_key: int) -> np.ndarray | None:
        """The prior a forecast made on `date_key` may use: the fit at the latest cut on or before it."""
        i = int(np.searchsorted(self.cuts, date_key, side="right")) - 1
        return None if i < 0 else self.fits[i]


def _pool_rows(features: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    f = features.sort_values("DATE_KEY").reset_index(drop=True)
    frame = forecast.model_frame(f)
    keep = (frame.index >= MIN_DAYS) & frame[forecast.LABEL].notna() & frame["BASE"].notna()
    rows = frame[keep]
    return (
        rows[forecast.INPUTS].to_numpy(dtype=float),
        rows[forecast.LABEL].to_numpy(dtype=float),
        f.loc[keep, "DATE_KEY"].to_numpy(dtype=np.int64),
    )


def month_starts(first: int, last: int) -> np.ndarray:
    """DATE_KEYs of the first day of every month after `first` up to `last` (fixed calendar cuts: where the
    prior is refit does not depend on anyone's data)."""
    start = pd.Timestamp(str(first)) + pd.offsets.MonthBegin(1)
    days = pd.date_range(start, pd.Timestamp(str(last)), freq="MS")
    return np.array([int(d.strftime("%Y%m%d")) for d in days], dtype=np.int64)


def out_of_fold_priors(
    by_member: dict[str, pd.DataFrame], alpha: float = forecast.ALPHA
) -> dict[str, PriorPath | None]:
    """Each member's prior path: the Huber ridge (toward zero) on the days of members outside their fold, refit
    at each month start on the rows dated before it; None (no prior: the model shrinks toward zero and waits for
    `forecast.MIN_HISTORY_ALONE` days) when other members have fewer than MIN_ROWS days to pool."""
    pooled = {key: _pool_rows(f) for key, f in sorted(by_member.items()) if len(f)}
    pooled = {key: xyd for key, xyd in pooled.items() if len(xyd[1])}
    fold = {key: i % FOLDS for i, key in enumerate(pooled)}
    dated = [f["DATE_KEY"] for f in by_member.values() if len(f)]
    cuts = month_starts(min(d.min() for d in dated), max(d.max() for d in dated)) if dated else np.array([])
    paths: dict[int, PriorPath | None] = {}
    priors: dict[str, PriorPath | None] = {}
    for key in by_member:
        group = fold.get(key, -1)  # a member with no pooled days yet may use everyone's
        if group not in paths:
            paths[group] = _path([xyd for other, xyd in pooled.items() if fold[other] != group], cuts, alpha)
        priors[key] = paths[group]
    return priors


class _GrowingHuber:
    """The Huber ridge (toward zero) on a pool that only grows, at the cost of one fit in all: each batch of rows
    gets its Huber weights by IRLS against the pool so far plus the batch, then joins the pool's weighted normal
    equations with those weights fixed (refitting every month from scratch would cost a full fit per month)."""

    def __init__(self, alpha: float) -> None:
        self.penalty = np.diag(forecast.penalty_diagonal(alpha))
        n = len(forecast.INPUTS)
        self.gram, self.moment, self.coef = np.zeros((n, n)), np.zeros(n), np.zeros(n)

    def add(self, x: np.ndarray, y: np.ndarray) -> None:
        w = np.ones(len(y))
        for _ in range(forecast.HUBER_ITERATIONS):
            xw = x * w[:, None]
            coef = np.linalg.solve(self.gram + xw.T @ x + self.penalty, self.moment + xw.T @ y)
            w = np.minimum(1.0, forecast.HUBER_K / np.maximum(np.abs(y - x @ coef), 1e-9))
        xw = x * w[:, None]
        self.gram += xw.T @ x
        self.moment += xw.T @ y
        self.coef = np.linalg.solve(self.gram + self.penalty, self.moment)


def _path(rest: list[tuple[np.ndarray, np.ndarray, np.ndarray]], cuts: np.ndarray, alpha: float) -> PriorPath | None:
    if sum(len(r[1]) for r in rest) < MIN_ROWS:
        return None
    x, y, dates = (np.concatenate([r[i] for r in rest]) for i in range(3))
    order = np.argsort(dates, kind="stable")
    x, y, dates = x[order], y[order], dates[order]
    pool = _GrowingHuber(alpha)
    fits: list[np.ndarray | None] = []
    done = 0
    for cut in cuts:
        n = int(np.searchsorted(dates, cut, side="left"))  # rows dated before the cut: targets known by then
        if n > done:
            pool.add(x[done:n], y[done:n])
            done = n
        fits.append(pool.coef.copy() if n >= MIN_ROWS else None)
    if done < len(y):
        pool.add(x[done:], y[done:])
    return PriorPath(cuts, tuple(fits), pool.coef.copy())


def by_member(features: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """The account's feature frame (load_features without a member) split per member, rows in date order."""
    if features.empty:
        return {}
    return {
        str(key): group.sort_values("DATE_KEY").reset_index(drop=True)
        for key, group in features.groupby("MEMBER_KEY", sort=False)
    }
