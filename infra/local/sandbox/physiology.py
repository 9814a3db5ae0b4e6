"""A synthetic member's physiology as a latent state model, night by night (sources: README.md "Day-to-day
dynamics").

State carried from day to day: a slowly drifting baseline (HRV, resting HR), fitness (chronic training load,
a 42-day average of strain) and fatigue (acute load above the chronic one, decaying within days), sleep debt
(accumulates on short nights, paid back by longer ones). Each morning's HRV and resting HR follow from that
state plus yesterday's behaviour (alcohol, late meals, stress, a late workout), illness and jet lag; each
day's strain follows from the training plan, eased after a poor morning or when ill.

Recovery is then scored the way WHOOP describes it: from the morning's HRV, resting HR, sleep and
respiratory rate against the member's own recent (28-night) baselines, plus modest noise — so a model of
the morning's values explains it, while tomorrow's recovery is only partly knowable tonight.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from infra.local.sandbox.schedule import Schedule, ar1

BASELINE_NIGHTS = 28  # recovery compares the morning with this many nights before it
RECOVERY_NOISE = 8.5  # recovery points the morning's values leave unexplained (SD)
CHRONIC_DAYS = 42  # fitness time constant (Banister's fitness-fatigue model)
FATIGUE_DECAY = 0.4  # share of yesterday's fatigue left this morning: HRV returns within 24-72 h
# minutes of extra (+) or lost (-) sleep by the wake date's weekday, Monday first: weekend catch-up
WEEKDAY_SLEEP = np.array([-18.0, -8.0, -8.0, -8.0, -8.0, 32.0, 28.0])
# bedtime shift by the wake date's weekday: later on Friday and Saturday evenings (social jet lag)
WEEKDAY_BEDTIME = np.array([-10.0, 0.0, 0.0, 0.0, 0.0, 50.0, 45.0])


@dataclass
class Baseline:
    """A member's usual values (drawn once; NOTES.md 'What real members look like')."""

    ln_hrv: float
    sd_ln_hrv: float
    phi_hrv: float
    rhr: float
    sd_rhr: float
    phi_rhr: float
    resp: float
    rec_mean: float
    rec_sd: float
    asleep: float
    sd_asleep: float
    deep: float
    rem: float
    awake: float
    strain: float
    kcal: float
    workouts_per_week: float
    nap_rate: float
    skin: float
    bedtime_min: float
    max_hr: int

    @property
    def train_share(self) -> float:
        """Share of days with planned training giving `workouts_per_week` (1.25 sessions a training day, a
        walk on 10 % of the other days)."""
        return float(np.clip((self.workouts_per_week / 7 - 0.1) / 1.15, 0.15, 0.85))


def draw_baseline(rng: np.random.Generator) -> Baseline:
    asleep = rng.uniform(416, 440)
    deep = rng.uniform(76, 97)
    rem_lo, rem_hi = max(66.0, asleep - deep - 292), min(140.0, asleep - deep - 206)
    return Baseline(
        ln_hrv=float(np.log(rng.uniform(45, 138))),
        sd_ln_hrv=rng.uniform(0.17, 0.34),
        phi_hrv=rng.uniform(0.12, 0.28),
        rhr=rng.uniform(45, 59),
        sd_rhr=rng.uniform(3.3, 5.5),
        phi_rhr=rng.uniform(0.2, 0.4),
        resp=rng.uniform(13.8, 16.0),
        rec_mean=rng.uniform(61.5, 66),
        rec_sd=rng.uniform(18.5, 22.5),
        asleep=asleep,
        sd_asleep=rng.uniform(58, 85),
        deep=deep,
        rem=rng.uniform(rem_lo, rem_hi),
        awake=rng.uniform(33, 39),
        strain=rng.uniform(10.5, 14.5),
        kcal=rng.uniform(2400, 3300),
        workouts_per_week=rng.uniform(3.0, 7.0),
        nap_rate=rng.uniform(0.02, 0.07),
        skin=rng.uniform(33.0, 34.6),
        bedtime_min=rng.uniform(22 * 60, 23 * 60 + 45),
        max_hr=int(rng.integers(178, 201)),
    )


@dataclass
class Physiology:
    """Night k's sleep and morning values, day k's strain and workouts (arrays of length n)."""

    ln_hrv: np.ndarray
    rhr: np.ndarray
    resp: np.ndarray
    skin: np.ndarray
    spo2: np.ndarray
    asleep: np.ndarray  # minutes
    deep: np.ndarray
    rem: np.ndarray
    awake: np.ndarray
    bed_shift: np.ndarray  # minutes after the member's usual bedtime
    sleep_debt: np.ndarray  # minutes owed entering night k
    recovery: np.ndarray  # 1-99
    strain: np.ndarray  # day k
    workouts: np.ndarray  # count on day k
    workout_hour: np.ndarray  # local start hour of day k's first workout
    late_workout: np.ndarray  # bool: day k's workout ended within ~3 h of bedtime


def _trailing_mean(x: np.ndarray, worn: np.ndarray, nights: int) -> tuple[np.ndarray, np.ndarray]:
    """Mean of the recorded nights among the `nights` before each night (not the night itself), and how
    many there were."""
    vals = np.concatenate([[0.0], np.cumsum(np.where(worn, x, 0.0))])
    cnt = np.concatenate([[0], np.cumsum(worn)])
    idx = np.arange(len(x))
    lo = np.maximum(idx - nights, 0)
    total, count = vals[idx] - vals[lo], cnt[idx] - cnt[lo]
    return np.where(count > 0, total / np.maximum(count, 1), x), count


def simulate(
    rng: np.random.Generator,
    base: Baseline,
    sched: Schedule,
    alcohol: np.ndarray,
    late_meal: np.ndarray,
    stress: np.ndarray,
) -> Physiology:
    """Walk the member's state through the calendar. Behaviour arrays are day-indexed (day k affects night k+1)."""
    n = len(sched.worn)
    prev = np.zeros(n, dtype=bool)
    alc_prev, meal_prev, stress_prev = (np.concatenate([prev[:1], b[:-1]]) for b in (alcohol, late_meal, stress))
    # per-member sensitivities: people differ in how much a hard day or a short night shows the next morning
    strain_sens = rng.uniform(0.35, 0.6) * base.sd_ln_hrv / 3.5  # ln HRV per strain point of fatigue
    fitness_gain = rng.uniform(0.008, 0.02)  # ln HRV per strain point of chronic load above the usual
    debt_sens = rng.uniform(0.03, 0.06)  # ln HRV per hour of sleep debt
    late_rate = rng.uniform(0.05, 0.45)  # share of first workouts in the evening
    drift_h = ar1(rng.standard_normal(n), 0.985, rng.uniform(0.07, 0.12))  # seasons, life, health
    drift_r = -0.5 * drift_h * base.sd_rhr / base.sd_ln_hrv + ar1(rng.standard_normal(n), 0.985, 0.8)
    e_h = rng.standard_normal(n)
    e_r = -0.35 * e_h + np.sqrt(1 - 0.35**2) * rng.standard_normal(n)
    noise_h = ar1(e_h, base.phi_hrv, 0.68 * base.sd_ln_hrv)
    noise_r = ar1(e_r, base.phi_rhr, np.sqrt(max(base.sd_rhr**2 - 2.2**2, 2.0**2)))
    noise_s = rng.standard_normal(n) * np.sqrt(max(base.sd_asleep**2 - 30**2, 40**2))

    # the plan for each day: training days at the block's load, rest days easy, race days all-out
    train = sched.train
    rest_level = base.strain - 4.0 * train.mean()
    planned = rest_level + np.where(train, 4.0 * sched.load, 0.0) + 2.8 * rng.standard_normal(n)
    planned = np.where(sched.event, rng.uniform(17.5, 20.5, n), planned)
    planned = planned * (1 - 0.45 * sched.illness)
    workouts = np.where(train, 1 + (rng.random(n) < 0.25), rng.random(n) < 0.1).astype(int)
    late = (rng.random(n) < late_rate) & (workouts > 0)
    bedtime_h = base.bedtime_min / 60
    hour = np.where(
        late,
        bedtime_h - rng.uniform(2.2, 3.5, n),
        rng.choice(np.array([6.5, 12.0, 17.0]), n) + rng.uniform(0, 1.0, n),
    )

    ln_hrv, rhr, asleep, strain, debt_in = (np.empty(n) for _ in range(5))
    fatigue, chronic, debt = 0.0, base.strain, 0.0
    usual_h = base.ln_hrv
    for k in range(n):
        y = k - 1 if k else 0
        late_y = bool(late[y]) and k > 0
        jet = min(sched.jetlag[k], 6.0) / 6.0
        ill = sched.illness[k]
        debt_in[k] = debt
        sleep = (
            base.asleep
            + WEEKDAY_SLEEP[sched.weekday[k]]
            + 0.3 * debt  # paying back
            + 1.5 * (strain[y] - base.strain if k else 0.0)  # a hard day deepens the need
            - 12.0 * late_y
            - 12.0 * alc_prev[k]
            - 45.0 * jet
            + 25.0 * ill
            + noise_s[k]
        )
        sleep = min(max(sleep, 200.0), 700.0)
        asleep[k] = sleep
        debt = min(max(0.75 * debt + (base.asleep - sleep), 0.0), 300.0)
        load = max(fatigue, 0.0) if ill > 0 else fatigue  # resting while ill brings no rebound
        ln_hrv[k] = (
            base.ln_hrv
            + drift_h[k]
            + fitness_gain * (chronic - base.strain)
            - strain_sens * load
            - 0.03 * late_y
            - debt_sens * debt / 60
            - 0.18 * alc_prev[k]
            - 0.05 * meal_prev[k]
            - 0.07 * stress_prev[k]
            - 0.45 * ill
            - 0.2 * jet
            + noise_h[k]
        )
        rhr[k] = (
            base.rhr
            + drift_r[k]
            - 0.35 * (chronic - base.strain)
            + 0.5 * load
            + 2.5 * late_y
            + 0.6 * debt / 60
            + 2.8 * alc_prev[k]
            + 1.2 * meal_prev[k]
            + 6.5 * ill
            + 2.5 * jet
            + noise_r[k]
        )
        # the day: a poor morning (HRV well under its recent level) means an easier day than planned
        low = (ln_hrv[k] - usual_h) / base.sd_ln_hrv < -1.0
        s = planned[k] - (1.8 if low and not sched.event[k] else 0.0)
        strain[k] = min(max(s, 0.5), 20.9)
        usual_h += (ln_hrv[k] - usual_h) / 14
        fatigue = FATIGUE_DECAY * fatigue + (strain[k] - chronic)
        chronic += (strain[k] - chronic) / CHRONIC_DAYS

    ill_lead = np.maximum(sched.illness, np.concatenate([sched.illness[1:], [0.0]]))  # breathing rises first
    resp = base.resp + 0.35 * rng.standard_normal(n) + 1.4 * ill_lead + 0.15 * alc_prev
    skin = base.skin + 0.3 * rng.standard_normal(n) + 0.8 * sched.illness + 0.15 * alc_prev
    spo2 = np.clip(96.8 + 0.8 * rng.standard_normal(n) - 1.0 * sched.illness, 90, 100)
    deep = asleep * (base.deep / base.asleep) * np.clip(1 + 0.12 * rng.standard_normal(n), 0.6, 1.4)
    rem = (
        asleep
        * (base.rem / base.asleep)
        * np.clip(1 + 0.14 * rng.standard_normal(n), 0.5, 1.5)
        * np.where(alc_prev, 0.85, 1.0)
    )
    jet_any = sched.jetlag > 0
    awake = np.clip(base.awake * np.exp(0.35 * rng.standard_normal(n)) + 12 * sched.illness + 10 * jet_any, 5, 150)
    late_prev = np.concatenate([[False], late[:-1]])
    bed_shift = 40 * rng.standard_normal(n) + WEEKDAY_BEDTIME[sched.weekday] + 25 * late_prev

    recovery = _recovery(rng, base, sched.worn, ln_hrv, rhr, asleep, resp)
    return Physiology(
        ln_hrv=ln_hrv,
        rhr=rhr,
        resp=resp,
        skin=skin,
        spo2=spo2,
        asleep=asleep,
        deep=deep,
        rem=rem,
        awake=awake,
        bed_shift=bed_shift,
        sleep_debt=debt_in,
        recovery=recovery,
        strain=strain,
        workouts=workouts,
        workout_hour=hour,
        late_workout=late,
    )


def _recovery(
    rng: np.random.Generator,
    base: Baseline,
    worn: np.ndarray,
    ln_hrv: np.ndarray,
    rhr: np.ndarray,
    asleep: np.ndarray,
    resp: np.ndarray,
) -> np.ndarray:
    """The morning's values against the member's own 28-night baselines (recorded nights only), weighted as
    WHOOP describes (HRV most, then resting HR, sleep, respiratory rate), on the member's recovery scale."""
    dev = {}
    for key, x, scale in (
        ("hrv", ln_hrv, base.sd_ln_hrv),
        ("rhr", rhr, base.sd_rhr),
        ("sleep", asleep, base.sd_asleep),
        ("resp", resp, 0.45),
    ):
        mean, _ = _trailing_mean(x, worn, BASELINE_NIGHTS)
        dev[key] = (x - mean) / scale
    score = 0.72 * dev["hrv"] - 0.30 * dev["rhr"] + 0.15 * dev["sleep"] - 0.10 * dev["resp"]
    seen = score[worn] if worn.any() else score
    z = (score - seen.mean()) / max(float(seen.std()), 1e-6)
    q = min(RECOVERY_NOISE / base.rec_sd, 0.9)
    z = np.sqrt(1 - q * q) * z + q * rng.standard_normal(len(z))
    return np.clip(np.round(base.rec_mean + base.rec_sd * z), 1, 99)
