"""The CSV export and the API give the same Gold for the same member.

ann's history is ingested through the API; the export the sandbox writes for her is imported twice: as
another member ("ann_csv", export only) and as ann herself. The export-only member's Gold must equal the
API member's at the export's precision, and ann's own import must add the journal without doubling a fact.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path

import pytest

from infra.local import pipeline
from infra.local.sandbox.export import write_export
from infra.local.settings import Settings
from tests.integration.conftest import local_stack, query, truth


@pytest.fixture(scope="module")
def export_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("export")


@pytest.fixture(scope="module")
def cycles_only_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """ann's export as some real exports come: sleeps.csv with its header only (the cycles file still carries
    each cycle's main sleep)."""
    return tmp_path_factory.mktemp("export_cycles_only")


@pytest.fixture(scope="module")
def both(tmp_path_factory: pytest.TempPathFactory, export_folder: Path, cycles_only_folder: Path) -> Iterator[Settings]:
    with local_stack(tmp_path_factory.mktemp("whoop_home"), ["ann"], days=90) as settings:
        pipeline.run_once(settings)
        write_export(truth(settings, "ann"), export_folder)
        pipeline.import_export(settings, export_folder, "ann_csv", new_member=True)  # export-only member
        write_export(truth(settings, "ann"), cycles_only_folder)
        sleeps = cycles_only_folder / "sleeps.csv"
        sleeps.write_text(sleeps.read_text(encoding="utf-8").splitlines()[0] + "\n", encoding="utf-8")
        pipeline.import_export(settings, cycles_only_folder, "ann_cycles", new_member=True)
        pipeline.run_once(settings)
        yield settings


def pairs(settings: Settings, sql: str, to_the_second: bool = False) -> list[tuple]:
    """(key, API row, export row) per first-column key of `sql`'s rows for the API member and the export-only member,
    after checking both have rows with the same keys (timestamps compared `to_the_second`: the export has no
    fractions)."""
    keyed = []
    for member in ("ann", "ann_csv"):
        rows = query(settings, sql + " WHERE MEMBER_KEY = MD5(%s)", (f"member|{member}",))
        by_key = {r[0].replace(microsecond=0) if to_the_second else r[0]: r for r in rows}
        assert len(by_key) == len(rows), f"{member}: duplicate {rows[0][0]!r}"
        keyed.append(by_key)
    api, csv = keyed
    assert api and set(api) == set(csv)
    return [(k, a, csv[k]) for k, a in api.items()]


def close(a: float | None, b: float | None, tolerance: float) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return abs(a - b) <= tolerance


def test_daily_recovery_is_the_same(both):
    for day, a, c in pairs(
        both,
        "SELECT DATE_KEY, RECOVERY_SCORE, HRV_RMSSD_MS, RESTING_HEART_RATE_BPM, SPO2_PERCENTAGE, SKIN_TEMP_CELSIUS, "
        "CYCLE_START_TIMESTAMP, SOURCE FROM GOLD.FACT_DAILY_RECOVERY",
    ):
        assert a[7] == "API" and c[7] == "EXPORT"
        assert c[6] == a[6].replace(microsecond=0)  # the same cycle, to the second
        assert close(a[1], c[1], 0.5) and close(a[2], c[2], 0.5) and close(a[3], c[3], 0.5), (day, a, c)
        assert close(a[4], c[4], 0.005) and close(a[5], c[5], 0.005), (day, a, c)


def test_daily_strain_is_the_same(both):
    for day, a, c in pairs(
        both,
        "SELECT DATE_KEY, DAY_STRAIN_SCORE, CALORIES_BURNED, AVG_HEART_RATE_BPM, MAX_HEART_RATE_BPM "
        "FROM GOLD.FACT_STRAIN",
    ):
        assert close(a[1], c[1], 0.05) and close(a[2], c[2], 0.55) and a[3:] == c[3:], (day, a, c)


def test_sleeps_are_the_same(both):
    for start, a, c in pairs(
        both,
        "SELECT SLEEP_START_TIMESTAMP, DATE_KEY, IS_NAP, IS_MAIN_SLEEP, TOTAL_SLEEP_MINUTES, LIGHT_SLEEP_MINUTES, "
        "DEEP_SLEEP_MINUTES, REM_SLEEP_MINUTES, AWAKE_MINUTES, SLEEP_EFFICIENCY_PCT, RESPIRATORY_RATE, "
        "SLEEP_NEEDED_MINUTES, SLEEP_DEBT_MINUTES FROM GOLD.FACT_SLEEP",
        to_the_second=True,
    ):
        assert a[1:4] == c[1:4], (start, a, c)  # day, nap flag, main-sleep decision
        assert all(close(x, y, 1.0) for x, y in zip(a[4:9], c[4:9], strict=True)), (start, a, c)
        assert close(a[9], c[9], 0.5) and close(a[10], c[10], 0.05), (start, a, c)
        assert close(a[11], c[11], 1.0) and close(a[12], c[12], 1.0), (start, a, c)


def test_an_export_without_sleeps_csv_rows_gets_each_cycles_main_sleep(both, cycles_only_folder):
    """sleeps.csv with its header only: every cycle's main sleep comes from physiological_cycles.csv, the same in
    Gold as the full export gives it (day, main-sleep decision, stages, scores), once; only naps are missing. Fails
    without the cycles file's sleeps: the member has no night at all."""
    sql = (
        "SELECT SLEEP_START_TIMESTAMP, DATE_KEY, IS_NAP, IS_MAIN_SLEEP, TOTAL_SLEEP_MINUTES, LIGHT_SLEEP_MINUTES, "
        "DEEP_SLEEP_MINUTES, REM_SLEEP_MINUTES, AWAKE_MINUTES, SLEEP_EFFICIENCY_PCT, SLEEP_PERFORMANCE_PCT, "
        "RESPIRATORY_RATE, SLEEP_NEEDED_MINUTES, SLEEP_DEBT_MINUTES, SOURCE FROM GOLD.FACT_SLEEP "
        "WHERE MEMBER_KEY = MD5(%s)"
    )
    full = {r[0]: r for r in query(both, sql, ("member|ann_csv",))}
    derived = query(both, sql, ("member|ann_cycles",))
    with (cycles_only_folder / "physiological_cycles.csv").open(newline="", encoding="utf-8") as fh:
        # a sleep still being scored (the newest night's, blank scores) stays out of Gold, as in the full export
        onsets = [r["Sleep onset"] for r in csv.DictReader(fh) if r["Sleep onset"] and r["Asleep duration (min)"]]
    assert onsets and len(derived) == len({r[0] for r in derived}) == len(onsets)
    for row in derived:
        assert row[2] is False and row[-1] == "EXPORT", row
        assert row[1:-1] == full[row[0]][1:-1], (row, full[row[0]])
    assert {k for k, r in full.items() if not r[2]} == {r[0] for r in derived}  # every main sleep, no nap


def test_workouts_are_the_same(both):
    for start, a, c in pairs(
        both,
        "SELECT WORKOUT_START_TIMESTAMP, DATE_KEY, ACTIVITY_TYPE_KEY, DURATION_MINUTES, STRAIN_SCORE, "
        "CALORIES_BURNED, AVG_HEART_RATE_BPM, MAX_HEART_RATE_BPM, DISTANCE_METERS, ZONE_DURATION_MINUTES "
        "FROM GOLD.FACT_WORKOUTS",
        to_the_second=True,
    ):
        assert a[1:3] == c[1:3] and a[6:8] == c[6:8], (start, a, c)
        assert close(a[3], c[3], 1.0) and close(a[4], c[4], 0.05) and close(a[5], c[5], 0.55), (start, a, c)
        assert close(a[8], c[8], 0.5), (start, a, c)
        # five zone percentages, each rounded to a whole percent of the duration
        assert close(a[9], c[9], a[3] * 0.025 + 1), (start, a, c)


def test_minutes_per_heart_rate_zone_are_the_same_and_fill_the_workout(both):
    for start, a, c in pairs(
        both,
        "SELECT WORKOUT_START_TIMESTAMP, DURATION_MINUTES, ZONE_DURATION_MINUTES, ZONE_0_MINUTES, ZONE_1_MINUTES, "
        "ZONE_2_MINUTES, ZONE_3_MINUTES, ZONE_4_MINUTES, ZONE_5_MINUTES FROM GOLD.FACT_WORKOUTS",
        to_the_second=True,
    ):
        a_zones, c_zones = [float(z) for z in a[3:]], [float(z) for z in c[3:]]
        # the API's six zones split the workout (two decimals each)
        assert abs(sum(a_zones) - a[1]) <= 0.03, (start, a)
        # the export's too: zone 0 is what the rounded zone 1-5 percentages leave of "Duration (min)", so they add
        # up to it, or to at most 2.5 % more when the five roundings overshoot 100 % (zone 0 is then 0)
        assert c[1] - 0.03 <= sum(c_zones) <= c[1] * 1.025 + 0.03, (start, c)
        # zones 1-5 are still the seed's ZONE_DURATION_MINUTES
        assert abs(sum(a_zones[1:]) - a[2]) <= 0.03 and abs(sum(c_zones[1:]) - c[2]) <= 0.03, (start, a, c)
        # each zone as the API has it, at the export's precision: a whole percent of a whole-minute duration
        # (zone 0 carries the rounding of the other five)
        assert all(close(x, y, a[1] * 0.005 + 0.51) for x, y in zip(a_zones[1:], c_zones[1:], strict=True)), (a, c)
        assert close(a_zones[0], c_zones[0], a[1] * 0.025 + 1.01), (start, a, c)


def test_the_members_own_export_adds_the_journal_and_no_duplicate_facts(both, export_folder):
    facts = ("FACT_DAILY_RECOVERY", "FACT_STRAIN", "FACT_SLEEP", "FACT_WORKOUTS")
    counts = {t: query(both, f"SELECT COUNT(*) FROM GOLD.{t} WHERE MEMBER_KEY = MD5('member|ann')") for t in facts}
    pipeline.import_export(both, export_folder, "ann")
    pipeline.run_once(both)
    for table in facts:
        assert query(both, f"SELECT COUNT(*) FROM GOLD.{table} WHERE MEMBER_KEY = MD5('member|ann')") == counts[table]
        sources = query(both, f"SELECT DISTINCT SOURCE FROM GOLD.{table} WHERE MEMBER_KEY = MD5('member|ann')")
        assert sources == [("API",)], table  # API first: the export's copies of API records are not used
    journal = query(
        both,
        "SELECT COUNT(*), COUNT(CYCLE_ID) FROM GOLD.FACT_JOURNAL WHERE MEMBER_KEY = MD5('member|ann')",
    )
    expected = truth(both, "ann")["counts"]["journal_entries"]
    assert journal == [(expected, expected)]  # every answer found its API cycle
