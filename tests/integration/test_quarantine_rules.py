"""Every Silver quarantine rule says what is wrong: one planted bad record per rule (API payloads straight into
Bronze the way INGEST_WHOOP writes them, export rows the way the import writes them), one run of the graph,
and each record must sit in OPS.QUARANTINE under its own rule, never in Silver. A bad newer version of a
record must leave the good Silver row in place.

Bounds and their sources: sql/silver/00_quarantine.sql; the truncation criterion: sql/silver/11_export_cycle.sql.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from copy import deepcopy
from typing import Any

import pytest

from infra.local import export_import, pipeline
from infra.local.settings import Settings
from tests.integration.conftest import add_member_without_token, local_stack, query
from tests.integration.test_gold_cases import MS, ZED, cycle, recovery, sleep, workout

STRANGER = 990_777  # a WHOOP user id no member has
EXPORTER = "quinn"  # export rows of their own, so nobody else's counts move


# -- API records -------------------------------------------------------------------------------------------


def _without(record: dict, path: str) -> dict:
    """A copy of `record` with the dotted `path` removed (an absent field, as a truncated payload has)."""
    out = deepcopy(record)
    *parents, leaf = path.split(".")
    node = out
    for p in parents:
        node = node[p]
    del node[leaf]
    return out


def _with(record: dict, **changes: Any) -> dict:
    """A copy of `record` with score fields (`score__x`) or top-level fields replaced."""
    out = deepcopy(record)
    for name, value in changes.items():
        if name.startswith("score__"):
            out["score"][name.removeprefix("score__")] = value
        else:
            out[name] = value
    return out


def _cycle(n: int, **changes: Any) -> dict:
    day = f"2026-02-{n:02d}"
    return _with(cycle(50_000 + n, f"{day}T00:00:00.000Z", f"{day}T23:00:00.000Z", "Z"), **changes)


def _recovery(n: int, **changes: Any) -> dict:
    rec = recovery(60_000 + n, f"s-q{n}", 60.0, f"2026-02-{n:02d}T07:00:00.000Z")
    rec["score"].update({"spo2_percentage": 96.5, "skin_temp_celsius": 33.6})
    return _with(rec, **changes)


def _sleep(n: int, start: str = "", end: str = "", **changes: Any) -> dict:
    day = f"2026-02-{n:02d}"
    s = sleep(f"s-q{n}", 70_000 + n, start or f"{day}T00:00:00.000Z", end or f"{day}T07:00:00.000Z", "Z", 400)
    return _with(s, **changes)


def _workout(n: int, end: str = "", zones_min: tuple[float, ...] = (), **changes: Any) -> dict:
    day = f"2026-02-{n:02d}"
    w = workout(f"w-q{n}", f"{day}T10:00:00.000Z", end or f"{day}T11:00:00.000Z", "Z", 95.0)
    if zones_min:
        names = ("zero", "one", "two", "three", "four", "five")
        w["score"]["zone_durations"] = {f"zone_{k}_milli": int(m * MS) for k, m in zip(names, zones_min, strict=True)}
    return _with(w, **changes)


PROFILE = {"user_id": ZED, "email": "zed@example.com", "first_name": "Zed", "last_name": "Hand"}
BODY = {"height_meter": 1.8, "weight_kilogram": 75.0, "max_heart_rate": 190}

# (Bronze table, payload, rule, RULE_DETAIL or None); every record breaks exactly the rule named
API_BAD: list[tuple[str, dict, str, str | None]] = [
    # a payload missing a field the v2 contract requires is named for the field, before any type rule
    ("RAW_CYCLE", _without(_cycle(1), "timezone_offset"), "missing_required_field", "timezone_offset"),
    ("RAW_CYCLE", _without(_cycle(2), "score.max_heart_rate"), "missing_required_field", "score.max_heart_rate"),
    ("RAW_RECOVERY", _with(_recovery(3), sleep_id=None), "missing_required_field", "sleep_id"),
    (
        "RAW_RECOVERY",
        _without(_recovery(4), "score.hrv_rmssd_milli"),
        "missing_required_field",
        "score.hrv_rmssd_milli",
    ),
    ("RAW_SLEEP", _without(_sleep(5), "nap"), "missing_required_field", "nap"),
    (
        "RAW_SLEEP",
        _without(_sleep(6), "score.stage_summary.total_rem_sleep_time_milli"),
        "missing_required_field",
        "score.stage_summary.total_rem_sleep_time_milli",
    ),
    ("RAW_WORKOUT", _without(_workout(7), "end"), "missing_required_field", "end"),
    ("RAW_WORKOUT", _without(_workout(8), "score.zone_durations"), "missing_required_field", "score.zone_durations"),
    ("RAW_PROFILE", {k: v for k, v in PROFILE.items() if k != "email"}, "missing_required_field", "email"),
    (
        "RAW_BODY",
        {k: v for k, v in BODY.items() if k != "weight_kilogram"},
        "missing_required_field",
        "weight_kilogram",
    ),
    # heart-rate zones that do not fit in the workout
    ("RAW_WORKOUT", _workout(9, zones_min=(20, 20, 40, 40, 40, 20)), "zone_time_exceeds_workout", None),  # 3 x 60 min
    ("RAW_WORKOUT", _workout(10, zones_min=(5, 10, -10, 10, 10, 5)), "zone_time_exceeds_workout", None),
    # physically impossible values
    ("RAW_RECOVERY", _with(_recovery(11), score__hrv_rmssd_milli=0.0), "hrv_out_of_range", None),
    ("RAW_RECOVERY", _with(_recovery(12), score__hrv_rmssd_milli=900.0), "hrv_out_of_range", None),
    ("RAW_RECOVERY", _with(_recovery(13), score__resting_heart_rate=180.0), "heart_rate_out_of_range", None),
    ("RAW_RECOVERY", _with(_recovery(14), score__skin_temp_celsius=92.1), "skin_temp_out_of_range", None),
    ("RAW_SLEEP", _sleep(15, end="2026-02-16T02:00:00.000Z"), "duration_out_of_range", None),  # 26 h asleep
    ("RAW_WORKOUT", _workout(16, end="2026-02-17T16:00:00.000Z"), "duration_out_of_range", None),  # 30 h
    ("RAW_BODY", {**BODY, "max_heart_rate": 60}, "heart_rate_out_of_range", None),
    # rules that already existed and had no planted record: kept, and now protected
    ("RAW_CYCLE", _with(_cycle(17), score=None), "missing_score", None),
    ("RAW_CYCLE", _with(_cycle(18), score__kilojoule=-5.0), "negative_energy", None),
    ("RAW_RECOVERY", _with(_recovery(19), score__hrv_rmssd_milli=-3.0), "negative_value", None),
    ("RAW_SLEEP", _with(_sleep(20), score__respiratory_rate=80.0), "respiratory_rate_out_of_range", None),
    ("RAW_WORKOUT", _with(_workout(21), sport_name=None), "missing_sport", None),
    ("RAW_PROFILE", {**PROFILE, "user_id": ZED + 1}, "member_mismatch", None),
    ("RAW_BODY", {**BODY, "height_meter": 3.1}, "height_out_of_range", None),
    ("RAW_BODY", {**BODY, "weight_kilogram": 500.0}, "weight_out_of_range", None),
    ("RAW_CYCLE", _cycle(22), "unknown_member", None),  # loaded for STRANGER below
]
_disturbed = _sleep(23)
_disturbed["score"]["stage_summary"]["disturbance_count"] = -1
API_BAD.append(("RAW_SLEEP", _disturbed, "negative_value", None))

# right at the edges: zones 0.9 min over the hour, an hour-long workout, a 23-hour sleep
API_GOOD: list[tuple[str, dict]] = [
    ("RAW_WORKOUT", _workout(24, zones_min=(5, 10, 10.9, 15, 15, 5))),
    ("RAW_SLEEP", _sleep(25, start="2026-02-24T08:00:00.000Z", end="2026-02-25T07:00:00.000Z")),
    ("RAW_RECOVERY", _with(_recovery(26), score__hrv_rmssd_milli=250.0, score__skin_temp_celsius=35.2)),
]


def _text(payload: dict) -> str:
    return json.dumps(payload, sort_keys=True)


def _hash(payload: dict) -> str:
    return hashlib.md5(_text(payload).encode()).hexdigest()


def _load(settings: Settings, table: str, payload: dict, member_id: int = ZED) -> None:
    """Append one payload to a Bronze API table as INGEST_WHOOP would."""
    key = str(payload.get("id") or payload.get("cycle_id") or payload.get("user_id") or member_id)
    query(
        settings,
        f"INSERT INTO BRONZE.{table} (INGEST_BATCH_ID, LOADED_AT, MEMBER_ID, SOURCE, API_VERSION, RECORD_KEY, "
        "RECORD_UPDATED_AT, PAYLOAD_HASH, PAYLOAD) "
        "SELECT 'planted', SYSDATE(), %s, 'test', 'v2', %s, NULL, MD5(%s), PARSE_JSON(%s)",
        (member_id, key, _text(payload), _text(payload)),
    )


# -- export rows -------------------------------------------------------------------------------------------


def _cycle_row(n: int, **changes: str | None) -> dict[str, str | None]:
    row = {
        "CYCLE_START_TIME": f"2030-03-{n:02d} 23:00:00", "CYCLE_END_TIME": f"2030-03-{n + 1:02d} 23:30:00",
        "CYCLE_TIMEZONE": "UTC+01:00", "RECOVERY_SCORE_PCT": "60", "RESTING_HEART_RATE_BPM": "50",
        "HEART_RATE_VARIABILITY_MS": "80", "SKIN_TEMP_CELSIUS": "33.51", "BLOOD_OXYGEN_PCT": "96.40",
        "DAY_STRAIN": "12.3", "ENERGY_BURNED_CAL": "2500", "MAX_HR_BPM": "170", "AVERAGE_HR_BPM": "70",
        "SLEEP_ONSET": f"2030-03-{n:02d} 23:00:00", "WAKE_ONSET": f"2030-03-{n + 1:02d} 07:00:00",
        "SLEEP_PERFORMANCE_PCT": "85", "RESPIRATORY_RATE_RPM": "15.2", "ASLEEP_DURATION_MIN": "420",
        "IN_BED_DURATION_MIN": "470", "LIGHT_SLEEP_DURATION_MIN": "220", "DEEP_SWS_DURATION_MIN": "90",
        "REM_DURATION_MIN": "110", "AWAKE_DURATION_MIN": "45", "SLEEP_NEED_MIN": "480", "SLEEP_DEBT_MIN": "30",
        "SLEEP_EFFICIENCY_PCT": "89", "SLEEP_CONSISTENCY_PCT": "75",
    }  # fmt: skip
    return {**row, **changes}


def _sleep_row(n: int, **changes: str | None) -> dict[str, str | None]:
    keep = export_import.FILES[1].headers
    cycle_row = _cycle_row(n)
    row = {c: cycle_row.get(c) for c in map(export_import.column_name, keep)}
    return {**row, "NAP": "false", **changes}


def _workout_row(n: int, **changes: str | None) -> dict[str, str | None]:
    row = {
        "CYCLE_START_TIME": f"2030-03-{n:02d} 23:00:00", "CYCLE_END_TIME": f"2030-03-{n + 1:02d} 23:30:00",
        "CYCLE_TIMEZONE": "UTC-05:00", "WORKOUT_START_TIME": f"2030-03-{n + 1:02d} 10:00:00",
        "WORKOUT_END_TIME": f"2030-03-{n + 1:02d} 10:45:30", "DURATION_MIN": "46",
        "ACTIVITY_NAME": "Functional Fitness", "ACTIVITY_STRAIN": "9.8", "ENERGY_BURNED_CAL": "410",
        "MAX_HR_BPM": "171", "AVERAGE_HR_BPM": "132", "HR_ZONE_1_PCT": "20", "HR_ZONE_2_PCT": "30",
        "HR_ZONE_3_PCT": "25", "HR_ZONE_4_PCT": "15", "HR_ZONE_5_PCT": "5", "GPS_ENABLED": "true",
        "DISTANCE_METERS": "5200", "ALTITUDE_GAIN_METERS": "40", "ALTITUDE_CHANGE_METERS": "-3",
    }  # fmt: skip
    return {**row, **changes}


def _journal_row(n: int, **changes: str | None) -> dict[str, str | None]:
    row = {
        "CYCLE_START_TIME": f"2030-03-{n:02d} 23:00:00", "CYCLE_END_TIME": f"2030-03-{n + 1:02d} 23:30:00",
        "CYCLE_TIMEZONE": "UTC+05:30", "QUESTION_TEXT": "Have any caffeine?", "ANSWERED_YES": "true", "NOTES": "ok",
    }  # fmt: skip
    return {**row, **changes}


EXPORT = {  # kind → (Bronze table, Silver table, row maker)
    "cycle": ("BRONZE.RAW_EXPORT_CYCLE", "SILVER.EXPORT_CYCLE", _cycle_row),
    "sleep": ("BRONZE.RAW_EXPORT_SLEEP", "SILVER.EXPORT_SLEEP", _sleep_row),
    "workout": ("BRONZE.RAW_EXPORT_WORKOUT", "SILVER.EXPORT_WORKOUT", _workout_row),
    "journal": ("BRONZE.RAW_EXPORT_JOURNAL", "SILVER.JOURNAL_ENTRY", _journal_row),
}


def _cut(row: dict[str, str | None], after: str) -> dict[str, str | None]:
    """The row as a CSV record that ends right after column `after`: every later field is missing (NULL)."""
    columns = list(row)
    return {c: (v if i <= columns.index(after) else None) for i, (c, v) in enumerate(row.items())}


# (kind, row, rule, RULE_DETAIL or None)
EXPORT_BAD: list[tuple[str, dict[str, str | None], str, str | None]] = [
    # truncated rows: named for the column the export always writes and the row lacks, not for a type rule
    ("cycle", _cut(_cycle_row(1), "CYCLE_END_TIME"), "truncated_row", "Cycle timezone"),
    ("cycle", _cut(_cycle_row(2), "RESTING_HEART_RATE_BPM"), "truncated_row", "Heart rate variability (ms)"),
    ("cycle", _cut(_cycle_row(3), "DAY_STRAIN"), "truncated_row", "Average HR (bpm)"),
    ("cycle", _cut(_cycle_row(4), "AVERAGE_HR_BPM"), "truncated_row", "Sleep onset"),
    ("cycle", _cut(_cycle_row(5), "SLEEP_ONSET"), "truncated_row", "Wake onset"),
    ("cycle", _cut(_cycle_row(6), "REM_DURATION_MIN"), "truncated_row", "Sleep debt (min)"),
    ("sleep", _cut(_sleep_row(7), "SLEEP_PERFORMANCE_PCT"), "truncated_row", "Nap"),
    ("workout", _cut(_workout_row(8), "HR_ZONE_2_PCT"), "truncated_row", "GPS enabled"),
    ("journal", _cut(_journal_row(9), "QUESTION_TEXT"), "truncated_row", "Answered yes"),
    # heart-rate zones that do not fit in the workout (the 300 % of the issue) or are negative
    ("workout", _workout_row(10, **{f"HR_ZONE_{z}_PCT": "60" for z in range(1, 6)}), "zone_time_exceeds_workout", None),
    ("workout", _workout_row(11, HR_ZONE_2_PCT="-5"), "zone_time_exceeds_workout", None),
    # physically impossible values
    ("cycle", _cycle_row(12, HEART_RATE_VARIABILITY_MS="0"), "hrv_out_of_range", None),
    ("cycle", _cycle_row(13, SKIN_TEMP_CELSIUS="93.2"), "skin_temp_out_of_range", None),
    ("cycle", _cycle_row(14, RESPIRATORY_RATE_RPM="75"), "respiratory_rate_out_of_range", None),
    ("cycle", _cycle_row(15, RESTING_HEART_RATE_BPM="170"), "heart_rate_out_of_range", None),
    ("cycle", _cycle_row(16, WAKE_ONSET="2030-03-18 05:00:00"), "duration_out_of_range", None),  # 30 h asleep
    ("sleep", _sleep_row(17, RESPIRATORY_RATE_RPM="2.5"), "respiratory_rate_out_of_range", None),
    ("sleep", _sleep_row(18, IN_BED_DURATION_MIN="1500"), "duration_out_of_range", None),
    (
        "workout",
        _workout_row(19, WORKOUT_END_TIME="2030-03-21 12:00:00", DURATION_MIN="1560"),
        "duration_out_of_range",
        None,
    ),
]
# next to them, rows that look cut but are whole, and zones at the rounding edge
EXPORT_GOOD: list[tuple[str, dict[str, str | None]]] = [
    ("cycle", _cycle_row(20, BLOOD_OXYGEN_PCT=None, SKIN_TEMP_CELSIUS=None)),  # before the 4.0 strap
    ("cycle", _cycle_row(21, SLEEP_EFFICIENCY_PCT=None, SLEEP_CONSISTENCY_PCT=None)),  # optional in the contract
    ("cycle", _cut(_cycle_row(22), "CYCLE_TIMEZONE")),  # an unscored cycle without a sleep
    ("workout", _workout_row(23, HR_ZONE_1_PCT="21", HR_ZONE_2_PCT="31", HR_ZONE_3_PCT="26", HR_ZONE_4_PCT="20")),
    (
        "workout",
        _workout_row(
            24, GPS_ENABLED="false", DISTANCE_METERS=None, ALTITUDE_GAIN_METERS=None, ALTITUDE_CHANGE_METERS=None
        ),
    ),
    ("journal", _journal_row(25, NOTES=None)),
]


def _insert(settings: Settings, kind: str, row: dict[str, str | None], member: str = EXPORTER) -> str:
    """Write one export row to Bronze as the import does; its ROW_HASH."""
    table = EXPORT[kind][0]
    spec = next(s for s in export_import.FILES if s.table == table)
    columns = [export_import.column_name(h) for h in spec.all_headers]
    values = [row.get(c) for c in columns]
    row_hash = export_import.row_hash(values)
    query(
        settings,
        f"INSERT INTO {table} (INGEST_BATCH_ID, LOADED_AT, MEMBER_NAME, SOURCE_FILE, STAGED_FILE, FILE_ROW_NUMBER, "
        f"ROW_HASH, {', '.join(columns)}) "
        f"SELECT 'planted', SYSDATE(), %s, %s, 'planted', 1, %s, {', '.join(['%s'] * len(columns))}",
        [member, spec.name, row_hash, *values],
    )
    return row_hash


# -- one stack, every record planted, one run -------------------------------------------------------------


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Settings]:
    with local_stack(tmp_path_factory.mktemp("whoop_home"), ["ann"], days=14) as settings:
        add_member_without_token(settings, "zed", ZED, "planted records only")
        yield settings


@pytest.fixture(scope="module")
def planted(stack: Settings) -> dict:
    """ann's sandbox data through the real ingest, every planted record beside it, then one run of the graph."""
    for table, payload, rule, _ in API_BAD:
        _load(stack, table, payload, member_id=STRANGER if rule == "unknown_member" else ZED)
    for table, payload in API_GOOD:
        _load(stack, table, payload)
    export_bad = [_insert(stack, kind, row) for kind, row, _, _ in EXPORT_BAD]
    export_good = [_insert(stack, kind, row) for kind, row in EXPORT_GOOD]
    pipeline.run_once(stack)
    return {"export_bad": export_bad, "export_good": export_good}


def _held(settings: Settings, source: str, payload_hash: str) -> list[tuple]:
    return query(
        settings,
        "SELECT RULE_NAME, RULE_DETAIL, TARGET_TABLE FROM OPS.QUARANTINE WHERE SOURCE_TABLE = %s AND PAYLOAD_HASH = %s",
        (source, payload_hash),
    )


SILVER_API = {
    "RAW_CYCLE": ("SILVER.CYCLE", "PAYLOAD_HASH"),
    "RAW_RECOVERY": ("SILVER.RECOVERY", "PAYLOAD_HASH"),
    "RAW_SLEEP": ("SILVER.SLEEP", "PAYLOAD_HASH"),
    "RAW_WORKOUT": ("SILVER.WORKOUT", "PAYLOAD_HASH"),
    "RAW_PROFILE": ("SILVER.MEMBER_PROFILE", "PAYLOAD_HASH"),
    "RAW_BODY": ("SILVER.BODY_MEASUREMENT", "PAYLOAD_HASH"),
}


@pytest.mark.parametrize(
    ("table", "payload", "rule", "detail"),
    API_BAD,
    ids=[f"{t.removeprefix('RAW_').lower()}-{r}-{n}" for n, (t, _, r, _) in enumerate(API_BAD)],
)
def test_a_bad_api_record_is_held_under_its_own_rule(stack: Settings, planted: dict, table, payload, rule, detail):
    held = _held(stack, f"BRONZE.{table}", _hash(payload))
    target, hash_column = SILVER_API[table]
    assert held == [(rule, detail, target)]
    assert query(stack, f"SELECT COUNT(*) FROM {target} WHERE {hash_column} = %s", (_hash(payload),)) == [(0,)]


@pytest.mark.parametrize(
    ("n", "kind", "rule", "detail"),
    [(n, k, r, d) for n, (k, _, r, d) in enumerate(EXPORT_BAD)],
    ids=[f"{k}-{r}-{n}" for n, (k, _, r, _) in enumerate(EXPORT_BAD)],
)
def test_a_bad_export_row_is_held_under_its_own_rule(stack: Settings, planted: dict, n, kind, rule, detail):
    bronze, target, _ = EXPORT[kind]
    row_hash = planted["export_bad"][n]
    assert _held(stack, bronze, row_hash) == [(rule, detail, target)]
    assert query(stack, f"SELECT COUNT(*) FROM {target} WHERE ROW_HASH = %s", (row_hash,)) == [(0,)]


def test_records_at_the_edges_are_promoted(stack: Settings, planted: dict) -> None:
    for table, payload in API_GOOD:
        target, hash_column = SILVER_API[table]
        assert _held(stack, f"BRONZE.{table}", _hash(payload)) == [], table
        assert query(stack, f"SELECT COUNT(*) FROM {target} WHERE {hash_column} = %s", (_hash(payload),)) == [(1,)]
    for (kind, _), row_hash in zip(EXPORT_GOOD, planted["export_good"], strict=True):
        bronze, target, _ = EXPORT[kind]
        assert _held(stack, bronze, row_hash) == [], kind
        assert query(stack, f"SELECT COUNT(*) FROM {target} WHERE ROW_HASH = %s", (row_hash,)) == [(1,)], kind


def test_the_sandbox_members_real_shaped_data_breaks_no_rule(stack: Settings, planted: dict) -> None:
    ((ann,),) = query(stack, "SELECT WHOOP_USER_ID FROM CONFIG.MEMBERS WHERE MEMBER_NAME = 'ann'")
    (promoted,) = query(stack, "SELECT COUNT(*) FROM SILVER.WORKOUT WHERE MEMBER_ID = %s", (ann,))[0]
    assert promoted > 0
    assert (
        query(stack, "SELECT RULE_NAME, COUNT(*) FROM OPS.QUARANTINE WHERE MEMBER_REF = %s GROUP BY 1", (str(ann),))
        == []
    )
    runs = query(stack, "SELECT ROWS_READ, ROWS_PROMOTED, ROWS_QUARANTINED FROM OPS.TRANSFORM_RUNS")
    assert runs and all(read == promoted + held for read, promoted, held in runs)


# -- a bad newer version never replaces the good row -------------------------------------------------------


def test_a_bad_newer_api_workout_leaves_the_good_one_in_silver(stack: Settings, planted: dict) -> None:
    good = _workout(27, zones_min=(5, 10, 15, 15, 10, 5))  # 60 minutes in a 60-minute workout
    _load(stack, "RAW_WORKOUT", good)
    pipeline.run_once(stack)
    columns = "PAYLOAD_HASH, UPDATED_AT, ZONE_3_MINUTES, STRAIN"
    before = query(stack, f"SELECT {columns} FROM SILVER.WORKOUT WHERE WORKOUT_ID = 'w-q27'")
    assert before and before[0][0] == _hash(good) and before[0][2] == 15.0

    # WHOOP edits the workout: a later updated_at, and zones that add up to 300 % of it
    bad = _with(good, updated_at="2026-02-28T12:00:00.000Z", score__strain=14.0)
    bad["score"]["zone_durations"] = {k: v * 3 for k, v in good["score"]["zone_durations"].items()}
    _load(stack, "RAW_WORKOUT", bad)
    pipeline.run_once(stack)

    assert query(stack, f"SELECT {columns} FROM SILVER.WORKOUT WHERE WORKOUT_ID = 'w-q27'") == before
    assert _held(stack, "BRONZE.RAW_WORKOUT", _hash(bad)) == [("zone_time_exceeds_workout", None, "SILVER.WORKOUT")]
    # Gold reads the good version too
    assert query(stack, "SELECT STRAIN_SCORE FROM GOLD.FACT_WORKOUTS WHERE WHOOP_WORKOUT_ID = 'w-q27'") == [(12.5,)]


def test_a_bad_newer_export_workout_leaves_the_good_one_in_silver(stack: Settings, planted: dict) -> None:
    good = _workout_row(26)
    good_hash = _insert(stack, "workout", good)
    pipeline.run_once(stack)
    (before,) = query(stack, "SELECT ROW_HASH, ZONE_2_PCT FROM SILVER.EXPORT_WORKOUT WHERE ROW_HASH = %s", (good_hash,))
    bad = {**good, **{f"HR_ZONE_{z}_PCT": "60" for z in range(1, 6)}}  # a later import: 300 % of the workout
    bad_hash = _insert(stack, "workout", bad)
    pipeline.run_once(stack)
    after = query(
        stack,
        "SELECT ROW_HASH, ZONE_2_PCT FROM SILVER.EXPORT_WORKOUT WHERE MEMBER_NAME = %s AND WORKOUT_START_LOCAL = %s",
        (EXPORTER, good["WORKOUT_START_TIME"]),
    )
    assert after == [before] == [(good_hash, 30.0)]
    assert _held(stack, "BRONZE.RAW_EXPORT_WORKOUT", bad_hash) == [
        ("zone_time_exceeds_workout", None, "SILVER.EXPORT_WORKOUT")
    ]


# -- an install from before RULE_DETAIL upgrades ----------------------------------------------------------


def test_the_data_quality_page_names_each_rule_and_field(stack: Settings, planted: dict, monkeypatch) -> None:
    from tests.integration.dashboard_support import PAGE, app_test

    at = app_test(PAGE["Data_Quality"], stack.warehouse_url, monkeypatch)
    assert not at.exception, [e.value for e in at.exception]
    held = next(d.value for d in at.dataframe if "RULE_NAME" in d.value.columns)
    shown = set(zip(held["RULE_NAME"], held["RULE_DETAIL"].fillna(""), strict=True))
    assert ("missing_required_field", "score.zone_durations") in shown
    assert ("zone_time_exceeds_workout", "") in shown


PENDING = (
    "CYCLE", "RECOVERY", "SLEEP", "WORKOUT", "MEMBER_PROFILE", "BODY_MEASUREMENT", "EXPORT_CYCLE", "EXPORT_SLEEP",
    "EXPORT_WORKOUT", "JOURNAL_ENTRY",
)  # fmt: skip


def test_an_install_without_the_detail_columns_gets_them_on_upgrade(stack: Settings, planted: dict) -> None:
    query(stack, "ALTER TABLE OPS.QUARANTINE DROP COLUMN RULE_DETAIL")
    for table in PENDING:
        query(stack, f"ALTER TABLE SILVER.PENDING_{table} DROP COLUMN FAILED_DETAIL")
    pipeline.deploy_local(stack, start_stack=False)  # ALTER APPLICATION ... UPGRADE

    unscored = _without(_workout(28), "score.percent_recorded")
    _load(stack, "RAW_WORKOUT", unscored)
    cut = _cut(_journal_row(27), "CYCLE_TIMEZONE")
    cut_hash = _insert(stack, "journal", cut)
    pipeline.run_once(stack)
    assert _held(stack, "BRONZE.RAW_WORKOUT", _hash(unscored)) == [
        ("missing_required_field", "score.percent_recorded", "SILVER.WORKOUT")
    ]
    assert _held(stack, "BRONZE.RAW_EXPORT_JOURNAL", cut_hash) == [
        ("truncated_row", "Answered yes", "SILVER.JOURNAL_ENTRY")
    ]
    # what was held before the upgrade is still there
    assert _held(stack, "BRONZE.RAW_EXPORT_WORKOUT", planted["export_bad"][7]) == [
        ("truncated_row", None, "SILVER.EXPORT_WORKOUT")
    ]
