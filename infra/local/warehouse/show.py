"""SHOW <recorded kind> and SHOW GRANTS: the catalog rendered with Snowflake's lower-case SHOW columns."""

from __future__ import annotations

import json
import re
from datetime import datetime
from typing import TYPE_CHECKING, Any

from infra.local.warehouse.account_catalog import (
    INTEGRATION_KINDS,
    SYSTEM_ROLES,
    any_object_name,
    objects_of,
    upper_words,
)
from infra.local.warehouse.base import LocalSession, Outcome, answer
from infra.local.warehouse.catalog import PREFIX
from infra.local.warehouse.errors import LocalSqlError
from infra.local.warehouse.grants import grant_target, granted_role, grantee
from infra.local.warehouse.options import like_pattern
from infra.local.warehouse.sqltext import (
    QNAME,
    normalise_ident,
    split_name,
    sql_literal,
)

if TYPE_CHECKING:
    from infra.local.warehouse.engine import Engine


def register(engine: Engine) -> None:
    engine.on(
        r"^SHOW\s+(?P<what>WAREHOUSES|ROLES|USERS|DATABASE\s+ROLES|APPLICATION\s+ROLES|SECRETS|NETWORK\s+RULES"
        r"|(?:(?:SECURITY|EXTERNAL\s+ACCESS|NOTIFICATION|API|STORAGE)\s+)?INTEGRATIONS|MASKING\s+POLICIES"
        r"|ROW\s+ACCESS\s+POLICIES|ALERTS|RESOURCE\s+MONITORS|TAGS)\b(?P<rest>.*)$",
        _show,
    )
    engine.on(r"^SHOW\s+(?P<future>FUTURE\s+)?GRANTS\b(?P<rest>.*)$", _show_grants)


def show_select(columns: list[tuple[str, str]], rows: list[list[Any]], order: str = '"name"') -> str:
    """A SELECT returning `rows` with Snowflake's lower-case SHOW column names."""

    def lit(value: Any, typ: str) -> str:
        if isinstance(value, datetime):
            value = value.isoformat()
        elif isinstance(value, list | dict):
            value = json.dumps(value)
        return f"CAST({sql_literal(value)} AS {typ})"

    if not rows:
        cols = ", ".join(f'CAST(NULL AS {t}) AS "{c}"' for c, t in columns)
        return f"SELECT {cols} WHERE FALSE"
    selects = [
        "SELECT " + ", ".join(f'{lit(v, t)} AS "{c}"' for v, (c, t) in zip(row, columns, strict=True)) for row in rows
    ]
    return f"SELECT * FROM ({' UNION ALL '.join(selects)}) ORDER BY {order}"


_TS, _S, _N = "TIMESTAMP_LTZ", "VARCHAR", "NUMBER"


def in_scope(rest: str, session: LocalSession) -> tuple[str | None, str | None]:
    """(database, schema) filter of `IN ACCOUNT|DATABASE d|SCHEMA s`; default: the current database."""
    m = re.search(rf"\bIN\s+(?P<k>ACCOUNT|DATABASE|SCHEMA)(?:\s+(?P<n>{QNAME}))?", rest, re.I)
    if not m:
        return session.database, None
    kind = m["k"].upper()
    if kind == "ACCOUNT":
        return None, None
    if kind == "DATABASE":
        return (normalise_ident(m["n"]) if m["n"] else session.database), None
    if m["n"]:
        parts = split_name(m["n"])
        return (parts[0], parts[1]) if len(parts) == 2 else (session.database, parts[0])
    return session.database, session.schema


def _show(engine: Engine, session: LocalSession, text: str, m: re.Match[str]) -> Outcome:
    what = upper_words(m["what"])
    rest = m["rest"]
    like = like_pattern(rest)
    owner = "ACCOUNTADMIN"

    def pick(kinds: tuple[str, ...], scoped: bool) -> list[tuple[str, str, dict[str, Any], datetime]]:
        db, schema = in_scope(rest, session) if scoped else (None, None)
        found = []
        for kind, name, props, created in objects_of(engine, kinds):
            parts = name.split(".")
            if like and not like.fullmatch(parts[-1]):
                continue
            if (db and parts[0] != db) or (schema and parts[1] != schema):
                continue
            found.append((kind, name, props, created))
        return found

    def short(name: str) -> list[str]:
        parts = name.split(".")
        return [parts[-1], parts[0], parts[1]] if len(parts) == 3 else [parts[-1], "", ""]

    cols: list[tuple[str, str]]
    rows: list[list[Any]]
    if what == "WAREHOUSES":
        cols = [("name", _S), ("state", _S), ("type", _S), ("size", _S), ("min_cluster_count", _N),
                ("max_cluster_count", _N), ("auto_suspend", _N), ("auto_resume", _S), ("is_default", _S),
                ("is_current", _S), ("created_on", _TS), ("owner", _S), ("comment", _S),
                ("resource_monitor", _S)]  # fmt: skip
        rows = []
        for _, name, p, created in pick(("WAREHOUSE",), False):
            rows.append([
                name, p.get("STATE", "STARTED"), p.get("WAREHOUSE_TYPE", "STANDARD"), p.get("WAREHOUSE_SIZE", "XSMALL"),
                int(p.get("MIN_CLUSTER_COUNT", 1)), int(p.get("MAX_CLUSTER_COUNT", 1)),
                int(p["AUTO_SUSPEND"]) if str(p.get("AUTO_SUSPEND", "")).isdigit() else 600,
                str(p.get("AUTO_RESUME", "TRUE")).lower(), "N", "Y" if session.warehouse == name else "N",
                created, owner, p.get("COMMENT", ""), p.get("RESOURCE_MONITOR", "null"),
            ])  # fmt: skip
        if not any(r[0] == "FAKESNOW_WAREHOUSE" for r in rows) and (not like or like.fullmatch("FAKESNOW_WAREHOUSE")):
            # fakesnow's own warehouse, which SHOW WAREHOUSES listed before this module took it over
            rows.append(["FAKESNOW_WAREHOUSE", "STARTED", "STANDARD", "X-Small", 1, 1, 600, "true", "Y",
                         "Y" if session.warehouse in (None, "FAKESNOW_WAREHOUSE") else "N",
                         datetime.fromtimestamp(0).astimezone(), "SYSADMIN", "", "null"])  # fmt: skip
    elif what in ("ROLES", "DATABASE ROLES", "APPLICATION ROLES"):
        kind = what[:-1]
        grants = engine.catalog.query(
            f"SELECT GRANTED_ON, OBJECT_NAME, GRANTEE_KIND, GRANTEE_NAME FROM {PREFIX}.GRANTS"
        )
        gk = kind.replace(" ", "_")
        cols = [("created_on", _TS), ("name", _S), ("is_default", _S), ("is_current", _S), ("is_inherited", _S),
                ("assigned_to_users", _N), ("granted_to_roles", _N), ("granted_roles", _N), ("owner", _S),
                ("comment", _S)]  # fmt: skip
        entries = [(n, p, c) for _, n, p, c in pick((kind,), False)]
        if kind == "DATABASE ROLE":
            db, _ = in_scope(rest, session)
            entries = [e for e in entries if not db or e[0].split(".")[0] == db]
        if kind == "ROLE":
            epoch = datetime.fromtimestamp(0).astimezone()
            entries += [(r, {}, epoch) for r in SYSTEM_ROLES if not like or like.fullmatch(r)]
        rows = []
        for name, p, created in sorted(entries):
            mine = [g for g in grants if g[0] == gk and g[1] == name]
            rows.append([
                created, name.rsplit(".", 1)[-1] if kind == "DATABASE ROLE" else name, "N",
                "Y" if kind == "ROLE" and session.role == name else "N", "N",
                sum(1 for g in mine if g[2] == "USER"), sum(1 for g in mine if g[2] != "USER"),
                sum(1 for g in grants if g[2] == kind and g[3] == name and g[0].endswith("ROLE")),
                owner, p.get("COMMENT", ""),
            ])  # fmt: skip
    elif what == "USERS":
        cols = [("name", _S), ("created_on", _TS), ("login_name", _S), ("display_name", _S), ("default_role", _S),
                ("default_warehouse", _S), ("disabled", _S), ("has_password", _S), ("comment", _S)]  # fmt: skip
        rows = [
            [n, c, p.get("LOGIN_NAME", n), p.get("DISPLAY_NAME", n), p.get("DEFAULT_ROLE", ""),
             p.get("DEFAULT_WAREHOUSE", ""), str(p.get("DISABLED", "FALSE")).lower(),
             str("PASSWORD" in p).lower(), p.get("COMMENT", "")]
            for _, n, p, c in pick(("USER",), False)
        ]  # fmt: skip
    elif what == "SECRETS":
        cols = [("created_on", _TS), ("name", _S), ("database_name", _S), ("schema_name", _S), ("owner", _S),
                ("comment", _S), ("secret_type", _S), ("oauth_scopes", _S), ("owner_role_type", _S)]  # fmt: skip
        rows = [
            [
                c,
                *short(n),
                owner,
                p.get("COMMENT", ""),
                p.get("TYPE", ""),
                json.dumps(p.get("OAUTH_SCOPES", [])),
                "ROLE",
            ]
            for _, n, p, c in pick(("SECRET",), True)
        ]
    elif what.endswith("INTEGRATIONS"):
        kinds = (what[:-1],) if what != "INTEGRATIONS" else INTEGRATION_KINDS
        cols = [("name", _S), ("type", _S), ("category", _S), ("enabled", _S), ("comment", _S), ("created_on", _TS)]
        rows = [
            [n, p.get("TYPE", k.removesuffix(" INTEGRATION").replace(" ", "_")),
             k.removesuffix(" INTEGRATION").replace(" ", "_"), str(p.get("ENABLED", "FALSE")).lower(),
             p.get("COMMENT", ""), c]
            for k, n, p, c in pick(kinds, False)
        ]  # fmt: skip
    elif what == "NETWORK RULES":
        cols = [("created_on", _TS), ("name", _S), ("database_name", _S), ("schema_name", _S), ("owner", _S),
                ("comment", _S), ("type", _S), ("mode", _S), ("entries_in_value_list", _N),
                ("owner_role_type", _S)]  # fmt: skip
        rows = [
            [c, *short(n), owner, p.get("COMMENT", ""), p.get("TYPE", ""), p.get("MODE", "INGRESS"),
             len(p.get("VALUE_LIST", []) or []), "ROLE"]
            for _, n, p, c in pick(("NETWORK RULE",), True)
        ]  # fmt: skip
    elif what in ("MASKING POLICIES", "ROW ACCESS POLICIES"):
        kind = what.removesuffix("POLICIES") + "POLICY"
        cols = [("created_on", _TS), ("name", _S), ("database_name", _S), ("schema_name", _S), ("kind", _S),
                ("owner", _S), ("comment", _S), ("owner_role_type", _S), ("options", _S)]  # fmt: skip
        rows = [
            [c, *short(n), kind.replace(" ", "_"), owner, p.get("COMMENT", ""), "ROLE", ""]
            for _, n, p, c in pick((kind,), True)
        ]
    elif what == "ALERTS":
        cols = [("created_on", _TS), ("name", _S), ("database_name", _S), ("schema_name", _S), ("owner", _S),
                ("comment", _S), ("warehouse", _S), ("schedule", _S), ("state", _S), ("condition", _S),
                ("action", _S)]  # fmt: skip
        rows = [
            [c, *short(n), owner, p.get("COMMENT", ""), p.get("WAREHOUSE", ""), p.get("SCHEDULE", ""),
             str(p.get("STATE", "SUSPENDED")).lower(), p.get("CONDITION", ""), p.get("ACTION", "")]
            for _, n, p, c in pick(("ALERT",), True)
        ]  # fmt: skip
    elif what == "RESOURCE MONITORS":
        cols = [("name", _S), ("credit_quota", _N), ("used_credits", _N), ("remaining_credits", _N), ("level", _S),
                ("frequency", _S), ("start_time", _S), ("end_time", _S), ("notify_at", _S), ("suspend_at", _S),
                ("suspend_immediately_at", _S), ("created_on", _TS), ("owner", _S), ("comment", _S)]  # fmt: skip
        warehouses = objects_of(engine, ("WAREHOUSE",))
        rows = []
        for _, n, p, c in pick(("RESOURCE MONITOR",), False):
            quota = p.get("CREDIT_QUOTA")
            by_action = {a: ",".join(f"{t['percent']}%" for t in p.get("TRIGGERS", []) if t["action"] == a)
                         for a in ("NOTIFY", "SUSPEND", "SUSPEND_IMMEDIATE")}  # fmt: skip
            level = "WAREHOUSE" if any(w[2].get("RESOURCE_MONITOR") == n for w in warehouses) else ""
            rows.append([n, quota, 0, quota, level, p.get("FREQUENCY", "MONTHLY"), p.get("START_TIMESTAMP", ""),
                         p.get("END_TIMESTAMP", ""), by_action["NOTIFY"], by_action["SUSPEND"],
                         by_action["SUSPEND_IMMEDIATE"], c, owner, p.get("COMMENT", "")])  # fmt: skip
    else:  # TAGS
        cols = [("created_on", _TS), ("name", _S), ("database_name", _S), ("schema_name", _S), ("owner", _S),
                ("comment", _S), ("allowed_values", _S), ("owner_role_type", _S)]  # fmt: skip
        rows = [
            [c, *short(n), owner, p.get("COMMENT", ""),
             json.dumps(p["ALLOWED_VALUES"]) if "ALLOWED_VALUES" in p else None, "ROLE"]
            for _, n, p, c in pick(("TAG",), True)
        ]  # fmt: skip
    return answer(show_select(cols, rows))


def _show_grants(engine: Engine, session: LocalSession, text: str, m: re.Match[str]) -> Outcome:
    rest = " ".join(m["rest"].split())
    where, params = "", []
    if m["future"]:
        scope = re.fullmatch(rf"IN\s+(?P<k>SCHEMA|DATABASE)\s+(?P<n>{QNAME})", rest, re.I)
        if not scope:
            raise LocalSqlError("SHOW FUTURE GRANTS needs IN SCHEMA <s> | IN DATABASE <d>", errno=1003)
        container = any_object_name(upper_words(scope["k"]), scope["n"], session)
        where, params = "OBJECT_NAME LIKE ? AND OBJECT_NAME NOT LIKE '%.<ALL %'", [f"{container}.<%>"]
    elif to := re.fullmatch(
        rf"TO\s+(?P<gkind>DATABASE\s+ROLE|APPLICATION\s+ROLE|ROLE|SHARE|USER|APPLICATION)\s+(?P<gname>{QNAME})",
        rest,
        re.I,
    ):
        gkind, gname = grantee(to, session)
        where, params = "GRANTEE_KIND = ? AND GRANTEE_NAME = ?", [gkind, gname]
    elif of := re.fullmatch(
        rf"OF\s+(?P<rkind>DATABASE\s+ROLE|APPLICATION\s+ROLE|ROLE)\s+(?P<role>{QNAME})", rest, re.I
    ):
        rkind, role = granted_role(of, session)
        where, params = "GRANTED_ON = ? AND OBJECT_NAME = ?", [rkind.replace(" ", "_"), role]
    elif on := re.fullmatch(r"ON\s+(?P<target>.+)", rest, re.I):
        granted_on, obj = grant_target(engine, session, on["target"], check=False)
        where, params = "GRANTED_ON = ? AND OBJECT_NAME = ?", [granted_on, obj]
    elif rest:
        raise LocalSqlError("Unsupported SHOW GRANTS form: use TO|OF|ON ... or IN (FUTURE)", errno=1003)
    rows = engine.catalog.query(
        "SELECT CREATED_ON, PRIVILEGE, GRANTED_ON, OBJECT_NAME, GRANTEE_KIND, GRANTEE_NAME, WITH_GRANT_OPTION "
        f"FROM {PREFIX}.GRANTS {'WHERE ' + where if where else ''} ORDER BY OBJECT_NAME, PRIVILEGE, GRANTEE_NAME",
        params,
    )
    cols = [("created_on", _TS), ("privilege", _S), ("granted_on", _S), ("name", _S), ("granted_to", _S),
            ("grantee_name", _S), ("grant_option", _S), ("granted_by", _S)]  # fmt: skip
    out = [[c, p, g, o, k.replace(" ", "_"), n, str(w).lower(), "ACCOUNTADMIN"] for c, p, g, o, k, n, w in rows]
    return answer(show_select(cols, out, order='"name", "privilege", "grantee_name"'))
