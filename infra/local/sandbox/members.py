"""Synthetic WHOOP members, deterministic from (seed, member name).

The values come from the member's calendar (schedule.py: gaps, trips, illness, training plan) and
latent physiology (physiology.py: baselines, fitness, fatigue, sleep debt, the morning's recovery);
this module turns them into records: the sleep onset of night k opens cycle k, which holds that
sleep, its recovery, the day's workouts and naps, and the journal answers for the day. Behaviour on
day k (alcohol, late meals, stress) shapes night k+1. Statistics follow NOTES.md "What real members
look like".
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import numpy as np

from infra.local.sandbox import physiology, schedule
from infra.local.sandbox.config import SandboxConfig
from infra.local.sandbox.physiology import Baseline, draw_baseline
from infra.local.sandbox.sports import SPORTS
from infra.local.sandbox.timeutil import date_to_ms, format_offset, ms_to_iso

__all__ = ["MemberData", "SandboxConfig", "generate_member", "member_rng", "stable_hash"]

MIN = 60_000
HOUR = 60 * MIN
DAY = 24 * HOUR
# v1 activity ids stopped existing after this date (contract: "Will not exist past 09/01/2025").
V1_CUTOFF_MS = date_to_ms(date(2025, 9, 1))

HOME_ZONES: tuple[tuple[str, int, str], ...] = (
    ("America/New_York", -300, "us"),
    ("America/Chicago", -360, "us"),
    ("America/Los_Angeles", -480, "us"),
    ("Europe/London", 0, "eu"),
    ("Europe/Berlin", 60, "eu"),
)
TRAVEL_OFFSETS: tuple[int, ...] = (540, 330, -180, 480, -600, 240)
LAST_NAMES = ("Smith", "Garcia", "Müller", "Okafor", "Tanaka", "Rossi", "Novak", "Larsen", "Silva", "Kim")

# (question text as the app writes it, effect key); trailing spaces are deliberate (seen in exports).
QUESTIONS: tuple[tuple[str, str], ...] = (
    ("Have any alcoholic drinks?", "alcohol"),
    ("Eat food close to bedtime? ", "late_meal"),
    ("Have any caffeine?", "caffeine"),
    ("Experience stress?  ", "stress"),
    ("View a screen device in bed?", "screen"),
    ("Read (non-screen device) while in bed?", "reading"),
    ("Take melatonin?", "melatonin"),
    ("Hydrate sufficiently?", "hydrate"),
)
NOTES_BY_KEY: dict[str, tuple[str, ...]] = {
    "alcohol": ("Two glasses of wine\nwith dinner", "Beer at the game", "Birthday party,\nstayed up late"),
    "late_meal": ("Pizza at 22:30", "Late dinner with friends"),
    "caffeine": ("Double espresso after lunch",),
    "stress": ("Deadline at work\nslept badly", "Moving house"),
}


def stable_hash(text: str) -> int:
    """A process-independent 64-bit hash (Python's hash() is salted per process)."""
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "big")


def member_rng(seed: int, name: str, purpose: str = "data") -> np.random.Generator:
    return np.random.default_rng([seed & 0xFFFFFFFF, stable_hash(f"{purpose}:{name}") & 0xFFFFFFFFFFFF])


def user_id_for(seed: int, name: str) -> int:
    return 10_000 + stable_hash(f"user:{seed}:{name}") % 90_000_000


@dataclass
class MemberData:
    """One member's records as the API serves them (chronological), plus export-only and truth data."""

    name: str
    user_id: int
    profile: dict[str, Any]
    body: dict[str, Any]
    cycles: list[dict[str, Any]]
    sleeps: list[dict[str, Any]]
    recoveries: list[dict[str, Any]]
    workouts: list[dict[str, Any]]
    journal: list[dict[str, Any]]
    illness: list[dict[str, Any]]
    meta: dict[str, Any]
    # scores of PENDING_SCORE records, revealed by Store.score_pending()
    hidden_scores: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)


def _uuid(rng: np.random.Generator) -> str:
    return str(uuid.UUID(bytes=rng.bytes(16), version=4))


def generate_member(config: SandboxConfig, name: str) -> MemberData:
    """Build one member's full history ending at 00:00 UTC of `config.as_of_date`."""
    rng = member_rng(config.seed, name)
    base = draw_baseline(rng)
    today = config.as_of_date
    as_of = date_to_ms(today)
    n = config.days + 1
    first_day = today - timedelta(days=config.days)  # wake date of night 0
    user_id = user_id_for(config.seed, name)

    zone_name, std_offset, dst_rule = HOME_ZONES[int(rng.integers(len(HOME_ZONES)))]
    travel_offset = int(rng.choice([o for o in TRAVEL_OFFSETS if abs(o - std_offset) >= 180]))

    # ---- calendar (schedule.py) and latent physiology (physiology.py) ------------------------------
    sched = schedule.build(rng, n, first_day, std_offset, dst_rule, travel_offset, base.train_share)
    worn, offsets = sched.worn, sched.offsets
    gaps, trips, illness_windows = sched.gaps, sched.trips, sched.illness_windows
    strap4_night = int(n * rng.uniform(0.4, 0.6))

    # behaviours on day k (cycle k), affecting night k+1
    weekday = sched.weekday
    p_alcohol = rng.uniform(0.08, 0.22)
    alcohol = rng.random(n) < np.where(weekday >= 4, p_alcohol * 2.2, p_alcohol)
    late_meal = rng.random(n) < rng.uniform(0.12, 0.3)
    stress = rng.random(n) < rng.uniform(0.15, 0.35)
    caffeine = rng.random(n) < rng.uniform(0.5, 0.9)
    other_yes = rng.random((n, 4)) < rng.uniform(0.1, 0.7, size=4)
    behaviour = {
        "alcohol": alcohol,
        "late_meal": late_meal,
        "stress": stress,
        "caffeine": caffeine,
        "screen": other_yes[:, 0],
        "reading": other_yes[:, 1],
        "melatonin": other_yes[:, 2],
        "hydrate": other_yes[:, 3],
    }
    tracked = ["alcohol", "late_meal"] + [
        str(q)
        for q in rng.choice(
            ["caffeine", "stress", "screen", "reading", "melatonin", "hydrate"],
            size=int(rng.integers(2, 5)),
            replace=False,
        )
    ]
    journals = rng.random(n) < rng.uniform(0.6, 0.95)
    naps = rng.random(n) < base.nap_rate

    phys = physiology.simulate(rng, base, sched, alcohol, late_meal, stress)
    ln_hrv, rhr, recovery, resp, skin, spo2 = phys.ln_hrv, phys.rhr, phys.recovery, phys.resp, phys.skin, phys.spo2
    asleep, deep, rem, awake = phys.asleep, phys.deep, phys.rem, phys.awake
    no_data = np.where(rng.random(n) < 0.05, rng.uniform(1, 25, n), 0.0)
    bed_jitter = phys.bed_shift
    unscorable = rng.random(n) < 0.006

    # ---- timeline ---------------------------------------------------------------------------
    onset = np.zeros(n, dtype=np.int64)
    wake = np.zeros(n, dtype=np.int64)
    last_wake = -(10**15)
    for k in range(n):
        evening = date_to_ms(first_day + timedelta(days=k - 1))
        local_onset = evening + int((base.bedtime_min + bed_jitter[k]) * MIN)
        t = local_onset - int(offsets[k]) * MIN
        t = max(t, last_wake + 10 * HOUR)  # flying east: the body clock cannot skip a day
        in_bed_ms = round(asleep[k] * MIN) + round(awake[k] * MIN) + round(no_data[k] * MIN)
        onset[k], wake[k] = t, t + in_bed_ms
        if worn[k]:
            last_wake = wake[k]
    keep = worn & (wake < as_of)
    nights = np.flatnonzero(keep)
    if len(nights) == 0:
        raise ValueError("no history: increase days")
    last_night = int(nights[-1])

    cycles: list[dict[str, Any]] = []
    sleeps: list[dict[str, Any]] = []
    recoveries: list[dict[str, Any]] = []
    workouts: list[dict[str, Any]] = []
    journal: list[dict[str, Any]] = []
    hidden: dict[tuple[str, str], dict[str, Any]] = {}
    cycle_base = user_id * 100_000
    v1_base = user_id * 1_000_000
    prev_nap_min = 0.0
    sport_weights = rng.dirichlet(np.full(len(SPORTS), 0.6))

    def stamps(end_ms: int, edited: bool, lag_min: float) -> dict[str, str]:
        """A record's created_at and updated_at: written `lag_min` after it ended, edited hours later or not."""
        created = min(end_ms + int(lag_min * MIN), as_of)
        extra = rng.uniform(2, 72) * HOUR if edited else rng.uniform(0.5, 6) * MIN
        updated = max(created + 1, min(created + int(extra), as_of))
        return {"created_at": ms_to_iso(created), "updated_at": ms_to_iso(updated)}

    for idx, k in enumerate(nights):
        k = int(k)
        tz = format_offset(int(offsets[k]))
        is_last = k == last_night
        next_worn = idx + 1 < len(nights) and int(nights[idx + 1]) == k + 1
        cycle_end = int(onset[k + 1]) if next_worn else (None if is_last else int(onset[k] + DAY))
        cycle_id = cycle_base + idx + 1
        calibrating = idx < 4
        # sleep k
        sleep_id = _uuid(rng)
        deep_ms, rem_ms = round(deep[k] * MIN), round(rem[k] * MIN)
        light_ms = round(asleep[k] * MIN) - deep_ms - rem_ms
        awake_ms, no_data_ms = round(awake[k] * MIN), round(no_data[k] * MIN)
        need_base = base.asleep / 0.85 - 10 + 4 * rng.standard_normal()
        need_strain = max(0.0, (phys.strain[k - 1] - 10) * 5) if k else 0.0
        sleep_debt = min(0.8 * float(phys.sleep_debt[k]), 120.0)  # capped at 2 h: more is a member-alert case
        need_nap = -0.8 * prev_nap_min
        need_total = need_base + sleep_debt + need_strain + need_nap
        sleep_score = {
            "stage_summary": {
                "total_in_bed_time_milli": light_ms + deep_ms + rem_ms + awake_ms + no_data_ms,
                "total_awake_time_milli": awake_ms,
                "total_no_data_time_milli": no_data_ms,
                "total_light_sleep_time_milli": light_ms,
                "total_slow_wave_sleep_time_milli": deep_ms,
                "total_rem_sleep_time_milli": rem_ms,
                "sleep_cycle_count": max(1, round(asleep[k] / 90 + rng.normal(0, 0.7))),
                "disturbance_count": int(rng.poisson(awake[k] / 3)),
            },
            "sleep_needed": {
                "baseline_milli": int(need_base * MIN),
                "need_from_sleep_debt_milli": int(sleep_debt * MIN),
                "need_from_recent_strain_milli": int(need_strain * MIN),
                "need_from_recent_nap_milli": int(need_nap * MIN),
            },
            "respiratory_rate": round(float(resp[k]), 4),
            "sleep_performance_percentage": float(min(100, round(100 * asleep[k] / need_total))),
            "sleep_consistency_percentage": float(np.clip(round(92 - abs(bed_jitter[k]) * 0.45), 25, 99)),
            "sleep_efficiency_percentage": round(100 * asleep[k] / (asleep[k] + awake[k]), 4),
        }
        sleep = {
            "id": sleep_id,
            "cycle_id": cycle_id,
            "user_id": user_id,
            **stamps(int(wake[k]), rng.random() < 0.04, rng.uniform(2, 40)),
            "start": ms_to_iso(int(onset[k])),
            "end": ms_to_iso(int(wake[k])),
            "timezone_offset": tz,
            "nap": False,
            "score_state": "SCORED",
            "score": sleep_score,
        }
        if int(onset[k]) < V1_CUTOFF_MS:
            sleep["v1_id"] = v1_base + 2 * idx
        rec_score: dict[str, Any] = {
            "user_calibrating": calibrating,
            "recovery_score": float(recovery[k]),
            "resting_heart_rate": float(round(rhr[k])),
            "hrv_rmssd_milli": round(float(np.exp(ln_hrv[k])), 4),
        }
        if k >= strap4_night:
            rec_score["spo2_percentage"] = round(float(spo2[k]), 4)
            rec_score["skin_temp_celsius"] = round(float(skin[k]), 4)
        recovery_rec = {
            "cycle_id": cycle_id,
            "sleep_id": sleep_id,
            "user_id": user_id,
            **stamps(int(wake[k]), rng.random() < 0.02, rng.uniform(3, 45)),
            "score_state": "SCORED",
            "score": rec_score,
        }
        # cycle k
        day_workouts = int(phys.workouts[k])
        strain = float(phys.strain[k])
        kcal = base.kcal + 85 * (strain - base.strain) + 120 * rng.standard_normal()
        avg_hr = round(rhr[k] + 17 + 1.3 * (strain - 10) + 3 * rng.standard_normal())
        day_max = int(min(base.max_hr, round(115 + 3.6 * strain + 6 * rng.standard_normal())))
        cycle_score = {
            "strain": round(strain, 4),
            "kilojoule": round(kcal * 4.184, 2),
            "average_heart_rate": avg_hr,
            "max_heart_rate": day_max,
        }
        c_created = min(int(onset[k]) + int(rng.uniform(1, 20) * MIN), as_of)
        c_updated = min((cycle_end or as_of) + int(rng.uniform(5, 90) * MIN), as_of)
        cycle = {
            "id": cycle_id,
            "user_id": user_id,
            "created_at": ms_to_iso(c_created),
            "updated_at": ms_to_iso(max(c_updated, c_created + 1)),
            "start": ms_to_iso(int(onset[k])),
            "end": ms_to_iso(cycle_end) if cycle_end is not None else None,
            "timezone_offset": tz,
            "score_state": "SCORED",
            "score": cycle_score,
        }
        # workouts and a possible nap inside cycle k's waking day
        day_end = cycle_end if cycle_end is not None else as_of
        local_midnight = date_to_ms(first_day + timedelta(days=k)) - int(offsets[k]) * MIN
        first_hour = float(phys.workout_hour[k])
        others = [h for h in (7.0, 12.0, 18.0) if abs(h - first_hour) > 2.5]
        rng.shuffle(others)
        hours = [first_hour] + [h + rng.uniform(0, 1.5) for h in others]
        chosen = sorted(hours[: min(day_workouts, len(hours))])  # a day's workouts in time order, never overlapping
        not_before = int(wake[k]) + 30 * MIN
        for w, hour in enumerate(chosen):
            sport = SPORTS[int(rng.choice(len(SPORTS), p=sport_weights))]
            w_start = max(local_midnight + int(hour * HOUR), not_before)
            typical = 170.0 if sched.event[k] and w == 0 else 50.0  # race day: one long effort
            minutes = float(np.clip(rng.lognormal(np.log(typical), 0.4), 12, 300))
            w_end = w_start + int(minutes * MIN)
            if w_end >= day_end - 60 * MIN:
                continue
            not_before = w_end + 30 * MIN
            workouts.append(
                _workout(
                    rng,
                    sport,
                    w_start,
                    w_end,
                    strain,
                    base,
                    user_id,
                    tz,
                    stamps,
                    v1_base + 2 * idx + 1_000_001 + w * 10,
                )
            )
        prev_nap_min = 0.0
        if naps[k] and not is_last:
            n_start = local_midnight + int(rng.uniform(13.5, 16) * HOUR)
            n_len = float(rng.uniform(20, 90))
            n_end = n_start + int(n_len * MIN)
            if int(wake[k]) + 2 * HOUR < n_start and n_end < day_end - 3 * HOUR:
                prev_nap_min = n_len
                sleeps.append(_nap(rng, n_start, n_end, cycle_id, user_id, tz, resp[k], stamps))
        # score states: unscorable at random, pending for the newest records
        if unscorable[k] and not is_last:
            sleep["score_state"], sleep["score"] = "UNSCORABLE", None
            recovery_rec["score_state"], recovery_rec["score"] = "UNSCORABLE", None
        if is_last:
            for resource, rec, key in (
                ("sleep", sleep, sleep_id),
                ("recovery", recovery_rec, str(cycle_id)),
                ("cycle", cycle, str(cycle_id)),
            ):
                hidden[(resource, key)] = rec["score"]
                rec["score_state"], rec["score"] = "PENDING_SCORE", None
        cycles.append(cycle)
        sleeps.append(sleep)
        recoveries.append(recovery_rec)
        if journals[k] and not is_last:
            for key in tracked:
                text = next(q for q, kk in QUESTIONS if kk == key)
                yes = bool(behaviour[key][k])
                notes = ""
                if yes and key in NOTES_BY_KEY and rng.random() < 0.15:
                    notes = str(rng.choice(NOTES_BY_KEY[key]))
                journal.append(
                    {"cycle_id": cycle_id, "question": text, "answered_yes": yes, "notes": notes, "behaviour": key}
                )

    if workouts and workouts[-1]["start"] >= cycles[-1]["start"]:
        last = workouts[-1]
        hidden[("workout", last["id"])] = last["score"]
        last["score_state"], last["score"] = "PENDING_SCORE", None
    sleeps.sort(key=lambda r: r["start"])

    def night_date(k: int) -> str:
        return (first_day + timedelta(days=k)).isoformat()

    first = name.strip().split()[0].capitalize()
    return MemberData(
        name=name,
        user_id=user_id,
        profile={
            "user_id": user_id,
            "email": f"{name.strip().lower().replace(' ', '.')}@sandbox.whoop.test",
            "first_name": first,
            "last_name": LAST_NAMES[stable_hash(name) % len(LAST_NAMES)],
        },
        body={
            "height_meter": round(float(rng.uniform(1.55, 1.95)), 4),
            "weight_kilogram": round(float(rng.uniform(52, 98)), 4),
            "max_heart_rate": base.max_hr,
        },
        cycles=cycles,
        sleeps=sleeps,
        recoveries=recoveries,
        workouts=workouts,
        journal=journal,
        illness=[
            {"start_date": night_date(a), "end_date": night_date(b - 1), "nights": b - a} for a, b in illness_windows
        ],
        meta={
            "as_of": ms_to_iso(as_of),
            "home_zone": zone_name,
            "travel_offset": format_offset(travel_offset),
            "trips": [{"start_date": night_date(a), "end_date": night_date(b - 1)} for a, b in trips],
            "gaps": [{"start_date": night_date(a), "end_date": night_date(b - 1)} for a, b in gaps],
            "strap_4_date": night_date(strap4_night),
            "training": {
                "periodised": sched.periodised,
                "event_dates": [night_date(k) for k in sched.events],
            },
            "tracked_questions": tracked,
            "baseline": {
                "hrv_median": round(float(np.exp(base.ln_hrv)), 2),
                "resting_hr": round(base.rhr, 2),
                "recovery_mean": round(base.rec_mean, 2),
                "workouts_per_week": round(base.workouts_per_week, 2),
            },
        },
        hidden_scores=hidden,
    )


def _workout(
    rng: np.random.Generator,
    sport: Any,
    start: int,
    end: int,
    day_strain: float,
    base: Baseline,
    user_id: int,
    tz: str,
    stamps: Any,
    v1_id: int,
) -> dict[str, Any]:
    minutes = (end - start) / MIN
    strain = float(np.clip(sport.intensity + 2.0 * rng.standard_normal(), 2.0, max(2.5, day_strain - 0.3)))
    frac = rng.dirichlet(np.array([0.5, 1.5, 2.0, 1.5, 0.8, 0.3]) * (0.6 + strain / 10))
    total = end - start
    zones = [int(f * total) for f in frac]
    zones[2] += total - sum(zones)
    names = ["zero", "one", "two", "three", "four", "five"]
    score: dict[str, Any] = {
        "strain": round(strain, 4),
        "average_heart_rate": round(base.rhr + 50 + 3.5 * strain + 5 * rng.standard_normal()),
        "max_heart_rate": int(min(base.max_hr, round(base.rhr + 80 + 4.5 * strain + 6 * rng.standard_normal()))),
        "kilojoule": round(float(minutes * (5 + 0.6 * strain) * 4.184 * rng.uniform(0.85, 1.15)), 3),
        "percent_recorded": float(round(min(100.0, rng.uniform(92, 101)), 2)),
        "zone_durations": {f"zone_{nm}_milli": z for nm, z in zip(names, zones, strict=True)},
    }
    if sport.gps and rng.random() < 0.85:
        speed = {"running": 170, "cycling": 420, "mountain-biking": 300, "walking": 85}.get(sport.name, 70)
        score["distance_meter"] = round(float(minutes * speed * rng.uniform(0.8, 1.2)), 3)
        if sport.climb:
            gain = float(minutes * rng.uniform(0.5, 6))
            score["altitude_gain_meter"] = round(gain, 3)
            score["altitude_change_meter"] = round(float(rng.uniform(-0.2, 0.2) * gain), 3)
    stamped = stamps(end, rng.random() < 0.03, rng.uniform(1, 30))
    record: dict[str, Any] = {
        "id": _uuid(rng),
        "user_id": user_id,
        **stamped,
        "start": ms_to_iso(start),
        "end": ms_to_iso(end),
        "timezone_offset": tz,
        "sport_name": sport.name,
        "score_state": "SCORED",
        "score": score,
        "sport_id": sport.sport_id,
    }
    if start < V1_CUTOFF_MS:
        record["v1_id"] = v1_id
    if rng.random() < 0.005:
        record["score_state"], record["score"] = "UNSCORABLE", None
    return record


def _nap(
    rng: np.random.Generator,
    start: int,
    end: int,
    cycle_id: int,
    user_id: int,
    tz: str,
    resp: float,
    stamps: Any,
) -> dict[str, Any]:
    total = end - start
    awake = int(total * rng.uniform(0.05, 0.2))
    asleep = total - awake
    deep = int(asleep * rng.uniform(0.1, 0.3))
    rem = int(asleep * rng.uniform(0.0, 0.2))
    stamped = stamps(end, False, rng.uniform(2, 30))
    return {
        "id": _uuid(rng),
        "cycle_id": cycle_id,
        "user_id": user_id,
        **stamped,
        "start": ms_to_iso(start),
        "end": ms_to_iso(end),
        "timezone_offset": tz,
        "nap": True,
        "score_state": "SCORED",
        "score": {
            "stage_summary": {
                "total_in_bed_time_milli": total,
                "total_awake_time_milli": awake,
                "total_no_data_time_milli": 0,
                "total_light_sleep_time_milli": asleep - deep - rem,
                "total_slow_wave_sleep_time_milli": deep,
                "total_rem_sleep_time_milli": rem,
                "sleep_cycle_count": int(asleep // HOUR),
                "disturbance_count": int(rng.poisson(1)),
            },
            "sleep_needed": {
                "baseline_milli": 0,
                "need_from_sleep_debt_milli": 0,
                "need_from_recent_strain_milli": 0,
                "need_from_recent_nap_milli": 0,
            },
            "respiratory_rate": round(float(resp + rng.normal(0, 0.3)), 4),
            "sleep_efficiency_percentage": round(100 * asleep / total, 4),
        },
    }
