"""Row access policies, enforced when a query reads an object they are attached to.

Snowflake evaluates an attached policy's body for each row of the protected table or view when a query reads it,
the policy's argument bound to the column named in `ADD ROW ACCESS POLICY p ON (col)`, and keeps the rows where it
is TRUE (https://docs.snowflake.com/en/user-guide/security-row-intro). Locally each reference to a protected object
in a SELECT (or WITH) statement becomes `(SELECT * FROM obj AS __RAP WHERE <body, argument := __RAP.col>) AS
<alias>`; the body's context functions then read the session (warehouse/session_context.py), and its mapping-table
lookups run as written. Attachments are the catalog's POLICY_REFERENCES (warehouse/policies.py).

Differences from Snowflake: only queries (SELECT / WITH) are filtered, not DML that reads a protected object; a view
*over* a protected object is not filtered when it is read (its definition is not rewritten); the body runs with
the querying session's context, not the policy owner's (no privileges are enforced locally anyway).
"""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING

import sqlglot
from sqlglot import exp

from infra.local.warehouse.base import LocalSession
from infra.local.warehouse.catalog import PREFIX

if TYPE_CHECKING:
    from infra.local.warehouse.engine import Engine

ALIAS = "__RAP"
_QUERY = re.compile(r"^\(?\s*(SELECT|WITH)\b", re.I)


def invalidate(engine: Engine) -> None:
    """Forget the cached attachments (after a policy or an attachment changed)."""
    engine.row_access_cache = None


def protected(engine: Engine) -> dict[str, tuple[str, list[str], list[str]]]:
    """Protected object -> (policy body, its argument names, the columns they are bound to)."""
    cache = engine.row_access_cache
    if cache is None:
        rows = engine.catalog.query(
            f"SELECT r.REF_OBJECT, r.REF_COLUMNS, o.PROPERTIES FROM {PREFIX}.POLICY_REFERENCES AS r "
            f"JOIN {PREFIX}.OBJECTS AS o ON o.KIND = 'ROW ACCESS POLICY' AND o.NAME = r.POLICY_NAME "
            "WHERE r.POLICY_KIND = 'ROW_ACCESS_POLICY'"
        )
        cache = {}
        for obj, cols, props in rows:
            p = json.loads(props)
            args = [a.split()[0].upper() for a in p.get("SIGNATURE", [])]
            cache[obj] = (p["BODY"], args, [c.strip() for c in cols.split(",") if c.strip()])
        engine.row_access_cache = cache  # type: ignore[assignment]
    return cache  # type: ignore[return-value]


def apply(engine: Engine, session: LocalSession, sql: str, text: str) -> str:
    """`sql` with every protected object it reads filtered by its policy (unchanged when it reads none)."""
    if not _QUERY.match(text):
        return sql
    policies = protected(engine)
    if not policies:
        return sql
    upper = text.upper()
    if not any(obj.rsplit(".", 1)[-1] in upper for obj in policies):
        return sql
    try:
        tree = sqlglot.parse_one(sql, read="snowflake")
    except sqlglot.errors.ParseError:
        return sql  # fakesnow reports the syntax error itself
    ctes = {c.alias_or_name.upper() for c in tree.find_all(exp.CTE)}
    changed = False
    for table in list(tree.find_all(exp.Table)):
        if not table.name or (not table.db and table.name.upper() in ctes):
            continue
        fqn = ".".join((table.catalog or session.database or "", table.db or session.schema or "", table.name))
        if fqn.upper() not in policies:
            continue
        body, args, columns = policies[fqn.upper()]
        condition = sqlglot.parse_one(body, read="snowflake")
        bound = dict(zip(args, columns, strict=False))
        for column in list(condition.find_all(exp.Column)):
            if not column.table and column.name.upper() in bound:
                column.replace(exp.column(bound[column.name.upper()], table=ALIAS))
        source = table.copy()
        source.set("alias", exp.TableAlias(this=exp.to_identifier(ALIAS)))
        table.replace(exp.select("*").from_(source).where(condition).subquery(table.alias or table.name))
        changed = True
    return tree.sql(dialect="snowflake") if changed else sql
