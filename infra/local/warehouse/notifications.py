"""Notifications: `CALL SYSTEM$SEND_SNOWFLAKE_NOTIFICATION(<message>, <integration configuration>)` and
`CALL SYSTEM$SEND_EMAIL(<integration>, <recipients>, <subject>, <body> [, <content type>])`, recorded, never sent.

Each call is checked as Snowflake would check it, then recorded as one row per destination in
`WHOOP_LOCAL.CATALOG.NOTIFICATIONS` (the local outbox tests read): the integration must exist and be enabled; an
e-mail integration's recipients must be among its ALLOWED_RECIPIENTS when it has any; a message is a JSON object
`{"text/plain" | "text/html" | "application/json": "…"}` and a configuration `{"<integration>": {options}}`
(https://docs.snowflake.com/en/sql-reference/stored-procedures/system_send_snowflake_notification,
https://docs.snowflake.com/en/sql-reference/stored-procedures/system_send_email). An application may not call either:
infra/preflight/app_privileges.py says why, and the engine refuses it in an app's context before this runs.

Differences from Snowflake: nothing leaves the machine; recipients are not checked against verified users' e-mail
addresses; queue integrations (SNS, Pub/Sub, Event Grid) are recorded like webhooks.
"""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any

from infra.local.warehouse.account_catalog import not_found
from infra.local.warehouse.base import LocalSession, Outcome
from infra.local.warehouse.catalog import PREFIX, now
from infra.local.warehouse.errors import LocalSqlError
from infra.local.warehouse.sqltext import normalise_ident, split_top_level, status_select

if TYPE_CHECKING:
    from infra.local.warehouse.engine import Engine

SEND_DOC = "https://docs.snowflake.com/en/sql-reference/stored-procedures/system_send_snowflake_notification"
EMAIL_DOC = "https://docs.snowflake.com/en/sql-reference/stored-procedures/system_send_email"
CONTENT_TYPES = ("text/plain", "text/html", "application/json")
TABLE = f"{PREFIX}.NOTIFICATIONS"
_COLUMNS = """
    INTEGRATION VARCHAR NOT NULL, INTEGRATION_TYPE VARCHAR NOT NULL, RECIPIENT VARCHAR, SUBJECT VARCHAR,
    CONTENT_TYPE VARCHAR NOT NULL, BODY VARCHAR NOT NULL, SENT_BY VARCHAR, SENT_ON TIMESTAMPTZ NOT NULL"""


def register(engine: Engine) -> None:
    engine.catalog.query(f"CREATE TABLE IF NOT EXISTS {TABLE} ({_COLUMNS})")
    engine.on(r"^CALL\s+SYSTEM\$SEND_SNOWFLAKE_NOTIFICATION\s*\((?P<args>.*)\)$", _send_notification)
    engine.on(r"^CALL\s+SYSTEM\$SEND_EMAIL\s*\((?P<args>.*)\)$", _send_email)


def _values(engine: Engine, session: LocalSession, raw: str) -> list[Any]:
    args = [a.strip() for a in split_top_level(raw) if a.strip()]
    if not args:
        return []
    select = "SELECT " + ", ".join(f"{a} AS ARG_{i}" for i, a in enumerate(args))  # equal literals, distinct names
    return list(engine.execute(session, select, session.pending_params)[0])


def _integration(engine: Engine, raw: str) -> tuple[str, dict[str, Any]]:
    """The named notification integration's stored name and properties; it must exist and be enabled."""
    name = normalise_ident(raw)
    if (props := engine.catalog.get_object("NOTIFICATION INTEGRATION", name)) is None:
        raise not_found("Integration", raw)
    if str(props.get("ENABLED", "FALSE")).upper() != "TRUE":
        raise LocalSqlError(f"Notification integration '{name}' is disabled.", errno=394209)
    return name, props


def _recipients(name: str, props: dict[str, Any], recipients: Any) -> list[str]:
    """The recipients as a list; an e-mail integration's ALLOWED_RECIPIENTS, when it has any, must include them."""
    recipients = [recipients] if isinstance(recipients, str) else list(recipients)
    if not recipients:
        raise LocalSqlError(f"No recipients for the e-mail integration '{name}'.", errno=394205)
    allowed = props.get("ALLOWED_RECIPIENTS") or []
    allowed = {a.lower() for a in ([allowed] if isinstance(allowed, str) else allowed)}
    if allowed and (outside := sorted({r for r in recipients if r.lower() not in allowed})):
        raise LocalSqlError(
            f"Email recipients {', '.join(outside)} are not in the allowed recipients of integration '{name}'.",
            errno=394204,
        )
    return recipients


def _send_notification(engine: Engine, session: LocalSession, text: str, m: re.Match[str]) -> Outcome:
    values = _values(engine, session, m["args"])
    if len(values) != 2:
        raise LocalSqlError(
            f"SYSTEM$SEND_SNOWFLAKE_NOTIFICATION takes a message and a configuration ({SEND_DOC})", errno=1044
        )
    messages = _json_list(values[0], "message")
    recorded: list[list[Any]] = []
    for config in _json_list(values[1], "integration configuration"):
        for raw, options in config.items():
            name, props = _integration(engine, raw)
            kind, options = str(props.get("TYPE", "EMAIL")).upper(), options or {}
            for message in messages:
                (content_type, body), *_ = message.items()  # one content type per message
                if content_type not in CONTENT_TYPES:
                    raise LocalSqlError(f"Unknown message content type {content_type!r} ({SEND_DOC})", errno=1044)
                if kind != "EMAIL":
                    recorded.append([name, kind, None, None, content_type, str(body)])
                    continue
                to = _recipients(name, props, options.get("toAddress") or props.get("DEFAULT_RECIPIENTS") or [])
                subject = options.get("subject") or props.get("DEFAULT_SUBJECT")
                recorded += [[name, kind, r, subject, content_type, str(body)] for r in to]
    return _store(engine, session, recorded)


def _send_email(engine: Engine, session: LocalSession, text: str, m: re.Match[str]) -> Outcome:
    values = _values(engine, session, m["args"])
    if len(values) not in (4, 5):
        raise LocalSqlError(
            f"SYSTEM$SEND_EMAIL takes an integration, recipients, a subject, a body [, a content type] ({EMAIL_DOC})",
            errno=1044,
        )
    name, props = _integration(engine, str(values[0]))
    to = _recipients(name, props, [r.strip() for r in str(values[1] or "").split(",") if r.strip()])
    content_type = str(values[4]) if len(values) == 5 and values[4] else "text/plain"
    return _store(engine, session, [[name, "EMAIL", r, values[2], content_type, str(values[3])] for r in to])


def _json_list(value: Any, what: str) -> list[dict[str, Any]]:
    try:
        parsed = json.loads(value) if isinstance(value, str) else value
    except ValueError:
        raise LocalSqlError(f"The {what} is not JSON ({SEND_DOC})", errno=1044) from None
    items = parsed if isinstance(parsed, list) else [parsed]
    if not items or not all(isinstance(i, dict) and i for i in items):
        raise LocalSqlError(f"The {what} must be a JSON object or an array of them ({SEND_DOC})", errno=1044)
    return items


def _store(engine: Engine, session: LocalSession, rows: list[list[Any]]) -> Outcome:
    at = now()
    for row in rows:
        engine.catalog.query(f"INSERT INTO {TABLE} VALUES (?, ?, ?, ?, ?, ?, ?, ?)", [*row, session.user, at])
    recorded = status_select("Notification sent (recorded by the local warehouse, not sent).")
    return Outcome(sql=recorded, keep_params=False)
