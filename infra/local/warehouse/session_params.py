"""USE ROLE / SECONDARY ROLES / WAREHOUSE and ALTER SESSION: kept on the session and in SESSION_PARAMETERS."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from infra.local.warehouse import session_context
from infra.local.warehouse.account_catalog import require_role, upper_words
from infra.local.warehouse.base import LocalSession, Outcome, answer, ok
from infra.local.warehouse.catalog import PREFIX, now
from infra.local.warehouse.errors import LocalSqlError
from infra.local.warehouse.options import parse_properties
from infra.local.warehouse.sqltext import (
    IDENT,
    normalise_ident,
)

if TYPE_CHECKING:
    from infra.local.warehouse.engine import Engine


def register(engine: Engine) -> None:
    engine.on(rf"^USE\s+ROLE\s+(?P<name>{IDENT})$", _use_role)
    engine.on(r"^USE\s+SECONDARY\s+ROLES\s+(?P<roles>.+)$", _use_secondary)
    engine.on(rf"^USE\s+WAREHOUSE\s+(?P<name>{IDENT})$", _use_warehouse)
    engine.on(r"^ALTER\s+SESSION\s+(?P<op>SET|UNSET)\s+(?P<rest>.+)$", _alter_session)


def _record_param(engine: Engine, session: LocalSession, name: str, value: str | None) -> None:
    if value is None:
        engine.catalog.query(
            f"DELETE FROM {PREFIX}.SESSION_PARAMETERS WHERE SESSION_ID = ? AND NAME = ?", [session.session_id, name]
        )
    else:
        engine.catalog.query(
            f"INSERT OR REPLACE INTO {PREFIX}.SESSION_PARAMETERS VALUES (?, ?, ?, ?)",
            [session.session_id, name, value, now()],
        )


def _use_role(engine: Engine, session: LocalSession, text: str, m: re.Match[str]) -> Outcome:
    name = normalise_ident(m["name"])
    require_role(engine, "ROLE", name)
    session.role = name
    _record_param(engine, session, "ROLE", name)
    session_context.bind(engine, session)  # IS_ROLE_IN_SESSION and friends follow the new role
    return answer(text)  # fakesnow answers USE ROLE itself (a no-op there)


def _use_secondary(engine: Engine, session: LocalSession, text: str, m: re.Match[str]) -> Outcome:
    raw = m["roles"].strip()
    value = (
        upper_words(raw)
        if upper_words(raw) in {"ALL", "NONE"}
        else ",".join(normalise_ident(r) for r in raw.split(",") if r.strip())
    )
    session.parameters["SECONDARY_ROLES"] = value
    _record_param(engine, session, "SECONDARY_ROLES", value)
    return ok()


def _use_warehouse(engine: Engine, session: LocalSession, text: str, m: re.Match[str]) -> Outcome:
    name = normalise_ident(m["name"])
    session.warehouse = name
    _record_param(engine, session, "WAREHOUSE", name)
    return answer(text)  # fakesnow answers USE WAREHOUSE itself (a no-op there)


_FAKESNOW_SESSION_PARAMS = {"AUTOCOMMIT", "QUOTED_IDENTIFIERS_IGNORE_CASE"}


def _alter_session(engine: Engine, session: LocalSession, text: str, m: re.Match[str]) -> Outcome:
    passthrough: str | None = None
    if upper_words(m["op"]) == "SET":
        props = parse_properties(m["rest"])
        if not props:
            raise LocalSqlError("ALTER SESSION SET needs <parameter> = <value>", errno=1003)
        for key, value in props.items():
            shown = ",".join(value) if isinstance(value, list) else str(value)
            session.parameters[key] = shown
            _record_param(engine, session, key, shown)
            if key in _FAKESNOW_SESSION_PARAMS:
                passthrough = f"ALTER SESSION SET {key} = {shown}"
    else:
        for key in (upper_words(k) for k in m["rest"].split(",") if k.strip()):
            session.parameters.pop(key, None)
            _record_param(engine, session, key, None)
            if key in _FAKESNOW_SESSION_PARAMS:
                passthrough = f"ALTER SESSION UNSET {key}"
    # fakesnow acts on AUTOCOMMIT and QUOTED_IDENTIFIERS_IGNORE_CASE; the rest is recorded only
    return answer(passthrough) if passthrough else ok()
