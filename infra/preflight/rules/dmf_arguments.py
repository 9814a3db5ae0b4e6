"""dmf-arguments: a system data metric function is attached only to a column of a type it accepts, and an
app does not set data metric functions at all (the privilege they need cannot be requested).

https://docs.snowflake.com/en/sql-reference/functions/dmf_freshness, "Allowed data types": "The column
projected by the query must have one of the following data types: DATE, TIMESTAMP_LTZ, TIMESTAMP_TZ".
A plain TIMESTAMP is TIMESTAMP_NTZ under the default TIMESTAMP_TYPE_MAPPING, so it is refused too.
Other system DMFs with a type restriction, each on its own functions/dmf_<name> page: BLANK_COUNT,
BLANK_PERCENT and EMPTY_STRING_COUNT: "The column projected by the query must have the VARCHAR data type";
AVG: "one of the following data types: FLOAT, NUMBER". (NULL_COUNT, DUPLICATE_COUNT, ROW_COUNT … take any.)

https://docs.snowflake.com/en/user-guide/data-quality-access-control: associating a DMF with a table and
setting its schedule need the account privilege EXECUTE DATA METRIC FUNCTION, which is not on the list of
global privileges an app may request (developer-guide/native-apps/requesting-privs; `app_privileges`).
That is reported here once per file, and the app-privileges rule leaves it to this one.
"""

from __future__ import annotations

import sqlglot
from sqlglot import exp

from infra.preflight import app_privileges
from infra.preflight.project import Finding, Project, Statement, _is_create
from infra.preflight.sqlwords import find, name_parts, object_name_after, paren_list, same_object

RULE = "dmf-arguments"
DOC = "https://docs.snowflake.com/en/sql-reference/functions/dmf_freshness"
TITLE = "data metric function arguments have accepted types; an app cannot set DMFs"
ACCESS_DOC = "https://docs.snowflake.com/en/user-guide/data-quality-access-control"
_FUNCTIONS_DOC = "https://docs.snowflake.com/en/sql-reference/functions/dmf_"

_TEXT = {"VARCHAR", "CHAR", "TEXT", "NCHAR", "NVARCHAR", "NVARCHAR2", "NAME", "STRING", "BPCHAR"}
_NUMERIC = {
    "DECIMAL",
    "BIGDECIMAL",
    "DOUBLE",
    "FLOAT",
    "INT",
    "BIGINT",
    "SMALLINT",
    "TINYINT",
    "UBIGINT",
    "UINT",
    "MONEY",
    "NUMBER",
    "DECFLOAT",
}
# system DMF -> (allowed sqlglot type names, how the page says it)
ACCEPTED: dict[str, tuple[set[str], str]] = {
    "FRESHNESS": ({"DATE", "TIMESTAMPLTZ", "TIMESTAMPTZ"}, "DATE, TIMESTAMP_LTZ or TIMESTAMP_TZ"),
    "BLANK_COUNT": (_TEXT, "a text type"),
    "BLANK_PERCENT": (_TEXT, "a text type"),
    "EMPTY_STRING_COUNT": (_TEXT, "a text type"),
    "AVG": (_NUMERIC, "a numeric type"),
}
_SNOWFLAKE_NAMES = {
    "TIMESTAMPNTZ": "TIMESTAMP_NTZ",
    "TIMESTAMP": "TIMESTAMP (= TIMESTAMP_NTZ by default)",
    "TIMESTAMPLTZ": "TIMESTAMP_LTZ",
    "TIMESTAMPTZ": "TIMESTAMP_TZ",
}


def _column_types(statements: list[Statement]) -> dict[tuple[str, ...], dict[str, str]]:
    tables: dict[tuple[str, ...], dict[str, str]] = {}
    for s in statements:
        if not _is_create(s.words, ("TABLE",)):
            continue
        try:
            tree = sqlglot.parse_one(s.text, read="snowflake")
        except sqlglot.errors.ParseError:
            continue
        if not isinstance(tree, exp.Create) or not isinstance(tree.this, exp.Schema):
            continue
        table = tree.this.this
        key = tuple(p.upper() for p in (table.catalog, table.db, table.name) if p)
        cols = {}
        for c in tree.this.find_all(exp.ColumnDef):
            kind = c.args.get("kind")
            if isinstance(kind, exp.DataType):
                cols[c.name.upper()] = kind.this.name
        tables[key] = cols
    return tables


def check(project: Project) -> list[Finding]:
    statements = project.all_statements()
    tables = _column_types(statements)
    findings: list[Finding] = []
    privilege_reported: set = set()
    for s in statements:
        needs = [r for r in app_privileges.required_privileges(s.text) if r.privilege == "EXECUTE DATA METRIC FUNCTION"]
        if needs and not s.in_procedure_body and s.path not in privilege_reported:
            privilege_reported.add(s.path)
            count = sum(
                1
                for o in statements
                if o.path == s.path
                and not o.in_procedure_body
                and any(
                    r.privilege == "EXECUTE DATA METRIC FUNCTION" for r in app_privileges.required_privileges(o.text)
                )
            )
            findings.append(
                Finding(
                    RULE,
                    s.path,
                    s.line,
                    f"{count} statement(s) in this file set data metric functions, which needs the "
                    "account privilege EXECUTE DATA METRIC FUNCTION; an app cannot request it "
                    "(not in requesting-privs), so install fails",
                    ACCESS_DOC,
                )
            )
        i = find(s.tokens, "DATA", "METRIC", "FUNCTION")
        if i < 0 or s.words[:1] != ["ALTER"]:
            continue
        fn = object_name_after(s.tokens[i:], ("FUNCTION",))
        target = object_name_after(s.tokens, ("TABLE",)) or object_name_after(s.tokens, ("VIEW",))
        if fn is None or target is None:
            continue
        fname = name_parts(fn[1])
        if fname[:-1] not in ((), ("SNOWFLAKE", "CORE"), ("CORE",)) or fname[-1] not in ACCEPTED:
            continue
        on = paren_list(s.tokens[i:], "ON")
        if on is None or not on[1]:
            continue
        column = name_parts(on[1][0])[-1]
        table = name_parts(target[1])
        cols = next((c for k, c in tables.items() if same_object(k, table)), None)
        if cols is None or column not in cols:
            continue
        allowed, said = ACCEPTED[fname[-1]]
        if cols[column] in allowed:
            continue
        have = _SNOWFLAKE_NAMES.get(cols[column], cols[column])
        findings.append(
            Finding(
                RULE,
                s.path,
                s.line,
                f"{'.'.join(fname)} on {'.'.join(table)}.{column} ({have}): it takes {said}",
                _FUNCTIONS_DOC + fname[-1].lower(),
            )
        )
    return findings
