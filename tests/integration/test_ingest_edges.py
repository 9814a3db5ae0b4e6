"""INGEST_WHOOP and the member procedures on bad input: clear errors, failures logged per member."""

from __future__ import annotations

import json

import pytest
import snowflake.connector

from infra.local import pipeline
from snowpark_procs import ingest
from tests.integration.conftest import truth


def call(settings, sql, params=None):
    conn = pipeline.connect(settings, paramstyle="qmark")
    try:
        cur = conn.cursor()
        cur.execute(sql, params)
        return cur.fetchall()
    finally:
        conn.close()


def test_unknown_resource_is_a_clear_error(stack):
    with pytest.raises(snowflake.connector.errors.ProgrammingError, match="unknown resources: nope"):
        call(stack, "CALL OPS.INGEST_WHOOP('cycle,nope')")


def test_backfill_from_reads_only_the_window(stack):
    (summary,) = call(stack, "CALL OPS.INGEST_WHOOP('cycle', '2026-11-10')")[0]
    overlapping = [
        c for m in ("ann", "ben") for c in truth(stack, m)["cycles"] if c["end"] is None or c["end"] >= "2026-11-10"
    ]
    assert json.loads(summary)["records"] == len(overlapping)


def test_member_without_token_needs_reauthorization(stack):
    call(stack, "INSERT INTO CONFIG.MEMBERS (MEMBER_NAME, STATUS) VALUES ('zed', 'ACTIVE')")
    (summary,) = call(stack, "CALL OPS.INGEST_WHOOP()")[0]
    by_member = json.loads(summary)["by_member"]
    assert by_member["zed"]["status"] == "NEEDS_REAUTHORIZATION"
    assert by_member["ann"]["status"] == "SUCCEEDED"


def test_api_failure_fails_the_member_not_the_run(stack):
    call(
        stack, "UPDATE CONFIG.SETTINGS SET SETTING_VALUE = SETTING_VALUE || '/gone' WHERE SETTING_KEY = 'api_base_url'"
    )
    try:
        (summary,) = call(stack, "CALL OPS.INGEST_WHOOP()")[0]
    finally:
        call(
            stack,
            "UPDATE CONFIG.SETTINGS SET SETTING_VALUE = REPLACE(SETTING_VALUE, '/gone', '') "
            "WHERE SETTING_KEY = 'api_base_url'",
        )
    by_member = json.loads(summary)["by_member"]
    assert by_member["ann"]["status"] == "FAILED" and "HTTP 404" in by_member["ann"]["error"]
    logged = call(
        stack,
        "SELECT STATUS, ERROR_MESSAGE FROM OPS.INGEST_RUNS WHERE MEMBER_NAME = 'ann' ORDER BY FINISHED_AT DESC LIMIT 1",
    )
    assert logged[0][0] == "FAILED" and "HTTP 404" in logged[0][1]


def test_member_procedures_reject_empty_input(stack):
    with pytest.raises(snowflake.connector.errors.ProgrammingError, match="member and refresh_token are required"):
        call(stack, "CALL OPS.REGISTER_MEMBER(?, ?, ?)", [" ", "", 1])
    with pytest.raises(snowflake.connector.errors.ProgrammingError, match="client_id and client_secret are required"):
        call(stack, "CALL OPS.SET_WHOOP_CLIENT(?, ?)", ["", ""])


def test_an_empty_page_writes_nothing():
    assert ingest._write_bronze(None, "run", "cycle", "/v2/cycle", []) == 0


def test_two_concurrent_runs_keep_every_member_authorized(stack):
    import threading

    results: list[dict] = []

    def run() -> None:
        (summary,) = call(stack, "CALL OPS.INGEST_WHOOP('profile')")[0]
        results.append(json.loads(summary))

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert len(results) == 2
    statuses = [v["status"] for r in results for m, v in r["by_member"].items() if m in ("ann", "ben")]
    assert statuses == ["SUCCEEDED"] * 4, [r["by_member"] for r in results]
    assert dict(call(stack, "SELECT MEMBER_NAME, STATUS FROM CONFIG.MEMBERS WHERE MEMBER_NAME IN ('ann', 'ben')")) == {
        "ann": "ACTIVE",
        "ben": "ACTIVE",
    }
    (after,) = call(stack, "CALL OPS.INGEST_WHOOP('profile')")[0]
    assert {v["status"] for m, v in json.loads(after)["by_member"].items() if m in ("ann", "ben")} == {"SUCCEEDED"}
