"""Data quality: OPS.RUN_DATA_QUALITY after the pipeline, its history, planted defects and the alert.

One stack for the module; tests run in file order and each plants its defect after the clean checks ran.
"""

from __future__ import annotations

import time
from datetime import date

import pytest

from infra.local import pipeline
from tests.integration.conftest import local_stack, query, truth

MEMBERS = ["ann", "ben"]


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    with local_stack(tmp_path_factory.mktemp("whoop_dq"), MEMBERS, days=120) as settings:
        yield settings


def latest(settings, where="TRUE"):
    """(table, check, severity, member_key, rows tested, failures, passed) of the newest run."""
    return query(
        settings,
        "SELECT TABLE_NAME, CHECK_NAME, SEVERITY, MEMBER_KEY, ROWS_TESTED, FAILURES, PASSED FROM OPS.DQ_RESULTS "
        f"WHERE RUN_ID = (SELECT MAX_BY(RUN_ID, STARTED_AT) FROM OPS.DQ_RUNS) AND {where} "
        "ORDER BY TABLE_NAME, CHECK_NAME, MEMBER_KEY",
    )


def failed(settings, severity="error"):
    return {(t, c) for t, c, s, _, _, _, passed in latest(settings) if not passed and s == severity}


def alert_events(settings):
    return query(settings, "SELECT RUN_ID, FAILED_CHECKS, DETAIL FROM OPS.ALERT_EVENTS ORDER BY RAISED_AT")


def test_clean_run_passes_every_error_check_and_gold_has_zero_issues(stack):
    result = pipeline.run_once(stack)
    dq_task = [t for t in result["tasks"] if t["task"] == "WHOOP.OPS.DATA_QUALITY_TASK"]
    assert dq_task and dq_task[0]["state"] == "SUCCEEDED"
    assert result["tasks"][-1]["task"] == "WHOOP.OPS.DATA_QUALITY_TASK"  # the finalizer runs last
    rows = latest(stack)
    kinds = {r[1] for r in rows}
    assert {"cycle_id_unique", "one_per_member_and_day", "date_key_in_dim_date", "member_key_in_dim_member",
            "activity_type_key_in_dim_activity_type", "sleep_stage_key_in_dim_sleep_stage", "recovery_score_0_100",
            "required_columns_not_null", "pending_empty", "member_data_fresh", "volume_drop",
            "days_without_recovery", "payload_hash_unique"} <= kinds  # fmt: skip
    assert failed(stack) == set(), failed(stack)
    gold = [r for r in rows if r[0].startswith("GOLD.") and r[2] == "error"]
    assert gold and sum(r[5] for r in gold) == 0  # the seed's "zero issues in Gold"
    # it looked (the journal exists only once a CSV export is imported, and this stack has none)
    looked = [r for r in gold if r[1] in ("date_key_in_dim_date", "recovery_id_unique") and r[0] != "GOLD.FACT_JOURNAL"]
    assert looked and all(r[4] > 0 for r in looked)
    assert result["data_quality"]["checks"] == len(rows) and result["data_quality"]["failed_error"] == 0
    query(stack, "EXECUTE ALERT OPS.DATA_QUALITY_ALERT")
    assert alert_events(stack) == []


def test_results_are_history_a_second_run_appends(stack):
    before = query(stack, "SELECT RUN_ID, CHECK_NAME, TABLE_NAME, FAILURES FROM OPS.DQ_RESULTS ORDER BY 1, 2, 3")
    runs_before = query(stack, "SELECT COUNT(*) FROM OPS.DQ_RUNS")[0][0]
    result = pipeline.run_once(stack)  # nothing new: every Silver task SKIPPED, DQ still runs
    assert {t["state"] for t in result["tasks"] if "SILVER_" in t["task"]} == {"SKIPPED"}
    assert query(stack, "SELECT COUNT(*) FROM OPS.DQ_RUNS")[0][0] == runs_before + 1
    after = query(stack, "SELECT RUN_ID, CHECK_NAME, TABLE_NAME, FAILURES FROM OPS.DQ_RESULTS ORDER BY 1, 2, 3")
    assert set(before) < set(after) and len(after) == 2 * len(before)


def test_missing_days_count_the_sandbox_gaps_and_only_warn(stack):
    for member in MEMBERS:
        gaps = truth(stack, member)["meta"]["gaps"]
        gap_days = sum((date.fromisoformat(g["end_date"]) - date.fromisoformat(g["start_date"])).days + 1 for g in gaps)
        (row,) = latest(
            stack,
            f"CHECK_NAME = 'days_without_recovery' AND MEMBER_KEY = MD5('member|{member}')",
        )
        _, _, severity, _, days, missing, passed = row
        assert severity == "warn" and days > 0
        # every night of a gap lacks its recovery (a day at each edge may shift with the wake-up date)
        assert missing >= gap_days - 2 * len(gaps), (member, gaps, missing)
        assert passed == (missing == 0)
    assert ("GOLD.FACT_DAILY_RECOVERY", "days_without_recovery") not in failed(stack)  # never an error


def test_duplicate_in_silver_fails_the_key_check_and_fires_the_alert_once(stack):
    # a second copy of a scored cycle, id and all: Silver's natural key breaks (Gold dedups it by its hash key)
    query(
        stack,
        "INSERT INTO SILVER.CYCLE SELECT * FROM SILVER.CYCLE WHERE SCORE_STATE = 'SCORED' "
        "QUALIFY ROW_NUMBER() OVER (ORDER BY CYCLE_ID) = 1",
    )
    query(stack, "CALL OPS.RUN_DATA_QUALITY()")
    assert failed(stack) == {("SILVER.CYCLE", "cycle_id_unique")}, failed(stack)
    (row,) = latest(stack, "TABLE_NAME = 'SILVER.CYCLE' AND CHECK_NAME = 'cycle_id_unique'")
    assert row[5] == 1
    events = alert_events(stack)  # the quality run executed the alert itself, while the warehouse was up
    assert len(events) == 1 and events[0][1] == 1 and "SILVER.CYCLE.cycle_id_unique" in events[0][2]
    query(stack, "EXECUTE ALERT OPS.DATA_QUALITY_ALERT")
    assert len(alert_events(stack)) == 1  # a run is alerted once
    # undo: keep one row per id
    query(
        stack,
        "CREATE OR REPLACE TABLE SILVER.CYCLE AS SELECT * FROM SILVER.CYCLE "
        "QUALIFY ROW_NUMBER() OVER (PARTITION BY CYCLE_ID ORDER BY CYCLE_ID) = 1",
    )
    query(stack, "CALL OPS.RUN_DATA_QUALITY()")
    assert failed(stack) == set()


def test_fact_outside_the_date_spine_fails_the_foreign_key(stack):
    # a sleep whose wake date is past the spine (a year ahead) reaches Gold through Silver and a refresh
    query(
        stack,
        "INSERT INTO SILVER.SLEEP SELECT * REPLACE ('planted-' || SLEEP_ID AS SLEEP_ID, "
        "DATEADD(YEAR, 5, START_UTC) AS START_UTC, DATEADD(YEAR, 5, END_UTC) AS END_UTC, "
        "DATEADD(YEAR, 5, WAKE_DATE) AS WAKE_DATE) FROM SILVER.SLEEP WHERE SCORE_STATE = 'SCORED' LIMIT 1",
    )
    query(stack, "CALL OPS.RUN_DATA_QUALITY()")
    assert ("GOLD.FACT_SLEEP", "date_key_in_dim_date") in failed(stack)
    assert ("GOLD.FACT_SLEEP_STAGE", "date_key_in_dim_date") in failed(stack)
    assert "GOLD.FACT_SLEEP.date_key_in_dim_date" in alert_events(stack)[-1][2]
    query(stack, "DELETE FROM SILVER.SLEEP WHERE SLEEP_ID LIKE 'planted-%'")
    query(stack, "CALL OPS.RUN_DATA_QUALITY()")
    assert failed(stack) == set()


def test_stale_member_data_fails_freshness_per_member(stack):
    query(stack, "UPDATE CONFIG.SETTINGS SET SETTING_VALUE = '0' WHERE SETTING_KEY = 'dq_freshness_hours'")
    try:
        time.sleep(1.2)  # the newest load is now older than zero hours
        runs = len(alert_events(stack))
        query(stack, "CALL OPS.RUN_DATA_QUALITY()")
        stale = latest(stack, "CHECK_NAME = 'member_data_fresh' AND NOT PASSED")
        assert {r[3] for r in stale} == {query(stack, f"SELECT MD5('member|{m}')")[0][0] for m in MEMBERS}
        assert {r[0] for r in stale} == {"GOLD.FACT_*", "SILVER.CYCLE|RECOVERY|SLEEP|WORKOUT"}
        assert len(alert_events(stack)) == runs + 1  # raised by the run
        query(stack, "EXECUTE ALERT OPS.DATA_QUALITY_ALERT")
        assert len(alert_events(stack)) == runs + 1  # and only once
    finally:
        query(stack, "UPDATE CONFIG.SETTINGS SET SETTING_VALUE = '36' WHERE SETTING_KEY = 'dq_freshness_hours'")


def test_volume_drop_against_the_recent_norm(stack):
    # ten earlier days of ingest runs that loaded 2,000 workouts a day; today's load is far below 20 % of that
    for day in range(1, 11):
        query(
            stack,
            "INSERT INTO OPS.INGEST_RUNS (RUN_ID, MEMBER_NAME, STARTED_AT, FINISHED_AT, STATUS, RESOURCES, REQUESTS, "
            "PAGES, RECORDS, NEW_VERSIONS, RETRIES, WAITS, WAIT_SECONDS) "
            f"SELECT 'planted-{day}', 'ann', DATEADD(HOUR, -{24 * day + 1}, SYSDATE()), "
            f"DATEADD(HOUR, -{24 * day + 1}, SYSDATE()), 'SUCCEEDED', 'all', 1, 1, 0, 0, 0, 0, 0",
        )
    query(
        stack,
        "INSERT INTO BRONZE.RAW_WORKOUT (INGEST_BATCH_ID, LOADED_AT, MEMBER_ID, SOURCE, API_VERSION, RECORD_KEY, "
        "RECORD_UPDATED_AT, PAYLOAD_HASH, PAYLOAD) "
        "SELECT 'planted', DATEADD(HOUR, -(25 + 24 * MOD(SEQ4(), 10)), SYSDATE()), -1, 'planted', 'v2', "
        "'planted-' || SEQ4(), NULL, MD5('planted-' || SEQ4()), PARSE_JSON('{}') "
        "FROM TABLE(GENERATOR(ROWCOUNT => 20000))",
    )
    query(stack, "CALL OPS.RUN_DATA_QUALITY()")
    assert ("BRONZE.RAW_WORKOUT", "volume_drop") in failed(stack)
    (row,) = latest(stack, "TABLE_NAME = 'BRONZE.RAW_WORKOUT' AND CHECK_NAME = 'volume_drop'")
    assert row[5] == 1
    # the other tables had no planted history: a norm of zero is not judged
    assert ("BRONZE.RAW_CYCLE", "volume_drop") not in failed(stack)


def test_an_api_table_without_rows_has_no_row_missing_its_member(stack):
    """An install fed only by CSV exports has no rows in the API's Bronze tables: the outer join's empty side is
    not a row whose MEMBER_ID is missing (it was counted as one, and every export-only run failed six error
    checks and fired the alert)."""
    query(stack, "DELETE FROM BRONZE.RAW_BODY")  # as an export-only install has it
    query(stack, "CALL OPS.RUN_DATA_QUALITY()")
    rows = latest(stack, "CHECK_NAME = 'member_id_not_null'")
    assert ("BRONZE.RAW_BODY", "member_id_not_null", "error", None, 0, 0, True) in rows
    assert all(passed for *_, passed in rows) and len(rows) == 6
