"""Masking and row access policies, tags, table properties and data metric functions attached to objects.

`ALTER TABLE … MODIFY COLUMN c SET MASKING POLICY p` and `… ADD ROW ACCESS POLICY p ON (c)` fill
POLICY_REFERENCES; `SET TAG t = 'v'` fills TAG_REFERENCES; a data metric function attached with
`ALTER TABLE … ADD DATA METRIC FUNCTION f ON (cols)` is an OBJECTS row of kind DATA METRIC FUNCTION REFERENCE,
and a table's DATA_METRIC_SCHEDULE is a property of its TABLE row. Row access policies are applied to queries
(row_access.py); masking policies are recorded only.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING

from infra.local.warehouse import account_catalog as ac
from infra.local.warehouse import row_access
from infra.local.warehouse.base import LocalSession, Outcome, ok
from infra.local.warehouse.catalog import PREFIX, now
from infra.local.warehouse.errors import LocalSqlError
from infra.local.warehouse.options import STRING, option_value, parse_properties
from infra.local.warehouse.sqltext import IDENT, QNAME, qualify, split_name

if TYPE_CHECKING:
    from infra.local.warehouse.engine import Engine

_RELATIONS = ("TABLE", "VIEW", "MATERIALIZED VIEW", "EXTERNAL TABLE", "DYNAMIC TABLE", "EVENT TABLE")
DMF_REFERENCE = "DATA METRIC FUNCTION REFERENCE"
Target = tuple[str, str, list[str]]  # the altered object's kind, name and (a table or view) columns
Action = Callable[["Engine", LocalSession, Target, re.Match[str]], None]


def register(engine: Engine) -> None:
    # attachments to tables and views (fakesnow cannot parse these ALTER TABLE forms)
    rel = ac.words_re(list(_RELATIONS))
    anything = r"[A-Z_]+(?:\s+[A-Z_]+)*?"
    for okinds, name, form, action in (
        (
            rel,
            QNAME,
            rf"(?P<rest>(?:MODIFY|ALTER)\s+(?:COLUMN\s+)?{IDENT}\s+(?:SET|UNSET)\s+(?:MASKING\s+POLICY|TAG)\b.*)",
            _columns,
        ),
        (rel, QNAME, r"(?P<rest>(?:ADD|DROP)\s+(?:ALL\s+)?ROW\s+ACCESS\s+POLIC.*)", _row_access),
        (
            "TABLE|VIEW|SCHEMA|DATABASE",
            QNAME,
            r"(?P<op>SET|UNSET)\s+(?P<rest>(?:CHANGE_TRACKING|DATA_RETENTION_TIME_IN_DAYS|MAX_DATA_EXTENSION_TIME_IN_DAYS"
            r"|DEFAULT_DDL_COLLATION|ENABLE_SCHEMA_EVOLUTION|DATA_METRIC_SCHEDULE)\b.*)",
            _properties,
        ),
        (
            "TABLE|VIEW",
            QNAME,
            rf"(?P<op>ADD|DROP)\s+DATA\s+METRIC\s+FUNCTION\s+(?P<dmf>{QNAME})\s+ON\s*\((?P<cols>[^)]*)\)",
            _data_metric_function,
        ),
        (anything, QNAME + ac.SIG, r"(?P<op>SET|UNSET)\s+TAG\s+(?P<tags>.+)", _object_tags),
    ):
        pattern = rf"^ALTER\s+(?P<okind>{okinds})\s+(?P<ie>IF\s+EXISTS\s+)?(?P<name>{name})\s+{form}$"
        engine.on(pattern, _altering(action))


def _altering(action: Action) -> Callable[[Engine, LocalSession, str, re.Match[str]], Outcome]:
    """A handler running `action` on the altered object, under the catalog lock; a table or view must exist."""

    def handler(engine: Engine, session: LocalSession, text: str, m: re.Match[str]) -> Outcome:
        okind = ac.upper_words(m["okind"])
        name = ac.any_object_name(okind, m["name"], session)
        with engine.catalog.lock:
            cols = ac.relation_columns(engine, name) if okind in _RELATIONS else []
            if cols is None and not m["ie"]:
                raise ac.not_found(okind.title(), name)
            if cols is not None:
                action(engine, session, (okind, name, cols), m)
                row_access.invalidate(engine)
        return ok()

    return handler


def _clauses(pattern: re.Pattern[str], rest: str, unsupported: str) -> list[re.Match[str]]:
    """Every clause of a comma-separated ALTER list, all read before any is applied (an unknown one changes nothing)."""
    clauses: list[re.Match[str]] = []
    while (pos := clauses[-1].end() if clauses else 0) < len(rest):
        if not (c := pattern.match(rest, pos)):
            raise LocalSqlError(unsupported, errno=1003)
        clauses.append(c)
    return clauses


_MASKS = f"FROM {PREFIX}.POLICY_REFERENCES WHERE POLICY_KIND = 'MASKING_POLICY' AND REF_OBJECT = ? AND REF_COLUMNS = ?"
_MASK_CLAUSE = re.compile(
    rf"(?:COLUMN\s+)?(?P<col>{IDENT})\s+(?:SET\s+MASKING\s+POLICY\s+(?P<pol>{QNAME})"
    r"(?:\s+USING\s*\((?P<using>[^)]*)\))?(?P<force>\s+FORCE)?|(?P<unset>UNSET\s+MASKING\s+POLICY))\s*(?:,\s*|$)",
    re.I,
)


def _set_masking(engine: Engine, policy: str, ref: str, column: str, force: bool, taken: str) -> None:
    """Attach a masking policy to a column or a tag; one already there is replaced only with FORCE."""
    current = engine.catalog.query(f"SELECT POLICY_NAME {_MASKS}", [ref, column])
    if current and current[0][0] != policy and not force:
        raise LocalSqlError(taken.format(current[0][0]), errno=3073)
    engine.catalog.query(
        f"INSERT OR REPLACE INTO {PREFIX}.POLICY_REFERENCES VALUES (?, ?, ?, ?, ?)",
        ["MASKING_POLICY", policy, ref, column, now()],
    )


def _columns(engine: Engine, session: LocalSession, target: Target, m: re.Match[str]) -> None:
    (okind, table, cols), rest = target, re.sub(r"^(?:MODIFY|ALTER)\s+", "", m["rest"].strip(), flags=re.I)
    tag = re.match(rf"^(?:COLUMN\s+)?(?P<col>{IDENT})\s+(?P<op>SET|UNSET)\s+TAG\s+(?P<tags>.+)$", rest, re.I | re.S)
    if tag:
        tag_refs(engine, session, "COLUMN", table, ac.column_name(cols, tag["col"], table), tag["op"], tag["tags"])
        return
    for c in _clauses(_MASK_CLAUSE, rest, f"Unsupported ALTER {okind} ... MODIFY COLUMN clause"):
        col = ac.column_name(cols, c["col"], table)
        if c["unset"]:
            engine.catalog.query(f"DELETE {_MASKS}", [table, col])
        else:
            policy = ac.policy_name(engine, session, "MASKING POLICY", c["pol"])
            taken = f"Column '{col}' of '{table}' already has masking policy '{{}}'; use FORCE to replace it."
            _set_masking(engine, policy, table, col, bool(c["force"]), taken)


def tag_masking(engine: Engine, session: LocalSession, tag: str, m: re.Match[str]) -> None:
    """ALTER TAG t SET|UNSET MASKING POLICY p, …: the policy masks every column the tag is set on."""
    for raw in (p.strip() for p in m["pols"].split(",") if p.strip()):
        if ac.upper_words(m["op"]) == "UNSET":
            policy = qualify(raw, session.database, session.schema).fqn
            engine.catalog.query(f"DELETE {_MASKS} AND POLICY_NAME = ?", [tag, "", policy])
        else:
            policy = ac.policy_name(engine, session, "MASKING POLICY", raw)
            _set_masking(engine, policy, tag, "", bool(m["force"]), f"Tag '{tag}' already has masking policy '{{}}'.")


_ROW_CLAUSE = re.compile(
    rf"(?:(?P<add>ADD)\s+ROW\s+ACCESS\s+POLICY\s+(?P<apol>{QNAME})\s+ON\s*\((?P<cols>[^)]*)\)"
    rf"|(?P<all>DROP\s+ALL\s+ROW\s+ACCESS\s+POLICIES)|DROP\s+ROW\s+ACCESS\s+POLICY\s+(?P<dpol>{QNAME}))\s*(?:,\s*|$)",
    re.I,
)


def _row_access(engine: Engine, session: LocalSession, target: Target, m: re.Match[str]) -> None:
    okind, table, cols = target
    where = f"FROM {PREFIX}.POLICY_REFERENCES WHERE POLICY_KIND = 'ROW_ACCESS_POLICY' AND REF_OBJECT = ?"
    for c in _clauses(_ROW_CLAUSE, m["rest"].strip(), f"Unsupported ALTER {okind} ... ROW ACCESS POLICY clause"):
        if c["all"]:
            engine.catalog.query(f"DELETE {where}", [table])
        elif c["dpol"]:
            policy = qualify(c["dpol"], session.database, session.schema).fqn
            if not engine.catalog.query(f"DELETE {where} AND POLICY_NAME = ? RETURNING 1", [table, policy]):
                raise LocalSqlError(f"Row access policy '{policy}' is not attached to '{table}'.", errno=3074)
        else:
            policy = ac.policy_name(engine, session, "ROW ACCESS POLICY", c["apol"])
            if engine.catalog.query(f"SELECT 1 {where}", [table]):
                raise LocalSqlError(f"'{table}' already has a row access policy.", errno=3075)
            on_cols = [ac.column_name(cols, x, table) for x in c["cols"].split(",") if x.strip()]
            engine.catalog.query(
                f"INSERT INTO {PREFIX}.POLICY_REFERENCES VALUES (?, ?, ?, ?, ?)",
                ["ROW_ACCESS_POLICY", policy, table, ", ".join(on_cols), now()],
            )


def _properties(engine: Engine, session: LocalSession, target: Target, m: re.Match[str]) -> None:
    okind, name, _ = target
    found = engine.catalog.get_object(okind, name)
    props = found or {}
    if ac.upper_words(m["op"]) == "SET":
        props.update(parse_properties(m["rest"]))
    else:
        for key in (ac.upper_words(k) for k in m["rest"].split(",") if k.strip()):
            props.pop(key, None)
    if found is not None:
        ac.update_object(engine, okind, name, props)
    else:
        engine.catalog.put_object(okind, name, props, m.string)


def _data_metric_function(engine: Engine, session: LocalSession, target: Target, m: re.Match[str]) -> None:
    """Record (ADD) or forget (DROP) a data metric function on a table's columns; the metric never runs."""
    (okind, table, cols), dmf = target, ".".join(split_name(m["dmf"]))
    on_cols = [ac.column_name(cols, c, table) for c in m["cols"].split(",") if c.strip()]
    key = f"{table}:{dmf}({', '.join(on_cols)})"
    if ac.upper_words(m["op"]) == "ADD":
        schedule = (engine.catalog.get_object(okind, table) or {}).get("DATA_METRIC_SCHEDULE")
        if schedule is None:  # Snowflake refuses a DMF on a table without a schedule
            raise LocalSqlError(
                f"Table '{table}' has no DATA_METRIC_SCHEDULE; set one before adding a data metric function.",
                errno=2000,
            )
        props = {"TABLE": table, "METRIC": dmf, "COLUMNS": on_cols, "SCHEDULE": schedule}
        engine.catalog.put_object(DMF_REFERENCE, key, props, m.string)
    elif not engine.catalog.drop_object(DMF_REFERENCE, key):
        raise LocalSqlError(f"Data metric function '{dmf}' is not attached to '{table}' on those columns.", 2003)


def _object_tags(engine: Engine, session: LocalSession, target: Target, m: re.Match[str]) -> None:
    okind, name, _ = target
    tag_refs(engine, session, okind.replace(" ", "_"), name, "", m["op"], m["tags"])


def tag_refs(engine: Engine, session: LocalSession, obj_kind: str, obj: str, column: str, op: str, tags: str) -> None:
    """SET TAG t = 'v', … (each tag must exist and allow the value) or UNSET TAG t, … on an object or column."""
    if ac.upper_words(op) == "UNSET":
        for raw in (t.strip() for t in tags.split(",") if t.strip()):
            engine.catalog.query(
                f"DELETE FROM {PREFIX}.TAG_REFERENCES WHERE TAG_NAME = ? AND OBJECT_NAME = ? AND COLUMN_NAME = ?",
                [qualify(raw, session.database, session.schema).fqn, obj, column],
            )
        return
    if not (pairs := re.findall(rf"({QNAME})\s*=\s*({STRING})", tags)):
        raise LocalSqlError("SET TAG needs <tag> = '<value>'", errno=1003)
    for raw, quoted in pairs:
        tag, value = qualify(raw, session.database, session.schema).fqn, option_value(quoted)
        if (allowed := ac.require_object(engine, "TAG", tag).get("ALLOWED_VALUES")) and value not in allowed:
            raise LocalSqlError(f"Tag '{tag}' does not allow the value '{value}'.", errno=3076)
        engine.catalog.query(
            f"INSERT OR REPLACE INTO {PREFIX}.TAG_REFERENCES VALUES (?, ?, ?, ?, ?, ?)",
            [tag, value, obj_kind, obj, column, now()],
        )
