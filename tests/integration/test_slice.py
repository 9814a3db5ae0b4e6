"""The vertical slice end to end: sandbox cycles → Bronze → stream + task → Silver → dynamic table → Gold.

Counts and values are checked against the sandbox's ground truth, through the real connector.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import pytest
import requests

from infra.local import pipeline
from infra.local.errors import WhoopError
from infra.local.settings import Settings
from tests.integration.conftest import leaked_secrets, query, truth

MEMBERS = ("ann", "ben")


def local_day(start: str, offset: str) -> int:
    """The documented rule: local date of (cycle start + 12 h)."""
    utc = datetime.fromisoformat(start.replace("Z", "+00:00"))
    minutes = 0 if offset == "Z" else (1 if offset[0] == "+" else -1) * (int(offset[1:3]) * 60 + int(offset[4:6]))
    day = (utc + timedelta(minutes=minutes, hours=12)).date()
    return day.year * 10000 + day.month * 100 + day.day


def task_states(result) -> dict[str, str]:
    """The run's tasks by name (without database and schema) and their states."""
    return {t["task"].rsplit(".", 1)[-1]: t["state"] for t in result["tasks"]}


def gold_rows(settings):
    return query(
        settings,
        "SELECT STRAIN_ID, MEMBER_KEY, DATE_KEY, DAY_STRAIN_SCORE, CALORIES_BURNED, AVG_HEART_RATE_BPM, "
        "MAX_HEART_RATE_BPM, CYCLE_ID, LOAD_TIMESTAMP FROM GOLD.FACT_STRAIN ORDER BY STRAIN_ID",
    )


def test_first_run_lands_every_cycle_in_every_layer(stack):
    result = pipeline.run_once(stack)
    states = task_states(result)
    assert states["WHOOP_PIPELINE_ROOT"] == states["SILVER_CYCLE_TASK"] == states["SILVER_SLEEP_TASK"] == "SUCCEEDED"
    assert {states[t] for t in states if "EXPORT" in t or "JOURNAL" in t} == {"SKIPPED"}  # no export imported
    assert "WHOOP.GOLD.FACT_STRAIN" in result["dynamic_tables_refreshed"]
    for member in MEMBERS:
        cycles = truth(stack, member)["cycles"]
        user_id = truth(stack, member)["user_id"]
        bronze = query(
            stack, "SELECT COUNT(*), COUNT(DISTINCT RECORD_KEY) FROM BRONZE.RAW_CYCLE WHERE MEMBER_ID = %s", (user_id,)
        )
        assert bronze == [(len(cycles), len(cycles))]
        silver = {
            r[0]: r[1:]
            for r in query(
                stack,
                "SELECT CYCLE_ID, SCORE_STATE, DAY_STRAIN, ENERGY_KCAL, END_UTC FROM SILVER.CYCLE WHERE MEMBER_ID = %s",
                (user_id,),
            )
        }
        assert set(silver) == {c["id"] for c in cycles}
        for c in cycles:
            state, strain, kcal, end = silver[c["id"]]
            assert state == c["score_state"]
            if c["score_state"] == "SCORED":
                assert strain == c["score"]["strain"]
                assert kcal == round(c["score"]["kilojoule"] / 4.184, 1)
            else:
                assert strain is None and kcal is None
            assert (end is None) == (c["end"] is None)
    scored = [c for m in MEMBERS for c in truth(stack, m)["cycles"] if c["score_state"] == "SCORED"]
    gold = {r[7]: r for r in gold_rows(stack)}
    assert set(gold) == {c["id"] for c in scored}
    for c in scored:
        assert gold[c["id"]][2] == local_day(c["start"], c["timezone_offset"])


def test_open_cycle_is_kept_without_end(stack):
    open_cycles = query(stack, "SELECT COUNT(*) FROM SILVER.CYCLE WHERE END_UTC IS NULL")
    assert open_cycles[0][0] >= len(MEMBERS)


def test_rerun_with_no_new_data_changes_nothing(stack):
    before_gold = gold_rows(stack)
    before_bronze = query(stack, "SELECT COUNT(*) FROM BRONZE.RAW_CYCLE")
    result = pipeline.run_once(stack)
    silver_tasks = {t: s for t, s in task_states(result).items() if t.startswith("SILVER_")}
    assert silver_tasks and set(silver_tasks.values()) == {"SKIPPED"}  # the streams had nothing new
    assert query(stack, "SELECT COUNT(*) FROM BRONZE.RAW_CYCLE") == before_bronze
    assert gold_rows(stack) == before_gold
    runs = query(stack, "SELECT STATUS, NEW_VERSIONS, REQUESTS FROM OPS.INGEST_RUNS ORDER BY FINISHED_AT DESC LIMIT 2")
    assert [(status, new) for status, new, _ in runs] == [("SUCCEEDED", 0)] * 2
    # a daily incremental run: at most 2 requests per collection and 1 per snapshot
    assert all(requests <= 2 * 4 + 2 for _, _, requests in runs), runs


def test_late_edits_and_scoring_flow_to_gold(stack):
    edited = requests.post(
        f"{stack.sandbox_url}/_sandbox/edit", json={"fraction": 0.5, "within_days": 3, "seed": 1}, timeout=30
    ).json()
    scored = requests.post(f"{stack.sandbox_url}/_sandbox/score-pending", timeout=30).json()
    before = query(stack, "SELECT COUNT(*) FROM BRONZE.RAW_CYCLE")[0][0]
    pipeline.run_once(stack)
    after = query(stack, "SELECT COUNT(*) FROM BRONZE.RAW_CYCLE")[0][0]
    assert after > before, (edited, scored)
    for member in MEMBERS:
        for c in truth(stack, member)["cycles"]:
            row = query(stack, "SELECT SCORE_STATE, DAY_STRAIN FROM SILVER.CYCLE WHERE CYCLE_ID = %s", (c["id"],))
            assert row[0][0] == c["score_state"]
            if c["score_state"] == "SCORED":
                assert row[0][1] == c["score"]["strain"]
    gold_ids = {r[7] for r in gold_rows(stack)}
    expected = {c["id"] for m in MEMBERS for c in truth(stack, m)["cycles"] if c["score_state"] == "SCORED"}
    assert gold_ids == expected


def test_revoked_member_is_flagged_and_others_continue(stack):
    # a refresh token the sandbox no longer accepts: the member needs re-authorization, the others' ingest goes on,
    # and the run says so (issue 13: it fails naming the member)
    conn = pipeline.connect(stack, paramstyle="qmark")
    try:
        conn.cursor().execute("CALL OPS.REGISTER_MEMBER(?, ?, ?)", ["ann", "not-a-valid-refresh-token", 1])
    finally:
        conn.close()
    with pytest.raises(WhoopError, match="member ann needs re-authorization"):
        pipeline.run_once(stack)
    status = dict(query(stack, "SELECT MEMBER_NAME, STATUS FROM CONFIG.MEMBERS"))
    assert status == {"ann": "NEEDS_REAUTHORIZATION", "ben": "ACTIVE"}
    last = dict(
        query(
            stack,
            "SELECT MEMBER_NAME, STATUS FROM OPS.INGEST_RUNS QUALIFY ROW_NUMBER() OVER "
            "(PARTITION BY MEMBER_NAME ORDER BY FINISHED_AT DESC) = 1",
        )
    )
    assert last == {"ann": "NEEDS_REAUTHORIZATION", "ben": "SUCCEEDED"}
    pipeline.auth(stack, member="ann")
    assert dict(query(stack, "SELECT MEMBER_NAME, STATUS FROM CONFIG.MEMBERS"))["ann"] == "ACTIVE"


def test_secrets_never_reach_tables_or_logs(stack):
    tokens_file = stack.home / "warehouse" / "secrets.json"
    assert tokens_file.exists() and oct(tokens_file.stat().st_mode)[-3:] == "600"
    stored = json.loads(tokens_file.read_text())
    values = [v for entry in stored.values() for v in _leaves(entry.get("secret_string", "")) if len(v) >= 12]
    assert values, "expected stored secret values to scan for"
    leaked = leaked_secrets(stack, values, "WHOOP_LOCAL.CATALOG.TASK_HISTORY")
    assert leaked == 0, f"{leaked} secret value(s) found in tables or logs"  # never print the values


def by_first_column(stack: Settings, select: str, key: tuple[str]) -> dict:
    """The member's rows of `select` (MEMBER_KEY = MD5 of `key`), each by its first column: the rest of the row."""
    return {r[0]: r[1:] for r in query(stack, select + " WHERE MEMBER_KEY = MD5(%s)", key)}


def _leaves(text: str):
    """Every string inside a secret value (the token map is JSON)."""
    try:
        parsed = json.loads(text)
    except ValueError:
        yield text
        return
    stack = [parsed]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
        elif isinstance(item, str):
            yield item


def local_date_key(iso: str, offset: str) -> int:
    utc = datetime.fromisoformat(iso.replace("Z", "+00:00"))
    minutes = 0 if offset == "Z" else (1 if offset[0] == "+" else -1) * (int(offset[1:3]) * 60 + int(offset[4:6]))
    day = (utc + timedelta(minutes=minutes)).date()
    return day.year * 10000 + day.month * 100 + day.day


def test_gold_facts_equal_what_the_truth_implies(stack):
    pipeline.run_once(stack)
    for member in MEMBERS:
        t = truth(stack, member)
        key = (f"member|{member}",)
        sleeps = {s["id"]: s for s in t["sleeps"]}
        recoveries = {
            local_date_key(sleeps[r["sleep_id"]]["end"], sleeps[r["sleep_id"]]["timezone_offset"]): r
            for r in t["recoveries"]
            if r["score_state"] == "SCORED"
        }
        gold = by_first_column(
            stack,
            "SELECT DATE_KEY, RECOVERY_SCORE, HRV_RMSSD_MS, RESTING_HEART_RATE_BPM, CYCLE_ID "
            "FROM GOLD.FACT_DAILY_RECOVERY",
            key,
        )
        assert set(gold) == set(recoveries)
        for day, r in recoveries.items():
            s = r["score"]
            assert gold[day] == (s["recovery_score"], s["hrv_rmssd_milli"], s["resting_heart_rate"], r["cycle_id"])
        scored_sleeps = {s["id"]: s for s in t["sleeps"] if s["score_state"] == "SCORED"}
        gold_sleeps = by_first_column(
            stack,
            "SELECT WHOOP_SLEEP_ID, DATE_KEY, IS_NAP, IS_MAIN_SLEEP, TOTAL_SLEEP_MINUTES FROM GOLD.FACT_SLEEP",
            key,
        )
        assert set(gold_sleeps) == set(scored_sleeps)
        for sid, s in scored_sleeps.items():
            stages = s["score"]["stage_summary"]
            asleep = sum(stages[f"total_{k}_time_milli"] for k in ("light_sleep", "slow_wave_sleep", "rem_sleep"))
            day, nap, main, minutes = gold_sleeps[sid]
            assert day == local_date_key(s["end"], s["timezone_offset"]) and nap == s["nap"] and main == (not nap)
            assert minutes == pytest.approx(asleep / 60_000)
        workouts = {w["id"]: w for w in t["workouts"] if w["score_state"] == "SCORED"}
        gold_workouts = dict(
            query(
                stack,
                "SELECT WHOOP_WORKOUT_ID, CALORIES_BURNED FROM GOLD.FACT_WORKOUTS WHERE MEMBER_KEY = MD5(%s)",
                key,
            )
        )
        assert set(gold_workouts) == set(workouts)
        assert all(gold_workouts[w] == round(workouts[w]["score"]["kilojoule"] / 4.184, 1) for w in workouts)
