"""Crash safety: an ingest that dies mid-page or right after a token refresh, then reruns, leaves Bronze
with every record exactly once and the member with a working token.

The crash is an exception no handler code catches, raised at a chosen point of a real run on the
in-process stack: the procedure stops there, so what it leaves behind is exactly what a killed process
leaves, the writes committed before that point.
"""

from __future__ import annotations

import json
from collections import Counter

import pytest
import snowflake.connector

from infra.local import pipeline
from snowpark_procs import ingest
from snowpark_procs.whoop import tokens as tokens_module
from snowpark_procs.whoop.models import record_key
from tests.integration.conftest import local_stack, truth

MEMBERS = ["dee", "eli"]
TRUTH_KEYS = {"cycle": "cycles", "recovery": "recoveries", "sleep": "sleeps", "workout": "workouts"}


class Crash(RuntimeError):
    """Stands in for the process dying: nothing after it runs."""


@pytest.fixture()
def crashy(tmp_path):
    with local_stack(tmp_path, MEMBERS, days=200, seed=5) as settings:
        yield settings


def call_ingest(settings):
    conn = pipeline.connect(settings)
    try:
        cur = conn.cursor()
        cur.execute("CALL OPS.INGEST_WHOOP('all')")
        return json.loads(cur.fetchone()[0])
    finally:
        conn.close()


def assert_bronze_is_the_truth(settings):
    conn = pipeline.connect(settings)
    try:
        cur = conn.cursor()
        for member in MEMBERS:
            t = truth(settings, member)
            for resource, key in TRUTH_KEYS.items():
                cur.execute(
                    f"SELECT RECORD_KEY, PAYLOAD_HASH FROM {ingest.BRONZE_TABLES[resource]} WHERE MEMBER_ID = %s",
                    (t["user_id"],),
                )
                rows = cur.fetchall()
                assert not [h for h, n in Counter(h for _, h in rows).items() if n > 1], "duplicated versions"
                assert {k for k, _ in rows} == {record_key(resource, r) for r in t[key]}, f"{member} {resource}"
    finally:
        conn.close()


def crash_on_call(monkeypatch, module, name, after_calls):
    original = getattr(module, name)
    calls = {"n": 0}

    def wrapper(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] > after_calls:
            raise Crash(f"simulated crash in {name}")
        return original(*args, **kwargs)

    monkeypatch.setattr(module, name, wrapper)
    return calls


@pytest.mark.parametrize("pages_before_crash", [0, 3, 11])
def test_crash_mid_backfill_then_rerun(crashy, monkeypatch, pages_before_crash):
    crash_on_call(monkeypatch, ingest, "_write_bronze", pages_before_crash)
    with pytest.raises(snowflake.connector.errors.ProgrammingError, match="simulated crash"):
        call_ingest(crashy)
    monkeypatch.undo()
    summary = call_ingest(crashy)
    assert summary["failed"] == 0, summary["by_member"]
    assert_bronze_is_the_truth(crashy)
    assert call_ingest(crashy)["new_versions"] == 0


def test_crash_right_after_a_refresh_keeps_a_valid_token(crashy, monkeypatch):
    # the rotated refresh token is saved, then the process dies before the access token is used
    original = tokens_module.AppManagedTokens._refresh_with

    def refresh_then_crash(self, refresh_token):
        original(self, refresh_token)
        raise Crash("simulated crash after a refresh")

    monkeypatch.setattr(tokens_module.AppManagedTokens, "_refresh_with", refresh_then_crash)
    with pytest.raises(snowflake.connector.errors.ProgrammingError, match="simulated crash"):
        call_ingest(crashy)
    monkeypatch.undo()
    summary = call_ingest(crashy)
    assert {m: v["status"] for m, v in summary["by_member"].items()} == dict.fromkeys(MEMBERS, "SUCCEEDED")
    assert_bronze_is_the_truth(crashy)
