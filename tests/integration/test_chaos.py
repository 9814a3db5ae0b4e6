"""Ingest under faults: 3 members × 1 year with 5xx, 429 bursts, timeouts, malformed pages and a token
expiry. Bronze must hold exactly the sandbox's truth: every record, its latest version, no duplicates;
a rerun adds nothing; edits inside the overlap window arrive as exactly those new versions."""

from __future__ import annotations

import json
from collections import Counter

import pytest
import requests

from snowpark_procs.ingest import BRONZE_TABLES
from snowpark_procs.whoop.models import record_key
from tests.integration.conftest import local_stack, query, truth

MEMBERS = ["amy", "bo", "cy"]
TRUTH_KEYS = {"cycle": "cycles", "recovery": "recoveries", "sleep": "sleeps", "workout": "workouts"}
FAULTS = {
    "seed": 11,
    "p_5xx": 0.10,
    "p_429": 0.05,
    "burst_429": 2,
    "p_timeout": 0.02,
    "timeout_seconds": 2.5,
    "p_malformed": 0.03,
}


@pytest.fixture(scope="module")
def chaos(tmp_path_factory):
    with local_stack(tmp_path_factory.mktemp("chaos"), MEMBERS, days=365, seed=3, clock_scale=0.01) as settings:
        query(
            settings, "UPDATE CONFIG.SETTINGS SET SETTING_VALUE = '1' WHERE SETTING_KEY = 'http_read_timeout_seconds'"
        )
        put_faults(settings, {**FAULTS, "expire_tokens_now": True})
        yield settings


def put_faults(settings, faults):
    requests.put(f"{settings.sandbox_url}/_sandbox/faults", json=faults, timeout=10).raise_for_status()


def ingest(settings):
    (summary,) = query(settings, "CALL OPS.INGEST_WHOOP('all')")[0]
    return json.loads(summary)


def bronze_matches_truth(settings):
    for member in MEMBERS:
        t = truth(settings, member)
        for resource, key in TRUTH_KEYS.items():
            expected = {record_key(resource, r): r for r in t[key]}
            rows = query(
                settings,
                f"SELECT RECORD_KEY, PAYLOAD, PAYLOAD_HASH FROM {BRONZE_TABLES[resource]} "
                "WHERE MEMBER_ID = %s QUALIFY ROW_NUMBER() OVER "
                "(PARTITION BY RECORD_KEY ORDER BY RECORD_UPDATED_AT DESC, LOADED_AT DESC) = 1",
                (t["user_id"],),
            )
            latest = {k: json.loads(p) for k, p, _ in rows}
            assert latest.keys() == expected.keys(), f"{member} {resource}: keys differ from the truth"
            assert latest == expected, f"{member} {resource}: latest versions differ from the truth"
            hashes = query(
                settings, f"SELECT PAYLOAD_HASH FROM {BRONZE_TABLES[resource]} WHERE MEMBER_ID = %s", (t["user_id"],)
            )
            assert not [h for h, n in Counter(h for (h,) in hashes).items() if n > 1], "duplicate versions"
        for resource, key in (("profile", "profile"), ("body", "body_measurement")):
            rows = query(
                settings, f"SELECT PAYLOAD FROM {BRONZE_TABLES[resource]} WHERE RECORD_KEY = %s", (str(t["user_id"]),)
            )
            assert [json.loads(p) for (p,) in rows] == [t[key]]


def test_faulty_backfill_lands_exactly_the_truth(chaos):
    summary = ingest(chaos)
    assert summary["failed"] == 0, summary["by_member"]
    bronze_matches_truth(chaos)
    metrics = requests.get(f"{chaos.sandbox_url}/_sandbox/metrics", timeout=10).json()
    runs = query(chaos, "SELECT SUM(RETRIES), SUM(WAITS) FROM OPS.INGEST_RUNS")
    assert runs[0][0] > 0, "faults were on, so the client must have retried"
    assert metrics  # the sandbox served the run


def test_second_run_adds_nothing(chaos):
    counts = {t: query(chaos, f"SELECT COUNT(*) FROM {t}")[0][0] for t in BRONZE_TABLES.values()}
    summary = ingest(chaos)
    assert summary["failed"] == 0 and summary["new_versions"] == 0
    assert {t: query(chaos, f"SELECT COUNT(*) FROM {t}")[0][0] for t in BRONZE_TABLES.values()} == counts


def test_edits_inside_the_overlap_window_arrive_as_new_versions(chaos):
    changed = requests.post(
        f"{chaos.sandbox_url}/_sandbox/edit", json={"fraction": 0.05, "within_days": 3, "seed": 2}, timeout=30
    ).json()
    edits = changed["changed"] if isinstance(changed, dict) else changed
    assert edits, "the sandbox edited nothing; raise the fraction"
    before = sum(query(chaos, f"SELECT COUNT(*) FROM {t}")[0][0] for t in BRONZE_TABLES.values())
    summary = ingest(chaos)
    assert summary["failed"] == 0
    after = sum(query(chaos, f"SELECT COUNT(*) FROM {t}")[0][0] for t in BRONZE_TABLES.values())
    assert after - before == len(edits) == summary["new_versions"]
    bronze_matches_truth(chaos)
