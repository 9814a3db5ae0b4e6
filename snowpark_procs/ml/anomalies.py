"""Illness-like anomalies: robust z-scores against a personal rolling baseline, plus an IsolationForest.

Why robust: a member's baseline window may itself hold an earlier illness or a noisy night, so the
centre is the median and the spread the MAD (× 1.4826, the normal-consistent scale) of the previous
`window` calendar days, never including the night judged. Each signal is scored in its "bad"
direction only: HRV down (on ln HRV), resting HR, respiratory rate and skin temperature up.

Why the agreement rule: one signal past the threshold on one night is usually noise (a drink, a bad
night). A night is flagged only when ≥2 signals agree that night, or one signal is elevated on ≥2
consecutive nights. The IsolationForest score (over the same four z-scores) is stored alongside as
a second opinion; it does not decide the flag, so its base rate cannot add false alerts.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

SIGNALS = {  # signal -> (feature column, direction: +1 = higher is worse, -1 = lower is worse, log?)
    "hrv_down": ("HRV_RMSSD_MS", -1, True),
    "rhr_up": ("RESTING_HEART_RATE_BPM", 1, False),
    "resp_up": ("RESPIRATORY_RATE", 1, False),
    "skin_temp_up": ("SKIN_TEMP_CELSIUS", 1, False),
}
MAD_SCALE = 1.4826


def _mad(values: np.ndarray) -> float:
    values = values[~np.isnan(values)]
    return float(np.median(np.abs(values - np.median(values))))


def robust_z(
    daily: pd.DataFrame, window: int = 60, min_obs: int = 14, floor: dict[str, float] | None = None
) -> pd.DataFrame:
    """Directional robust z per signal for each day of one member (calendar-contiguous frame by DATE_KEY).

    `floor` bounds each signal's scale from below (e.g. a MAD of 0 on rounded values), in its own units.
    """
    floor = floor or {"hrv_down": 0.05, "rhr_up": 1.0, "resp_up": 0.15, "skin_temp_up": 0.1}
    d = daily.sort_values("DATE_KEY").reset_index(drop=True)
    out = pd.DataFrame({"MEMBER_KEY": d["MEMBER_KEY"], "DATE_KEY": d["DATE_KEY"]})
    for name, (col, direction, log) in SIGNALS.items():
        x = pd.to_numeric(d[col], errors="coerce").astype(float)
        if log:
            x = pd.Series(np.log(x.where(x > 0)), index=x.index)
        past = x.shift(1).rolling(window, min_periods=min_obs)  # days D-window .. D-1: never D itself
        median = past.median()
        mad = past.apply(_mad, raw=True)
        scale = np.maximum(MAD_SCALE * mad, floor[name])
        out[f"Z_{name.upper()}"] = direction * (x - median) / scale
    return out


def flag(z: pd.DataFrame, threshold: float = 2.5) -> pd.DataFrame:
    """Apply the agreement rule; adds SIGNALS (list), N_SIGNALS, FLAGGED and REASON."""
    z = z.copy()
    cols = [f"Z_{s.upper()}" for s in SIGNALS]
    above = z[cols].ge(threshold)  # NaN compares False: a missing signal never votes
    prev = above.shift(1, fill_value=False)
    agree = above.sum(axis=1) >= 2
    # consecutive: this night and the previous one (the flag lands on the 2nd night, when it is known)
    consecutive = (above & prev).any(axis=1)
    z["N_SIGNALS"] = above.sum(axis=1).astype(int)
    z["FLAGGED"] = agree | consecutive
    names = list(SIGNALS)
    z["SIGNALS"] = [[n for n, c in zip(names, cols, strict=True) if row[c]] for _, row in above.iterrows()]
    reasons = []
    for i in range(len(z)):
        if agree.iloc[i]:
            reasons.append(f"{int(z['N_SIGNALS'].iloc[i])} signals agree: {', '.join(z['SIGNALS'].iloc[i])}")
        elif consecutive.iloc[i]:
            both = [n for n, c in zip(names, cols, strict=True) if above[c].iloc[i] and prev[c].iloc[i]]
            reasons.append(f"{', '.join(both)} elevated 2 nights running")
        else:
            reasons.append("")
    z["REASON"] = reasons
    return z


def isolation_scores(z: pd.DataFrame, seed: int = 0) -> np.ndarray:
    """IsolationForest anomaly score (higher = more unusual) over the four z-scores; NaN where unscored."""
    from sklearn.ensemble import IsolationForest

    cols = [f"Z_{s.upper()}" for s in SIGNALS]
    x = z[cols]
    scored = x.notna().sum(axis=1) >= 2
    out = np.full(len(z), np.nan)
    if scored.sum() < 20:
        return out
    data = x[scored].fillna(0.0).to_numpy()
    forest = IsolationForest(n_estimators=100, random_state=seed).fit(data)
    out[scored.to_numpy()] = -forest.score_samples(data)
    return out


def detect(daily: pd.DataFrame, threshold: float = 2.5, window: int = 60) -> pd.DataFrame:
    """Every scored day of one or more members with z-scores, IF score and the flag (flagged rows: FLAGGED)."""
    frames = []
    for _, member in daily.groupby("MEMBER_KEY", sort=True):
        z = flag(robust_z(member, window=window), threshold)
        z["IF_SCORE"] = isolation_scores(z)
        frames.append(z)
    if not frames:
        return pd.DataFrame()
    return pd.concat(frames, ignore_index=True)


def alert_events(flags: pd.Series, dates: pd.Series) -> list[tuple[Any, Any]]:
    """Runs of consecutive flagged days as (first, last) date pairs: one alert per run."""
    events: list[tuple[Any, Any]] = []
    days = pd.to_datetime(dates.astype(str), format="%Y%m%d")
    start = last = None
    for is_flag, day in zip(flags, days, strict=True):
        if is_flag and last is not None and (day - last).days == 1:
            last = day
        elif is_flag:
            if start is not None:
                events.append((start, last))
            start = last = day
    if start is not None:
        events.append((start, last))
    return events


def score_alerts(detected: pd.DataFrame, episodes: list[dict[str, Any]], slack_days: int = 2) -> dict[str, int]:
    """Recall and false alerts of one member's flags against known illness episodes (the sandbox's truth).

    An episode counts as detected when a flag falls on one of its nights or the day after it ends.
    Episodes without a usable baseline before them (no z-score on any of their nights) are not counted.
    A false alert is a run of flagged days entirely outside every episode widened by `slack_days`;
    clean days are the scored days outside those widened windows.
    """
    d = detected.copy()
    d["DAY"] = pd.to_datetime(d["DATE_KEY"].astype(str), format="%Y%m%d")
    zcols = [f"Z_{s.upper()}" for s in SIGNALS]
    scored = d[zcols].notna().any(axis=1)
    near = pd.Series(False, index=d.index)
    result = {"episodes": 0, "detected": 0, "false": 0, "clean_days": 0}
    for ep in episodes:
        start, end = pd.Timestamp(ep["start_date"]), pd.Timestamp(ep["end_date"])
        inside = d["DAY"].between(start, end + pd.Timedelta(days=1))
        near |= d["DAY"].between(start - pd.Timedelta(days=slack_days), end + pd.Timedelta(days=slack_days))
        if not (inside & scored).any():
            continue
        result["episodes"] += 1
        result["detected"] += int((inside & d["FLAGGED"]).any())
    clean = scored & ~near
    result["clean_days"] = int(clean.sum())
    outside = d[~near].reset_index(drop=True)
    result["false"] = len(alert_events(outside["FLAGGED"], outside["DATE_KEY"]))
    return result
