"""SHOW <recorded kind> and SHOW GRANTS: the catalog rendered with Snowflake's lower-case SHOW columns."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
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


Row = tuple[str, str, dict[str, Any], datetime]  # kind, name, properties, created_on
Column = tuple[str, str, Callable[[Row], Any]]


def _prop(key: str, default: Any = "") -> Callable[[Row], Any]:
    return lambda r: r[2].get(key, default)


def _part(i: int) -> Callable[[Row], str]:
    """Part `i` of a schema object's name (-1 its own name, 0 its database, 1 its schema); account objects: the name."""
    return lambda r: r[1].split(".")[i] if r[1].count(".") == 2 else r[1].split(".")[-1] if i == -1 else ""


def _lower(key: str, default: str) -> Callable[[Row], str]:
    return lambda r: str(r[2].get(key, default)).lower()


def _at(action: str) -> Callable[[Row], str]:
    return lambda r: ",".join(f"{t['percent']}%" for t in r[2].get("TRIGGERS", []) if t["action"] == action)


# Each SHOW lists only the columns something reads (the tests in tests/warehouse and tests/integration, the app's
# members.py and pipeline_state.py, `whoop local` inventories); further Snowflake columns are left out.
_CREATED: Column = ("created_on", _TS, lambda r: r[3])
_NAME: Column = ("name", _S, _part(-1))
_OWNER: Column = ("owner", _S, lambda r: "ACCOUNTADMIN")
_COMMENT: Column = ("comment", _S, _prop("COMMENT"))
_IN_SCHEMA: list[Column] = [
    _CREATED,
    _NAME,
    ("database_name", _S, _part(0)),
    ("schema_name", _S, _part(1)),
    _OWNER,
    _COMMENT,
]
_ROLES: list[Column] = [_CREATED, _NAME, _OWNER, _COMMENT]
# SHOW target -> (kinds listed, filtered by IN <scope>?, columns)
_SHOWN: dict[str, tuple[tuple[str, ...], bool, list[Column]]] = {
    "WAREHOUSES": (
        ("WAREHOUSE",),
        False,
        [
            _NAME,
            ("state", _S, _prop("STATE", "STARTED")),
            ("size", _S, _prop("WAREHOUSE_SIZE", "XSMALL")),
            _CREATED,
            _OWNER,
            _COMMENT,
        ],
    ),
    "ROLES": (("ROLE",), False, _ROLES),
    "DATABASE ROLES": (("DATABASE ROLE",), True, _ROLES),
    "APPLICATION ROLES": (("APPLICATION ROLE",), False, _ROLES),
    "USERS": (
        ("USER",),
        False,
        [_NAME, _CREATED, ("login_name", _S, lambda r: r[2].get("LOGIN_NAME", r[1])), _COMMENT],
    ),
    "SECRETS": (("SECRET",), True, [*_IN_SCHEMA, ("secret_type", _S, _prop("TYPE"))]),
    "NETWORK RULES": (
        ("NETWORK RULE",),
        True,
        [
            *_IN_SCHEMA,
            ("type", _S, _prop("TYPE")),
            ("mode", _S, _prop("MODE", "INGRESS")),
            ("entries_in_value_list", _N, lambda r: len(r[2].get("VALUE_LIST", []) or [])),
        ],
    ),
    "MASKING POLICIES": (("MASKING POLICY",), True, [*_IN_SCHEMA, ("kind", _S, lambda r: "MASKING_POLICY")]),
    "ROW ACCESS POLICIES": (
        ("ROW ACCESS POLICY",),
        True,
        [*_IN_SCHEMA, ("kind", _S, lambda r: "ROW_ACCESS_POLICY")],
    ),
    "ALERTS": (
        ("ALERT",),
        True,
        [
            *_IN_SCHEMA,
            ("warehouse", _S, _prop("WAREHOUSE")),
            ("schedule", _S, _prop("SCHEDULE")),
            ("state", _S, _lower("STATE", "SUSPENDED")),
            ("condition", _S, _prop("CONDITION")),
            ("action", _S, _prop("ACTION")),
        ],
    ),
    "RESOURCE MONITORS": (
        ("RESOURCE MONITOR",),
        False,
        [
            _NAME,
            ("credit_quota", _N, _prop("CREDIT_QUOTA", None)),
            ("notify_at", _S, _at("NOTIFY")),
            ("suspend_at", _S, _at("SUSPEND")),
            ("suspend_immediately_at", _S, _at("SUSPEND_IMMEDIATE")),
            _CREATED,
            _OWNER,
            _COMMENT,
        ],
    ),
    "TAGS": (
        ("TAG",),
        True,
        [
            *_IN_SCHEMA,
            ("allowed_values", _S, lambda r: json.dumps(r[2]["ALLOWED_VALUES"]) if "ALLOWED_VALUES" in r[2] else None),
        ],
    ),
}
_INTEGRATION: list[Column] = [
    _NAME,
    ("type", _S, lambda r: r[2].get("TYPE", _category(r))),
    ("category", _S, lambda r: _category(r)),
    ("enabled", _S, _lower("ENABLED", "FALSE")),
    _COMMENT,
    _CREATED,
]


def _category(r: Row) -> str:
    return r[0].removesuffix(" INTEGRATION").replace(" ", "_")


def _show(engine: Engine, session: LocalSession, text: str, m: re.Match[str]) -> Outcome:
    what, rest = upper_words(m["what"]), m["rest"]
    if what.endswith("INTEGRATIONS"):
        kinds, scoped, cols = (what[:-1],) if what != "INTEGRATIONS" else INTEGRATION_KINDS, False, _INTEGRATION
    else:
        kinds, scoped, cols = _SHOWN[what]
    like = like_pattern(rest)
    db, schema = in_scope(rest, session) if scoped else (None, None)
    epoch = datetime.fromtimestamp(0).astimezone()
    found: list[Row] = objects_of(engine, kinds)
    if what == "ROLES":
        found += [("ROLE", r, {}, epoch) for r in SYSTEM_ROLES]
    if what == "WAREHOUSES" and not any(r[1] == "FAKESNOW_WAREHOUSE" for r in found):
        # fakesnow's own warehouse, which SHOW WAREHOUSES listed before this module took it over
        found.append(("WAREHOUSE", "FAKESNOW_WAREHOUSE", {"WAREHOUSE_SIZE": "X-Small"}, epoch))
    rows = []
    for r in sorted(found, key=lambda r: r[1]):
        parts = r[1].split(".")
        if (like and not like.fullmatch(parts[-1])) or (db and parts[0] != db) or (schema and parts[1] != schema):
            continue
        rows.append([get(r) for _, _, get in cols])
    return answer(show_select([(c, t) for c, t, _ in cols], rows))


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
    cols = [
        ("created_on", _TS),
        ("privilege", _S),
        ("granted_on", _S),
        ("name", _S),
        ("granted_to", _S),
        ("grantee_name", _S),
        ("grant_option", _S),
        ("granted_by", _S),
    ]
    out = [[c, p, g, o, k.replace(" ", "_"), n, str(w).lower(), "ACCOUNTADMIN"] for c, p, g, o, k, n, w in rows]
    return answer(show_select(cols, out, order='"name", "privilege", "grantee_name"'))
