"""Journal behaviours vs next-day recovery: adjusted effect sizes with confidence intervals and FDR control.

Why adjusted: behaviours cluster on weekends and after hard days (drinks on Fridays, late meals after
long training), so a raw yes/no difference mixes the behaviour with the day of week and the day's
strain. Each question gets its own least-squares fit of recovery on D+1 on the answer for day D, the
day of week of D+1 and D's strain; the answer's coefficient is the effect in recovery points.
Why FDR: a member answers many questions, and some will look significant by chance; Benjamini–Hochberg
keeps the expected share of false discoveries at `q`, over the questions that could be fitted.
Questions answered fewer than MIN_EACH times either way are kept as rows without an effect (STATUS
TOO_FEW_ANSWERS, with their yes/no counts): the athlete sees which habits need more answers instead of
wondering where they went, and they take no part in the FDR control.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

MIN_EACH = 3  # at least this many yes and this many no days per question
ESTIMATED = "ESTIMATED"
TOO_FEW_ANSWERS = "TOO_FEW_ANSWERS"  # under MIN_EACH yes or no days, or no residual degrees of freedom left
COLUMNS = ["QUESTION_TEXT", "STATUS", "N_YES", "N_NO", "EFFECT", "CI_LOW", "CI_HIGH", "P_VALUE"]


def _normal_sf(z: float) -> float:
    return 0.5 * math.erfc(z / math.sqrt(2))


def benjamini_hochberg(p_values: list[float]) -> list[float]:
    """BH-adjusted p-values (q-values), in the input order."""
    p = np.asarray(p_values, dtype=float)
    n = len(p)
    if n == 0:
        return []
    order = np.argsort(p)
    ranked = p[order] * n / np.arange(1, n + 1)
    adjusted = np.minimum.accumulate(ranked[::-1])[::-1]
    out = np.empty(n)
    # q >= p by definition; p * n / n can round one ulp below p, so the bound is explicit
    out[order] = np.clip(adjusted, p[order], 1.0)
    return out.tolist()


def effects(days: pd.DataFrame, answers: pd.DataFrame, q: float = 0.1) -> pd.DataFrame:
    """Per question: status, yes/no days, effect (points), 95 % CI, p, BH q-value, significant.

    Every answered question gets a row; those with too few answers have NaN effect, CI, p and q and
    SIGNIFICANT None (no test was made), and the BH correction counts only the estimated ones.

    `days`: DATE_KEY, DAY_STRAIN_SCORE, NEXT_DAY_OF_WEEK, TARGET_RECOVERY (recovery on D+1).
    `answers`: DATE_KEY, QUESTION_TEXT, ANSWERED_YES (the journal for day D).
    """
    rows = []
    for question, group in answers.groupby("QUESTION_TEXT", sort=True):
        data = days.merge(group[["DATE_KEY", "ANSWERED_YES"]], on="DATE_KEY", how="inner")
        data = data.dropna(subset=["TARGET_RECOVERY", "DAY_STRAIN_SCORE", "NEXT_DAY_OF_WEEK"])
        yes = int(data["ANSWERED_YES"].astype(bool).sum())
        no = len(data) - yes
        too_few = {"QUESTION_TEXT": question, "STATUS": TOO_FEW_ANSWERS, "N_YES": yes, "N_NO": no}
        if yes < MIN_EACH or no < MIN_EACH:
            rows.append(too_few)
            continue
        dow = pd.get_dummies(data["NEXT_DAY_OF_WEEK"].astype(int), prefix="DOW", drop_first=True, dtype=float)
        x = np.column_stack(
            [
                np.ones(len(data)),
                data["ANSWERED_YES"].astype(float).to_numpy(),
                data["DAY_STRAIN_SCORE"].astype(float).to_numpy(),
                dow.to_numpy(),
            ]
        )
        y = data["TARGET_RECOVERY"].astype(float).to_numpy()
        dof = len(y) - np.linalg.matrix_rank(x)
        if dof <= 0:
            rows.append(too_few)
            continue
        coef, *_ = np.linalg.lstsq(x, y, rcond=None)
        residual = y - x @ coef
        sigma2 = float(residual @ residual) / dof
        cov = sigma2 * np.linalg.pinv(x.T @ x)
        se = math.sqrt(max(cov[1, 1], 0.0))
        effect = float(coef[1])
        p = 2 * _normal_sf(abs(effect) / se) if se > 0 else 1.0
        rows.append(
            {
                "QUESTION_TEXT": question,
                "STATUS": ESTIMATED,
                "N_YES": yes,
                "N_NO": no,
                "EFFECT": effect,
                "CI_LOW": effect - 1.96 * se,
                "CI_HIGH": effect + 1.96 * se,
                "P_VALUE": p,
            }
        )
    out = pd.DataFrame(rows, columns=COLUMNS).astype({"EFFECT": float, "CI_LOW": float, "CI_HIGH": float})
    out["P_VALUE"] = out["P_VALUE"].astype(float)
    estimated = out["STATUS"] == ESTIMATED
    out["Q_VALUE"] = np.nan
    out.loc[estimated, "Q_VALUE"] = benjamini_hochberg(out.loc[estimated, "P_VALUE"].tolist())
    out["SIGNIFICANT"] = pd.Series([None] * len(out), index=out.index, dtype=object)
    out.loc[estimated, "SIGNIFICANT"] = (out.loc[estimated, "Q_VALUE"] <= q).astype(bool).to_numpy()
    return out
