"""Population prior for the next-day forecast: what the other members' days say, for a member's first weeks.

One member's history alone gives a noisy model for months; the relations it learns (a low-HRV morning,
a hard day, a short night → a lower recovery tomorrow, in personal z-scores) are largely shared. So each
member's model is shrunk toward the coefficients of one model fit on the *other* members' days (never the
member's own, so a member's walk-forward never sees its own future through the prior): from day
`forecast.MIN_HISTORY` the member is predicted by the population, and their own days take over as they
accumulate (forecast.coefficients: ridge toward the prior). A member alone gets the zero prior: tomorrow is
the 28-day mean, the usual best baseline.

Leave-one-member-out without refitting the pool per member: at fixed Huber weights the fit is a weighted
least squares, so each member's prior is solved from the pool's sums X'WX and X'Wy minus that member's own.
The Huber weights come from one fit on everyone's days (a member's rows move them by ~1/members).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from snowpark_procs.ml import forecast

MIN_DAYS = forecast.MIN_HISTORY  # a member's rows count toward the pool from this many days of history


def _pool_rows(features: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    f = features.sort_values("DATE_KEY").reset_index(drop=True)
    frame = forecast.model_frame(f)
    rows = frame[(frame.index >= MIN_DAYS) & frame[forecast.LABEL].notna() & frame["BASE"].notna()]
    return rows[forecast.INPUTS].to_numpy(dtype=float), rows[forecast.LABEL].to_numpy(dtype=float)


def leave_one_out_priors(by_member: dict[str, pd.DataFrame], alpha: float = forecast.ALPHA) -> dict[str, np.ndarray]:
    """Each member's prior: the Huber ridge (toward zero) on every other member's feature rows."""
    zero = np.zeros(len(forecast.INPUTS))
    pooled = {key: _pool_rows(f) for key, f in by_member.items() if len(f)}
    pooled = {key: xy for key, xy in pooled.items() if len(xy[1])}
    if len(pooled) < 2:
        return {key: zero.copy() for key in by_member}
    x = np.vstack([xy[0] for xy in pooled.values()])
    y = np.concatenate([xy[1] for xy in pooled.values()])
    w = forecast.huber_weights(x, y, zero, alpha)
    xtx, xty = (x * w[:, None]).T @ x, (x * w[:, None]).T @ y
    penalty = np.diag(forecast.penalty_diagonal(alpha))
    priors, start = {}, 0
    for key, (xm, ym) in pooled.items():
        wm = w[start : start + len(ym)]
        start += len(ym)
        own_xtx, own_xty = (xm * wm[:, None]).T @ xm, (xm * wm[:, None]).T @ ym
        priors[key] = np.linalg.solve(xtx - own_xtx + penalty, xty - own_xty)
    everyone = np.linalg.solve(xtx + penalty, xty)  # a member with no pooled rows yet: the whole pool's fit
    return {key: priors.get(key, everyone) for key in by_member}


def by_member(features: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """The account's feature frame (load_features without a member) split per member, rows in date order."""
    if features.empty:
        return {}
    return {
        str(key): group.sort_values("DATE_KEY").reset_index(drop=True)
        for key, group in features.groupby("MEMBER_KEY", sort=False)
    }
