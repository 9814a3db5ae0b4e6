"""Synthetic members: determinism, invariants and NOTES.md plausibility statistics."""

from __future__ import annotations

import itertools
import time

import numpy as np
import pytest

from infra.local.sandbox.config import SandboxConfig
from infra.local.sandbox.members import generate_member
from infra.local.sandbox.timeutil import iso_to_ms
from tests.sandbox.conftest import TODAY

CFG = SandboxConfig(today=TODAY)


@pytest.fixture(scope="module")
def members() -> dict:
    return {name: generate_member(CFG, name) for name in CFG.members}


def _lag1(x: np.ndarray) -> float:
    return float(np.corrcoef(x[:-1], x[1:])[0, 1])


def test_same_seed_same_data_and_other_seed_differs(members: dict) -> None:
    again = generate_member(CFG, "alice")
    assert again.cycles == members["alice"].cycles and again.sleeps == members["alice"].sleeps
    assert again.workouts == members["alice"].workouts and again.journal == members["alice"].journal
    other = generate_member(SandboxConfig(today=TODAY, seed=7), "alice")
    assert other.user_id != members["alice"].user_id
    assert members["alice"].user_id != members["bob"].user_id


def test_generation_is_fast() -> None:
    t0 = time.perf_counter()
    for name in ("x", "y", "z"):
        generate_member(SandboxConfig(today=TODAY, seed=1), name)
    assert time.perf_counter() - t0 < 2.0


def test_cycles_are_contiguous_with_open_latest(members: dict) -> None:
    for m in members.values():
        cycles = m.cycles
        assert cycles[-1]["end"] is None and cycles[-1]["score_state"] == "PENDING_SCORE"
        assert cycles[-1]["score"] is None
        shared = sum(a["end"] == b["start"] for a, b in itertools.pairwise(cycles))
        assert shared >= len(cycles) - 1 - len(m.meta["gaps"])  # only the strap-off gaps break the chain
        for a, b in itertools.pairwise(cycles):
            assert iso_to_ms(a["end"]) <= iso_to_ms(b["start"])
        assert len({c["id"] for c in cycles}) == len(cycles)
        assert all(iso_to_ms(c["updated_at"]) >= iso_to_ms(c["created_at"]) for c in cycles)
        assert len(m.meta["gaps"]) >= 1


def test_sleeps_recoveries_consistent(members: dict) -> None:
    for m in members.values():
        main = [s for s in m.sleeps if not s["nap"]]
        assert len(main) == len(m.cycles) == len(m.recoveries)
        sleeps = {s["id"]: s for s in m.sleeps}
        for r in m.recoveries:
            assert sleeps[r["sleep_id"]]["cycle_id"] == r["cycle_id"]
        for s in m.sleeps:
            if s["score"]:
                st = s["score"]["stage_summary"]
                asleep = (
                    st["total_light_sleep_time_milli"]
                    + st["total_slow_wave_sleep_time_milli"]
                    + st["total_rem_sleep_time_milli"]
                )
                assert (
                    asleep + st["total_awake_time_milli"] + st["total_no_data_time_milli"]
                    == st["total_in_bed_time_milli"]
                )
                assert st["total_in_bed_time_milli"] == iso_to_ms(s["end"]) - iso_to_ms(s["start"])
                assert s["score"]["sleep_needed"]["need_from_recent_nap_milli"] <= 0
        assert 0.01 <= sum(s["nap"] for s in m.sleeps) / len(m.sleeps) <= 0.09
        assert main[-1]["score_state"] == "PENDING_SCORE" and main[-1]["score"] is None
        assert any(iso_to_ms(s["updated_at"]) - iso_to_ms(s["created_at"]) > 3_600_000 for s in m.sleeps)


def test_some_records_unscorable(members: dict) -> None:
    states = [r["score_state"] for m in members.values() for r in m.sleeps + m.workouts + m.recoveries]
    assert "UNSCORABLE" in states and states.count("UNSCORABLE") < len(states) * 0.03


def test_plausibility_statistics(members: dict) -> None:
    for m in members.values():
        scores = [r["score"] for r in m.recoveries if r["score"]]
        rec = np.array([s["recovery_score"] for s in scores])
        hrv = np.array([s["hrv_rmssd_milli"] for s in scores])
        rhr = np.array([s["resting_heart_rate"] for s in scores])
        assert 58 <= rec.mean() <= 69 and 15 <= rec.std() <= 26
        assert 40 <= np.median(hrv) <= 150 and 0.12 <= np.log(hrv).std() <= 0.45
        assert 42 <= rhr.mean() <= 62 and 2.5 <= rhr.std() <= 7
        assert 0.0 <= _lag1(rec) <= 0.32 and 0.12 <= _lag1(hrv) <= 0.62 and 0.15 <= _lag1(rhr) <= 0.65
        assert 0.65 <= np.corrcoef(rec, hrv)[0, 1] <= 0.95
        assert -0.88 <= np.corrcoef(rec, rhr)[0, 1] <= -0.35
        main = [s["score"] for s in m.sleeps if s["score"] and not s["nap"]]
        st = [x["stage_summary"] for x in main]
        asleep = np.array(
            [
                (
                    x["total_light_sleep_time_milli"]
                    + x["total_slow_wave_sleep_time_milli"]
                    + x["total_rem_sleep_time_milli"]
                )
                / 60_000
                for x in st
            ]
        )
        assert 400 <= asleep.mean() <= 455 and 45 <= asleep.std() <= 95
        assert 88 <= np.mean([x["sleep_efficiency_percentage"] for x in main]) <= 95
        assert 70 <= np.mean([x["sleep_performance_percentage"] for x in main]) <= 84
        strain = np.array([c["score"]["strain"] for c in m.cycles if c["score"]])
        assert 9.5 <= strain.mean() <= 15.5 and 3.0 <= strain.std() <= 4.4
        kcal = np.mean([c["score"]["kilojoule"] / 4.184 for c in m.cycles if c["score"]])
        assert 2200 <= kcal <= 3500
        assert 2.5 <= len(m.workouts) / (len(m.cycles) / 7) <= 8
        offsets = {c["timezone_offset"] for c in m.cycles}
        assert len(offsets) >= 3  # DST pair plus a trip
        strap = m.meta["strap_4_date"]
        first = next(r for r in m.recoveries if r["score"])["score"]
        assert "spo2_percentage" not in first and strap > m.cycles[0]["start"][:10]
        assert "skin_temp_celsius" in [r for r in m.recoveries if r["score"]][-1]["score"]


def test_illness_episodes_show_in_physiology(members: dict) -> None:
    for m in members.values():
        assert 1 <= len(m.illness) <= 2
        cycles = {c["id"]: c for c in m.cycles}
        ill_hrv, ill_rr = [], []
        for r in m.recoveries:
            if not r["score"]:
                continue
            wake_day = cycles[r["cycle_id"]]["start"][:10]
            sick = any(e["start_date"] <= wake_day <= e["end_date"] for e in m.illness)
            ill_hrv.append((sick, np.log(r["score"]["hrv_rmssd_milli"]), r["score"]["resting_heart_rate"]))
        sick = np.array([x for x in ill_hrv if x[0]])[:, 1:]
        well = np.array([x for x in ill_hrv if not x[0]])[:, 1:]
        assert sick[:, 0].mean() < well[:, 0].mean() and sick[:, 1].mean() > well[:, 1].mean()
        del ill_rr


def test_workouts_valid(members: dict) -> None:
    for m in members.values():
        for w in m.workouts:
            if w["score"]:
                zones = w["score"]["zone_durations"]
                assert sum(zones.values()) == iso_to_ms(w["end"]) - iso_to_ms(w["start"])
        assert any("distance_meter" in (w["score"] or {}) for w in m.workouts)
        assert len({(w["sport_id"], w["sport_name"]) for w in m.workouts}) >= 3


def test_alcohol_lowers_next_morning_hrv(members: dict) -> None:
    diffs = []
    for m in members.values():
        hrv = {r["cycle_id"]: np.log(r["score"]["hrv_rmssd_milli"]) for r in m.recoveries if r["score"]}
        ids = [c["id"] for c in m.cycles]
        nxt = dict(itertools.pairwise(ids))
        yes, no = [], []
        for j in m.journal:
            if j["behaviour"] == "alcohol" and nxt.get(j["cycle_id"]) in hrv:
                (yes if j["answered_yes"] else no).append(hrv[nxt[j["cycle_id"]]])
        diffs.append(np.mean(yes) - np.mean(no))
    assert np.mean(diffs) < -0.08
