"""GRANT / REVOKE of privileges and roles: rows of GRANTS, checked to name recorded objects, never enforced.

A role granted to a grantee is its USAGE privilege on the role, as Snowflake's SHOW GRANTS shows it. Only the
forms the product issues are emulated (no FUTURE grants, grant options, ownership transfers, users or shares);
others fail as unsupported.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from infra.local.warehouse import account_catalog as ac
from infra.local.warehouse.base import LocalSession, Outcome, ok
from infra.local.warehouse.catalog import PREFIX, now
from infra.local.warehouse.errors import LocalSqlError
from infra.local.warehouse.sqltext import QNAME, split_name

if TYPE_CHECKING:
    from infra.local.warehouse.engine import Engine

ROLE_KIND = r"APPLICATION\s+ROLE|ROLE"
GRANTEE_RE = rf"(?:(?P<gkind>{ROLE_KIND}|APPLICATION)\s+)?(?P<gname>{QNAME})"


def register(engine: Engine) -> None:
    on = engine.on
    role = rf"(?P<target>(?:{ROLE_KIND})\s+{QNAME})"
    on(rf"^GRANT\s+{role}\s+TO\s+{GRANTEE_RE}$", _grant)
    on(rf"^REVOKE\s+{role}\s+FROM\s+{GRANTEE_RE}$", _revoke)
    on(rf"^GRANT\s+(?P<privs>.+?)\s+ON\s+(?P<target>.+?)\s+TO\s+{GRANTEE_RE}$", _grant)
    on(rf"^REVOKE\s+(?P<privs>.+?)\s+ON\s+(?P<target>.+?)\s+FROM\s+{GRANTEE_RE}$", _revoke)
    on(r"^(?P<verb>GRANT|REVOKE)\b.*$", _unsupported)


def grantee(m: re.Match[str], session: LocalSession) -> tuple[str, str]:
    kind = ac.upper_words(m["gkind"]) if m["gkind"] else "ROLE"
    if kind != "APPLICATION ROLE" and len(split_name(m["gname"])) != 1:
        raise LocalSqlError(f"Invalid {kind.lower()} name: {m['gname']}", errno=1003)
    return kind, ".".join(split_name(m["gname"]))


def grant_target(engine: Engine, session: LocalSession, raw: str, check: bool) -> tuple[str, str]:
    """(GRANTED_ON, OBJECT_NAME) of a GRANT/REVOKE target; checks that recorded kinds exist."""
    text = " ".join(raw.split())
    if text.upper() == "ACCOUNT":
        return "ACCOUNT", "ACCOUNT"
    if bulk := re.fullmatch(rf"ALL\s+(?P<kinds>[A-Z_]+(?:\s+[A-Z_]+)*?)\s+IN\s+SCHEMA\s+(?P<c>{QNAME})", text, re.I):
        kinds = ac.upper_words(bulk["kinds"])
        container = ac.any_object_name("SCHEMA", bulk["c"], session)
        return ac.singular(kinds).replace(" ", "_"), f"{container}.<ALL {kinds}>"
    if re.match(r"(?:ALL|FUTURE)\s", text, re.I):  # FUTURE grants, ALL … IN DATABASE
        raise LocalSqlError(f"The local warehouse does not support GRANT … ON {text}", errno=2000)
    if not (one := re.fullmatch(rf"(?P<kind>[A-Z_]+(?:\s+[A-Z_]+)*?)\s+(?P<name>{QNAME}{ac.SIG})", text, re.I)):
        raise LocalSqlError("Unsupported GRANT target: ON <kind> <name> expected", errno=1003)
    kind = ac.upper_words(one["kind"])
    kind = "INTEGRATION" if kind in ac.INTEGRATION_KINDS else kind
    name = ac.any_object_name(kind, one["name"], session)
    if check and (kind in ac.KINDS or kind == "INTEGRATION"):
        ac.require_object(engine, kind, name)
    elif check and kind in ("TABLE", "VIEW") and ac.relation_columns(engine, name) is None:
        raise ac.not_found(kind.title(), name)
    return kind.replace(" ", "_"), name


def _grant(engine: Engine, session: LocalSession, text: str, m: re.Match[str]) -> Outcome:
    gkind, gname = grantee(m, session)
    with engine.catalog.lock:
        granted_on, obj = grant_target(engine, session, m["target"], check=True)
        if gkind.endswith("ROLE"):
            ac.require_object(engine, gkind, gname)
        for priv in _privileges(m):
            if priv == "OWNERSHIP":
                raise LocalSqlError(
                    "The local warehouse does not support GRANT OWNERSHIP (see infra/local/README.md)", 2000
                )
            engine.catalog.query(
                f"INSERT OR REPLACE INTO {PREFIX}.GRANTS VALUES (?, ?, ?, ?, ?, ?, ?)",
                [priv, granted_on, obj, gkind, gname, False, now()],  # WITH GRANT OPTION is not emulated
            )
    return ok()


def _revoke(engine: Engine, session: LocalSession, text: str, m: re.Match[str]) -> Outcome:
    gkind, gname = grantee(m, session)
    granted_on, obj = grant_target(engine, session, m["target"], check=False)
    for priv in _privileges(m):
        where = "WHERE GRANTED_ON = ? AND OBJECT_NAME = ? AND GRANTEE_KIND = ? AND GRANTEE_NAME = ?"
        params = [granted_on, obj, gkind, gname]
        if priv != "ALL":
            where += " AND PRIVILEGE = ?"
            params.append(priv)
        engine.catalog.query(f"DELETE FROM {PREFIX}.GRANTS {where}", params)
    return ok()


def _privileges(m: re.Match[str]) -> list[str]:
    """The privileges named; a granted role is USAGE on the role."""
    privs = [ac.upper_words(p) for p in (m.groupdict().get("privs") or "USAGE").split(",") if p.strip()]
    return ["ALL" if p == "ALL PRIVILEGES" else p for p in privs]


def _unsupported(engine: Engine, session: LocalSession, text: str, m: re.Match[str]) -> Outcome:
    words = " ".join(text.split()[:3]).upper()
    raise LocalSqlError(
        f"The local warehouse does not support this statement: {words} ... (see infra/local/README.md)", errno=2000
    )
