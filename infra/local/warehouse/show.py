"""SHOW <recorded kind> and SHOW GRANTS: the catalog rendered with Snowflake's lower-case SHOW columns."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from infra.local.warehouse import account_catalog as ac
from infra.local.warehouse.base import LocalSession, Outcome, answer
from infra.local.warehouse.catalog import PREFIX
from infra.local.warehouse.errors import LocalSqlError
from infra.local.warehouse.grants import GRANTEE_RE, ROLE_KIND, grant_target, grantee
from infra.local.warehouse.options import like_pattern
from infra.local.warehouse.sqltext import QNAME, normalise_ident, split_name, sql_literal

if TYPE_CHECKING:
    from infra.local.warehouse.engine import Engine


def _plural(kind: str) -> str:
    return kind[:-1] + "IES" if kind.endswith("Y") else kind + "S"


def register(engine: Engine) -> None:
    shown = ac.words_re([_plural(k) for k in [*ac.KINDS, "INTEGRATION"]])
    engine.on(rf"^SHOW\s+(?P<what>{shown})\b(?P<rest>.*)$", _show)
    engine.on(r"^SHOW\s+GRANTS\b(?P<rest>.*)$", _show_grants)


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


def _typed(columns: str) -> list[tuple[str, str]]:
    """Column names with their types: the times, the counts, the rest text."""
    types = {"created_on": "TIMESTAMP_LTZ", "entries_in_value_list": "NUMBER"}
    return [(c, types.get(c, "VARCHAR")) for c in columns.split()]


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


def _part(r: Row, i: int) -> str:
    """Part `i` of a schema object's name (0 its database, 1 its schema); "" for others."""
    return r[1].split(".")[i] if r[1].count(".") == 2 else ""


def _category(r: Row) -> str:
    return r[0].removesuffix(" INTEGRATION").replace(" ", "_")


# A column's value where it is not the property of its upper-case name (default "")
_VALUES: dict[str, Callable[[Row], Any]] = {
    "created_on": lambda r: r[3],
    "name": lambda r: r[1].split(".")[-1],
    "database_name": lambda r: _part(r, 0),
    "schema_name": lambda r: _part(r, 1),
    "owner": lambda r: "ACCOUNTADMIN",
    "state": lambda r: r[2].get("STATE", "SUSPENDED").lower() if r[0] == "ALERT" else r[2].get("STATE", "STARTED"),
    "size": lambda r: r[2].get("WAREHOUSE_SIZE", "XSMALL"),
    "secret_type": lambda r: r[2].get("TYPE", ""),
    "mode": lambda r: r[2].get("MODE", "INGRESS"),
    "entries_in_value_list": lambda r: len(r[2].get("VALUE_LIST", []) or []),
    "kind": lambda r: r[0].replace(" ", "_"),
    "allowed_values": lambda r: json.dumps(r[2]["ALLOWED_VALUES"]) if "ALLOWED_VALUES" in r[2] else None,
    "type": lambda r: r[2].get("TYPE", _category(r) if r[0] in ac.INTEGRATION_KINDS else ""),
    "category": _category,
    "enabled": lambda r: str(r[2].get("ENABLED", "FALSE")).lower(),
}
# Each SHOW lists only the columns something reads (the tests in tests/warehouse and tests/integration, the app's
# members.py and pipeline_state.py, `whoop local` inventories); further Snowflake columns are left out.
_IN_SCHEMA = "created_on name database_name schema_name owner comment"
_ROLES = "created_on name owner comment"
_COLUMNS = {
    "WAREHOUSE": "name state size created_on owner comment",
    "ROLE": _ROLES,
    "APPLICATION ROLE": _ROLES,
    "SECRET": f"{_IN_SCHEMA} secret_type",
    "NETWORK RULE": f"{_IN_SCHEMA} type mode entries_in_value_list",
    "MASKING POLICY": f"{_IN_SCHEMA} kind",
    "ROW ACCESS POLICY": f"{_IN_SCHEMA} kind",
    "ALERT": f"{_IN_SCHEMA} warehouse schedule state condition action",
    "TAG": f"{_IN_SCHEMA} allowed_values",
    "INTEGRATION": "name type category enabled comment created_on",
}


def _show(engine: Engine, session: LocalSession, text: str, m: re.Match[str]) -> Outcome:
    what, rest = ac.upper_words(m["what"]), m["rest"]
    kind = ac.singular(what)
    kinds = ac.INTEGRATION_KINDS if kind == "INTEGRATION" else (kind,)
    columns = _COLUMNS["INTEGRATION" if kind.endswith("INTEGRATION") else kind]
    like = like_pattern(rest)
    db, schema = in_scope(rest, session) if ac.KINDS.get(kind) and ac.KINDS[kind].scope != "account" else (None, None)
    epoch = datetime.fromtimestamp(0).astimezone()
    found: list[Row] = ac.objects_of(engine, kinds)
    if kind == "ROLE":
        found += [("ROLE", r, {}, epoch) for r in ac.SYSTEM_ROLES]
    if kind == "WAREHOUSE" and not any(r[1] == "FAKESNOW_WAREHOUSE" for r in found):
        # fakesnow's own warehouse, which SHOW WAREHOUSES listed before this module took it over
        found.append(("WAREHOUSE", "FAKESNOW_WAREHOUSE", {"WAREHOUSE_SIZE": "X-Small"}, epoch))
    rows = []
    for r in sorted(found, key=lambda r: r[1]):
        parts = r[1].split(".")
        if (like and not like.fullmatch(parts[-1])) or (db and parts[0] != db) or (schema and parts[1] != schema):
            continue
        rows.append([_VALUES[c](r) if c in _VALUES else r[2].get(c.upper(), "") for c in columns.split()])
    return answer(show_select(_typed(columns), rows))


def _show_grants(engine: Engine, session: LocalSession, text: str, m: re.Match[str]) -> Outcome:
    rest = " ".join(m["rest"].split())
    if to := re.fullmatch(rf"TO\s+(?=(?:{ROLE_KIND}|APPLICATION)\s){GRANTEE_RE}", rest, re.I):
        where, params = "GRANTEE_KIND = ? AND GRANTEE_NAME = ?", list(grantee(to, session))
    elif on := re.fullmatch(r"ON\s+(?P<target>.+)", rest, re.I):
        where, params = "GRANTED_ON = ? AND OBJECT_NAME = ?", list(grant_target(engine, session, on["target"], False))
    else:
        raise LocalSqlError("Unsupported SHOW GRANTS form: use TO ... or ON ...", errno=1003)
    rows = engine.catalog.query(
        "SELECT CREATED_ON, PRIVILEGE, GRANTED_ON, OBJECT_NAME, GRANTEE_KIND, GRANTEE_NAME, WITH_GRANT_OPTION "
        f"FROM {PREFIX}.GRANTS WHERE {where} ORDER BY OBJECT_NAME, PRIVILEGE, GRANTEE_NAME",
        params,
    )
    out = [[c, p, g, o, k.replace(" ", "_"), n, str(w).lower(), "ACCOUNTADMIN"] for c, p, g, o, k, n, w in rows]
    columns = _typed("created_on privilege granted_on name granted_to grantee_name grant_option granted_by")
    return answer(show_select(columns, out, order='"name", "privilege", "grantee_name"'))
