"""Silver and Gold on hand-computable records: time zones, DST, naps, split nights, edits, open cycles,
PENDING then SCORED, and every quarantine rule.

Records for a second member ("zed") are written straight into Bronze, the way INGEST_WHOOP writes them,
so each expected value below can be worked out by hand from the payload.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from copy import deepcopy
from pathlib import Path

import pytest

from infra.local import export_import, pipeline
from infra.local.settings import Settings
from tests.integration.conftest import add_member_without_token, local_stack, query

ZED = 990_001
ZED_KEY_SQL = "MD5('member|zed')"
MS = 60_000


def load(settings: Settings, table: str, payloads: list[dict], key_field: str = "id", member_id: int = ZED) -> None:
    """Append payloads to a Bronze table as the ingest procedure would (one row per version)."""
    conn = pipeline.connect(settings)
    try:
        cur = conn.cursor()
        for p in payloads:
            text = json.dumps(p, sort_keys=True)
            key = str(p.get(key_field, p.get("cycle_id", "")))
            cur.execute(
                f"INSERT INTO BRONZE.{table} (INGEST_BATCH_ID, LOADED_AT, MEMBER_ID, SOURCE, API_VERSION, RECORD_KEY, "
                "RECORD_UPDATED_AT, PAYLOAD_HASH, PAYLOAD) "
                "SELECT 'hand-made', SYSDATE(), %s, 'test', 'v2', %s, NULL, MD5(%s), PARSE_JSON(%s)",
                (member_id, key, text, text),
            )
    finally:
        conn.close()


def cycle(cid: int, start: str, end: str | None, tz: str, strain: float | None = 10.0, updated: str = "") -> dict:
    scored = strain is not None
    return {
        "id": cid,
        "user_id": ZED,
        "created_at": start,
        "updated_at": updated or (end or start),
        "start": start,
        "end": end,
        "timezone_offset": tz,
        "score_state": "SCORED" if scored else "PENDING_SCORE",
        "score": {"strain": strain, "kilojoule": 8368.0, "average_heart_rate": 70, "max_heart_rate": 150}
        if scored
        else None,
    }


def sleep(sid: str, cid: int, start: str, end: str, tz: str, asleep_min: int, nap: bool = False) -> dict:
    light, deep, rem, awake = asleep_min - 150, 90, 60, 20
    return {
        "id": sid,
        "cycle_id": cid,
        "user_id": ZED,
        "created_at": end,
        "updated_at": end,
        "start": start,
        "end": end,
        "timezone_offset": tz,
        "nap": nap,
        "score_state": "SCORED",
        "score": {
            "stage_summary": {
                "total_in_bed_time_milli": (asleep_min + awake) * MS,
                "total_awake_time_milli": awake * MS,
                "total_no_data_time_milli": 0,
                "total_light_sleep_time_milli": light * MS,
                "total_slow_wave_sleep_time_milli": deep * MS,
                "total_rem_sleep_time_milli": rem * MS,
                "sleep_cycle_count": 4,
                "disturbance_count": 3,
            },
            "sleep_needed": {
                "baseline_milli": 480 * MS,
                "need_from_sleep_debt_milli": 30 * MS,
                "need_from_recent_strain_milli": 10 * MS,
                "need_from_recent_nap_milli": -20 * MS,
            },
            "respiratory_rate": 15.0,
            "sleep_performance_percentage": 80.0,
            "sleep_consistency_percentage": 70.0,
            "sleep_efficiency_percentage": 95.0,
        },
    }


def recovery(cid: int, sid: str, score: float | None, updated: str) -> dict:
    return {
        "cycle_id": cid,
        "sleep_id": sid,
        "user_id": ZED,
        "created_at": updated,
        "updated_at": updated,
        "score_state": "SCORED" if score is not None else "PENDING_SCORE",
        "score": {
            "user_calibrating": False,
            "recovery_score": score,
            "resting_heart_rate": 55.0,
            "hrv_rmssd_milli": 80.0,
        }
        if score is not None
        else None,
    }


def workout(
    wid: str,
    start: str,
    end: str,
    tz: str,
    percent_recorded: float,
    zones_ms: tuple[int, ...] | None = None,
    user_id: int = ZED,
) -> dict:
    zone_ms = zones_ms or (5 * MS, 10 * MS, 10 * MS, 10 * MS, 10 * MS, 5 * MS)
    names = ("zero", "one", "two", "three", "four", "five")
    return {
        "id": wid,
        "user_id": user_id,
        "created_at": end,
        "updated_at": end,
        "start": start,
        "end": end,
        "timezone_offset": tz,
        "sport_name": "running",
        "sport_id": 0,
        "score_state": "SCORED",
        "score": {
            "strain": 12.5,
            "average_heart_rate": 150,
            "max_heart_rate": 180,
            "kilojoule": 2092.0,
            "percent_recorded": percent_recorded,
            "distance_meter": 10000.0,
            "altitude_gain_meter": 50.0,
            "altitude_change_meter": 0.0,
            "zone_durations": {f"zone_{n}_milli": ms for n, ms in zip(names, zone_ms, strict=True)},
        },
    }


# -- the hand-made history ------------------------------------------------------------------------------
# 1. +05:30: starts 18:45Z = 00:15 local on 11 March, + 12 h -> cycle date 2026-03-11
C_IST = cycle(1, "2026-03-10T18:45:00.000Z", "2026-03-11T18:00:00.000Z", "+05:30", strain=9.0)
# 2. DST night in Chicago: the record's own offset (-05:00, CDT) decides the wake date: 05:30Z is 00:30 on 8 March
C_DST = cycle(2, "2026-03-07T23:00:00.000Z", "2026-03-08T23:00:00.000Z", "-05:00", strain=11.0)
S_DST = sleep("s-dst", 2, "2026-03-07T23:00:00.000Z", "2026-03-08T05:30:00.000Z", "-05:00", 360)
R_DST = recovery(2, "s-dst", 61.0, "2026-03-08T06:00:00.000Z")
# 3. split night in London (Z): cycle 3 has a 170-minute sleep, cycle 4 a 300-minute one; both wake on 20 March
C_SPLIT_A = cycle(3, "2026-03-19T22:00:00.000Z", "2026-03-20T03:00:00.000Z", "Z", strain=2.0)
C_SPLIT_B = cycle(4, "2026-03-20T03:00:00.000Z", "2026-03-21T02:00:00.000Z", "Z", strain=14.0)
S_SPLIT_A = sleep("s-split-a", 3, "2026-03-19T22:00:00.000Z", "2026-03-20T01:10:00.000Z", "Z", 170)
S_SPLIT_B = sleep("s-split-b", 4, "2026-03-20T03:00:00.000Z", "2026-03-20T08:20:00.000Z", "Z", 300)
R_SPLIT_A = recovery(3, "s-split-a", 35.0, "2026-03-20T01:30:00.000Z")
R_SPLIT_B = recovery(4, "s-split-b", 72.0, "2026-03-20T08:40:00.000Z")
# 4. a nap on 20 March, longer asleep than the first split sleep: still never the main sleep
NAP = sleep("s-nap", 4, "2026-03-20T13:00:00.000Z", "2026-03-20T16:10:00.000Z", "Z", 180, nap=True)
# 5. the open current cycle, not scored yet
C_OPEN = cycle(5, "2026-03-21T02:00:00.000Z", None, "Z", strain=None, updated="2026-03-21T02:05:00.000Z")
# 6. workouts: percent_recorded as a fraction and as a percent both end as percent
W_FRACTION = workout("w-frac", "2026-03-20T17:00:00.000Z", "2026-03-20T18:00:00.000Z", "Z", 0.93)
W_PERCENT = workout("w-pct", "2026-03-11T01:00:00.000Z", "2026-03-11T02:00:00.000Z", "+05:30", 87.0)

# 7. minutes per heart-rate zone, for a member of their own ("zia") so zed's workouts stay two. API: a 55-minute
# workout whose six zones fill it; the export: zones 1-5 as whole percentages of "Duration (min)", no zone 0.
ZIA, ZIA_KEY_SQL = 990_002, "MD5('member|zia')"
ZIA_ZONES = (210_000, 435_000, 12 * MS, 20 * MS, 10 * MS, 135_000)  # 3.5, 7.25, 12, 20, 10, 2.25 minutes = 55
W_ZONES = workout("w-zones", "2026-03-17T07:00:00.000Z", "2026-03-17T07:55:00.000Z", "+01:00", 100.0, ZIA_ZONES, ZIA)
# the API's copy of a workout the export also has (E_ZONES["api_copy"]): API first
ZIA_COPY_ZONES = (3 * MS, 6 * MS, 6 * MS, 6 * MS, 6 * MS, 3 * MS)
W_ZONES_COPY = workout(
    "w-zones-copy", "2026-03-16T17:30:00.000Z", "2026-03-16T18:00:00.000Z", "+01:00", 100.0, ZIA_COPY_ZONES, ZIA
)


def export_workout(start: str, end: str, minutes: str, zone_pct: tuple[str, ...]) -> dict[str, str | None]:
    """A workouts.csv row at UTC+01:00 (local times), keyed by Bronze column."""
    return {
        "CYCLE_START_TIME": start[:10] + " 00:30:00", "CYCLE_END_TIME": None, "CYCLE_TIMEZONE": "UTC+01:00",
        "WORKOUT_START_TIME": start, "WORKOUT_END_TIME": end, "DURATION_MIN": minutes,
        "ACTIVITY_NAME": "Cycling", "ACTIVITY_STRAIN": "11.2", "ENERGY_BURNED_CAL": "600", "MAX_HR_BPM": "175",
        "AVERAGE_HR_BPM": "140", "GPS_ENABLED": "false",
        **{f"HR_ZONE_{n}_PCT": pct for n, pct in enumerate(zone_pct, start=1)},
    }  # fmt: skip


E_ZONES = {
    # 80 minutes, zones 1-5 = 95 %: zone 0 is the 5 % left, 4 minutes
    "export_only": export_workout("2026-03-15 09:00:00", "2026-03-15 10:20:00", "80", ("10", "20", "30", "25", "10")),
    # 45 minutes, five rounded percentages adding up to 102 %: zone 0 is 0, not -0.9 minutes
    "rounded_over": export_workout("2026-03-18 18:00:00", "2026-03-18 18:45:00", "45", ("21", "30", "26", "15", "10")),
    # no zones in the export: all six unknown
    "blank": export_workout("2026-03-19 18:00:00", "2026-03-19 18:30:00", "30", ("", "", "", "", "")),
    # W_ZONES_COPY as exported (18:30 local), with other zones: the API's zones win
    "api_copy": export_workout("2026-03-16 18:30:00", "2026-03-16 19:00:00", "30", ("50", "50", "0", "0", "0")),
}


def load_export_workout(settings: Settings, member: str, row: dict[str, str | None]) -> None:
    """Append one workouts.csv row to Bronze as the export import writes it (blank fields are NULL)."""
    spec = next(f for f in export_import.FILES if f.table == "BRONZE.RAW_EXPORT_WORKOUT")
    columns = [export_import.column_name(h) for h in spec.all_headers]
    values = [row.get(c) or None for c in columns]
    query(
        settings,
        f"INSERT INTO {spec.table} (INGEST_BATCH_ID, LOADED_AT, MEMBER_NAME, SOURCE_FILE, STAGED_FILE, "
        f"FILE_ROW_NUMBER, ROW_HASH, {', '.join(columns)}) "
        f"SELECT 'hand-made', SYSDATE(), %s, %s, 'hand-made', 1, %s, {', '.join(['%s'] * len(columns))}",
        [member, spec.name, export_import.row_hash(values), *values],
    )


@pytest.fixture(scope="module")
def cases(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Settings]:
    with local_stack(tmp_path_factory.mktemp("whoop_home"), ["ann"], days=10) as settings:
        add_member_without_token(settings, "zed", ZED, "hand-made history only")
        load(settings, "RAW_CYCLE", [C_IST, C_DST, C_SPLIT_A, C_SPLIT_B, C_OPEN])
        load(settings, "RAW_SLEEP", [S_DST, S_SPLIT_A, S_SPLIT_B, NAP])
        load(settings, "RAW_RECOVERY", [R_DST, R_SPLIT_A, R_SPLIT_B], key_field="cycle_id")
        load(settings, "RAW_WORKOUT", [W_FRACTION, W_PERCENT])
        add_member_without_token(settings, "zia", ZIA, "hand-made history only")
        load(settings, "RAW_WORKOUT", [W_ZONES, W_ZONES_COPY], member_id=ZIA)
        for row in E_ZONES.values():
            load_export_workout(settings, "zia", row)
        pipeline.run_once(settings)
        yield settings


def zed(settings: Settings, sql: str) -> list[tuple]:
    return query(settings, sql.replace("{zed}", ZED_KEY_SQL))


def test_local_dates_come_from_each_records_own_offset(cases):
    dates = dict(query(cases, "SELECT CYCLE_ID, CYCLE_DATE::VARCHAR FROM SILVER.CYCLE WHERE MEMBER_ID = %s", (ZED,)))
    assert dates[1] == "2026-03-11"  # 18:45Z at +05:30 is 00:15 on 11 March
    assert dates[2] == "2026-03-08"  # 23:00Z at -05:00 is 18:00 on 7 March, + 12 h
    (wake,) = query(cases, "SELECT WAKE_DATE::VARCHAR FROM SILVER.SLEEP WHERE SLEEP_ID = 's-dst'")[0]
    assert wake == "2026-03-08"  # 05:30Z at -05:00 is 00:30 on 8 March (at -06:00 it would be the 7th)
    strain = zed(cases, "SELECT DATE_KEY, DAY_STRAIN_SCORE FROM GOLD.FACT_STRAIN WHERE MEMBER_KEY = {zed}")
    assert (20260311, 9.0) in strain and (20260308, 11.0) in strain
    recovery_dates = zed(
        cases, "SELECT DATE_KEY, RECOVERY_SCORE FROM GOLD.FACT_DAILY_RECOVERY WHERE MEMBER_KEY = {zed}"
    )
    assert (20260308, 61.0) in recovery_dates


def test_split_night_resolves_to_the_longer_sleep_and_the_later_cycle(cases):
    rec = zed(
        cases,
        "SELECT RECOVERY_SCORE, CYCLE_ID FROM GOLD.FACT_DAILY_RECOVERY "
        "WHERE MEMBER_KEY = {zed} AND DATE_KEY = 20260320",
    )
    assert rec == [(72.0, 4)]  # the 300-minute sleep's recovery, not the 170-minute one's (35)
    strain = zed(
        cases,
        "SELECT DAY_STRAIN_SCORE, CYCLE_ID FROM GOLD.FACT_STRAIN WHERE MEMBER_KEY = {zed} AND DATE_KEY = 20260320",
    )
    assert strain == [(14.0, 4)]  # cycle 4 starts last on 20 March
    sleeps = zed(
        cases,
        "SELECT WHOOP_SLEEP_ID, IS_NAP, IS_MAIN_SLEEP, TOTAL_SLEEP_MINUTES FROM GOLD.FACT_SLEEP "
        "WHERE MEMBER_KEY = {zed} AND DATE_KEY = 20260320 ORDER BY WHOOP_SLEEP_ID",
    )
    assert sleeps == [
        ("s-nap", True, False, 180.0),
        ("s-split-a", False, False, 170.0),
        ("s-split-b", False, True, 300.0),
    ]


def test_sleep_units_need_and_debt(cases):
    row = zed(
        cases,
        "SELECT LIGHT_SLEEP_MINUTES, DEEP_SLEEP_MINUTES, REM_SLEEP_MINUTES, AWAKE_MINUTES, "
        "SLEEP_NEEDED_MINUTES, SLEEP_DEBT_MINUTES, SLEEP_EFFICIENCY_PCT FROM GOLD.FACT_SLEEP "
        "WHERE WHOOP_SLEEP_ID = 's-split-b'",
    )
    assert row == [(150.0, 90.0, 60.0, 20.0, 500.0, 30.0, 95.0)]  # need = 480 + 30 + 10 - 20
    stages = dict(
        query(
            cases,
            "SELECT d.SLEEP_STAGE_NAME, f.STAGE_MINUTES FROM GOLD.FACT_SLEEP_STAGE f "
            "JOIN GOLD.DIM_SLEEP_STAGE d ON d.SLEEP_STAGE_KEY = f.SLEEP_STAGE_KEY "
            "JOIN GOLD.FACT_SLEEP s ON s.SLEEP_ID = f.SLEEP_ID WHERE s.WHOOP_SLEEP_ID = 's-split-b'",
        )
    )
    assert stages == {"Light": 150.0, "Deep": 90.0, "REM": 60.0, "Awake": 20.0}


def test_open_and_pending_cycles_stay_in_silver_only(cases):
    row = query(
        cases, "SELECT END_UTC, SCORE_STATE, DAY_STRAIN FROM SILVER.CYCLE WHERE CYCLE_ID = 5 AND MEMBER_ID = %s", (ZED,)
    )
    assert row == [(None, "PENDING_SCORE", None)]
    assert zed(cases, "SELECT COUNT(*) FROM GOLD.FACT_STRAIN WHERE MEMBER_KEY = {zed} AND CYCLE_ID = 5") == [(0,)]


def test_workout_percent_recorded_on_one_scale_and_zone_minutes(cases):
    rows = dict(query(cases, "SELECT WORKOUT_ID, PERCENT_RECORDED FROM SILVER.WORKOUT WHERE MEMBER_ID = %s", (ZED,)))
    assert rows == {"w-frac": pytest.approx(93.0), "w-pct": 87.0}
    gold = zed(
        cases,
        "SELECT DATE_KEY, DURATION_MINUTES, ZONE_DURATION_MINUTES, CALORIES_BURNED, "
        "a.ACTIVITY_NAME FROM GOLD.FACT_WORKOUTS f JOIN GOLD.DIM_ACTIVITY_TYPE a "
        "ON a.ACTIVITY_TYPE_KEY = f.ACTIVITY_TYPE_KEY WHERE MEMBER_KEY = {zed} ORDER BY DATE_KEY",
    )
    # 01:00Z at +05:30 is 06:30 on 11 March; zones 1-5 = 45 of the 60 minutes; 2092 kJ = 500 kcal
    assert gold == [(20260311, 60.0, 45.0, 500.0, "Running"), (20260320, 60.0, 45.0, 500.0, "Running")]


ZONES = "ZONE_0_MINUTES, ZONE_1_MINUTES, ZONE_2_MINUTES, ZONE_3_MINUTES, ZONE_4_MINUTES, ZONE_5_MINUTES"


def test_minutes_per_heart_rate_zone_from_the_api_and_the_export(cases):
    rows = query(
        cases,
        f"SELECT WORKOUT_START_LOCAL::VARCHAR, SOURCE, DURATION_MINUTES, ZONE_DURATION_MINUTES, {ZONES} "
        f"FROM GOLD.FACT_WORKOUTS WHERE MEMBER_KEY = {ZIA_KEY_SQL} ORDER BY WORKOUT_START_LOCAL",
    )
    got = {r[0][:16]: (r[1], r[2], r[3], tuple(None if z is None else float(z) for z in r[4:])) for r in rows}
    assert got == {
        # export only: zone n = 80 x zone n % / 100; zone 0 = 80 x (100 - 95) / 100
        "2026-03-15 09:00": ("EXPORT", 80.0, 76.0, (4.0, 8.0, 16.0, 24.0, 20.0, 8.0)),
        # API first: its zone_durations, not the export's 50 % / 50 %
        "2026-03-16 18:30": ("API", 30.0, 27.0, (3.0, 6.0, 6.0, 6.0, 6.0, 3.0)),
        # API: zone_*_milli / 60000, two decimals
        "2026-03-17 08:00": ("API", 55.0, 51.5, (3.5, 7.25, 12.0, 20.0, 10.0, 2.25)),
        # 102 % of 45 minutes: zones 1-5 as exported, zone 0 never below 0
        "2026-03-18 18:00": ("EXPORT", 45.0, pytest.approx(45.9), (0.0, 9.45, 13.5, 11.7, 6.75, 4.5)),
        # the export gave no zones: unknown, not 0
        "2026-03-19 18:00": ("EXPORT", 30.0, None, (None, None, None, None, None, None)),
    }
    # the six zones add up to the workout, within the export's rounding (five whole percentages: at most 2.5 %
    # over); ZONE_DURATION_MINUTES keeps the seed's meaning, zones 1-5 only
    for start, (_, duration, zone_1_5, zones) in got.items():
        if zones[0] is None:
            continue
        assert duration - 0.03 <= sum(zones) <= duration * 1.025 + 0.03, start
        assert sum(zones[1:]) == pytest.approx(zone_1_5, abs=0.03), start
    # zed's API workouts recorded 93 % and 87 %: their zones add up to the 50 minutes WHOOP scored, as sent
    zed_zones = zed(cases, f"SELECT {ZONES} FROM GOLD.FACT_WORKOUTS WHERE MEMBER_KEY = {{zed}}")
    assert [tuple(map(float, z)) for z in zed_zones] == [(5.0, 10.0, 10.0, 10.0, 10.0, 5.0)] * 2


def test_weekly_minutes_per_heart_rate_zone(cases):
    weeks = query(
        cases,
        f"SELECT WEEK_START_DATE_KEY, WORKOUTS, {ZONES} FROM GOLD.AGG_MEMBER_WEEKLY "
        f"WHERE MEMBER_KEY = {ZIA_KEY_SQL} ORDER BY WEEK_START_DATE_KEY",
    )
    assert [(w[0], w[1], tuple(float(z) for z in w[2:])) for w in weeks] == [
        (20260309, 1, (4.0, 8.0, 16.0, 24.0, 20.0, 8.0)),  # Sunday 15 March ends the week of Monday 9 March
        # 16-22 March: the API copy, W_ZONES, the 102 % one and the blank one (no minutes)
        (20260316, 4, (6.5, 22.7, 31.5, 37.7, 22.75, 9.75)),
    ]


def test_pending_then_scored_and_late_edits_flow_through(cases):
    pending = recovery(6, "s-late", None, "2026-03-22T08:00:00.000Z")
    c6 = cycle(6, "2026-03-21T23:00:00.000Z", None, "Z", strain=None, updated="2026-03-22T08:00:00.000Z")
    s6 = sleep("s-late", 6, "2026-03-21T23:00:00.000Z", "2026-03-22T07:00:00.000Z", "Z", 400)
    load(cases, "RAW_CYCLE", [c6])
    load(cases, "RAW_SLEEP", [s6])
    load(cases, "RAW_RECOVERY", [pending], key_field="cycle_id")
    pipeline.run_once(cases)
    assert zed(cases, "SELECT COUNT(*) FROM GOLD.FACT_DAILY_RECOVERY WHERE MEMBER_KEY = {zed} AND CYCLE_ID = 6") == [
        (0,)
    ]
    load(cases, "RAW_RECOVERY", [recovery(6, "s-late", 48.0, "2026-03-22T09:00:00.000Z")], key_field="cycle_id")
    edited = deepcopy(C_SPLIT_B)
    edited["score"]["strain"], edited["updated_at"] = 15.5, "2026-03-23T00:00:00.000Z"
    stale = deepcopy(C_SPLIT_B)  # an older version arriving late must not win
    stale["score"]["strain"], stale["updated_at"] = 1.0, "2026-03-20T00:00:00.000Z"
    load(cases, "RAW_CYCLE", [edited, stale])
    pipeline.run_once(cases)
    assert zed(
        cases, "SELECT DATE_KEY, RECOVERY_SCORE FROM GOLD.FACT_DAILY_RECOVERY WHERE MEMBER_KEY = {zed} AND CYCLE_ID = 6"
    ) == [(20260322, 48.0)]
    assert zed(cases, "SELECT DAY_STRAIN_SCORE FROM GOLD.FACT_STRAIN WHERE MEMBER_KEY = {zed} AND CYCLE_ID = 4") == [
        (15.5,)
    ]


def gold_snapshot(settings: Settings) -> dict[str, list[tuple]]:
    tables = [
        r[0]
        for r in query(
            settings,
            "SELECT TABLE_NAME FROM WHOOP.INFORMATION_SCHEMA.TABLES WHERE TABLE_SCHEMA = 'GOLD' ORDER BY TABLE_NAME",
        )
    ]
    return {t: sorted(map(repr, query(settings, f"SELECT * FROM GOLD.{t}"))) for t in tables}


def test_rerun_without_new_data_leaves_gold_byte_identical(cases):
    before = gold_snapshot(cases)
    assert len(before) >= 15
    pipeline.run_once(cases)
    assert gold_snapshot(cases) == before


BAD_RECORDS = [
    ("RAW_CYCLE", "id", {**cycle(101, "2026-03-01T00:00:00.000Z", None, "Z"), "id": None}, "missing_key"),
    ("RAW_CYCLE", "id", cycle(102, "yesterday-ish", None, "Z"), "unparseable_timestamp"),
    ("RAW_CYCLE", "id", cycle(103, "2026-03-01T00:00:00.000Z", None, "+25:00"), "invalid_timezone_offset"),
    ("RAW_CYCLE", "id", cycle(104, "2026-03-02T00:00:00.000Z", "2026-03-01T00:00:00.000Z", "Z"), "negative_duration"),
    ("RAW_CYCLE", "id", cycle(105, "2026-03-01T00:00:00.000Z", None, "Z", strain=22.5), "strain_out_of_range"),
    (
        "RAW_CYCLE",
        "id",
        {**cycle(106, "2026-03-01T00:00:00.000Z", None, "Z"), "score_state": "MAYBE"},
        "invalid_score_state",
    ),
    ("RAW_RECOVERY", "cycle_id", recovery(107, "s-x", 104.0, "2026-03-01T00:00:00.000Z"), "recovery_out_of_range"),
    (
        "RAW_RECOVERY",
        "cycle_id",
        {**recovery(108, "s-x", 50.0, "2026-03-01T00:00:00.000Z"), "cycle_id": None},
        "missing_key",
    ),
    (
        "RAW_SLEEP",
        "id",
        sleep("s-neg", 1, "2026-03-02T08:00:00.000Z", "2026-03-02T01:00:00.000Z", "Z", 300),
        "negative_duration",
    ),
    (
        "RAW_WORKOUT",
        "id",
        {**W_FRACTION, "id": "w-bad-hr", "score": {**W_FRACTION["score"], "max_heart_rate": 400}},
        "heart_rate_out_of_range",
    ),
    (
        "RAW_WORKOUT",
        "id",
        {**W_FRACTION, "id": "w-bad-pct", "score": {**W_FRACTION["score"], "percent_recorded": 140}},
        "percentage_out_of_range",
    ),
]


def _stages_off() -> dict:
    s = sleep("s-stages", 1, "2026-03-02T00:00:00.000Z", "2026-03-02T06:00:00.000Z", "Z", 300)
    s["score"]["stage_summary"]["total_in_bed_time_milli"] += 30 * MS  # 30 unexplained minutes in bed
    return s


BAD_RECORDS.append(("RAW_SLEEP", "id", _stages_off(), "stage_minutes_mismatch"))


def test_every_quarantine_rule_catches_its_bad_record_and_nothing_is_lost(cases):
    for table, key, payload, _ in BAD_RECORDS:
        load(cases, table, [payload], key_field=key)
    pipeline.run_once(cases)
    quarantined = query(
        cases, "SELECT SOURCE_TABLE, RULE_NAME, PAYLOAD FROM OPS.QUARANTINE WHERE MEMBER_REF = %s", (str(ZED),)
    )
    got = {(src.split(".")[1], rule, json.dumps(json.loads(p), sort_keys=True)) for src, rule, p in quarantined}
    for table, _, payload, rule in BAD_RECORDS:
        assert (table, rule, json.dumps(payload, sort_keys=True)) in got, (table, rule)
    assert len(quarantined) == len(BAD_RECORDS)
    # read = promoted + quarantined for every Silver run; the bad rows never reached Silver
    runs = query(cases, "SELECT ROWS_READ, ROWS_PROMOTED, ROWS_QUARANTINED FROM OPS.TRANSFORM_RUNS")
    assert all(read == promoted + held for read, promoted, held in runs)
    assert query(cases, "SELECT COUNT(*) FROM SILVER.CYCLE WHERE CYCLE_ID BETWEEN 101 AND 106") == [(0,)]
    assert query(cases, "SELECT COUNT(*) FROM SILVER.WORKOUT WHERE WORKOUT_ID LIKE 'w-bad%'") == [(0,)]
    for pending in ("CYCLE", "RECOVERY", "SLEEP", "WORKOUT", "MEMBER_PROFILE", "BODY_MEASUREMENT"):
        assert query(cases, f"SELECT COUNT(*) FROM SILVER.PENDING_{pending}") == [(0,)]
    # the same bad version arriving again is quarantined once, not twice
    load(cases, "RAW_CYCLE", [BAD_RECORDS[4][2]])
    pipeline.run_once(cases)
    assert query(cases, "SELECT COUNT(*) FROM OPS.QUARANTINE WHERE MEMBER_REF = %s", (str(ZED),)) == [
        (len(BAD_RECORDS),)
    ]


def test_a_failed_silver_run_leaves_its_rows_pending_and_the_next_run_finishes_them(cases):
    # make the MERGE fail after the stream was consumed: the rows wait in PENDING, nothing is lost
    query(cases, "ALTER TABLE SILVER.CYCLE RENAME TO SILVER.CYCLE_AWAY")
    load(cases, "RAW_CYCLE", [cycle(201, "2026-03-25T00:00:00.000Z", "2026-03-26T00:00:00.000Z", "Z", 7.0)])
    with pytest.raises(pipeline.WhoopError):  # Gold cannot refresh without SILVER.CYCLE either
        pipeline.run_once(cases)
    last = query(
        cases,
        "SELECT STATE FROM WHOOP_LOCAL.CATALOG.TASK_HISTORY WHERE NAME = 'WHOOP.OPS.SILVER_CYCLE_TASK' "
        "ORDER BY COMPLETED_TIME DESC LIMIT 1",
    )
    assert last == [("FAILED",)]
    assert query(cases, "SELECT COUNT(*) FROM SILVER.PENDING_CYCLE") == [(1,)]
    query(cases, "ALTER TABLE SILVER.CYCLE_AWAY RENAME TO SILVER.CYCLE")
    load(cases, "RAW_CYCLE", [cycle(202, "2026-03-26T00:00:00.000Z", "2026-03-27T00:00:00.000Z", "Z", 8.0)])
    pipeline.run_once(cases)
    got = query(cases, "SELECT CYCLE_ID FROM SILVER.CYCLE WHERE CYCLE_ID IN (201, 202) ORDER BY 1")
    assert got == [(201,), (202,)]
    assert query(cases, "SELECT COUNT(*) FROM SILVER.PENDING_CYCLE") == [(0,)]


def test_every_gold_column_and_quarantine_rule_is_in_the_data_dictionary(cases):
    dictionary = (Path(__file__).parents[2] / "docs" / "data-dictionary.md").read_text()
    columns = query(
        cases, "SELECT TABLE_NAME, COLUMN_NAME FROM WHOOP.INFORMATION_SCHEMA.COLUMNS WHERE TABLE_SCHEMA = 'GOLD'"
    )
    missing = sorted(f"{t}.{c}" for t, c in columns if t not in dictionary or c not in dictionary)
    assert not missing, f"document these in docs/data-dictionary.md: {missing}"
    sql = " ".join(p.read_text() for p in (Path(__file__).parents[2] / "sql" / "silver").glob("*.sql"))
    # the rules are the outcomes of each transform's `CASE ... END AS FAILED_RULE` (other CASEs name fields)
    cases = re.findall(r"\n {8}CASE\n(.*?)\n {8}END AS FAILED_RULE", sql, re.S)
    rules = {rule for case in cases for rule in re.findall(r"THEN\s+'([a-z_]+)'", case)}
    assert len(cases) == 10 and len(rules) >= 15
    undocumented = sorted(
        r for r in rules if f"| {r} |" not in dictionary and f" {r}," not in dictionary and f", {r} |" not in dictionary
    )
    assert not undocumented, f"document these quarantine rules: {undocumented}"
