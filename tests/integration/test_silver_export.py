"""The WHOOP app export through Silver: Bronze RAW_EXPORT_* → stream + task → SILVER.EXPORT_* / JOURNAL_ENTRY.

The sandbox writes a member's export, `pipeline.import_export` loads it, `pipeline.run_once` fires the task
graph; Silver is then checked against the sandbox's truth at the export's precision. Hand-made bad rows
inserted straight into Bronze check every quarantine rule.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from infra.local import export_import, pipeline
from infra.local.sandbox.export import write_export
from infra.local.sandbox.timeutil import iso_to_ms, parse_offset
from infra.local.settings import Settings
from tests.integration.conftest import local_stack, query, truth

MEMBER = "ann"
SILVER = {  # Bronze table → (Silver table, its natural key)
    "BRONZE.RAW_EXPORT_CYCLE": ("SILVER.EXPORT_CYCLE", "MEMBER_NAME, CYCLE_START_UTC"),
    "BRONZE.RAW_EXPORT_SLEEP": ("SILVER.EXPORT_SLEEP", "MEMBER_NAME, SLEEP_START_UTC"),
    "BRONZE.RAW_EXPORT_WORKOUT": ("SILVER.EXPORT_WORKOUT", "MEMBER_NAME, WORKOUT_START_UTC"),
    "BRONZE.RAW_EXPORT_JOURNAL": ("SILVER.JOURNAL_ENTRY", "MEMBER_NAME, CYCLE_START_UTC, QUESTION_TEXT"),
}
NOTE = 'first line\nsecond, with a comma and "quotes"\n'


def rows(settings: Settings, sql: str, params=None) -> list[dict]:
    conn = pipeline.connect(settings)
    try:
        cur = conn.cursor()
        cur.execute(sql, params)
        names = [d[0] for d in cur.description]
        return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]
    finally:
        conn.close()


def utc_second(iso: str) -> datetime:
    """A WHOOP instant as the export carries it: truncated to the second, naive UTC."""
    return datetime.fromtimestamp(iso_to_ms(iso) // 1000, UTC).replace(tzinfo=None)


def local(iso: str, offset: str) -> datetime:
    return utc_second(iso) + timedelta(minutes=parse_offset(offset))


def norm_offset(offset: str) -> str:
    return "+00:00" if offset == "Z" else offset


def minutes(ms: int) -> float:
    return float(round(ms / 60_000))


def silver_rows(stack: Settings, table: str, start: str, records: list[dict]) -> list[tuple[dict, dict, str]]:
    """Each truth record with the member's row of Silver `table` that starts when it does (UTC, to the second) and
    its timezone offset, after checking the table holds one row per record."""
    silver = {r[start]: r for r in rows(stack, f"SELECT * FROM SILVER.{table} WHERE MEMBER_NAME = %s", (MEMBER,))}
    assert len(silver) == len(records)
    return [(record, silver[utc_second(record["start"])], record["timezone_offset"]) for record in records]


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Settings]:
    with local_stack(tmp_path_factory.mktemp("whoop_home"), [MEMBER], days=60) as settings:
        yield settings


@pytest.fixture(scope="module")
def export(stack: Settings, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """ann's export, with a multiline quoted note and extra spaces around a question."""
    folder = tmp_path_factory.mktemp("export")
    write_export(truth(stack, MEMBER), folder)
    journal = folder / "journal_entries.csv"
    with journal.open(newline="", encoding="utf-8") as fh:
        lines = list(csv.reader(fh))
    lines[1][3] = "  " + lines[1][3] + "  "
    lines[1][5] = NOTE
    with journal.open("w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows(lines)
    return folder


@pytest.fixture(scope="module")
def built(stack: Settings, export: Path) -> dict:
    imported = pipeline.import_export(stack, export, MEMBER)
    result = pipeline.run_once(stack)
    return {"imported": imported, "run": result, "truth": truth(stack, MEMBER)}


def test_the_export_tasks_run_in_the_graph(built: dict) -> None:
    states = {t["task"].rsplit(".", 1)[-1]: t["state"] for t in built["run"]["tasks"]}
    for task in ("SILVER_EXPORT_CYCLE_TASK", "SILVER_EXPORT_SLEEP_TASK", "SILVER_EXPORT_WORKOUT_TASK"):
        assert states[task] == "SUCCEEDED", states
    assert states["SILVER_JOURNAL_ENTRY_TASK"] == "SUCCEEDED", states


def test_every_export_row_is_in_silver_or_quarantine(stack: Settings, built: dict) -> None:
    runs = {
        table: (read, promoted, quarantined)
        for table, read, promoted, quarantined in query(
            stack,
            "SELECT TARGET_TABLE, SUM(ROWS_READ), SUM(ROWS_PROMOTED), SUM(ROWS_QUARANTINED) FROM OPS.TRANSFORM_RUNS "
            "WHERE TARGET_TABLE IN ('SILVER.EXPORT_CYCLE', 'SILVER.EXPORT_SLEEP', 'SILVER.EXPORT_WORKOUT', "
            "'SILVER.JOURNAL_ENTRY') GROUP BY TARGET_TABLE",
        )
    }
    for spec in export_import.FILES:
        exported = built["imported"]["files"][spec.name]["rows"]
        target, _ = SILVER[spec.table]
        (bronze,) = query(stack, f"SELECT COUNT(*) FROM {spec.table} WHERE MEMBER_NAME = %s", (MEMBER,))[0]
        (silver,) = query(stack, f"SELECT COUNT(*) FROM {target} WHERE MEMBER_NAME = %s", (MEMBER,))[0]
        (held,) = query(
            stack,
            "SELECT COUNT(*) FROM OPS.QUARANTINE WHERE SOURCE_TABLE = %s AND MEMBER_REF = %s",
            (spec.table, MEMBER),
        )[0]
        assert exported == bronze > 0, spec.name
        assert silver + held == bronze, (spec.name, silver, held, bronze)
        assert held == 0, f"{spec.name}: the sandbox's own export broke a rule"
        read, promoted, quarantined = runs[target]
        assert read == promoted + quarantined == bronze, (target, runs[target])
        (pending,) = query(stack, f"SELECT COUNT(*) FROM SILVER.PENDING_{target.split('.')[1]}")[0]
        assert pending == 0


def test_cycles_match_the_truth(stack: Settings, built: dict) -> None:
    data = built["truth"]
    recoveries = {r["cycle_id"]: r for r in data["recoveries"]}
    sleeps = {s["id"]: s for s in data["sleeps"]}
    open_cycles = 0
    for c, got, tz in silver_rows(stack, "EXPORT_CYCLE", "CYCLE_START_UTC", data["cycles"]):
        assert got["TIMEZONE_OFFSET"] == norm_offset(tz) and got["OFFSET_MINUTES"] == parse_offset(tz)
        assert got["CYCLE_START_LOCAL"] == local(c["start"], tz)
        assert got["CYCLE_DATE"] == (local(c["start"], tz) + timedelta(hours=12)).date()
        if c["end"] is None:
            open_cycles += 1
            assert got["CYCLE_END_UTC"] is None and got["CYCLE_END_LOCAL"] is None
        else:
            assert got["CYCLE_END_UTC"] == utc_second(c["end"])
        score = c.get("score")
        if score:
            assert got["DAY_STRAIN"] == float(f"{score['strain']:.1f}")
            assert got["ENERGY_KCAL"] == float(round(score["kilojoule"] / 4.184))
            assert got["MAX_HEART_RATE"] == score["max_heart_rate"]
            assert got["AVERAGE_HEART_RATE"] == score["average_heart_rate"]
        else:
            assert got["DAY_STRAIN"] is None and got["ENERGY_KCAL"] is None
        rec = recoveries.get(c["id"])
        rs = (rec or {}).get("score") or {}
        assert got["RECOVERY_SCORE"] == (float(round(rs["recovery_score"])) if rs else None)
        assert got["HRV_RMSSD_MS"] == (float(round(rs["hrv_rmssd_milli"])) if rs else None)
        if "spo2_percentage" in rs:
            assert got["SPO2_PERCENTAGE"] == float(f"{rs['spo2_percentage']:.2f}")
            assert got["SKIN_TEMP_CELSIUS"] == float(f"{rs['skin_temp_celsius']:.2f}")
        else:
            assert got["SPO2_PERCENTAGE"] is None and got["SKIN_TEMP_CELSIUS"] is None
        sleep = sleeps.get(rec["sleep_id"]) if rec else None
        if sleep:
            assert got["SLEEP_ONSET_UTC"] == utc_second(sleep["start"])
            assert got["WAKE_ONSET_UTC"] == utc_second(sleep["end"])
    assert open_cycles == 1


def test_sleeps_match_the_truth(stack: Settings, built: dict) -> None:
    data = built["truth"]
    cycles = {c["id"]: c for c in data["cycles"]}
    naps = 0
    for s, got, tz in silver_rows(stack, "EXPORT_SLEEP", "SLEEP_START_UTC", data["sleeps"]):
        assert got["SLEEP_END_UTC"] == utc_second(s["end"])
        assert got["WAKE_DATE"] == local(s["end"], tz).date()
        assert got["IS_NAP"] is s["nap"]
        naps += s["nap"]
        assert got["CYCLE_START_UTC"] == utc_second(cycles[s["cycle_id"]]["start"])
        score = s.get("score")
        if score:
            st = score["stage_summary"]
            asleep = (
                st["total_light_sleep_time_milli"]
                + st["total_slow_wave_sleep_time_milli"]
                + st["total_rem_sleep_time_milli"]
            )
            assert got["ASLEEP_MINUTES"] == minutes(asleep)
            assert got["DEEP_SLEEP_MINUTES"] == minutes(st["total_slow_wave_sleep_time_milli"])
            assert got["IN_BED_MINUTES"] == minutes(st["total_in_bed_time_milli"])
            assert got["RESPIRATORY_RATE"] == float(f"{score['respiratory_rate']:.1f}")
            assert got["SLEEP_EFFICIENCY_PCT"] == float(round(score["sleep_efficiency_percentage"]))
        else:
            assert got["ASLEEP_MINUTES"] is None and got["SLEEP_PERFORMANCE_PCT"] is None
    assert naps > 0, "the sandbox should have produced naps"


def test_workouts_match_the_truth(stack: Settings, built: dict) -> None:
    data = built["truth"]
    assert data["workouts"]
    for w, got, tz in silver_rows(stack, "EXPORT_WORKOUT", "WORKOUT_START_UTC", data["workouts"]):
        assert got["WORKOUT_END_UTC"] == utc_second(w["end"])
        assert got["WORKOUT_DATE"] == local(w["start"], tz).date()
        assert got["TIMEZONE_OFFSET"] == norm_offset(tz)
        assert got["SPORT_NAME"] == w["sport_name"]
        assert got["DURATION_MINUTES"] == minutes(iso_to_ms(w["end"]) - iso_to_ms(w["start"]))
        score = w.get("score")
        assert got["ACTIVITY_STRAIN"] == (float(f"{score['strain']:.1f}") if score else None)
        assert got["GPS_ENABLED"] is bool(score and "distance_meter" in score)
        if score and "distance_meter" in score:
            assert got["DISTANCE_METERS"] == float(round(score["distance_meter"]))


def test_journal_matches_the_truth(stack: Settings, built: dict) -> None:
    data = built["truth"]
    cycles = {c["id"]: c for c in data["cycles"]}
    silver = {
        (r["CYCLE_START_UTC"], r["QUESTION_TEXT"]): r
        for r in rows(stack, "SELECT * FROM SILVER.JOURNAL_ENTRY WHERE MEMBER_NAME = 'ann'")
    }
    assert len(silver) == len(data["journal"]) > 0
    for entry in data["journal"]:
        cycle = cycles[entry["cycle_id"]]
        got = silver[(utc_second(cycle["start"]), entry["question"].strip())]
        assert got["ANSWERED_YES"] is entry["answered_yes"]
        assert got["CYCLE_DATE"] == (local(cycle["start"], cycle["timezone_offset"]) + timedelta(hours=12)).date()
        if got["NOTES"] != NOTE:  # the one note the fixture rewrote
            assert got["NOTES"] == (entry["notes"] or None)
    assert any(e["question"] != e["question"].strip() for e in data["journal"])  # trailing spaces were exported
    assert [r["NOTES"] for r in silver.values()].count(NOTE) == 1  # multiline, commas and quotes intact
    assert all(q == q.strip() for _, q in silver)


def _snapshot(stack: Settings) -> dict[str, list[tuple]]:
    return {
        target: [repr(r) for r in query(stack, f"SELECT * FROM {target} ORDER BY {key}")]
        for target, key in SILVER.values()
    }


def test_reimport_and_rerun_change_nothing(stack: Settings, export: Path, built: dict) -> None:
    before = _snapshot(stack)
    held = query(stack, "SELECT COUNT(*) FROM OPS.QUARANTINE")
    again = pipeline.import_export(stack, export, MEMBER)
    assert all(f["new"] == 0 for f in again["files"].values())
    result = pipeline.run_once(stack)
    states = {t["task"].rsplit(".", 1)[-1]: t["state"] for t in result["tasks"]}
    assert states["SILVER_EXPORT_CYCLE_TASK"] == "SKIPPED"  # nothing new on the stream
    assert _snapshot(stack) == before
    assert query(stack, "SELECT COUNT(*) FROM OPS.QUARANTINE") == held


# --- quarantine rules, one hand-made row each ------------------------------------------------------------

CRAFTED = "zoe"  # rows for a member of their own, so ann's counts stay exact


def _cycle_row(day: int, **changes: str | None) -> dict[str, str | None]:
    row = {
        "CYCLE_START_TIME": f"2030-01-{day:02d} 23:00:00",
        "CYCLE_END_TIME": f"2030-01-{day + 1:02d} 23:30:00",
        "CYCLE_TIMEZONE": "UTC+01:00",
        "RECOVERY_SCORE_PCT": "60",
        "RESTING_HEART_RATE_BPM": "50",
        "HEART_RATE_VARIABILITY_MS": "80",
        "SKIN_TEMP_CELSIUS": "33.51",
        "BLOOD_OXYGEN_PCT": "96.40",
        "DAY_STRAIN": "12.3",
        "ENERGY_BURNED_CAL": "2500",
        "MAX_HR_BPM": "170",
        "AVERAGE_HR_BPM": "70",
        "SLEEP_ONSET": f"2030-01-{day:02d} 23:00:00",
        "WAKE_ONSET": f"2030-01-{day + 1:02d} 07:00:00",
        "SLEEP_PERFORMANCE_PCT": "85",
        "RESPIRATORY_RATE_RPM": "15.2",
        "ASLEEP_DURATION_MIN": "420",
        "IN_BED_DURATION_MIN": "470",
        "LIGHT_SLEEP_DURATION_MIN": "220",
        "DEEP_SWS_DURATION_MIN": "90",
        "REM_DURATION_MIN": "110",
        "AWAKE_DURATION_MIN": "45",
        "SLEEP_NEED_MIN": "480",
        "SLEEP_DEBT_MIN": "30",
        "SLEEP_EFFICIENCY_PCT": "89",
        "SLEEP_CONSISTENCY_PCT": "75",
    }
    return {**row, **changes}


def _sleep_row(day: int, **changes: str | None) -> dict[str, str | None]:
    cycle = _cycle_row(day)
    keep = [column for column in cycle if column not in _CYCLE_ONLY]
    return {**{c: cycle[c] for c in keep}, "NAP": "false", **changes}


_CYCLE_ONLY = (
    "RECOVERY_SCORE_PCT", "RESTING_HEART_RATE_BPM", "HEART_RATE_VARIABILITY_MS", "SKIN_TEMP_CELSIUS",
    "BLOOD_OXYGEN_PCT", "DAY_STRAIN", "ENERGY_BURNED_CAL", "MAX_HR_BPM", "AVERAGE_HR_BPM",
)  # fmt: skip


def _workout_row(day: int, **changes: str | None) -> dict[str, str | None]:
    row = {
        "CYCLE_START_TIME": f"2030-01-{day:02d} 23:00:00",
        "CYCLE_END_TIME": f"2030-01-{day + 1:02d} 23:30:00",
        "CYCLE_TIMEZONE": "UTC-05:00",
        "WORKOUT_START_TIME": f"2030-01-{day + 1:02d} 10:00:00",
        "WORKOUT_END_TIME": f"2030-01-{day + 1:02d} 10:45:30",
        "DURATION_MIN": "46",
        "ACTIVITY_NAME": "Functional Fitness",
        "ACTIVITY_STRAIN": "9.8",
        "ENERGY_BURNED_CAL": "410",
        "MAX_HR_BPM": "171",
        "AVERAGE_HR_BPM": "132",
        "HR_ZONE_1_PCT": "20",
        "HR_ZONE_2_PCT": "30",
        "HR_ZONE_3_PCT": "25",
        "HR_ZONE_4_PCT": "15",
        "HR_ZONE_5_PCT": "5",
        "GPS_ENABLED": "true",
        "DISTANCE_METERS": "5200",
        "ALTITUDE_GAIN_METERS": "40",
        "ALTITUDE_CHANGE_METERS": "-3",
    }
    return {**row, **changes}


def _journal_row(day: int, **changes: str | None) -> dict[str, str | None]:
    row = {
        "CYCLE_START_TIME": f"2030-01-{day:02d} 23:00:00",
        "CYCLE_END_TIME": f"2030-01-{day + 1:02d} 23:30:00",
        "CYCLE_TIMEZONE": "UTC+05:30",
        "QUESTION_TEXT": "Have any caffeine? ",
        "ANSWERED_YES": "true",
        "NOTES": "one\ntwo",
    }
    return {**row, **changes}


TABLES = {
    "cycle": ("BRONZE.RAW_EXPORT_CYCLE", _cycle_row),
    "sleep": ("BRONZE.RAW_EXPORT_SLEEP", _sleep_row),
    "workout": ("BRONZE.RAW_EXPORT_WORKOUT", _workout_row),
    "journal": ("BRONZE.RAW_EXPORT_JOURNAL", _journal_row),
}

# (table, rule, changes to a valid row); rows are found by their ROW_HASH, so keys may repeat
BAD_ROWS = [
    ("cycle", "missing_key", {"CYCLE_START_TIME": None}),
    ("cycle", "unparseable_timestamp", {"CYCLE_END_TIME": "2030-02-30 07:00:00"}),
    ("cycle", "unparseable_timestamp", {"WAKE_ONSET": "yesterday"}),
    ("cycle", "invalid_timezone_offset", {"CYCLE_TIMEZONE": "UTC+5"}),
    ("cycle", "invalid_timezone_offset", {"CYCLE_TIMEZONE": "UTC+15:00"}),
    ("cycle", "unparseable_number", {"RECOVERY_SCORE_PCT": "6O"}),
    ("cycle", "negative_duration", {"CYCLE_END_TIME": "2030-01-01 00:00:00"}),
    ("cycle", "recovery_out_of_range", {"RECOVERY_SCORE_PCT": "101"}),
    ("cycle", "strain_out_of_range", {"DAY_STRAIN": "21.5"}),
    ("cycle", "percentage_out_of_range", {"BLOOD_OXYGEN_PCT": "100.5"}),
    ("cycle", "percentage_out_of_range", {"SLEEP_EFFICIENCY_PCT": "-1"}),
    ("cycle", "heart_rate_out_of_range", {"MAX_HR_BPM": "300"}),
    ("cycle", "heart_rate_out_of_range", {"AVERAGE_HR_BPM": "180"}),  # above the max
    ("cycle", "stage_minutes_mismatch", {"LIGHT_SLEEP_DURATION_MIN": "224"}),  # stages 4 min over asleep
    ("cycle", "stage_minutes_mismatch", {"AWAKE_DURATION_MIN": "54"}),  # asleep + awake 4 min over in bed
    ("cycle", "negative_value", {"HEART_RATE_VARIABILITY_MS": "-5"}),
    ("cycle", "negative_value", {"SLEEP_DEBT_MIN": "-10"}),
    ("sleep", "missing_key", {"SLEEP_ONSET": None}),
    ("sleep", "unparseable_timestamp", {"SLEEP_ONSET": "2030-01-05T23:00:00Z"}),
    ("sleep", "invalid_timezone_offset", {"CYCLE_TIMEZONE": "GMT+01:00"}),
    ("sleep", "unparseable_number", {"ASLEEP_DURATION_MIN": "n/a"}),
    ("sleep", "negative_duration", {"WAKE_ONSET": "2030-01-01 07:00:00"}),
    ("sleep", "percentage_out_of_range", {"SLEEP_PERFORMANCE_PCT": "150"}),
    ("sleep", "stage_minutes_mismatch", {"DEEP_SWS_DURATION_MIN": "80"}),
    ("sleep", "negative_value", {"RESPIRATORY_RATE_RPM": "-1"}),
    ("sleep", "invalid_boolean", {"NAP": "maybe"}),
    ("sleep", "truncated_row", {"NAP": None}),  # Nap ends the row and is always written: blank = cut short
    ("workout", "missing_key", {"WORKOUT_START_TIME": None}),
    ("workout", "unparseable_timestamp", {"WORKOUT_END_TIME": "2030/01/20 10:45"}),
    ("workout", "invalid_timezone_offset", {"CYCLE_TIMEZONE": None}),
    ("workout", "unparseable_number", {"DISTANCE_METERS": "5,2 km"}),
    ("workout", "negative_duration", {"WORKOUT_END_TIME": "2030-01-01 09:00:00"}),
    ("workout", "strain_out_of_range", {"ACTIVITY_STRAIN": "-0.1"}),
    ("workout", "percentage_out_of_range", {"HR_ZONE_3_PCT": "120"}),
    ("workout", "heart_rate_out_of_range", {"AVERAGE_HR_BPM": "10"}),
    ("workout", "negative_value", {"DISTANCE_METERS": "-5"}),
    ("workout", "invalid_boolean", {"GPS_ENABLED": "yes"}),
    ("journal", "missing_key", {"QUESTION_TEXT": "   "}),
    ("journal", "unparseable_timestamp", {"CYCLE_START_TIME": "2030-01-27"}),
    ("journal", "invalid_timezone_offset", {"CYCLE_TIMEZONE": "Europe/Berlin"}),
    ("journal", "negative_duration", {"CYCLE_END_TIME": "2030-01-01 00:00:00"}),
    ("journal", "invalid_boolean", {"ANSWERED_YES": "1"}),
]
# valid rows next to them: the template itself and the edges of the ±3 minute rounding allowance
GOOD_ROWS = [
    ("cycle", {}),
    ("cycle", {"LIGHT_SLEEP_DURATION_MIN": "223", "AWAKE_DURATION_MIN": "53"}),
    ("cycle", {"CYCLE_END_TIME": None, "RECOVERY_SCORE_PCT": None, "DAY_STRAIN": None}),  # the open cycle
    ("sleep", {"NAP": "true"}),
    ("workout", {"DISTANCE_METERS": None, "ALTITUDE_GAIN_METERS": None, "ALTITUDE_CHANGE_METERS": None}),
    ("journal", {"NOTES": None}),
]


def _insert(stack: Settings, table: str, row: dict[str, str | None], member: str = CRAFTED) -> str:
    spec = next(s for s in export_import.FILES if s.table == table)
    columns = [export_import.column_name(h) for h in spec.all_headers]
    values = [row.get(c) for c in columns]
    row_hash = export_import.row_hash(values)
    conn = pipeline.connect(stack)
    try:
        conn.cursor().execute(
            f"INSERT INTO {table} (INGEST_BATCH_ID, LOADED_AT, MEMBER_NAME, SOURCE_FILE, STAGED_FILE, "
            f"FILE_ROW_NUMBER, ROW_HASH, {', '.join(columns)}) "
            f"SELECT 'crafted', SYSDATE(), %s, %s, 'crafted', 1, %s, {', '.join(['%s'] * len(columns))}",
            [member, spec.name, row_hash, *values],
        )
    finally:
        conn.close()
    return row_hash


def _cases() -> list[tuple[str, str, dict, int]]:
    return [(table, rule, changes, day) for day, (table, rule, changes) in enumerate(BAD_ROWS, start=1)]


@pytest.fixture(scope="module")
def crafted(stack: Settings, built: dict) -> dict:
    """Every bad and good row inserted straight into Bronze, then one run of the graph."""
    bad = {}
    for table, rule, changes, day in _cases():
        bronze, make = TABLES[table]
        row = make(day % 27 + 1, **changes)
        bad[(table, rule, tuple(changes.items()))] = (bronze, row, _insert(stack, bronze, row))
    good = []
    for n, (table, changes) in enumerate(GOOD_ROWS):
        bronze, make = TABLES[table]
        row = {c: v and v.replace("2030", "2031") for c, v in make(n + 1, **changes).items()}  # keys of their own
        good.append((bronze, row, _insert(stack, bronze, row)))
    pipeline.run_once(stack)
    return {"bad": bad, "good": good}


def _key_column(table: str) -> str:
    return {"cycle": "CYCLE_START_TIME", "sleep": "SLEEP_ONSET", "workout": "WORKOUT_START_TIME"}.get(
        table, "CYCLE_START_TIME"
    )


@pytest.mark.parametrize(
    ("table", "rule", "changes"),
    [(t, r, c) for t, r, c in BAD_ROWS],
    ids=[f"{t}-{r}-{next(iter(c))}" for t, r, c in BAD_ROWS],
)
def test_a_bad_row_is_quarantined_with_its_rule(stack: Settings, crafted: dict, table, rule, changes) -> None:
    bronze, row, row_hash = crafted["bad"][(table, rule, tuple(changes.items()))]
    held = rows(
        stack,
        "SELECT * FROM OPS.QUARANTINE WHERE SOURCE_TABLE = %s AND PAYLOAD_HASH = %s AND MEMBER_REF = %s",
        (bronze, row_hash, CRAFTED),
    )
    assert [(h["RULE_NAME"], h["LAYER"], h["TARGET_TABLE"]) for h in held] == [(rule, "SILVER", SILVER[bronze][0])]
    assert held[0]["RECORD_KEY"] == row[_key_column(table)]
    assert held[0]["INGEST_BATCH_ID"] == "crafted"
    target, _ = SILVER[bronze]
    assert query(stack, f"SELECT COUNT(*) FROM {target} WHERE ROW_HASH = %s", (row_hash,)) == [(0,)]


def test_payload_keeps_the_raw_row(stack: Settings, crafted: dict) -> None:
    _, row, row_hash = crafted["bad"][("journal", "invalid_boolean", (("ANSWERED_YES", "1"),))]
    (payload,) = query(stack, "SELECT PAYLOAD FROM OPS.QUARANTINE WHERE PAYLOAD_HASH = %s", (row_hash,))[0]
    payload = json.loads(payload)
    assert payload["ANSWERED_YES"] == "1" and payload["NOTES"] == "one\ntwo"
    assert payload["QUESTION_TEXT"] == row["QUESTION_TEXT"] and payload["ROW_HASH"] == row_hash


def test_good_crafted_rows_are_promoted_with_their_values(stack: Settings, crafted: dict) -> None:
    for bronze, _, row_hash in crafted["good"]:
        target, _ = SILVER[bronze]
        assert query(stack, f"SELECT COUNT(*) FROM {target} WHERE ROW_HASH = %s", (row_hash,)) == [(1,)], bronze
    cycle = rows(stack, "SELECT * FROM SILVER.EXPORT_CYCLE WHERE MEMBER_NAME = %s ORDER BY CYCLE_START_UTC", (CRAFTED,))
    assert [c["CYCLE_START_UTC"] for c in cycle] == [datetime(2031, 1, d, 22) for d in (1, 2, 3)]  # 23:00 at +01:00
    assert cycle[0]["CYCLE_END_UTC"] == datetime(2031, 1, 2, 22, 30) and cycle[0]["CYCLE_DATE"] == date(2031, 1, 2)
    assert cycle[0]["TIMEZONE_OFFSET"] == "+01:00" and cycle[0]["OFFSET_MINUTES"] == 60
    assert cycle[0]["SPO2_PERCENTAGE"] == 96.4 and cycle[0]["SKIN_TEMP_CELSIUS"] == 33.51
    assert cycle[2]["CYCLE_END_UTC"] is None and cycle[2]["RECOVERY_SCORE"] is None
    (workout,) = rows(stack, "SELECT * FROM SILVER.EXPORT_WORKOUT WHERE MEMBER_NAME = %s", (CRAFTED,))
    assert workout["WORKOUT_START_UTC"] == datetime(2031, 1, 6, 15) and workout["OFFSET_MINUTES"] == -300
    assert workout["ACTIVITY_NAME"] == "Functional Fitness" and workout["SPORT_NAME"] == "functional-fitness"
    assert workout["GPS_ENABLED"] is True and workout["DISTANCE_METERS"] is None
    (journal,) = rows(stack, "SELECT * FROM SILVER.JOURNAL_ENTRY WHERE MEMBER_NAME = %s", (CRAFTED,))
    assert journal["QUESTION_TEXT"] == "Have any caffeine?" and journal["NOTES"] is None
    assert journal["CYCLE_START_UTC"] == datetime(2031, 1, 6, 17, 30) and journal["CYCLE_DATE"] == date(2031, 1, 7)
    (sleep,) = rows(stack, "SELECT * FROM SILVER.EXPORT_SLEEP WHERE MEMBER_NAME = %s", (CRAFTED,))
    assert sleep["IS_NAP"] is True and sleep["WAKE_DATE"] == date(2031, 1, 5)


def test_every_run_accounts_for_its_rows(stack: Settings, crafted: dict) -> None:
    runs = query(stack, "SELECT TARGET_TABLE, ROWS_READ, ROWS_PROMOTED, ROWS_QUARANTINED FROM OPS.TRANSFORM_RUNS")
    assert runs and all(read == promoted + held for _, read, promoted, held in runs)
    for bronze, (target, _) in SILVER.items():
        bad = sum(1 for b, _, _ in crafted["bad"].values() if b == bronze)
        good = sum(1 for b, _, _ in crafted["good"] if b == bronze)
        last = query(
            stack,
            "SELECT ROWS_READ, ROWS_PROMOTED, ROWS_QUARANTINED FROM OPS.TRANSFORM_RUNS WHERE TARGET_TABLE = %s "
            "ORDER BY RUN_AT DESC LIMIT 1",
            (target,),
        )
        assert last == [(bad + good, good, bad)], target


def test_a_bad_row_is_quarantined_once_however_often_it_comes(stack: Settings, crafted: dict) -> None:
    before = query(stack, "SELECT COUNT(*) FROM OPS.QUARANTINE")[0][0]
    for bronze, row, _ in crafted["bad"].values():  # the same rows delivered again (Bronze keeps both copies)
        _insert(stack, bronze, row)
    pipeline.run_once(stack)
    pipeline.run_once(stack)  # and a run with nothing new
    assert query(stack, "SELECT COUNT(*) FROM OPS.QUARANTINE")[0][0] == before
    counts = query(
        stack,
        "SELECT SOURCE_TABLE, PAYLOAD_HASH, RULE_NAME, COUNT(*) FROM OPS.QUARANTINE WHERE MEMBER_REF = %s "
        "GROUP BY SOURCE_TABLE, PAYLOAD_HASH, RULE_NAME",
        (CRAFTED,),
    )
    assert len(counts) == len(BAD_ROWS) and all(n == 1 for *_, n in counts)


def test_the_same_bad_row_for_another_member_is_theirs(stack: Settings, crafted: dict) -> None:
    bronze, row, row_hash = crafted["bad"][("workout", "invalid_boolean", (("GPS_ENABLED", "yes"),))]
    _insert(stack, bronze, row, member="yan")  # identical content, so the same ROW_HASH
    pipeline.run_once(stack)
    held = query(
        stack,
        "SELECT MEMBER_REF, RULE_NAME FROM OPS.QUARANTINE WHERE PAYLOAD_HASH = %s ORDER BY MEMBER_REF",
        (row_hash,),
    )
    assert held == [("yan", "invalid_boolean"), (CRAFTED, "invalid_boolean")]
