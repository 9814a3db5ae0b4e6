"""GRANT / REVOKE of privileges and roles: rows of GRANTS, checked to name recorded objects, never enforced."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from infra.local.warehouse.account_catalog import (
    INTEGRATION_KINDS,
    KINDS,
    SIG,
    SYSTEM_ROLES,
    any_object_name,
    get_object,
    normalised_name,
    not_found,
    require_integration,
    require_relation,
    require_role,
    upper_words,
)
from infra.local.warehouse.base import LocalSession, Outcome, ok
from infra.local.warehouse.catalog import PREFIX, now
from infra.local.warehouse.errors import LocalSqlError
from infra.local.warehouse.sqltext import (
    QNAME,
    split_name,
)

if TYPE_CHECKING:
    from infra.local.warehouse.engine import Engine


GRANTEE_RE = (
    r"(?:(?P<gkind>DATABASE\s+ROLE|APPLICATION\s+ROLE|ROLE|SHARE|USER|APPLICATION)\s+)?"
    rf"(?P<gname>{QNAME})"
)
ROLE_RE = rf"(?P<rkind>DATABASE\s+ROLE|APPLICATION\s+ROLE|ROLE)\s+(?P<role>{QNAME})"


def register(engine: Engine) -> None:
    on = engine.on
    on(rf"^GRANT\s+{ROLE_RE}\s+TO\s+{GRANTEE_RE}$", _grant_role)
    on(rf"^REVOKE\s+{ROLE_RE}\s+FROM\s+{GRANTEE_RE}$", _revoke_role)
    on(
        rf"^GRANT\s+(?P<privs>.+?)\s+ON\s+(?P<target>.+?)\s+TO\s+{GRANTEE_RE}"
        r"(?P<wgo>\s+WITH\s+GRANT\s+OPTION)?(?:\s+(?:COPY|REVOKE)\s+CURRENT\s+GRANTS)?$",
        _grant,
    )
    on(
        rf"^REVOKE\s+(?P<gof>GRANT\s+OPTION\s+FOR\s+)?(?P<privs>.+?)\s+ON\s+(?P<target>.+?)\s+FROM\s+{GRANTEE_RE}"
        r"(?:\s+(?:CASCADE|RESTRICT))?$",
        _revoke,
    )
    on(r"^(?P<verb>GRANT|REVOKE)\b.*$", _unsupported)


def grantee(m: re.Match[str], session: LocalSession) -> tuple[str, str]:
    kind = upper_words(m["gkind"]) if m["gkind"] else "ROLE"
    if kind == "DATABASE ROLE":
        return kind, normalised_name(KINDS["DATABASE ROLE"], m["gname"], session)
    if kind != "APPLICATION ROLE" and len(split_name(m["gname"])) != 1:
        raise LocalSqlError(f"Invalid {kind.lower()} name: {m['gname']}", errno=1003)
    return kind, ".".join(split_name(m["gname"]))


def _check_grantee(engine: Engine, kind: str, name: str) -> None:
    if kind in ("ROLE", "DATABASE ROLE", "APPLICATION ROLE"):
        require_role(engine, kind, name)


def granted_role(m: re.Match[str], session: LocalSession) -> tuple[str, str]:
    kind = upper_words(m["rkind"])
    return kind, normalised_name(KINDS[kind], m["role"], session)


def _grant_role(engine: Engine, session: LocalSession, text: str, m: re.Match[str]) -> Outcome:
    rkind, role = granted_role(m, session)
    gkind, gname = grantee(m, session)
    with engine.catalog.lock:
        require_role(engine, rkind, role)
        _check_grantee(engine, gkind, gname)
        engine.catalog.query(
            f"INSERT OR REPLACE INTO {PREFIX}.GRANTS VALUES ('USAGE', ?, ?, ?, ?, FALSE, ?)",
            [rkind.replace(" ", "_"), role, gkind, gname, now()],
        )
    return ok()


def _revoke_role(engine: Engine, session: LocalSession, text: str, m: re.Match[str]) -> Outcome:
    rkind, role = granted_role(m, session)
    gkind, gname = grantee(m, session)
    engine.catalog.query(
        f"DELETE FROM {PREFIX}.GRANTS WHERE PRIVILEGE = 'USAGE' AND GRANTED_ON = ? AND OBJECT_NAME = ? "
        "AND GRANTEE_KIND = ? AND GRANTEE_NAME = ?",
        [rkind.replace(" ", "_"), role, gkind, gname],
    )
    return ok()


def _singular(kinds: str) -> str:
    if kinds.endswith("IES"):
        return kinds[:-3] + "Y"
    return kinds[:-1] if kinds.endswith("S") else kinds


def grant_target(engine: Engine, session: LocalSession, raw: str, check: bool) -> tuple[str, str]:
    """(GRANTED_ON, OBJECT_NAME) of a GRANT/REVOKE target; checks that recorded kinds exist."""
    text = " ".join(raw.split())
    if text.upper() == "ACCOUNT":
        return "ACCOUNT", "ACCOUNT"
    bulk = re.fullmatch(
        rf"(?P<scope>ALL|FUTURE)\s+(?P<kinds>[A-Z_]+(?:\s+[A-Z_]+)*?)\s+IN\s+(?P<ckind>SCHEMA|DATABASE)\s+(?P<c>{QNAME})",
        text,
        re.I,
    )
    if bulk:
        kind = _singular(upper_words(bulk["kinds"]))
        container = any_object_name(upper_words(bulk["ckind"]), bulk["c"], session)
        marker = f"<{kind}>" if bulk["scope"].upper() == "FUTURE" else f"<ALL {upper_words(bulk['kinds'])}>"
        return kind.replace(" ", "_"), f"{container}.{marker}"
    one = re.fullmatch(rf"(?P<kind>[A-Z_]+(?:\s+[A-Z_]+)*?)\s+(?P<name>{QNAME}{SIG})", text, re.I)
    if not one:
        raise LocalSqlError("Unsupported GRANT target: ON <kind> <name> expected", errno=1003)
    kind = upper_words(one["kind"])
    if kind in INTEGRATION_KINDS:
        kind = "INTEGRATION"
    name = any_object_name(kind, one["name"], session)
    if check:
        if kind == "INTEGRATION":
            require_integration(engine, name)
        elif kind in KINDS and kind != "APPLICATION ROLE":
            if get_object(engine, kind, name) is None and not (kind == "ROLE" and name in SYSTEM_ROLES):
                raise not_found(KINDS[kind].label, name)
        elif kind in ("TABLE", "VIEW"):
            require_relation(engine, kind, name)
    return kind.replace(" ", "_"), name


def _privileges(raw: str) -> list[str]:
    privs = [upper_words(p) for p in raw.split(",") if p.strip()]
    return ["ALL" if p == "ALL PRIVILEGES" else p for p in privs]


def _grant(engine: Engine, session: LocalSession, text: str, m: re.Match[str]) -> Outcome:
    gkind, gname = grantee(m, session)
    privs = _privileges(m["privs"])
    with engine.catalog.lock:
        granted_on, obj = grant_target(engine, session, m["target"], check=True)
        _check_grantee(engine, gkind, gname)
        for priv in privs:
            if priv == "OWNERSHIP":
                engine.catalog.query(
                    f"DELETE FROM {PREFIX}.GRANTS WHERE PRIVILEGE = 'OWNERSHIP' AND GRANTED_ON = ? AND OBJECT_NAME = ?",
                    [granted_on, obj],
                )
            engine.catalog.query(
                f"INSERT OR REPLACE INTO {PREFIX}.GRANTS VALUES (?, ?, ?, ?, ?, ?, ?)",
                [priv, granted_on, obj, gkind, gname, bool(m["wgo"]), now()],
            )
    return ok()


def _revoke(engine: Engine, session: LocalSession, text: str, m: re.Match[str]) -> Outcome:
    gkind, gname = grantee(m, session)
    granted_on, obj = grant_target(engine, session, m["target"], check=False)
    for priv in _privileges(m["privs"]):
        where = "WHERE GRANTED_ON = ? AND OBJECT_NAME = ? AND GRANTEE_KIND = ? AND GRANTEE_NAME = ?"
        params = [granted_on, obj, gkind, gname]
        if priv != "ALL":
            where += " AND PRIVILEGE = ?"
            params.append(priv)
        if m["gof"]:
            engine.catalog.query(f"UPDATE {PREFIX}.GRANTS SET WITH_GRANT_OPTION = FALSE {where}", params)
        else:
            engine.catalog.query(f"DELETE FROM {PREFIX}.GRANTS {where}", params)
    return ok()


def _unsupported(engine: Engine, session: LocalSession, text: str, m: re.Match[str]) -> Outcome:
    words = " ".join(text.split()[:3]).upper()
    raise LocalSqlError(
        f"The local warehouse does not support this statement: {words} ... (see infra/local/README.md)", errno=2000
    )
