"""`OPS.FORGET_MEMBER`: the member's WHOOP grant is revoked and no row about them is left in any table."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from infra.local import pipeline
from infra.local.sandbox.export import write_export
from infra.local.settings import Settings
from tests.integration.conftest import local_stack, query, truth


def stored_tokens(settings: Settings) -> dict[str, str]:
    """Each app-managed member's refresh token, from their own secret CONFIG.WHOOP_TOKEN_<MEMBER>."""
    secrets = json.loads((settings.home / "warehouse" / "secrets.json").read_text())
    prefix = "SECRET:WHOOP.CONFIG.WHOOP_TOKEN_"
    return {k.removeprefix(prefix).lower(): v["secret_string"] for k, v in secrets.items() if k.startswith(prefix)}


def every_cell(settings: Settings) -> list[str]:
    """Every value of every table in the app's database, as text."""
    tables = query(
        settings,
        "SELECT TABLE_SCHEMA, TABLE_NAME FROM WHOOP.INFORMATION_SCHEMA.TABLES "
        "WHERE TABLE_TYPE = 'BASE TABLE' AND TABLE_SCHEMA <> 'INFORMATION_SCHEMA'",
    )
    cells = []
    for schema, table in tables:
        for row in query(settings, f'SELECT * FROM WHOOP."{schema}"."{table}"'):
            cells += [str(v) for v in row if v is not None]
    return cells


@pytest.fixture(scope="module")
def forgotten(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Settings, dict, str]]:
    with local_stack(tmp_path_factory.mktemp("whoop_home"), ["ann", "ben"], days=30) as settings:
        pipeline.run_once(settings)
        folder = tmp_path_factory.mktemp("export")
        write_export(truth(settings, "ann"), folder)
        pipeline.import_export(settings, Path(folder), "ann")
        pipeline.run_once(settings)
        ann_token = stored_tokens(settings)["ann"]
        # who may see ann, and an alert about her that reached her coach (issue 16): about her too
        for member, user, relation in (("ann", "ann_w", "self"), ("ann", "coach", "coach"), ("ben", "coach", "coach")):
            query(settings, "CALL OPS.GRANT_MEMBER_ACCESS(%s, %s, %s, 'coach@example.com')", (member, user, relation))
        query(settings, "UPDATE CONFIG.MEMBERS SET STATUS = 'NEEDS_REAUTHORIZATION' WHERE MEMBER_NAME = 'ann'")
        query(settings, "CALL OPS.EVALUATE_MEMBER_ALERTS()")
        query(settings, "UPDATE CONFIG.MEMBERS SET STATUS = 'ACTIVE' WHERE MEMBER_NAME = 'ann'")
        before = {
            "ben_gold": query(
                settings, "SELECT COUNT(*) FROM GOLD.FACT_DAILY_RECOVERY WHERE MEMBER_KEY = MD5('member|ben')"
            )[0][0]
        }
        (summary,) = query(settings, "CALL OPS.FORGET_MEMBER('ann')")[0]
        before["summary"] = json.loads(summary)
        yield settings, before, ann_token


def test_no_row_about_the_member_is_left(forgotten):
    settings, _, _ = forgotten
    user_id = str(truth(settings, "ann")["user_id"])
    key = query(settings, "SELECT MD5('member|ann')")[0][0]
    cells = every_cell(settings)
    assert len(cells) > 1000  # the scan saw the other member's data
    leaks = [c for c in cells if c in ("ann", user_id, key) or user_id in c or key in c or "ann@sandbox" in c]
    assert not leaks, f"{len(leaks)} value(s) about the forgotten member remain"
    assert query(settings, "LIST @BRONZE.EXPORT_STAGE") == [] or all(
        "/ann/" not in r[0] for r in query(settings, "LIST @BRONZE.EXPORT_STAGE")
    )
    assert "ann" not in stored_tokens(settings) and "ben" in stored_tokens(settings)
    bound = json.loads(
        query(settings, "SELECT SECRETS FROM WHOOP_LOCAL.CATALOG.PROCEDURES WHERE NAME = 'WHOOP.OPS.INGEST_WHOOP'")[0][
            0
        ]
    )
    assert "whoop_token_ann" not in bound and "whoop_token_ben" in bound


def test_the_whoop_grant_is_revoked(forgotten):
    settings, before, ann_token = forgotten
    assert before["summary"]["whoop_access"] == "revoked"
    secrets = json.loads((settings.home / "warehouse" / "secrets.json").read_text())
    client = json.loads(next(v for k, v in secrets.items() if k.upper().endswith("WHOOP_CLIENT"))["secret_string"])
    refused = requests.post(
        f"{settings.sandbox_url}/oauth/oauth2/token",
        data={
            "grant_type": "refresh_token",
            "refresh_token": ann_token,
            "client_id": client["client_id"],
            "client_secret": client["client_secret"],
        },
        timeout=10,
    )
    assert refused.status_code in (400, 401)


def test_other_members_keep_everything_and_the_erasure_is_logged_anonymously(forgotten):
    settings, before, _ = forgotten
    assert before["ben_gold"] > 0
    assert (
        query(settings, "SELECT COUNT(*) FROM GOLD.FACT_DAILY_RECOVERY WHERE MEMBER_KEY = MD5('member|ben')")[0][0]
        == before["ben_gold"]
    )
    pipeline.run_once(settings)  # the next run neither fails nor brings the member back
    assert query(settings, "SELECT MEMBER_NAME FROM CONFIG.MEMBERS") == [("ben",)]
    log = query(settings, "SELECT WHOOP_ACCESS, TABLES_PURGED, ROWS_DELETED FROM OPS.MEMBER_ERASURES")
    assert len(log) == 1 and log[0][0] == "revoked" and log[0][1] >= 10 and log[0][2] > 100
    with pytest.raises(Exception, match="no member named"):
        query(settings, "CALL OPS.FORGET_MEMBER('ann')")


def test_who_may_see_the_member_and_their_alerts_are_forgotten(forgotten):
    settings, _, _ = forgotten
    assert query(settings, "SELECT MEMBER_NAME, VIEWER_USER FROM CONFIG.MEMBER_VIEWERS") == [("ben", "COACH")]
    for table in ("OPS.MEMBER_ALERT_EVENTS", "OPS.MEMBER_ALERT_DELIVERIES"):
        assert query(settings, f"SELECT MEMBER_NAME FROM {table} WHERE MEMBER_NAME = 'ann'") == [], table
