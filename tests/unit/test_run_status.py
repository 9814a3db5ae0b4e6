"""The run verdict (OPS.RUN_STATUS, `whoop run`) and the root task's return value, as pure functions."""

from __future__ import annotations

import json

from snowpark_procs.ingest import RETURN_VALUE_BYTES, task_return_value
from snowpark_procs.run_status import verdict

OK = {"member": "ann", "status": "SUCCEEDED", "failed_resource": None, "error": None}
REAUTH = {"member": "ben", "status": "NEEDS_REAUTHORIZATION", "failed_resource": "token", "error": "refused"}
FAILED = {"member": "cy", "status": "FAILED", "failed_resource": "sleep", "error": "WhoopApiError: gave up"}
TASKS = [{"task": "WHOOP_PIPELINE_ROOT", "state": "SUCCEEDED", "error": None},
         {"task": "DATA_QUALITY_TASK", "state": "SUCCEEDED", "error": None}]  # fmt: skip


def test_a_skipped_firing_says_so_first():
    state, reason = verdict("SKIPPED", "the previous run of the graph is still executing", [], [])
    assert state == "SKIPPED" and "skipped" in reason and "still executing" in reason


def test_a_failed_member_names_who_what_and_where():
    assert verdict("SUCCEEDED", None, TASKS, [OK, REAUTH]) == (
        "FAILED",
        "member ben needs re-authorization (refused)",
    )
    state, reason = verdict("SUCCEEDED", None, TASKS, [OK, FAILED, REAUTH])
    assert state == "FAILED" and reason.startswith("member cy's ingest failed at sleep: WhoopApiError: gave up")
    assert "1 more member(s) failed" in reason


def test_a_failed_task_names_the_task_and_its_error():
    broken = [{"task": "SILVER_CYCLE_TASK", "state": "FAILED", "error": "Table 'X' does not exist"}, *TASKS]
    assert verdict("SUCCEEDED", None, broken, [OK]) == (
        "FAILED",
        "task SILVER_CYCLE_TASK failed: Table 'X' does not exist",
    )


def test_everything_succeeded():
    assert verdict("SUCCEEDED", None, TASKS, [OK])[0] == "SUCCEEDED"


def test_the_return_value_fits_10_kb_whatever_the_failures():
    by_member = {
        f"member_{i:04d}": {"status": "FAILED", "new_versions": 0, "error": "x" * 2000, "failed_resource": "cycle"}
        for i in range(800)
    }
    summary = {"run_id": "r", "members": 800, "failed": 800, "new_versions": 0, "by_member": by_member}
    value = task_return_value(summary)
    assert len(value.encode()) <= RETURN_VALUE_BYTES
    parsed = json.loads(value)
    assert parsed["failed"] == 800 and parsed["failed_members"]
    few = {**summary, "members": 2, "failed": 1, "by_member": dict(list(by_member.items())[:1])}
    one = json.loads(task_return_value(few))
    assert one["failed_members"]["member_0000"] == {"status": "FAILED", "resource": "cycle", "error": "x" * 300}


def test_the_reauthorization_hint_names_the_connection_the_run_used():
    from infra.local.errors import RunFailed

    result = {
        "reason": "member ann needs re-authorization",
        "members": [{"member": "ann", "status": "NEEDS_REAUTHORIZATION"}],
    }
    assert str(RunFailed(result)).endswith("re-authorize with `whoop auth --member ann`")
    on_account = RunFailed(result, "-c prod --app WHOOP_PLATFORM ")
    assert str(on_account).endswith("re-authorize with `whoop -c prod --app WHOOP_PLATFORM auth --member ann`")
