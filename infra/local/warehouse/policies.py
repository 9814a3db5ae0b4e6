"""Masking and row access policies, column tags and table properties attached to tables and views.

`ALTER TABLE … MODIFY COLUMN c SET MASKING POLICY p` and `… ADD ROW ACCESS POLICY p ON (c)` fill
POLICY_REFERENCES; `MODIFY COLUMN c SET TAG t = 'v'` fills TAG_REFERENCES; a table's
DATA_RETENTION_TIME_IN_DAYS is a property of its TABLE row. Row access policies are applied to queries
(row_access.py); masking policies are recorded only. Only the forms the product issues are emulated; others
fail as unsupported.
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
from infra.local.warehouse.sqltext import IDENT, QNAME, qualify

if TYPE_CHECKING:
    from infra.local.warehouse.engine import Engine

_RELATIONS = ("TABLE", "VIEW", "MATERIALIZED VIEW", "EXTERNAL TABLE", "DYNAMIC TABLE", "EVENT TABLE")
Target = tuple[str, str, list[str]]  # the altered object's kind, name and (a table or view) columns
Action = Callable[["Engine", LocalSession, Target, re.Match[str]], None]


def register(engine: Engine) -> None:
    # attachments to tables and views (fakesnow cannot parse these ALTER TABLE forms)
    rel = ac.words_re(list(_RELATIONS))
    for okinds, form, action in (
        (rel, rf"(?P<rest>MODIFY\s+(?:COLUMN\s+)?{IDENT}\s+SET\s+(?:MASKING\s+POLICY|TAG)\b.*)", _columns),
        (rel, r"(?P<rest>ADD\s+ROW\s+ACCESS\s+POLICY\b.*|DROP\s+ALL\s+ROW\s+ACCESS\s+POLICIES)", _row_access),
        ("TABLE", r"(?P<op>SET|UNSET)\s+(?P<rest>DATA_RETENTION_TIME_IN_DAYS\b.*)", _properties),
        # fakesnow would accept these and do nothing: refuse them as the engine refuses what it does not emulate
        (rel, r"(?P<rest>(?:SET|UNSET)\s+TAG\b.*|(?:MODIFY|ALTER)\s.*\b(?:UNSET|TAG|POLICY)\b.*)", _not_emulated),
    ):
        pattern = rf"^ALTER\s+(?P<okind>{okinds})\s+(?P<ie>IF\s+EXISTS\s+)?(?P<name>{QNAME})\s+{form}$"
        engine.on(pattern, _altering(action))


def _altering(action: Action) -> Callable[[Engine, LocalSession, str, re.Match[str]], Outcome]:
    """A handler running `action` on the altered object, under the catalog lock; a table or view must exist."""

    def handler(engine: Engine, session: LocalSession, text: str, m: re.Match[str]) -> Outcome:
        okind = ac.upper_words(m["okind"])
        name = ac.any_object_name(okind, m["name"], session)
        with engine.catalog.lock:
            cols = ac.relation_columns(engine, name)
            if cols is None and not m["ie"]:
                raise ac.not_found(okind.title(), name)
            if cols is not None:
                action(engine, session, (okind, name, cols), m)
                row_access.invalidate(engine)
        return ok()

    return handler


_MASKS = f"FROM {PREFIX}.POLICY_REFERENCES WHERE POLICY_KIND = 'MASKING_POLICY' AND REF_OBJECT = ? AND REF_COLUMNS = ?"
_COLUMN = rf"MODIFY\s+(?:COLUMN\s+)?(?P<col>{IDENT})\s+SET\s+"
_MASK_CLAUSE = rf"{_COLUMN}MASKING\s+POLICY\s+(?P<pol>{QNAME})(?P<force>\s+FORCE)?"
_TAG_CLAUSE = rf"{_COLUMN}TAG\s+(?P<tags>.+)"


def _columns(engine: Engine, session: LocalSession, target: Target, m: re.Match[str]) -> None:
    (okind, table, cols), rest = target, m["rest"].strip()
    if tag := re.fullmatch(_TAG_CLAUSE, rest, re.I | re.S):
        _column_tags(engine, session, table, ac.column_name(cols, tag["col"], table), tag["tags"])
        return
    if not (c := re.fullmatch(_MASK_CLAUSE, rest, re.I)):
        raise LocalSqlError(f"Unsupported ALTER {okind} ... MODIFY COLUMN clause", errno=1003)
    col = ac.column_name(cols, c["col"], table)
    policy = ac.policy_name(engine, session, "MASKING POLICY", c["pol"])
    # one policy already there is replaced only with FORCE
    current = engine.catalog.query(f"SELECT POLICY_NAME {_MASKS}", [table, col])
    if current and current[0][0] != policy and not c["force"]:
        raise LocalSqlError(
            f"Column '{col}' of '{table}' already has masking policy '{current[0][0]}'; use FORCE to replace it.",
            errno=3073,
        )
    engine.catalog.query(
        f"INSERT OR REPLACE INTO {PREFIX}.POLICY_REFERENCES VALUES (?, ?, ?, ?, ?)",
        ["MASKING_POLICY", policy, table, col, now()],
    )


_ROW_CLAUSE = rf"ADD\s+ROW\s+ACCESS\s+POLICY\s+(?P<pol>{QNAME})\s+ON\s*\((?P<cols>[^)]*)\)"


def _row_access(engine: Engine, session: LocalSession, target: Target, m: re.Match[str]) -> None:
    okind, table, cols = target
    where = f"FROM {PREFIX}.POLICY_REFERENCES WHERE POLICY_KIND = 'ROW_ACCESS_POLICY' AND REF_OBJECT = ?"
    if re.fullmatch(r"DROP\s+ALL\s+ROW\s+ACCESS\s+POLICIES", m["rest"].strip(), re.I):
        engine.catalog.query(f"DELETE {where}", [table])
        return
    if not (c := re.fullmatch(_ROW_CLAUSE, m["rest"].strip(), re.I)):
        raise LocalSqlError(f"Unsupported ALTER {okind} ... ROW ACCESS POLICY clause", errno=1003)
    policy = ac.policy_name(engine, session, "ROW ACCESS POLICY", c["pol"])
    if engine.catalog.query(f"SELECT 1 {where}", [table]):
        raise LocalSqlError(f"'{table}' already has a row access policy.", errno=3075)
    on_cols = [ac.column_name(cols, x, table) for x in c["cols"].split(",") if x.strip()]
    engine.catalog.query(
        f"INSERT INTO {PREFIX}.POLICY_REFERENCES VALUES (?, ?, ?, ?, ?)",
        ["ROW_ACCESS_POLICY", policy, table, ", ".join(on_cols), now()],
    )


def _not_emulated(engine: Engine, session: LocalSession, target: Target, m: re.Match[str]) -> None:
    words = " ".join(m["rest"].split()[:2]).upper()
    raise LocalSqlError(f"The local warehouse does not support ALTER {target[0]} ... {words}", errno=2000)


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


def _column_tags(engine: Engine, session: LocalSession, table: str, column: str, tags: str) -> None:
    """SET TAG t = 'v', … on a column: each tag must exist and allow the value."""
    if not (pairs := re.findall(rf"({QNAME})\s*=\s*({STRING})", tags)):
        raise LocalSqlError("SET TAG needs <tag> = '<value>'", errno=1003)
    for raw, quoted in pairs:
        tag, value = qualify(raw, session.database, session.schema).fqn, option_value(quoted)
        if (allowed := ac.require_object(engine, "TAG", tag).get("ALLOWED_VALUES")) and value not in allowed:
            raise LocalSqlError(f"Tag '{tag}' does not allow the value '{value}'.", errno=3076)
        engine.catalog.query(
            f"INSERT OR REPLACE INTO {PREFIX}.TAG_REFERENCES VALUES (?, ?, ?, ?, ?, ?)",
            [tag, value, "COLUMN", table, column, now()],
        )
