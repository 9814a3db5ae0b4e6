"""Small helpers for reading Snowflake statement text: names, properties, comments.

The local layer recognises the statements fakesnow lacks by their leading keywords, then reads
their clauses with these helpers. Anything it does not recognise goes to fakesnow unchanged.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import sqlglot
from sqlglot import exp

from infra.local.warehouse.errors import LocalSqlError

_LINE_COMMENT = re.compile(r"--[^\n]*")
_BLOCK_COMMENT = re.compile(r"/\*.*?\*/", re.S)
IDENT = r'(?:"[^"]+"|[A-Za-z_][A-Za-z0-9_$]*)'
QNAME = rf"{IDENT}(?:\s*\.\s*{IDENT}){{0,2}}"


def quoted_or_comment(sql: str, i: int) -> tuple[str, int] | None:
    """The span starting at `i` that is not SQL code: ("string" | "dollar" | "comment", index just past it), or None
    when `i` starts code. The one scanner of literals and comments the local layer's text rewrites share."""
    if sql.startswith("$$", i):
        end = sql.find("$$", i + 2)
        return "dollar", len(sql) if end < 0 else end + 2
    if sql.startswith("'", i):
        return "string", skip_string(sql, i)
    if sql.startswith("--", i):
        m = _LINE_COMMENT.match(sql, i)
        return "comment", m.end() if m else len(sql)
    if sql.startswith("/*", i):
        m = _BLOCK_COMMENT.match(sql, i)
        return "comment", m.end() if m else len(sql)
    return None


def strip_comments(sql: str) -> str:
    """Remove comments outside string literals and dollar-quoted bodies (good enough for headers)."""
    out: list[str] = []
    i = 0
    while i < len(sql):
        span = quoted_or_comment(sql, i)
        if span is None:
            out.append(sql[i])
            i += 1
            continue
        kind, end = span
        if kind != "comment":
            out.append(sql[i:end])
        i = end
    return "".join(out).strip().rstrip(";").strip()


def normalise_ident(part: str) -> str:
    """Snowflake rules: unquoted identifiers are upper-cased, quoted ones kept as written."""
    part = part.strip()
    if part.startswith('"') and part.endswith('"'):
        return part[1:-1]
    return part.upper()


@dataclass(frozen=True)
class ObjectName:
    database: str
    schema: str
    name: str

    @property
    def fqn(self) -> str:
        return f"{self.database}.{self.schema}.{self.name}"

    def sql(self) -> str:
        return f'"{self.database}"."{self.schema}"."{self.name}"'


def split_name(text: str) -> list[str]:
    return [normalise_ident(p) for p in re.findall(IDENT, text)]


def qualify(text: str, database: str | None, schema: str | None) -> ObjectName:
    """Resolve a one-, two- or three-part name against the session's current database and schema."""
    parts = split_name(text)
    if len(parts) == 3:
        return ObjectName(*parts)
    if len(parts) == 2:
        if not database:
            raise LocalSqlError(f"Cannot resolve {text}: no current database", errno=90105)
        return ObjectName(database, parts[0], parts[1])
    if len(parts) == 1:
        if not (database and schema):
            raise LocalSqlError(f"Cannot resolve {text}: no current database and schema", errno=90106)
        return ObjectName(database, schema, parts[0])
    raise LocalSqlError(f"Invalid object name: {text}", errno=1003)


def property_value(sql: str, key: str) -> str | None:
    """Value of `KEY = value` in a statement header: a quoted string, a parenthesised list or a word."""
    m = re.search(
        rf"\b{key}\s*=\s*('(?:[^']|'')*'|\([^)]*\)|[^\s,)]+)",
        sql,
        re.I,
    )
    if not m:
        return None
    value = m.group(1)
    if value.startswith("'"):
        return value[1:-1].replace("''", "'")
    return value


def list_value(sql: str, key: str) -> list[str]:
    """Items of `KEY = (a, 'b', c)` with quotes removed."""
    raw = property_value(sql, key)
    if raw is None:
        return []
    raw = raw.strip()
    if raw.startswith("("):
        raw = raw[1:-1]
    items = re.findall(r"'(?:[^']|'')*'|[^,\s]+", raw)
    return [i[1:-1].replace("''", "'") if i.startswith("'") else i for i in items]


def sql_literal(value: object) -> str:
    """Render a Python value as a Snowflake literal for a synthetic result row."""
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int | float):
        return repr(value)
    # Snowflake string literals treat backslash as an escape character
    return "'" + str(value).replace("\\", "\\\\").replace("'", "''") + "'"


def status_select(message: str, column: str = "status") -> str:
    """The statement fakesnow runs to answer a handled command with Snowflake's one-row status."""
    return f'SELECT {sql_literal(message)} AS "{column}"'


def tables_in(query: str) -> set[tuple[str | None, str | None, str]]:
    """Names of the tables a query reads, as (catalog, db-schema, name) parts upper-cased."""
    tree = sqlglot.parse_one(query, read="snowflake")
    ctes = {c.alias_or_name.upper() for c in tree.find_all(exp.CTE)}
    found: set[tuple[str | None, str | None, str]] = set()
    for t in tree.find_all(exp.Table):
        if not t.name:
            continue
        if not t.db and t.name.upper() in ctes:
            continue
        name = t.name if t.this.args.get("quoted") else t.name.upper()
        found.add((t.catalog.upper() or None, t.db.upper() or None, name))
    return found


def skip_string(text: str, i: int) -> int:
    """Index just past the single-quoted literal starting at `i` ('' is an escaped quote)."""
    j = i + 1
    while j < len(text) and not (text[j] == "'" and (j + 1 >= len(text) or text[j + 1] != "'")):
        j += 2 if text[j] == "'" else 1
    return j + 1


def split_as(text: str) -> tuple[str, str]:
    """Split `<header> AS <body>` at the first AS outside quotes, parentheses and $$ bodies."""
    depth = 0
    i = 0
    upper = text.upper()
    while i < len(text):
        ch = text[i]
        if text.startswith("$$", i):
            end = text.find("$$", i + 2)
            i = len(text) if end < 0 else end + 2
            continue
        if ch == "'":
            i = skip_string(text, i)
            continue
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif (
            depth == 0
            and upper.startswith("AS", i)
            and (i == 0 or not (text[i - 1].isalnum() or text[i - 1] in "_$"))
            and (i + 2 >= len(text) or not (text[i + 2].isalnum() or text[i + 2] in "_$"))
        ):
            return text[:i].strip(), text[i + 2 :].strip()
        i += 1
    raise LocalSqlError("Expected AS <body> in the statement", errno=1003)


def split_top_level(text: str) -> list[str]:
    """Split on the commas outside parentheses and '…' strings (column lists, argument lists); parts unstripped."""
    parts, depth, current, quoted = [], 0, [], False
    for ch in text:
        if ch == "'":
            quoted = not quoted
        if not quoted:
            depth += ch == "("
            depth -= ch == ")"
            if ch == "," and depth == 0:
                parts.append("".join(current))
                current = []
                continue
        current.append(ch)
    parts.append("".join(current))
    return parts
