"""A run tells the truth (issue 13 item 1): `whoop run` reports each member, exits 1 with one line naming who and why
when a member's ingest failed or the firing was skipped, and the task graph itself is FAILED (its finalizer fails
after writing the quality results) with OPS.RUN_STATUS and the Data Quality results saying so. The other members'
data still reaches Silver.

One stack for the module; tests run in file order (clean run, revoked member, skipped firing)."""

from __future__ import annotations

import json
import os
import queue
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import requests

from infra.local import pipeline
from infra.local.cli import main
from tests.integration.conftest import local_stack, point_cli_at, query

MEMBERS = ["ann", "ben"]


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    with local_stack(tmp_path_factory.mktemp("whoop_runstatus"), MEMBERS, days=30, seed=5) as settings:
        yield settings


@pytest.fixture
def cli_env(stack, monkeypatch):
    """`whoop` in this process, pointed at the module's stack."""
    point_cli_at(monkeypatch, stack)
    return stack


def run_status(settings, graph_run_id=None):
    (value,) = query(settings, "CALL OPS.RUN_STATUS(%s)", (graph_run_id,))[0]
    return json.loads(value)


def graph_runs(settings):
    """(run id, state) of each task of the newest graph run of the ingest root, from the warehouse's task history."""
    rows = query(
        settings,
        "SELECT NAME, STATE, ERROR_MESSAGE, RETURN_VALUE FROM WHOOP_LOCAL.CATALOG.TASK_HISTORY WHERE RUN_ID = "
        "(SELECT MAX_BY(RUN_ID, QUERY_START_TIME) FROM WHOOP_LOCAL.CATALOG.TASK_HISTORY "
        "WHERE NAME = 'WHOOP.OPS.WHOOP_PIPELINE_ROOT')",
    )
    return {name.rsplit(".", 1)[-1]: (state, error, value) for name, state, error, value in rows}


def test_a_clean_run_exits_zero_and_reports_every_member(cli_env, capsys):
    assert main(["run"]) == 0
    captured = capsys.readouterr()
    lines = captured.out.splitlines()
    assert lines[0].startswith("running the pipeline")
    for member in MEMBERS:
        assert any(line.strip().startswith(f"{member}: ") and "new versions" in line for line in lines), lines
    # then scoring, as the daily task: it trains the members no retrain has reached (all, on a first run) first
    assert lines[-3].startswith("scoring:") and "forecast(s)" in lines[-1], lines
    assert lines[-2] == f"  trained first (no model yet): {', '.join(sorted(MEMBERS))}", lines
    assert captured.err == ""
    status = run_status(cli_env)
    assert status["status"] == "SUCCEEDED", status
    assert {m["member"]: m["status"] for m in status["members"]} == dict.fromkeys(MEMBERS, "SUCCEEDED")
    assert all(m["new_versions"] > 0 for m in status["members"])
    tasks = {t["task"]: t["state"] for t in status["tasks"]}
    assert tasks["WHOOP_PIPELINE_ROOT"] == "SUCCEEDED" and tasks["DATA_QUALITY_TASK"] == "SUCCEEDED"
    # the root's return value is the ingest summary, set with SYSTEM$SET_RETURN_VALUE (not the CALL's result)
    returned = json.loads(graph_runs(cli_env)["WHOOP_PIPELINE_ROOT"][2])
    assert returned["members"] == 2 and returned["failed"] == 0 and returned["failed_members"] == {}


def test_a_revoked_member_fails_the_run_with_one_line_naming_them(cli_env, capsys):
    ann_before = query(cli_env, "SELECT COUNT(*) FROM SILVER.CYCLE WHERE MEMBER_NAME = 'ann'")[0][0]
    requests.post(f"{cli_env.sandbox_url}/_sandbox/edit", json={"fraction": 0.3, "within_days": 2, "seed": 4},
                  timeout=30).raise_for_status()  # fmt: skip
    requests.post(f"{cli_env.sandbox_url}/_sandbox/revoke/ben", timeout=10).raise_for_status()

    assert main(["run"]) == 1
    captured = capsys.readouterr()
    err = captured.err.strip().splitlines()
    assert len(err) == 1, err
    assert "ben" in err[0] and "re-authoriz" in err[0] and "rejected the refresh token" in err[0], err[0]
    assert "whoop auth --member ben" in err[0]
    assert "Traceback" not in captured.err
    assert any(line.strip().startswith("ann: ") for line in captured.out.splitlines())

    status = run_status(cli_env)
    assert status["status"] == "FAILED" and "ben" in status["reason"], status
    members = {m["member"]: m for m in status["members"]}
    assert members["ben"]["status"] == "NEEDS_REAUTHORIZATION" and members["ben"]["failed_resource"] == "token"
    assert members["ann"]["status"] == "SUCCEEDED"
    # the graph run itself failed: the root ran (and says who failed in its return value), the finalizer failed
    tasks = graph_runs(cli_env)
    assert tasks["WHOOP_PIPELINE_ROOT"][0] == "SUCCEEDED"
    assert json.loads(tasks["WHOOP_PIPELINE_ROOT"][2])["failed_members"]["ben"]["status"] == "NEEDS_REAUTHORIZATION"
    assert tasks["DATA_QUALITY_TASK"][0] == "FAILED" and "ben" in tasks["DATA_QUALITY_TASK"][1]
    # the quality results were written first, with the ingest failure as an error check (the Data Quality page)
    checks = query(
        cli_env,
        "SELECT MEMBER_KEY, PASSED, SEVERITY, DETAIL FROM OPS.DQ_RESULTS WHERE CHECK_NAME = 'member_ingest_succeeded' "
        "AND RUN_ID = (SELECT MAX_BY(RUN_ID, STARTED_AT) FROM OPS.DQ_RUNS)",
    )
    by_key = {k: (passed, severity, detail) for k, passed, severity, detail in checks}
    ben_key = query(cli_env, "SELECT MD5('member|ben')")[0][0]
    assert by_key[ben_key][0] is False and by_key[ben_key][1] == "error"
    assert "NEEDS_REAUTHORIZATION" in by_key[ben_key][2]
    assert "ben" not in by_key[ben_key][2]  # DETAIL reaches the BI role's reporting view: the member is MEMBER_KEY
    assert sum(1 for passed, _, _ in by_key.values() if passed) == 1  # ann's passed
    # ann's edited records still reached Silver
    assert query(cli_env, "SELECT COUNT(*) FROM SILVER.CYCLE WHERE MEMBER_NAME = 'ann'")[0][0] >= ann_before
    assert query(cli_env, "SELECT COUNT(*) FROM OPS.INGEST_RUNS WHERE MEMBER_NAME = 'ann' AND NEW_VERSIONS > 0 "
                          "AND GRAPH_RUN_ID = %s", (status["graph_run_id"],))[0][0] == 1  # fmt: skip


def test_the_data_quality_page_shows_the_failed_ingest(cli_env, monkeypatch):
    from tests.integration.dashboard_support import PAGE, app_test

    at = app_test(PAGE["Data_Quality"], cli_env.warehouse_url, monkeypatch)
    assert not at.exception
    assert int({m.label: m.value for m in at.metric}["Failed (error)"]) >= 1
    failed = at.dataframe[0].value  # the latest run's failed checks
    row = failed[failed["CHECK_NAME"] == "member_ingest_succeeded"]
    assert len(row) == 1 and row["MEMBER_NAME"].iloc[0] == "ben"
    assert row["DETAIL"].iloc[0].startswith("NEEDS_REAUTHORIZATION at token")


def test_a_skipped_firing_exits_one_with_a_clear_line(cli_env, capsys):
    # ben's grant is revoked: only ann is ingested; her API answers slowly so the first firing holds the graph
    query(cli_env, "UPDATE CONFIG.MEMBERS SET STATUS = 'NEEDS_REAUTHORIZATION' WHERE MEMBER_NAME = 'ben'")
    requests.put(f"{cli_env.sandbox_url}/_sandbox/faults", json={"p_slow": 1.0, "slow_seconds": 0.5},
                 timeout=10).raise_for_status()  # fmt: skip
    requests.post(f"{cli_env.sandbox_url}/_sandbox/reset-metrics", timeout=10).raise_for_status()
    first: dict = {}
    firing = threading.Thread(target=lambda: first.update(result=pipeline.run_once(cli_env)))
    firing.start()
    try:
        deadline = time.monotonic() + 60
        while not requests.get(f"{cli_env.sandbox_url}/_sandbox/metrics", timeout=10).json().get("requests"):
            assert time.monotonic() < deadline, "the first firing never reached the API"
            time.sleep(0.1)
        assert main(["run"]) == 1
    finally:
        firing.join(timeout=300)
        requests.put(f"{cli_env.sandbox_url}/_sandbox/faults", json={"p_slow": 0.0}, timeout=10).raise_for_status()
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "skipped" in err[0] and "still executing" in err[0], err
    assert first["result"]["status"] == "SUCCEEDED"  # the firing that held the graph was not disturbed


def test_the_api_down_fails_the_run_naming_the_member_and_the_resource(cli_env, capsys):
    """Every API call answers 5xx: the client gives up after its retries, the member's part fails at its first
    resource, and the run says so (ben stays NEEDS_REAUTHORIZATION from above and is not read)."""
    requests.put(f"{cli_env.sandbox_url}/_sandbox/faults", json={"p_5xx": 1.0}, timeout=10).raise_for_status()
    try:
        assert main(["run"]) == 1
    finally:
        requests.put(f"{cli_env.sandbox_url}/_sandbox/faults", json={"p_5xx": 0.0}, timeout=10).raise_for_status()
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1, err
    assert "member ann's ingest failed at cycle" in err[0] and "retries" in err[0], err[0]
    status = run_status(cli_env)
    assert status["status"] == "FAILED"
    (ann,) = [m for m in status["members"] if m["member"] == "ann"]
    assert ann["status"] == "FAILED" and ann["failed_resource"] == "cycle"


def test_progress_shows_before_the_work_is_done(cli_env):
    """Issue 13 item 7: the first step line reaches a pipe (a plain log) at once, not when the run ends."""
    root_runs = "SELECT COUNT(*) FROM WHOOP_LOCAL.CATALOG.TASK_HISTORY WHERE NAME = 'WHOOP.OPS.WHOOP_PIPELINE_ROOT'"
    (before,) = query(cli_env, root_runs)[0]
    requests.put(f"{cli_env.sandbox_url}/_sandbox/faults", json={"p_slow": 1.0, "slow_seconds": 0.5},
                 timeout=10).raise_for_status()  # fmt: skip
    env = {
        **{k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"},  # a pipe is block-buffered by default
        "WHOOP_HOME": str(cli_env.home),
        "WHOOP_LOCAL_HOST": cli_env.host,
        "WHOOP_WAREHOUSE_PORT": str(cli_env.warehouse_port),
        "WHOOP_SANDBOX_PORT": str(cli_env.sandbox_port),
        "WHOOP_SEED": str(cli_env.seed),
    }
    whoop = Path(sys.executable).parent / "whoop"
    proc = subprocess.Popen([str(whoop), "run"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    lines: queue.Queue[str] = queue.Queue()
    reader = threading.Thread(target=lambda: [lines.put(line) for line in proc.stdout], daemon=True)
    reader.start()
    try:
        first = lines.get(timeout=120)
        (now,) = query(cli_env, root_runs)[0]
        assert first.startswith("running the pipeline"), first
        assert now == before, "the first line came only after the graph run had ended"
    finally:
        proc.wait(timeout=300)
        requests.put(f"{cli_env.sandbox_url}/_sandbox/faults", json={"p_slow": 0.0}, timeout=10).raise_for_status()
    assert proc.returncode == 0, proc.stderr.read()
