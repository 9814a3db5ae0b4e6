"""A synthetic member's life calendar, night by night: strap-off gaps, trips, illness, the training plan.

Everything here is decided before any physiology is drawn, so the physiology (physiology.py) reacts to the
calendar and never the other way round. Night k is the night that ends on wake date `first_day + k`.
Sources for each pattern are listed in README.md ("Day-to-day dynamics").
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
from scipy.signal import lfilter

from infra.local.sandbox.timeutil import is_dst

# Illness episode shape by night: respiratory rate leads the other signals by a night (see physiology.py).
ILLNESS_SHAPE = np.array([0.5, 1.0, 1.0, 0.85, 0.6, 0.4, 0.25])
# 3:1 loading mesocycle: three weeks building, one easier week.
MESOCYCLE = np.array([1.0, 1.1, 1.25, 0.65])
TAPER_DAYS = 10


@dataclass
class Schedule:
    """Night-indexed calendar arrays (length n) and the windows they came from."""

    weekday: np.ndarray  # wake date's weekday, Monday = 0
    worn: np.ndarray  # bool: the strap recorded the night
    offsets: np.ndarray  # local UTC offset in minutes
    jetlag: np.ndarray  # circadian misalignment on waking, hours (decays ~1-1.5 h per day)
    illness: np.ndarray  # 0..1 severity
    train: np.ndarray  # bool: a planned training day (the day after waking on night k)
    load: np.ndarray  # training-load multiplier of the day (blocks, taper, recovery week)
    event: np.ndarray  # bool: race / all-out event day
    gaps: list[tuple[int, int]]
    trips: list[tuple[int, int]]
    illness_windows: list[tuple[int, int]]
    events: list[int]
    periodised: bool


def ar1(innovations: np.ndarray, phi: float, sd: float) -> np.ndarray:
    """Stationary AR(1) series with lag-1 autocorrelation `phi` and standard deviation `sd` (started at
    its stationary spread, so there is no burn-in)."""
    e = innovations * (sd * np.sqrt(1 - phi * phi))
    e[0] = innovations[0] * sd
    return lfilter([1.0], [1.0, -phi], e)


def pick_windows(
    rng: np.random.Generator, count: int, length: tuple[int, int], lo: int, hi: int, taken: np.ndarray
) -> list[tuple[int, int]]:
    """Non-overlapping [start, end) night-index windows inside [lo, hi), avoiding `taken`."""
    out: list[tuple[int, int]] = []
    for _ in range(count * 20):
        if len(out) == count or hi - lo <= length[1] + 2:
            break
        size = int(rng.integers(length[0], length[1] + 1))
        start = int(rng.integers(lo, hi - size))
        if taken[max(0, start - 3) : start + size + 3].any():
            continue
        taken[start : start + size] = True
        out.append((start, start + size))
    return sorted(out)


def build(
    rng: np.random.Generator,
    n: int,
    first_day: date,
    std_offset: int,
    dst_rule: str,
    travel_offset: int,
    train_share: float,
) -> Schedule:
    """The calendar of one member. `train_share` is the share of days with planned training."""
    weekday = (np.arange(n) + first_day.weekday()) % 7
    taken = np.zeros(n, dtype=bool)
    taken[-21:] = True  # keep the recent weeks complete
    taken[:5] = True
    years = n / 365
    gaps = pick_windows(rng, int(rng.integers(1, 3)) if n > 120 else 0, (8, 35), 5, n - 21, taken)
    # short device-off spells (strap charging, forgotten on a trip): 1-3 nights, about 2 a year
    gaps += pick_windows(rng, int(rng.poisson(2 * years)) if n > 120 else 0, (1, 3), 5, n - 21, taken)
    gaps.sort()
    trips = pick_windows(rng, max(1, int(rng.poisson(1.5 * years))) if n > 60 else 0, (5, 12), 5, n - 21, taken)
    # episodes at least 5 weeks apart and never in the 4 weeks after a strap-off gap, so each has a recorded
    # baseline to stand out from (the anomaly detectors judged on them need one, as real members' do)
    busy = taken.copy()
    for _, end in gaps:
        busy[end : end + 28] = True
    illness_windows = []
    for _ in range(int(rng.integers(1, 3))):
        for a, b in pick_windows(rng, 1, (4, 7), 5, n - 14, busy):
            busy[max(0, a - 35) : b + 35] = True
            taken[a:b] = True
            illness_windows.append((a, b))
    illness_windows.sort()

    worn = np.ones(n, dtype=bool)
    for a, b in gaps:
        worn[a:b] = False
    offsets = np.array(
        [std_offset + (60 if is_dst(first_day + timedelta(days=k), dst_rule) else 0) for k in range(n)], dtype=int
    )
    jetlag = np.zeros(n)
    for a, b in trips:
        home = int(offsets[a])
        offsets[a:b] = travel_offset
        # re-entrainment: about 1 h/day after flying east, 1.5 h/day after flying west (each way of the trip)
        for start, shift, end in ((a, travel_offset - home, b), (b, home - travel_offset, min(n, b + 10))):
            rate = 60.0 if shift > 0 else 90.0
            left = abs(shift) - rate * np.arange(end - start)
            jetlag[start:end] = np.maximum(jetlag[start:end], np.clip(left, 0, None) / 60)

    illness = np.zeros(n)
    for a, b in illness_windows:
        illness[a:b] = ILLNESS_SHAPE[: b - a]

    # training plan: fixed preferred weekdays, occasionally swapped; blocks and tapers scale the load
    days_per_week = int(np.clip(round(7 * train_share), 1, 6))
    preferred = rng.choice(7, size=days_per_week, replace=False)
    train = np.isin(weekday, preferred)
    swap = rng.random(n) < 0.15
    train = np.where(swap, ~train, train)
    periodised = bool(rng.random() < 0.6)
    if periodised:
        week = (np.arange(n) + int(rng.integers(0, 28))) // 7
        load = MESOCYCLE[week % len(MESOCYCLE)].astype(float)
    else:
        load = np.ones(n)
    load = load * np.exp(ar1(rng.standard_normal(n), 0.97, 0.1))  # life gets in the way, for weeks at a time
    event = np.zeros(n, dtype=bool)
    events: list[int] = []
    if n > 150:
        for _ in range(int(rng.poisson(years * 1.2))):
            day = int(rng.integers(TAPER_DAYS + 30, n - 25))
            if taken[day] or any(abs(day - e) < 45 for e in events):
                continue
            events.append(day)
            load[day - TAPER_DAYS : day] *= 0.4  # taper: volume cut by 60 %, sessions kept
            load[day + 1 : day + 8] *= 0.5  # easy week after the event
            event[day] = True
            train[day] = True
    # no training when ill; trips thin it out
    train &= illness < 0.4
    for a, b in trips:
        train[a:b] &= rng.random(b - a) < 0.5
    return Schedule(
        weekday=weekday,
        worn=worn,
        offsets=offsets,
        jetlag=jetlag,
        illness=illness,
        train=train,
        load=load,
        event=event,
        gaps=gaps,
        trips=trips,
        illness_windows=illness_windows,
        events=sorted(events),
        periodised=periodised,
    )
