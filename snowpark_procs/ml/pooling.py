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
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from snowpark_procs.ml import forecast

MIN_DAYS = forecast.MIN_HISTORY  # a member's rows count toward the pool from this many days of history
FOLDS = 10  # pool fits per training run: members are dealt into this many groups


def _pool_rows(features: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    f = features.sort_values("DATE_KEY").reset_index(drop=True)
    frame = forecast.model_frame(f)
    rows = frame[(frame.index >= MIN_DAYS) & frame[forecast.LABEL].notna() & frame["BASE"].notna()]
    return rows[forecast.INPUTS].to_numpy(dtype=float), rows[forecast.LABEL].to_numpy(dtype=float)


def out_of_fold_priors(
    by_member: dict[str, pd.DataFrame], alpha: float = forecast.ALPHA
) -> dict[str, np.ndarray | None]:
    """Each member's prior: the Huber ridge (toward zero) on the days of members outside their fold; None (no
    prior: the model shrinks toward zero and waits for `forecast.MIN_HISTORY_ALONE` days) when no other member
    has days to pool."""
    zero = np.zeros(len(forecast.INPUTS))
    pooled = {key: _pool_rows(f) for key, f in sorted(by_member.items()) if len(f)}
    pooled = {key: xy for key, xy in pooled.items() if len(xy[1])}
    fold = {key: i % FOLDS for i, key in enumerate(pooled)}
    fits: dict[int, np.ndarray | None] = {}
    priors: dict[str, np.ndarray | None] = {}
    for key in by_member:
        group = fold.get(key, -1)  # a member with no pooled days yet may use everyone's
        if group not in fits:
            rest = [xy for other, xy in pooled.items() if fold[other] != group]
            if not rest:
                fits[group] = None
            else:
                x, y = np.vstack([r[0] for r in rest]), np.concatenate([r[1] for r in rest])
                fits[group] = forecast.coefficients_of(x, y, zero, alpha)
        fit = fits[group]
        priors[key] = None if fit is None else fit.copy()
    return priors


def by_member(features: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """The account's feature frame (load_features without a member) split per member, rows in date order."""
    if features.empty:
        return {}
    return {
        str(key): group.sort_values("DATE_KEY").reset_index(drop=True)
        for key, group in features.groupby("MEMBER_KEY", sort=False)
    }
