"""dynamic-table-incremental: a dynamic table with REFRESH_MODE = INCREMENTAL (or AUTO, which decides
once at creation) uses only constructs Snowflake documents as supported for incremental refresh.

https://docs.snowflake.com/en/user-guide/dynamic-tables-supported-queries ("Supported queries in
incremental and full refresh modes"), as read there:
- FROM: "Subqueries outside of FROM clauses (for example, WHERE EXISTS) are not supported."
- LATERAL JOIN: "Not supported. However, you can use LATERAL with FLATTEN()."
- [{LEFT | RIGHT | FULL}] OUTER JOIN: not supported when both sides are the same table (also outer joins
  where both sides are a subquery with GROUP BY, and outer joins with non-equality predicates).
- Set operators (UNION, MINUS, EXCEPT, INTERSECT): "Not supported except UNION" (UNION behaves as UNION ALL
  plus SELECT DISTINCT).
- Sequences, external functions, and the non-deterministic functions the page lists (sequence functions
  SEQ1/SEQ2/SEQ4/SEQ8, random functions, context functions such as CURRENT_USER and CURRENT_ROLE; ANY_VALUE
  "remains unsupported", release note 2026-09-23-nondeterministic-agg-incremental-dynamic-tables).
https://docs.snowflake.com/en/user-guide/dynamic-tables-limitations: with REFRESH_MODE = INCREMENTAL an
unsupported query fails at CREATE; with AUTO Snowflake silently picks FULL for good.

Each DT's query is parsed with sqlglot (dialect snowflake); CTEs are expanded so that an outer join of two
CTEs (or aliases) over one base table counts as a self-join.
"""

from __future__ import annotations

import sqlglot
from sqlglot import exp

from infra.preflight.project import Finding, Project, Statement, _is_create
from infra.preflight.sqlwords import find, upper

RULE = "dynamic-table-incremental"
DOC = "https://docs.snowflake.com/en/user-guide/dynamic-tables-supported-queries"
TITLE = "INCREMENTAL/AUTO dynamic tables use only incremental-refresh constructs"

# Functions the page lists as unsupported for incremental refresh (by sqlglot/Snowflake name).
UNSUPPORTED_FUNCTIONS = {
    "SEQ1": "sequence function",
    "SEQ2": "sequence function",
    "SEQ4": "sequence function",
    "SEQ8": "sequence function",
    "RANDOM": "random function",
    "RANDSTR": "random function",
    "UUID_STRING": "random function",
    "UNIFORM": "random function",
    "NORMAL": "random function",
    "ZIPF": "random function",
    "ANY_VALUE": "non-deterministic aggregate",
    "CURRENT_USER": "context function",
    "CURRENT_ROLE": "context function",
    "CURRENT_SECONDARY_ROLES": "context function",
    "CURRENT_SESSION": "context function",
    "CURRENT_STATEMENT": "context function",
    "CURRENT_TRANSACTION": "context function",
    "CURRENT_WAREHOUSE": "context function",
    "CURRENT_CLIENT": "context function",
    "CURRENT_IP_ADDRESS": "context function",
    "IS_ROLE_IN_SESSION": "context function",
    "IS_APPLICATION_ROLE_IN_SESSION": "context function",
    "INVOKER_ROLE": "context function",
    "INVOKER_SHARE": "context function",
    "LAST_QUERY_ID": "context function",
}


def _mode(s: Statement) -> str | None:
    i = find(s.tokens, "REFRESH_MODE")
    if i < 0:
        return "AUTO"  # the documented default
    vals = [t.text.upper() for t in s.tokens[i + 1 : i + 3] if t.text != "="]
    return vals[0] if vals else None


def _query(s: Statement) -> exp.Expression | None:
    try:
        tree = sqlglot.parse_one(s.text, read="snowflake")
    except sqlglot.errors.ParseError:
        tree = None
    if isinstance(tree, exp.Create) and isinstance(tree.expression, exp.Query):
        return tree.expression
    # fall back: the query after the top-level AS
    ws = upper(s.tokens)
    for i, w in enumerate(ws):
        if w == "AS" and i + 1 < len(ws) and ws[i + 1] in ("SELECT", "WITH", "("):
            start = s.tokens[i + 1].start
            try:
                q = sqlglot.parse_one(s.text[start:], read="snowflake")
            except sqlglot.errors.ParseError:
                return None
            return q if isinstance(q, exp.Query) else None
    return None


def _line(s: Statement, node: exp.Expression) -> int:
    for n in node.walk():
        line = n.meta.get("line") if n.meta else None
        if line:
            return s.line_of(line)
    return s.line


def _base_tables(node: exp.Expression, ctes: dict[str, exp.Expression]) -> set[str]:
    """The base tables a FROM/JOIN item reads, looking through CTEs and subqueries."""
    out: set[str] = set()
    if isinstance(node, exp.Table):
        name = node.name.upper()
        if not node.db and name in ctes:
            return _base_tables(ctes[name], {k: v for k, v in ctes.items() if k != name})
        return {".".join(p.upper() for p in (node.catalog, node.db, node.name) if p)}
    for t in node.find_all(exp.Table):
        out |= _base_tables(t, ctes)
    return out


def _problems(q: exp.Expression) -> list[tuple[exp.Expression, str]]:
    found: list[tuple[exp.Expression, str]] = []
    ctes: dict[str, exp.Expression] = {}
    for cte in q.find_all(exp.CTE):
        ctes[cte.alias_or_name.upper()] = cte.this
    for node in q.walk():
        if isinstance(node, exp.Subquery | exp.Exists) or (
            isinstance(node, exp.Select) and isinstance(node.parent, exp.In | exp.Any | exp.All)
        ):
            parent = node.parent
            inside_from = isinstance(parent, exp.From | exp.Join | exp.Lateral | exp.Union | exp.CTE) or (
                isinstance(node, exp.Subquery) and isinstance(parent, exp.Table)
            )
            if isinstance(node, exp.Subquery) and isinstance(parent, exp.From | exp.Join):
                inside_from = True
            if not inside_from:
                found.append((node, "a subquery outside FROM (scalar, IN, EXISTS) is not supported"))
        elif isinstance(node, exp.Lateral):
            if not isinstance(node.this, exp.Explode):  # sqlglot reads FLATTEN as Explode
                found.append((node, "LATERAL is supported only with FLATTEN()"))
        elif isinstance(node, exp.Except | exp.Intersect):
            found.append((node, f"{type(node).__name__.upper()} is not supported (of the set operators, only UNION)"))
        elif isinstance(node, exp.Join) and node.side in ("LEFT", "RIGHT", "FULL"):
            select = node.parent
            if not isinstance(select, exp.Select) or not select.args.get("from_"):
                continue
            left_items = [select.args["from_"].this] + [
                j.this
                for j in select.args.get("joins", [])
                if j is not node and select.args["joins"].index(j) < select.args["joins"].index(node)
            ]
            left = set().union(*(_base_tables(i, ctes) for i in left_items))
            right = _base_tables(node.this, ctes)
            same = left & right
            if same:
                found.append(
                    (
                        node,
                        f"{node.side} OUTER JOIN with the same table on both sides "
                        f"({', '.join(sorted(same))}) is not supported",
                    )
                )
        elif isinstance(node, exp.Func):
            name = (node.sql_name() if not isinstance(node, exp.Anonymous) else node.name).upper()
            if name in UNSUPPORTED_FUNCTIONS:
                found.append((node, f"{name} ({UNSUPPORTED_FUNCTIONS[name]}) is not supported"))
        elif isinstance(node, exp.Column) and node.table and node.name.upper() == "NEXTVAL":
            found.append((node, "sequences (<seq>.NEXTVAL) are not supported"))
    return found


def check(project: Project) -> list[Finding]:
    findings: list[Finding] = []
    for s in project.all_statements():
        if not _is_create(s.words, ("DYNAMIC", "TABLE")):
            continue
        mode = _mode(s)
        if mode not in ("INCREMENTAL", "AUTO"):
            continue
        q = _query(s)
        if q is None:
            findings.append(
                Finding(
                    RULE,
                    s.path,
                    s.line,
                    "cannot parse the dynamic table's query with sqlglot "
                    "(dialect snowflake) to check it for incremental refresh",
                    DOC,
                )
            )
            continue
        seen: set[tuple[int, str]] = set()
        for node, why in _problems(q):
            line = _line(s, node)
            if (line, why) in seen:
                continue
            seen.add((line, why))
            findings.append(Finding(RULE, s.path, line, f"REFRESH_MODE = {mode}: {why}", DOC))
    return findings
