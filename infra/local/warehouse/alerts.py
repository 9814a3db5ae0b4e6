"""EXECUTE ALERT: evaluate the alert's condition once and run its action when it returns rows (ALERT_HISTORY)."""

from __future__ import annotations

import contextlib
import re
from typing import TYPE_CHECKING, Any

from infra.local.warehouse.account_catalog import get_object, not_found
from infra.local.warehouse.base import LocalSession, Outcome, ok
from infra.local.warehouse.catalog import PREFIX, now
from infra.local.warehouse.sqltext import (
    QNAME,
    qualify,
)

if TYPE_CHECKING:
    from infra.local.warehouse.engine import Engine


def register(engine: Engine) -> None:
    engine.on(rf"^EXECUTE\s+ALERT\s+(?P<name>{QNAME})$", _execute_alert)


def _execute_alert(engine: Engine, session: LocalSession, text: str, m: re.Match[str]) -> Outcome:
    name = qualify(m["name"], session.database, session.schema).fqn
    found = get_object(engine, "ALERT", name)
    if found is None:
        raise not_found("Alert", name)
    props = found[0]
    run_alert(engine, name, props, session)
    return ok()


def run_alert(engine: Engine, name: str, props: dict[str, Any], caller: LocalSession | None = None) -> str:
    """Evaluate the alert's condition once and run its action when the condition returns rows."""
    database, schema, _ = name.split(".")
    started = now()
    inner = engine.internal_session(database, schema, f"alert:{name}")
    if caller is not None:
        inner.role, inner.warehouse = caller.role, caller.warehouse
    condition: bool | None = None
    action_ran = False
    error: str | None = None
    try:
        try:
            condition = bool(engine.execute(inner, props["CONDITION"]))
        except Exception as e:
            error, state = f"condition: {getattr(e, 'message', None) or e}", "CONDITION_FAILED"
        else:
            state = "CONDITION_FALSE"
            if condition:
                try:
                    engine.execute(inner, props["ACTION"])
                    action_ran, state = True, "TRIGGERED"
                except Exception as e:
                    error, state = f"action: {getattr(e, 'message', None) or e}", "ACTION_FAILED"
    finally:
        with contextlib.suppress(Exception):  # closing an internal connection must not hide the outcome
            inner.conn.close()
    engine.catalog.query(
        f"INSERT INTO {PREFIX}.ALERT_HISTORY VALUES (?, ?, ?, ?, ?, ?, ?)",
        [name, state, condition, action_ran, error, started, now()],
    )
    return state
