"""The WHOOP app's CSV data export (English headers), written from a member's current records.

Local times come from each record's `timezone_offset`; energy is converted kJ → kcal, durations
ms → minutes; the current cycle has a blank end; the journal exists only here (not in the API).
"""

from __future__ import annotations

import bisect
import csv
from pathlib import Path
from typing import Any

from infra.local.sandbox.members import MemberData
from infra.local.sandbox.timeutil import export_zone, iso_to_ms, local_text

CYCLE_HEADERS = [
    "Cycle start time", "Cycle end time", "Cycle timezone", "Recovery score %", "Resting heart rate (bpm)",
    "Heart rate variability (ms)", "Skin temp (celsius)", "Blood oxygen %", "Day Strain", "Energy burned (cal)",
    "Max HR (bpm)", "Average HR (bpm)", "Sleep onset", "Wake onset", "Sleep performance %",
    "Respiratory rate (rpm)", "Asleep duration (min)", "In bed duration (min)", "Light sleep duration (min)",
    "Deep (SWS) duration (min)", "REM duration (min)", "Awake duration (min)", "Sleep need (min)",
    "Sleep debt (min)", "Sleep efficiency %", "Sleep consistency %",
]  # fmt: skip
SLEEP_HEADERS = [
    "Cycle start time", "Cycle end time", "Cycle timezone", "Sleep onset", "Wake onset", "Sleep performance %",
    "Respiratory rate (rpm)", "Asleep duration (min)", "In bed duration (min)", "Light sleep duration (min)",
    "Deep (SWS) duration (min)", "REM duration (min)", "Awake duration (min)", "Sleep need (min)",
    "Sleep debt (min)", "Sleep efficiency %", "Sleep consistency %", "Nap",
]  # fmt: skip
WORKOUT_HEADERS = [
    "Cycle start time", "Cycle end time", "Cycle timezone", "Workout start time", "Workout end time",
    "Duration (min)", "Activity name", "Activity Strain", "Energy burned (cal)", "Max HR (bpm)",
    "Average HR (bpm)", "HR Zone 1 %", "HR Zone 2 %", "HR Zone 3 %", "HR Zone 4 %", "HR Zone 5 %",
    "GPS enabled", "Distance (meters)", "Altitude gain (meters)", "Altitude change (meters)",
]  # fmt: skip
JOURNAL_HEADERS = ["Cycle start time", "Cycle end time", "Cycle timezone", "Question text", "Answered yes", "Notes"]
FILES = ("physiological_cycles.csv", "sleeps.csv", "workouts.csv", "journal_entries.csv")

KJ_PER_KCAL = 4.184
MS_PER_MIN = 60_000


def _minutes(ms: int | None) -> str:
    return "" if ms is None else str(round(ms / MS_PER_MIN))


def _num(value: float | None, digits: int = 0) -> str:
    if value is None:
        return ""
    return str(round(value)) if digits == 0 else f"{value:.{digits}f}"


def _cycle_cols(cycle: dict[str, Any]) -> list[str]:
    tz = cycle["timezone_offset"]
    end = local_text(iso_to_ms(cycle["end"]), tz) if cycle.get("end") else ""
    return [local_text(iso_to_ms(cycle["start"]), tz), end, export_zone(tz)]


def _sleep_cols(sleep: dict[str, Any] | None) -> list[str]:
    """Sleep onset … Sleep consistency % (shared by the cycles and sleeps files)."""
    if sleep is None:
        return [""] * 14
    tz = sleep["timezone_offset"]
    times = [local_text(iso_to_ms(sleep["start"]), tz), local_text(iso_to_ms(sleep["end"]), tz)]
    score = sleep.get("score")
    if not score:
        return times + [""] * 12
    st, need = score["stage_summary"], score["sleep_needed"]
    asleep = (
        st["total_light_sleep_time_milli"] + st["total_slow_wave_sleep_time_milli"] + st["total_rem_sleep_time_milli"]
    )
    return [
        *times,
        _num(score.get("sleep_performance_percentage")),
        _num(score.get("respiratory_rate"), 1),
        _minutes(asleep),
        _minutes(st["total_in_bed_time_milli"]),
        _minutes(st["total_light_sleep_time_milli"]),
        _minutes(st["total_slow_wave_sleep_time_milli"]),
        _minutes(st["total_rem_sleep_time_milli"]),
        _minutes(st["total_awake_time_milli"]),
        _minutes(sum(need.values())),
        _minutes(need["need_from_sleep_debt_milli"]),
        _num(score.get("sleep_efficiency_percentage")),
        _num(score.get("sleep_consistency_percentage")),
    ]


def _as_truth(member_data: MemberData | dict[str, Any]) -> dict[str, Any]:
    if isinstance(member_data, MemberData):
        return {
            "cycles": member_data.cycles,
            "sleeps": member_data.sleeps,
            "recoveries": member_data.recoveries,
            "workouts": member_data.workouts,
            "journal": member_data.journal,
        }
    return member_data


def export_rows(member_data: MemberData | dict[str, Any]) -> dict[str, list[list[str]]]:
    """The four files' rows (without headers), newest cycle first like the app's export."""
    data = _as_truth(member_data)
    cycles = sorted(data["cycles"], key=lambda c: iso_to_ms(c["start"]), reverse=True)
    by_id = {c["id"]: c for c in cycles}
    sleeps = {s["id"]: s for s in data["sleeps"]}
    recoveries = {r["cycle_id"]: r for r in data["recoveries"]}

    cycle_rows = []
    for c in cycles:
        rec = recoveries.get(c["id"])
        rs = (rec or {}).get("score") or {}
        cs = c.get("score") or {}
        sleep = sleeps.get(rec["sleep_id"]) if rec else None
        cycle_rows.append(
            [
                *_cycle_cols(c),
                _num(rs.get("recovery_score")),
                _num(rs.get("resting_heart_rate")),
                _num(rs.get("hrv_rmssd_milli")),
                _num(rs.get("skin_temp_celsius"), 2),
                _num(rs.get("spo2_percentage"), 2),
                _num(cs.get("strain"), 1),
                _num(cs["kilojoule"] / KJ_PER_KCAL if cs else None),
                _num(cs.get("max_heart_rate")),
                _num(cs.get("average_heart_rate")),
                *_sleep_cols(sleep),
            ]
        )

    sleep_rows = []
    for s in sorted(data["sleeps"], key=lambda s: iso_to_ms(s["start"]), reverse=True):
        cycle = by_id.get(s["cycle_id"])
        head = _cycle_cols(cycle) if cycle else ["", "", ""]
        sleep_rows.append(head + _sleep_cols(s) + ["true" if s["nap"] else "false"])

    starts = sorted((iso_to_ms(c["start"]), c["id"]) for c in cycles)
    workout_rows = []
    for w in sorted(data["workouts"], key=lambda w: iso_to_ms(w["start"]), reverse=True):
        pos = bisect.bisect_right(starts, (iso_to_ms(w["start"]), float("inf"))) - 1
        cycle = by_id[starts[pos][1]] if pos >= 0 else None
        tz = w["timezone_offset"]
        duration = iso_to_ms(w["end"]) - iso_to_ms(w["start"])
        sc = w.get("score") or {}
        zones = sc.get("zone_durations") or {}
        zone_pct = [
            _num(100 * zones[f"zone_{n}_milli"] / duration) if zones else ""
            for n in ("one", "two", "three", "four", "five")
        ]
        workout_rows.append(
            (_cycle_cols(cycle) if cycle else ["", "", ""])
            + [local_text(iso_to_ms(w["start"]), tz), local_text(iso_to_ms(w["end"]), tz), _minutes(duration)]
            + [
                w["sport_name"].replace("-", " ").title(),
                _num(sc.get("strain"), 1),
                _num(sc["kilojoule"] / KJ_PER_KCAL if sc else None),
                _num(sc.get("max_heart_rate")),
                _num(sc.get("average_heart_rate")),
            ]
            + zone_pct
            + [
                "true" if "distance_meter" in sc else "false",
                _num(sc.get("distance_meter")),
                _num(sc.get("altitude_gain_meter")),
                _num(sc.get("altitude_change_meter")),
            ]
        )

    journal_rows = []
    for entry in sorted(data["journal"], key=lambda j: iso_to_ms(by_id[j["cycle_id"]]["start"]), reverse=True):
        cycle = by_id[entry["cycle_id"]]
        journal_rows.append(
            [*_cycle_cols(cycle), entry["question"], "true" if entry["answered_yes"] else "false", entry["notes"]]
        )
    return {
        "physiological_cycles.csv": cycle_rows,
        "sleeps.csv": sleep_rows,
        "workouts.csv": workout_rows,
        "journal_entries.csv": journal_rows,
    }


def write_export(member_data: MemberData | dict[str, Any], folder: Path | str) -> dict[str, Path]:
    """Write the four export files into `folder`; accepts MemberData or a Store.truth() dict."""
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    headers = dict(zip(FILES, (CYCLE_HEADERS, SLEEP_HEADERS, WORKOUT_HEADERS, JOURNAL_HEADERS), strict=True))
    paths: dict[str, Path] = {}
    for name, rows in export_rows(member_data).items():
        path = out / name
        with path.open("w", newline="", encoding="utf-8") as fh:
            writer = csv.writer(fh)
            writer.writerow(headers[name])
            writer.writerows(rows)
        paths[name] = path
    return paths
