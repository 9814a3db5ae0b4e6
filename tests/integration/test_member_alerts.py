"""Alerts that reach the athlete and their coaches (issue 16 item 3), on the real local stack: six sandbox members
through the pipeline, a member-to-viewer mapping, then one planted case per rule (an anomaly flag, three red
recoveries, a sleep debt, stale data, a refused WHOOP grant) in the tables the rules read, Gold refreshed from Silver
as the scheduler would. Each rule fires once for its member and for no one else, is not repeated while it holds,
clears when the plant is removed and can fire again; its deliveries go to exactly the viewers the mapping names; the
account's alert sends the pending ones through its notification integration (recorded locally, not sent); and the
app itself may not send.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator

import pytest
import requests
import snowflake.connector

from infra.local import migrations, pipeline
from infra.local.connection import local_parameters
from infra.local.errors import WhoopError
from infra.local.settings import Settings
from tests.integration.conftest import local_stack, query

MEMBERS = ["ann", "ben", "cat", "dan", "eve", "fay"]  # fay: never planted
MAPPING = [  # member, viewer user, relation, e-mail (None: the mapping has no address)
    ("ann", "coach_a", "coach", "coach.a@example.com"),
    ("ben", "coach_a", "coach", "coach.a@example.com"),
    ("cat", "coach_b", "coach", "coach.b@example.com"),
    ("dan", "coach_b", "coach", None),
    ("eve", "coach_b", "coach", "coach.b@example.com"),
    ("fay", "coach_b", "coach", "coach.b@example.com"),
    ("ann", "ann_w", "self", "ann@example.com"),
]
PLANTED = {
    "anomaly_flagged": "ann",
    "red_recovery_streak": "ben",
    "sleep_debt": "cat",
    "data_stale": "dan",
    "needs_reauthorization": "eve",
}
NOTIFY_ALERT = f"{migrations.REPORTING_DATABASE}.GOVERNANCE.MEMBER_ALERTS_NOTIFY"


def key(member: str) -> str:
    return hashlib.md5(f"member|{member}".encode()).hexdigest()


def evaluate(settings: Settings) -> dict:
    return json.loads(query(settings, "CALL OPS.EVALUATE_MEMBER_ALERTS()")[0][0])


def events(settings: Settings, where: str = "TRUE") -> list[tuple]:
    return query(
        settings,
        "SELECT e.RULE_NAME, e.MEMBER_NAME, e.REASON, e.CLEARED_AT IS NULL AS IS_OPEN, e.EVENT_ID "
        f"FROM OPS.MEMBER_ALERT_EVENTS AS e WHERE {where} ORDER BY e.RULE_NAME, e.MEMBER_NAME, e.FIRED_AT",
    )


def refresh_gold(settings: Settings) -> None:
    """The scheduler's beat: Gold's dynamic tables read Silver again (pipeline._tick is what `whoop run` calls)."""
    assert pipeline._tick(settings)["success"]


@pytest.fixture(scope="module")
def team(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Settings]:
    with local_stack(tmp_path_factory.mktemp("alerts"), MEMBERS, days=21) as settings:
        pipeline.run_once(settings)
        for member, user, relation, email in MAPPING:
            query(settings, "CALL OPS.GRANT_MEMBER_ACCESS(%s, %s, %s, %s)", (member, user, relation, email))
        yield settings


def plant(settings: Settings) -> dict[str, list]:
    """One case per rule, in the tables each rule reads; returns what to put back."""
    saved: dict[str, list] = {}
    query(
        settings,
        "INSERT INTO ML.FACT_ANOMALIES (MEMBER_KEY, DATE_KEY, SIGNALS, REASON, DETECTED_AT) "
        "SELECT r.MEMBER_KEY, MAX(r.DATE_KEY), 'hrv_down,rhr_up', 'HRV down 2.8 SD and resting HR up 2.1 SD', "
        "SYSDATE() FROM GOLD.FACT_DAILY_RECOVERY AS r WHERE r.MEMBER_KEY = %s GROUP BY r.MEMBER_KEY",
        (key("ann"),),
    )
    cycles = query(
        settings,
        "SELECT r.CYCLE_ID FROM GOLD.FACT_DAILY_RECOVERY AS r WHERE r.MEMBER_KEY = %s AND r.RECOVERY_SCORE IS NOT NULL "
        "ORDER BY r.DATE_KEY DESC LIMIT 3",
        (key("ben"),),
    )
    ids = ", ".join(str(c[0]) for c in cycles)
    saved["recovery"] = query(
        settings, f"SELECT CYCLE_ID, RECOVERY_SCORE FROM SILVER.RECOVERY WHERE CYCLE_ID IN ({ids})"
    )
    query(settings, f"UPDATE SILVER.RECOVERY SET RECOVERY_SCORE = 12 WHERE CYCLE_ID IN ({ids})")
    (sleep_id,) = query(
        settings,
        "SELECT s.WHOOP_SLEEP_ID FROM GOLD.FACT_SLEEP AS s WHERE s.MEMBER_KEY = %s AND s.IS_MAIN_SLEEP "
        "ORDER BY s.DATE_KEY DESC LIMIT 1",
        (key("cat"),),
    )[0]
    saved["sleep"] = query(
        settings, "SELECT SLEEP_ID, NEED_FROM_SLEEP_DEBT_MINUTES FROM SILVER.SLEEP WHERE SLEEP_ID = %s", (sleep_id,)
    )
    query(settings, "UPDATE SILVER.SLEEP SET NEED_FROM_SLEEP_DEBT_MINUTES = 250 WHERE SLEEP_ID = %s", (sleep_id,))
    query(
        settings,
        "UPDATE SILVER.RECOVERY SET BRONZE_LOADED_AT = DATEADD(DAY, -5, BRONZE_LOADED_AT) WHERE MEMBER_NAME = 'dan'",
    )
    query(
        settings,
        "UPDATE CONFIG.MEMBERS SET STATUS = 'NEEDS_REAUTHORIZATION', STATUS_REASON = 'refresh refused: invalid_grant' "
        "WHERE MEMBER_NAME = 'eve'",
    )
    refresh_gold(settings)
    return saved


def unplant(settings: Settings, saved: dict[str, list]) -> None:
    query(settings, "DELETE FROM ML.FACT_ANOMALIES WHERE MEMBER_KEY = %s", (key("ann"),))
    for cycle_id, score in saved["recovery"]:
        query(settings, "UPDATE SILVER.RECOVERY SET RECOVERY_SCORE = %s WHERE CYCLE_ID = %s", (score, cycle_id))
    for sleep_id, minutes in saved["sleep"]:
        query(
            settings,
            "UPDATE SILVER.SLEEP SET NEED_FROM_SLEEP_DEBT_MINUTES = %s WHERE SLEEP_ID = %s",
            (minutes, sleep_id),
        )
    query(
        settings,
        "UPDATE SILVER.RECOVERY SET BRONZE_LOADED_AT = DATEADD(DAY, 5, BRONZE_LOADED_AT) WHERE MEMBER_NAME = 'dan'",
    )
    query(settings, "UPDATE CONFIG.MEMBERS SET STATUS = 'ACTIVE', STATUS_REASON = NULL WHERE MEMBER_NAME = 'eve'")
    refresh_gold(settings)


def test_alert_rules_are_data_and_the_task_runs_after_scoring(team):
    rules = query(team, "SELECT RULE_NAME, THRESHOLD, ENABLED FROM CONFIG.ALERT_RULES ORDER BY RULE_NAME")
    assert rules == [
        ("anomaly_flagged", 1.0, True),
        ("data_stale", 36.0, True),
        ("needs_reauthorization", None, True),
        ("red_recovery_streak", 3.0, True),
        ("sleep_debt", 120.0, True),
    ]
    (task,) = query(
        team,
        "SELECT PREDECESSORS, DEFINITION FROM WHOOP_LOCAL.CATALOG.TASKS WHERE NAME = %s",
        (f"{pipeline.DATABASE}.OPS.MEMBER_ALERTS_TASK",),
    )
    assert "OPS.ML_ANOMALY_TASK" in task[0] and "CALL OPS.EVALUATE_MEMBER_ALERTS()" in task[1]


def test_alerts_fire_once_per_planted_case_reach_the_mapped_viewers_and_clear(team):
    # healthy: nothing fires before anything is planted
    first = evaluate(team)
    assert first["fired"] == 0 and events(team) == [], events(team)

    saved = plant(team)
    try:
        result = evaluate(team)
        fired = events(team)
        assert {(r, m) for r, m, *_ in fired} == set(PLANTED.items()), fired
        assert result["fired"] == 5 and all(is_open for *_, is_open, _ in fired)
        reasons = {r: reason for r, _, reason, *_ in fired}
        assert "HRV down 2.8 SD" in reasons["anomaly_flagged"]
        assert "recovery red" in reasons["red_recovery_streak"] and "highest 12 %" in reasons["red_recovery_streak"]
        assert "sleep debt 250 min" in reasons["sleep_debt"]
        assert "more than 36 hours ago" in reasons["data_stale"]
        assert "invalid_grant" in reasons["needs_reauthorization"]

        # still holding: not repeated
        again = evaluate(team)
        assert again["fired"] == 0 and again["open"] == 5 and len(events(team)) == 5

        # recipients: exactly the viewers the mapping names for the member
        deliveries = query(
            team,
            "SELECT e.RULE_NAME, d.RECIPIENT_USER, d.RELATION, d.RECIPIENT_EMAIL, d.STATUS, d.SUBJECT, d.BODY "
            "FROM OPS.MEMBER_ALERT_DELIVERIES AS d JOIN OPS.MEMBER_ALERT_EVENTS AS e ON e.EVENT_ID = d.EVENT_ID",
        )
        for rule, member in PLANTED.items():
            got = {(u, rel, mail) for r, u, rel, mail, *_ in deliveries if r == rule}
            want = {(u.upper(), rel, mail) for m, u, rel, mail in MAPPING if m == member}
            assert got == want, rule
        status = {(r, u): s for r, u, _, _, s, *_ in deliveries}
        assert status[("data_stale", "COACH_B")] == "NO_ADDRESS"  # dan's coach left no address: recorded only
        assert {s for k, s in status.items() if k != ("data_stale", "COACH_B")} == {"PENDING"}
        body = {(r, rel): b for r, _, rel, _, _, _, b in deliveries}
        assert "as the athlete (ann)" in body[("anomaly_flagged", "self")]
        assert "as a coach of ann" in body[("anomaly_flagged", "coach")]

        # the account's side sends the pending ones (locally: recorded in the warehouse's outbox), once
        query(team, f"EXECUTE ALERT {NOTIFY_ALERT}")
        sent = query(
            team,
            "SELECT INTEGRATION, RECIPIENT, SUBJECT FROM WHOOP_LOCAL.CATALOG.NOTIFICATIONS ORDER BY RECIPIENT, SUBJECT",
        )
        want_mail = sorted(
            mail for r, m in PLANTED.items() for mm, _, _, mail in MAPPING if mm == m and mail is not None
        )
        assert sorted(r for _, r, _ in sent) == want_mail
        assert {i for i, _, _ in sent} == {"WHOOP_MEMBER_ALERTS_LOCAL"}
        assert any(s == "WHOOP: ann: night flagged as unusual" for *_, s in sent)
        statuses = query(team, "SELECT STATUS, COUNT(*) FROM OPS.MEMBER_ALERT_DELIVERIES GROUP BY STATUS")
        assert dict(statuses) == {"SENT": len(want_mail), "NO_ADDRESS": 1}
        query(team, f"EXECUTE ALERT {NOTIFY_ALERT}")
        assert len(query(team, "SELECT 1 FROM WHOOP_LOCAL.CATALOG.NOTIFICATIONS")) == len(want_mail)
    finally:
        unplant(team, saved)

    # cleared once the plants are gone, then quiet
    cleared = evaluate(team)
    assert cleared["cleared"] == 5 and cleared["fired"] == 0
    assert not [e for e in events(team) if e[3]], "every event closed"
    assert evaluate(team)["fired"] == 0 and len(events(team)) == 5
    assert not [e for e in events(team) if e[1] == "fay"], "no event for the healthy member"

    # a rule that cleared fires again when it holds again: a new event
    query(team, "UPDATE CONFIG.MEMBERS SET STATUS = 'NEEDS_REAUTHORIZATION' WHERE MEMBER_NAME = 'eve'")
    try:
        assert evaluate(team)["fired"] == 1
        assert [e[3] for e in events(team, "e.RULE_NAME = 'needs_reauthorization'")] == [False, True]
    finally:
        query(team, "UPDATE CONFIG.MEMBERS SET STATUS = 'ACTIVE' WHERE MEMBER_NAME = 'eve'")
        evaluate(team)


def test_viewers_read_only_their_members_alert_events(team):
    query(team, "UPDATE CONFIG.MEMBERS SET STATUS = 'NEEDS_REAUTHORIZATION' WHERE MEMBER_NAME IN ('ben', 'cat')")
    try:
        evaluate(team)
        seen = {}
        for user, role in (("COACH_A", "APP_COACH"), ("COACH_B", "APP_COACH"), ("ANN_W", "APP_VIEWER")):
            conn = snowflake.connector.connect(
                **local_parameters(team, user=user, role=role), database=pipeline.DATABASE, schema="PUBLIC"
            )
            try:
                cur = conn.cursor()
                cur.execute("SELECT DISTINCT MEMBER_NAME FROM VIEWER.MEMBER_ALERT_EVENTS WHERE CLEARED_AT IS NULL")
                seen[user] = {r[0] for r in cur.fetchall()}
            finally:
                conn.close()
        assert seen == {"COACH_A": {"ben"}, "COACH_B": {"cat"}, "ANN_W": set()}
    finally:
        query(team, "UPDATE CONFIG.MEMBERS SET STATUS = 'ACTIVE' WHERE MEMBER_NAME IN ('ben', 'cat')")
        evaluate(team)


def test_the_app_itself_may_not_send_a_notification(team):
    """An owner's-rights procedure of the app runs as the app: a notification call there is refused, naming why."""
    query(
        team,
        "CREATE OR REPLACE PROCEDURE OPS.TRY_TO_NOTIFY() RETURNS VARCHAR LANGUAGE PYTHON RUNTIME_VERSION = '3.11' "
        "PACKAGES = ('snowflake-snowpark-python') HANDLER = 'run' EXECUTE AS OWNER AS $$\n"
        "def run(session):\n"
        "    session.sql(\"CALL SYSTEM$SEND_EMAIL('WHOOP_MEMBER_ALERTS_LOCAL', 'coach.a@example.com', 's', 'b')\")"
        ".collect()\n"
        "    return 'sent'\n$$",
    )
    try:
        with pytest.raises(snowflake.connector.errors.ProgrammingError) as info:
            query(team, "CALL OPS.TRY_TO_NOTIFY()")
        message = str(info.value)
        assert "USAGE ON A NOTIFICATION INTEGRATION" in message and "no application can hold it" in message
        assert query(team, "SELECT 1 FROM WHOOP_LOCAL.CATALOG.NOTIFICATIONS WHERE SUBJECT = 's'") == []
    finally:
        query(team, "DROP PROCEDURE IF EXISTS OPS.TRY_TO_NOTIFY()")


def test_every_pipeline_run_evaluates_the_alerts(team):
    """Not only the daily scoring: the graph's finalizer evaluates the rules, so a grant WHOOP refuses in this run is
    an open alert when `whoop run` returns (the last test of the module: fay stays revoked)."""
    requests.post(f"{team.sandbox_url}/_sandbox/revoke/fay", timeout=10).raise_for_status()
    with pytest.raises(WhoopError, match="fay"):
        pipeline.run_once(team)
    fired = [(rule, member, is_open) for rule, member, _, is_open, _ in events(team, "e.MEMBER_NAME = 'fay'")]
    assert fired == [("needs_reauthorization", "fay", True)]
