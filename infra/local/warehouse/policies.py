"""Masking and row access policies, tags, table properties and data metric functions attached to objects.

`ALTER TABLE … MODIFY COLUMN c SET MASKING POLICY p` and `… ADD ROW ACCESS POLICY p ON (c)` fill
POLICY_REFERENCES; `SET TAG t = 'v'` fills TAG_REFERENCES; a data metric function attached with
`ALTER TABLE … ADD DATA METRIC FUNCTION f ON (cols)` is an OBJECTS row of kind DATA METRIC FUNCTION REFERENCE,
and a table's DATA_METRIC_SCHEDULE is a property of its TABLE row. Row access policies are applied to queries
(row_access.py); masking policies are recorded only.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from infra.local.warehouse.account_catalog import (
    SIG,
    any_object_name,
    column_name,
    get_object,
    not_found,
    policies_changed,
    policy_name,
    relation_columns,
    update_object,
    upper_words,
)
from infra.local.warehouse.base import LocalSession, Outcome, ok
from infra.local.warehouse.catalog import PREFIX, now
from infra.local.warehouse.errors import LocalSqlError
from infra.local.warehouse.options import STRING, option_value, parse_properties
from infra.local.warehouse.sqltext import (
    IDENT,
    QNAME,
    qualify,
    split_name,
)

if TYPE_CHECKING:
    from infra.local.warehouse.engine import Engine


def register(engine: Engine) -> None:
    on = engine.on
    # attachments to tables and views (fakesnow cannot parse these ALTER TABLE forms)
    rel = r"(?P<okind>TABLE|VIEW|MATERIALIZED\s+VIEW|EXTERNAL\s+TABLE|DYNAMIC\s+TABLE|EVENT\s+TABLE)"
    on(
        rf"^ALTER\s+{rel}\s+(?P<ie>IF\s+EXISTS\s+)?(?P<name>{QNAME})\s+(?:MODIFY|ALTER)\s+"
        rf"(?P<rest>(?:COLUMN\s+)?{IDENT}\s+(?:SET|UNSET)\s+(?:MASKING\s+POLICY|TAG)\b.*)$",
        _alter_columns,
    )
    on(
        rf"^ALTER\s+{rel}\s+(?P<ie>IF\s+EXISTS\s+)?(?P<name>{QNAME})\s+"
        r"(?P<rest>(?:ADD|DROP)\s+(?:ALL\s+)?ROW\s+ACCESS\s+POLIC.*)$",
        _alter_row_access,
    )
    on(
        rf"^ALTER\s+(?P<okind>TABLE|VIEW|SCHEMA|DATABASE)\s+(?P<ie>IF\s+EXISTS\s+)?(?P<name>{QNAME})\s+"
        r"(?P<op>SET|UNSET)\s+(?P<rest>(?:CHANGE_TRACKING|DATA_RETENTION_TIME_IN_DAYS|MAX_DATA_EXTENSION_TIME_IN_DAYS"
        r"|DEFAULT_DDL_COLLATION|ENABLE_SCHEMA_EVOLUTION|DATA_METRIC_SCHEDULE)\b.*)$",
        _alter_relation_properties,
    )
    on(
        rf"^ALTER\s+(?P<okind>TABLE|VIEW)\s+(?P<ie>IF\s+EXISTS\s+)?(?P<name>{QNAME})\s+(?P<op>ADD|DROP)\s+DATA\s+METRIC\s+"
        rf"FUNCTION\s+(?P<dmf>{QNAME})\s+ON\s*\((?P<cols>[^)]*)\)$",
        _alter_data_metric_function,
    )
    on(
        rf"^ALTER\s+(?P<okind>[A-Z_]+(?:\s+[A-Z_]+)*?)\s+(?P<ie>IF\s+EXISTS\s+)?(?P<name>{QNAME}{SIG})\s+"
        r"(?P<op>SET|UNSET)\s+TAG\s+(?P<tags>.+)$",
        _alter_object_tags,
    )


_MASK_CLAUSE = re.compile(
    rf"(?:COLUMN\s+)?(?P<col>{IDENT})\s+(?:SET\s+MASKING\s+POLICY\s+(?P<pol>{QNAME})"
    r"(?:\s+USING\s*\((?P<using>[^)]*)\))?(?P<force>\s+FORCE)?|(?P<unset>UNSET\s+MASKING\s+POLICY))\s*(?:,\s*|$)",
    re.I,
)


def _clauses(pattern: re.Pattern[str], rest: str, unsupported: str) -> list[re.Match[str]]:
    """Every clause of a comma-separated ALTER list, all read before any is applied (an unknown one changes nothing)."""
    clauses: list[re.Match[str]] = []
    pos = 0
    while pos < len(rest):
        c = pattern.match(rest, pos)
        if not c:
            raise LocalSqlError(unsupported, errno=1003)
        clauses.append(c)
        pos = c.end()
    return clauses


def _altered_relation(engine: Engine, session: LocalSession, m: re.Match[str]) -> tuple[str, str, list[str] | None]:
    """The ALTER's kind, its table's name and columns (None: it does not exist and IF EXISTS was given)."""
    okind = upper_words(m["okind"])
    table = qualify(m["name"], session.database, session.schema).fqn
    cols = relation_columns(engine, table)
    if cols is None and not m["ie"]:
        raise not_found(okind.title(), table)
    return okind, table, cols


def _alter_columns(engine: Engine, session: LocalSession, text: str, m: re.Match[str]) -> Outcome:
    rest = m["rest"].strip()
    with engine.catalog.lock:
        okind, table, cols = _altered_relation(engine, session, m)
        if cols is None:
            return ok()
        tag = re.match(rf"^(?:COLUMN\s+)?(?P<col>{IDENT})\s+(?P<op>SET|UNSET)\s+TAG\s+(?P<tags>.+)$", rest, re.I | re.S)
        if tag:
            tag_refs(engine, session, "COLUMN", table, column_name(cols, tag["col"], table), tag["op"], tag["tags"])
            return ok()
        for c in _clauses(_MASK_CLAUSE, rest, f"Unsupported ALTER {okind} ... MODIFY COLUMN clause"):
            col = column_name(cols, c["col"], table)
            key = ["MASKING_POLICY", table, col]
            where = f"FROM {PREFIX}.POLICY_REFERENCES WHERE POLICY_KIND = ? AND REF_OBJECT = ? AND REF_COLUMNS = ?"
            if c["unset"]:
                engine.catalog.query(f"DELETE {where}", key)
                continue
            policy = policy_name(engine, session, "MASKING POLICY", c["pol"])
            current = engine.catalog.query(f"SELECT POLICY_NAME {where}", key)
            if current and current[0][0] != policy and not c["force"]:
                raise LocalSqlError(
                    f"Column '{col}' of '{table}' already has masking policy '{current[0][0]}'; "
                    "use FORCE to replace it.",
                    errno=3073,
                )
            engine.catalog.query(
                f"INSERT OR REPLACE INTO {PREFIX}.POLICY_REFERENCES VALUES (?, ?, ?, ?, ?)",
                ["MASKING_POLICY", policy, table, col, now()],
            )
    return ok()


_ROW_CLAUSE = re.compile(
    rf"(?:(?P<add>ADD)\s+ROW\s+ACCESS\s+POLICY\s+(?P<apol>{QNAME})\s+ON\s*\((?P<cols>[^)]*)\)"
    rf"|(?P<all>DROP\s+ALL\s+ROW\s+ACCESS\s+POLICIES)|DROP\s+ROW\s+ACCESS\s+POLICY\s+(?P<dpol>{QNAME}))\s*(?:,\s*|$)",
    re.I,
)


def _alter_row_access(engine: Engine, session: LocalSession, text: str, m: re.Match[str]) -> Outcome:
    rest = m["rest"].strip()
    with engine.catalog.lock:
        okind, table, cols = _altered_relation(engine, session, m)
        if cols is None:
            return ok()
        where = f"FROM {PREFIX}.POLICY_REFERENCES WHERE POLICY_KIND = 'ROW_ACCESS_POLICY' AND REF_OBJECT = ?"
        for c in _clauses(_ROW_CLAUSE, rest, f"Unsupported ALTER {okind} ... ROW ACCESS POLICY clause"):
            if c["all"]:
                engine.catalog.query(f"DELETE {where}", [table])
            elif c["dpol"]:
                policy = qualify(c["dpol"], session.database, session.schema).fqn
                gone = engine.catalog.query(f"DELETE {where} AND POLICY_NAME = ? RETURNING 1", [table, policy])
                if not gone:
                    raise LocalSqlError(f"Row access policy '{policy}' is not attached to '{table}'.", errno=3074)
            else:
                policy = policy_name(engine, session, "ROW ACCESS POLICY", c["apol"])
                if engine.catalog.query(f"SELECT 1 {where}", [table]):
                    raise LocalSqlError(f"'{table}' already has a row access policy.", errno=3075)
                on_cols = [column_name(cols, x, table) for x in c["cols"].split(",") if x.strip()]
                engine.catalog.query(
                    f"INSERT INTO {PREFIX}.POLICY_REFERENCES VALUES (?, ?, ?, ?, ?)",
                    ["ROW_ACCESS_POLICY", policy, table, ", ".join(on_cols), now()],
                )
        policies_changed(engine, "ROW ACCESS POLICY")
    return ok()


def _alter_relation_properties(engine: Engine, session: LocalSession, text: str, m: re.Match[str]) -> Outcome:
    okind = upper_words(m["okind"])
    name = any_object_name(okind, m["name"], session)
    with engine.catalog.lock:
        if okind in ("TABLE", "VIEW") and relation_columns(engine, name) is None:
            if m["ie"]:
                return ok()
            raise not_found(okind.title(), name)
        found = get_object(engine, okind, name)
        props = found[0] if found else {}
        if upper_words(m["op"]) == "SET":
            props.update(parse_properties(m["rest"]))
        else:
            for key in (upper_words(k) for k in m["rest"].split(",") if k.strip()):
                props.pop(key, None)
        if found:
            update_object(engine, okind, name, props)
        else:
            engine.catalog.put_object(okind, name, props, text)
    return ok()


DMF_REFERENCE = "DATA METRIC FUNCTION REFERENCE"


def _alter_data_metric_function(engine: Engine, session: LocalSession, text: str, m: re.Match[str]) -> Outcome:
    """Record (ADD) or forget (DROP) a data metric function on a table's columns; the metric never runs."""
    okind = upper_words(m["okind"])
    table = qualify(m["name"], session.database, session.schema).fqn
    dmf = ".".join(split_name(m["dmf"]))
    with engine.catalog.lock:
        cols = relation_columns(engine, table)
        if cols is None:
            if m["ie"]:
                return ok()
            raise not_found(okind.title(), table)
        on_cols = [column_name(cols, c, table) for c in m["cols"].split(",") if c.strip()]
        key = f"{table}:{dmf}({', '.join(on_cols)})"
        if upper_words(m["op"]) == "ADD":
            schedule = (get_object(engine, okind, table) or ({}, ""))[0].get("DATA_METRIC_SCHEDULE")
            if schedule is None:  # Snowflake refuses a DMF on a table without a schedule
                raise LocalSqlError(
                    f"Table '{table}' has no DATA_METRIC_SCHEDULE; set one before adding a data metric function.",
                    errno=2000,
                )
            props = {"TABLE": table, "METRIC": dmf, "COLUMNS": on_cols, "SCHEDULE": schedule}
            engine.catalog.put_object(DMF_REFERENCE, key, props, text)
        elif not engine.catalog.drop_object(DMF_REFERENCE, key):
            raise LocalSqlError(f"Data metric function '{dmf}' is not attached to '{table}' on those columns.", 2003)
    return ok()


def _alter_object_tags(engine: Engine, session: LocalSession, text: str, m: re.Match[str]) -> Outcome:
    okind = upper_words(m["okind"])
    name = any_object_name(okind, m["name"], session)
    with engine.catalog.lock:
        if okind in ("TABLE", "VIEW") and relation_columns(engine, name) is None:
            if m["ie"]:
                return ok()
            raise not_found(okind.title(), name)
        tag_refs(engine, session, okind.replace(" ", "_"), name, "", m["op"], m["tags"])
    return ok()


def tag_refs(engine: Engine, session: LocalSession, obj_kind: str, obj: str, column: str, op: str, tags: str) -> None:
    if upper_words(op) == "SET":
        pairs = re.findall(rf"({QNAME})\s*=\s*({STRING})", tags)
        if not pairs:
            raise LocalSqlError("SET TAG needs <tag> = '<value>'", errno=1003)
        for raw, value in pairs:
            tag = qualify(raw, session.database, session.schema).fqn
            found = get_object(engine, "TAG", tag)
            if found is None:
                raise not_found("Tag", tag)
            allowed = found[0].get("ALLOWED_VALUES")
            value = option_value(value)
            if allowed and value not in allowed:
                raise LocalSqlError(f"Tag '{tag}' does not allow the value '{value}'.", errno=3076)
            engine.catalog.query(
                f"INSERT OR REPLACE INTO {PREFIX}.TAG_REFERENCES VALUES (?, ?, ?, ?, ?, ?)",
                [tag, value, obj_kind, obj, column, now()],
            )
    else:
        for raw in (t for t in tags.split(",") if t.strip()):
            tag = qualify(raw.strip(), session.database, session.schema).fqn
            engine.catalog.query(
                f"DELETE FROM {PREFIX}.TAG_REFERENCES WHERE TAG_NAME = ? AND OBJECT_NAME = ? AND COLUMN_NAME = ?",
                [tag, obj, column],
            )


def tag_masking(engine: Engine, session: LocalSession, tag: str, rest: str) -> None:
    m = re.match(r"^(?P<op>SET|UNSET)\s+MASKING\s+POLICY\s+(?P<pols>.+?)(?P<force>\s+FORCE)?$", rest, re.I | re.S)
    if not m:
        raise LocalSqlError("ALTER TAG needs SET|UNSET MASKING POLICY <policy>", errno=1003)
    for raw in (p.strip() for p in m["pols"].split(",") if p.strip()):
        where = f"FROM {PREFIX}.POLICY_REFERENCES WHERE POLICY_KIND = 'MASKING_POLICY' AND REF_OBJECT = ?"
        if upper_words(m["op"]) == "UNSET":
            policy = qualify(raw, session.database, session.schema).fqn
            engine.catalog.query(f"DELETE {where} AND POLICY_NAME = ?", [tag, policy])
            continue
        policy = policy_name(engine, session, "MASKING POLICY", raw)
        current = engine.catalog.query(f"SELECT POLICY_NAME {where}", [tag])
        if current and current[0][0] != policy and not m["force"]:
            raise LocalSqlError(f"Tag '{tag}' already has masking policy '{current[0][0]}'.", errno=3073)
        engine.catalog.query(
            f"INSERT OR REPLACE INTO {PREFIX}.POLICY_REFERENCES VALUES (?, ?, ?, ?, ?)",
            ["MASKING_POLICY", policy, tag, "", now()],
        )
