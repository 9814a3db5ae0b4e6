"""USE ROLE / WAREHOUSE and ALTER SESSION: kept on the session and in SESSION_PARAMETERS (USE SECONDARY ROLES, which
the product never issues, is not emulated)."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from infra.local.warehouse import session_context
from infra.local.warehouse.account_catalog import require_object, upper_words
from infra.local.warehouse.base import LocalSession, Outcome, answer, ok
from infra.local.warehouse.catalog import PREFIX, now
from infra.local.warehouse.errors import LocalSqlError
from infra.local.warehouse.options import parse_properties
from infra.local.warehouse.sqltext import IDENT, normalise_ident

if TYPE_CHECKING:
    from infra.local.warehouse.engine import Engine

# fakesnow acts on these; the other session parameters are recorded only
_FAKESNOW_SESSION_PARAMS = {"AUTOCOMMIT", "QUOTED_IDENTIFIERS_IGNORE_CASE"}


def register(engine: Engine) -> None:
    engine.on(rf"^USE\s+(?P<what>ROLE|WAREHOUSE)\s+(?P<name>{IDENT})$", _use)
    engine.on(r"^ALTER\s+SESSION\s+(?P<op>SET|UNSET)\s+(?P<rest>.+)$", _alter_session)


def _record(engine: Engine, session: LocalSession, name: str, value: str | None) -> None:
    key = [session.session_id, name]
    engine.catalog.query(f"DELETE FROM {PREFIX}.SESSION_PARAMETERS WHERE SESSION_ID = ? AND NAME = ?", key)
    if value is not None:
        engine.catalog.query(f"INSERT INTO {PREFIX}.SESSION_PARAMETERS VALUES (?, ?, ?, ?)", [*key, value, now()])


def _use(engine: Engine, session: LocalSession, text: str, m: re.Match[str]) -> Outcome:
    name, what = normalise_ident(m["name"]), m["what"].upper()
    if what == "ROLE":
        require_object(engine, "ROLE", name)
        session.role = name
        session_context.bind(engine, session)  # IS_ROLE_IN_SESSION and friends follow the new role
    else:
        session.warehouse = name
    _record(engine, session, what, name)
    return answer(text)  # fakesnow answers USE ROLE / WAREHOUSE itself (a no-op there)


def _alter_session(engine: Engine, session: LocalSession, text: str, m: re.Match[str]) -> Outcome:
    if upper_words(m["op"]) == "SET":
        if not (props := parse_properties(m["rest"])):
            raise LocalSqlError("ALTER SESSION SET needs <parameter> = <value>", errno=1003)
        changes = {k: ",".join(v) if isinstance(v, list) else str(v) for k, v in props.items()}
    else:
        changes = {upper_words(k): None for k in m["rest"].split(",") if k.strip()}
    for key, value in changes.items():
        if value is None:
            session.parameters.pop(key, None)
        else:
            session.parameters[key] = value
        _record(engine, session, key, value)
    passed = [k for k in changes if k in _FAKESNOW_SESSION_PARAMS]
    if not passed:
        return ok()
    key = passed[-1]
    return answer(f"ALTER SESSION {m['op'].upper()} {key}" + (f" = {changes[key]}" if changes[key] is not None else ""))
