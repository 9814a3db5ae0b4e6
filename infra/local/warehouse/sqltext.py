"""Reading Snowflake statement text: sqlglot's tokens (comments, strings, $$ bodies, parentheses), names, values.

The local layer recognises the statements fakesnow lacks by their leading keywords, then reads
their clauses with these helpers. Anything it does not recognise goes to fakesnow unchanged.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import pairwise
from typing import ClassVar

import sqlglot
from sqlglot import exp
from sqlglot.dialects.snowflake import Snowflake
from sqlglot.errors import TokenError
from sqlglot.tokens import Token, TokenType

from infra.local.warehouse.errors import LocalSqlError

IDENT = r'(?:"[^"]+"|[A-Za-z_][A-Za-z0-9_$]*)'
QNAME = rf"{IDENT}(?:\s*\.\s*{IDENT}){{0,2}}"


class _Tokenizer(Snowflake.Tokenizer):
    """Snowflake's tokens, each with its true span: no `//` comments (an unquoted `PUT file:///tmp/x @s` keeps its
    path) and no command keywords (sqlglot folds the rest of a CALL or SHOW into one string token without a span)."""

    COMMENTS: ClassVar[list[str | tuple[str, str]]] = ["--", ("/*", "*/")]
    COMMANDS: ClassVar[set[TokenType]] = set()


_TOKENIZER = _Tokenizer(dialect="snowflake")


def tokens(sql: str) -> list[Token]:
    """sqlglot's tokens of `sql`, each with its span in the text (strings and $$ bodies are one token each)."""
    try:
        return _TOKENIZER.tokenize(sql)
    except TokenError as e:
        raise LocalSqlError(f"Cannot read the statement: {e}", errno=1003) from e


def strip_comments(sql: str) -> str:
    """The statement without comments and the trailing `;` (what handlers match their patterns against). A text
    the tokenizer cannot read (an unclosed string) is left for fakesnow, which reports its own syntax error."""
    if "--" in sql or "/*" in sql:
        try:
            spans = tokens(sql)
        except LocalSqlError:
            spans = []
        if spans:
            out, last = [], 0
            for t in spans:
                gap = sql[last : t.start]
                out.append(gap if not gap.strip() else "\n" if "\n" in gap else " ")
                out.append(sql[t.start : t.end + 1])
                last = t.end + 1
            sql = "".join(out)
    return sql.strip().rstrip(";").strip()


def _top_level(text: str) -> Iterator[Token]:
    """sqlglot's tokens of `text` outside parentheses (a parenthesis itself counts as outside)."""
    depth = 0
    for t in tokens(text):
        depth -= t.token_type == TokenType.R_PAREN
        if depth == 0:
            yield t
        depth += t.token_type == TokenType.L_PAREN


def closing_paren(text: str, start: int) -> int:
    """Index of the `)` closing the `(` at `start`."""
    for t in _top_level(text[start:]):
        if t.token_type == TokenType.R_PAREN:
            return start + t.start
    raise LocalSqlError("Unbalanced parentheses in the statement", errno=1003)


def split_as(text: str) -> tuple[str, str]:
    """Split `<header> AS <body>` at the first AS outside parentheses (strings and $$ bodies are single tokens)."""
    for t in _top_level(text):
        if t.token_type == TokenType.ALIAS:
            return text[: t.start].strip(), text[t.end + 1 :].strip()
    raise LocalSqlError("Expected AS <body> in the statement", errno=1003)


def split_top_level(text: str) -> list[str]:
    """Split on the commas outside parentheses and strings (column lists, argument lists); parts unstripped."""
    commas = [t for t in _top_level(text) if t.token_type == TokenType.COMMA]
    bounds = [-1] + [t.start for t in commas] + [len(text)]
    return [text[a + 1 : b] for a, b in pairwise(bounds)]


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


def create_options(text: str) -> dict[str, str] | None:
    """The `KEY = value` options of a CREATE statement as sqlglot parses it (strings and words as text, lists as SQL
    text, HANDLER and LANGUAGE too), or None when sqlglot cannot parse it: then the caller reads its header text with
    property_value, the documented fallback (sqlglot 30 answers e.g. `RETURNS TABLE (…)` procedures with a Command)."""
    parser_log = logging.getLogger("sqlglot")
    level = parser_log.level
    parser_log.setLevel(logging.ERROR)  # sqlglot warns when it falls back to a Command: that is the None here
    try:
        tree = sqlglot.parse_one(text, read="snowflake")
    except (sqlglot.errors.ParseError, TokenError):
        return None
    finally:
        parser_log.setLevel(level)
    properties = tree.args.get("properties") if isinstance(tree, exp.Create) else None
    if properties is None:
        return None
    options = {}
    for p in properties.expressions:
        if type(p) is exp.Property:
            value = p.args["value"]
            simple = isinstance(value, exp.Literal | exp.Var | exp.Identifier) or (
                isinstance(value, exp.Column) and not value.table
            )
            options[p.name.upper()] = value.name if simple else value.sql("snowflake")
        elif isinstance(p, exp.HandlerProperty | exp.LanguageProperty):
            options[type(p).__name__.removesuffix("Property").upper()] = p.this.name
    return options


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
