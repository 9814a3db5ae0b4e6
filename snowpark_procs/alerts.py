"""Alerts that reach the athlete and their coaches: evaluate the rules of CONFIG.ALERT_RULES for every member, open an
event (and one delivery per mapped viewer) when a rule starts to hold, close it when it stops. Why the app only
writes the deliveries and the account sends them: sql/ops/11_member_alerts.sql.

Each rule is one query returning the members it holds for, with the reason in words; the evaluation compares them
with the open events, so an alert is written once per episode: never again while it holds, again after it cleared.
"""

from __future__ import annotations

import json
import uuid
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from snowflake.snowpark import Session

# the rules holding_sql knows, with their titles
TITLES = {
    "anomaly_flagged": "night flagged as unusual",
    "red_recovery_streak": "red recovery streak",
    "sleep_debt": "sleep debt",
    "data_stale": "no new WHOOP data",
    "needs_reauthorization": "WHOOP needs to be connected again",
}
RED_MAX = 33  # WHOOP's red zone: recovery 0-33 %
DELIVERY_STATUSES = ("SENT", "FAILED")


def _number(value: Any, default: float) -> float:
    return float(default if value is None else value)


def holding_sql(rule: str, threshold: float | None) -> str:
    """(MEMBER_NAME, MEMBER_KEY, REASON) of every member `rule` holds for."""
    if rule == "anomaly_flagged":
        days = max(1, int(_number(threshold, 1)))
        return f"""
WITH last_day AS (
    SELECT r.MEMBER_KEY, MAX(r.DATE_KEY) AS LAST_KEY FROM GOLD.FACT_DAILY_RECOVERY AS r GROUP BY r.MEMBER_KEY
)
SELECT m.MEMBER_NAME, m.MEMBER_KEY,
    'night of ' || TO_VARCHAR(MAX(ad.FULL_DATE)) || ' flagged: '
        || COALESCE(MAX_BY(a.REASON, a.DATE_KEY), 'no reason recorded')
FROM ML.FACT_ANOMALIES AS a
JOIN last_day AS l ON l.MEMBER_KEY = a.MEMBER_KEY
JOIN GOLD.DIM_DATE AS ld ON ld.DATE_KEY = l.LAST_KEY
JOIN GOLD.DIM_DATE AS ad ON ad.DATE_KEY = a.DATE_KEY
JOIN GOLD.DIM_MEMBER AS m ON m.MEMBER_KEY = a.MEMBER_KEY
WHERE ad.FULL_DATE > DATEADD(DAY, -{days}, ld.FULL_DATE)
GROUP BY m.MEMBER_NAME, m.MEMBER_KEY"""
    if rule == "red_recovery_streak":
        days = max(1, int(_number(threshold, 3)))
        return f"""
WITH ranked AS (
    SELECT r.MEMBER_KEY, r.DATE_KEY, r.RECOVERY_SCORE,
        ROW_NUMBER() OVER (PARTITION BY r.MEMBER_KEY ORDER BY r.DATE_KEY DESC) AS RN
    FROM GOLD.FACT_DAILY_RECOVERY AS r
    WHERE r.RECOVERY_SCORE IS NOT NULL
)
SELECT m.MEMBER_NAME, m.MEMBER_KEY,
    'recovery red (at most {RED_MAX} %) on each of the newest {days} recorded days, up to '
        || TO_VARCHAR(MAX(d.FULL_DATE)) || ' (highest ' || TO_VARCHAR(ROUND(MAX(k.RECOVERY_SCORE))::INTEGER) || ' %)'
FROM ranked AS k
JOIN GOLD.DIM_MEMBER AS m ON m.MEMBER_KEY = k.MEMBER_KEY
JOIN GOLD.DIM_DATE AS d ON d.DATE_KEY = k.DATE_KEY
WHERE k.RN <= {days}
GROUP BY m.MEMBER_NAME, m.MEMBER_KEY
HAVING COUNT(k.DATE_KEY) = {days} AND MAX(k.RECOVERY_SCORE) <= {RED_MAX}"""
    if rule == "sleep_debt":
        minutes = _number(threshold, 120)
        return f"""
WITH newest AS (
    SELECT s.MEMBER_KEY, s.DATE_KEY, s.SLEEP_DEBT_MINUTES,
        ROW_NUMBER() OVER (PARTITION BY s.MEMBER_KEY ORDER BY s.DATE_KEY DESC, s.SLEEP_END_TIMESTAMP DESC) AS RN
    FROM GOLD.FACT_SLEEP AS s
    WHERE s.IS_MAIN_SLEEP
)
SELECT m.MEMBER_NAME, m.MEMBER_KEY,
    'sleep debt ' || TO_VARCHAR(ROUND(n.SLEEP_DEBT_MINUTES)::INTEGER) || ' min on the night to '
        || TO_VARCHAR(d.FULL_DATE) || ' (above {minutes:g} min)'
FROM newest AS n
JOIN GOLD.DIM_MEMBER AS m ON m.MEMBER_KEY = n.MEMBER_KEY
JOIN GOLD.DIM_DATE AS d ON d.DATE_KEY = n.DATE_KEY
WHERE n.RN = 1 AND n.SLEEP_DEBT_MINUTES > {minutes}"""
    if rule == "data_stale":
        hours = _number(threshold, 36)
        return f"""
SELECT m.MEMBER_NAME, m.MEMBER_KEY,
    'newest data loaded ' || TO_VARCHAR(DATE_TRUNC('MINUTE', MAX(r.LOAD_TIMESTAMP)))
        || ' UTC, more than {hours:g} hours ago'
FROM GOLD.FACT_DAILY_RECOVERY AS r
JOIN GOLD.DIM_MEMBER AS m ON m.MEMBER_KEY = r.MEMBER_KEY
GROUP BY m.MEMBER_NAME, m.MEMBER_KEY
HAVING MAX(r.LOAD_TIMESTAMP) < DATEADD(MINUTE, -{round(hours * 60)}, SYSDATE())"""
    if rule == "needs_reauthorization":
        return """
SELECT c.MEMBER_NAME, MD5('member|' || c.MEMBER_NAME),
    'WHOOP refused the member''s grant (' || COALESCE(c.STATUS_REASON, 'no reason recorded')
        || '): they must connect WHOOP again'
FROM CONFIG.MEMBERS AS c
WHERE c.STATUS = 'NEEDS_REAUTHORIZATION'"""
    raise ValueError(f"unknown alert rule {rule!r} (CONFIG.ALERT_RULES); known: {', '.join(TITLES)}")


def message(rule: str, member: str, reason: str, description: str | None) -> tuple[str, str, str]:
    """(subject, body for the athlete, body for a coach)."""
    subject = f"WHOOP: {member}: {TITLES.get(rule, rule)}"
    core = f"{reason}.\nRule {rule}: {description or TITLES.get(rule, rule)}."
    athlete = f"{core}\nYou get this as the athlete ({member}) in the WHOOP Platform app."
    coach = f"{core}\nYou get this as a coach of {member} in the WHOOP Platform app."
    return subject, athlete, coach


def evaluate(session: Session) -> dict:
    """EVALUATE_MEMBER_ALERTS: open events for rules that started to hold, close those that stopped."""
    run_id = uuid.uuid4().hex
    rules = session.sql(
        "SELECT r.RULE_NAME, r.THRESHOLD, r.DESCRIPTION FROM CONFIG.ALERT_RULES AS r WHERE r.ENABLED "
        "ORDER BY r.RULE_NAME"
    ).collect()
    holding: dict[tuple[str, str], tuple[str, str, float | None, str | None]] = {}
    for rule, threshold, description in rules:
        for member, key, reason in session.sql(holding_sql(rule, threshold)).collect():
            holding[(rule, member)] = (key, reason, threshold, description)
    open_events = {
        (rule, member): event_id
        for event_id, rule, member in session.sql(
            "SELECT e.EVENT_ID, e.RULE_NAME, e.MEMBER_NAME FROM OPS.MEMBER_ALERT_EVENTS AS e WHERE e.CLEARED_AT IS NULL"
        ).collect()
    }
    cleared = [event_id for pair, event_id in open_events.items() if pair not in holding]
    if cleared:
        marks = ", ".join("?" for _ in cleared)
        session.sql(
            f"UPDATE OPS.MEMBER_ALERT_EVENTS SET CLEARED_AT = SYSDATE() WHERE EVENT_ID IN ({marks})", params=cleared
        ).collect()
    fired = deliveries = 0
    for (rule, member), (key, reason, threshold, description) in sorted(holding.items()):
        if (rule, member) in open_events:
            continue  # still holding: written once, when it started
        event_id = uuid.uuid4().hex
        session.sql(
            "INSERT INTO OPS.MEMBER_ALERT_EVENTS (EVENT_ID, RULE_NAME, MEMBER_NAME, MEMBER_KEY, FIRED_AT, REASON, "
            "THRESHOLD, CLEARED_AT, RUN_ID) SELECT ?, ?, ?, ?, SYSDATE(), ?, ?, NULL, ?",
            params=[event_id, rule, member, key, reason, threshold, run_id],
        ).collect()
        subject, athlete, coach = message(rule, member, reason, description)
        # one delivery per viewer the mapping names for the member, with or without an address
        rows = session.sql(
            "INSERT INTO OPS.MEMBER_ALERT_DELIVERIES (DELIVERY_ID, EVENT_ID, MEMBER_NAME, MEMBER_KEY, RECIPIENT_USER, "
            "RELATION, RECIPIENT_EMAIL, SUBJECT, BODY, CREATED_AT, STATUS, STATUS_DETAIL, SENT_AT) "
            "SELECT UUID_STRING(), ?, v.MEMBER_NAME, v.MEMBER_KEY, v.VIEWER_USER, v.RELATION, v.VIEWER_EMAIL, ?, "
            "IFF(v.RELATION = 'self', ?, ?), SYSDATE(), IFF(v.VIEWER_EMAIL IS NULL, 'NO_ADDRESS', 'PENDING'), "
            "IFF(v.VIEWER_EMAIL IS NULL, 'the mapping has no e-mail address for this viewer', NULL), NULL "
            "FROM CONFIG.MEMBER_VIEWERS AS v WHERE v.MEMBER_NAME = ?",
            params=[event_id, subject, athlete, coach, member],
        ).collect()
        fired += 1
        deliveries += int(rows[0][0]) if rows else 0
    return {
        "run_id": run_id,
        "rules": len(rules),
        "fired": fired,
        "cleared": len(cleared),
        "open": len(holding),
        "deliveries": deliveries,
    }


def mark_deliveries(session: Session, ids: str, status: str, detail: str | None) -> str:
    """MARK_ALERT_DELIVERIES: the sender reports what became of pending deliveries (SENT or FAILED)."""
    wanted = (status or "").strip().upper()
    if wanted not in DELIVERY_STATUSES:
        raise ValueError(f"status {status!r} must be one of {', '.join(DELIVERY_STATUSES)}")
    try:
        delivery_ids = [str(i) for i in json.loads(ids or "[]")]
    except (TypeError, ValueError):
        raise ValueError("IDS must be a JSON array of delivery ids") from None
    if not delivery_ids:
        return "no deliveries"
    marks = ", ".join("?" for _ in delivery_ids)
    session.sql(
        "UPDATE OPS.MEMBER_ALERT_DELIVERIES SET STATUS = ?, STATUS_DETAIL = ?, SENT_AT = SYSDATE() "
        f"WHERE STATUS = 'PENDING' AND DELIVERY_ID IN ({marks})",
        params=[wanted, (detail or "")[:1000] or None, *delivery_ids],
    ).collect()
    return f"{len(delivery_ids)} deliveries marked {wanted}"
