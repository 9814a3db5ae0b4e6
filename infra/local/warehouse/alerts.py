"""EXECUTE ALERT: evaluate the alert's condition once and run its action when it returns rows (ALERT_HISTORY)."""

from __future__ import annotations

import contextlib
import re
from typing import TYPE_CHECKING

from infra.local.warehouse.account_catalog import require_object
from infra.local.warehouse.base import LocalSession, Outcome, ok
from infra.local.warehouse.catalog import PREFIX, now
from infra.local.warehouse.sqltext import QNAME, qualify

if TYPE_CHECKING:
    from infra.local.warehouse.engine import Engine


def register(engine: Engine) -> None:
    engine.on(rf"^EXECUTE\s+ALERT\s+(?P<name>{QNAME})$", _execute_alert)


def _execute_alert(engine: Engine, session: LocalSession, text: str, m: re.Match[str]) -> Outcome:
    name = qualify(m["name"], session.database, session.schema).fqn
    started, props = now(), require_object(engine, "ALERT", name)
    inner = engine.internal_session(*name.split(".")[:2], f"alert:{name}")
    inner.role, inner.warehouse = session.role, session.warehouse
    step, state, condition, error = "condition", "CONDITION_FAILED", None, None
    try:
        condition = bool(engine.execute(inner, props["CONDITION"]))
        state = "CONDITION_FALSE"
        if condition:
            step, state = "action", "ACTION_FAILED"
            engine.execute(inner, props["ACTION"])
            state = "TRIGGERED"
    except Exception as e:  # a failed step is the run's state and error in ALERT_HISTORY, not the caller's error
        error = f"{step}: {getattr(e, 'message', None) or e}"
    finally:
        with contextlib.suppress(Exception):  # closing an internal connection must not hide the outcome
            inner.conn.close()
    engine.catalog.query(
        f"INSERT INTO {PREFIX}.ALERT_HISTORY VALUES (?, ?, ?, ?, ?, ?, ?)",
        [name, state, condition, state == "TRIGGERED", error, started, now()],
    )
    return ok()
