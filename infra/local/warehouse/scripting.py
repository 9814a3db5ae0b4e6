"""The subset of Snowflake Scripting that LANGUAGE SQL procedures may use locally.

A body is `BEGIN <statement>; … [RETURN <expression>;] END`. Statements run in order on one
internal session, each through the engine (so stream reads advance offsets as in any DML), and the
first failure stops the block and fails the CALL, as an unhandled exception does in Snowflake.
Arguments are referenced as `:NAME` and bound as literals; `LET name [type] := <expression>;` evaluates the
expression once (as Snowflake Scripting does) and binds the variable the same way. DECLARE, IF, FOR, WHILE,
LOOP, CASE blocks and EXCEPTION handlers are rejected when the procedure is created.
"""

from __future__ import annotations

import functools
import io
import re
from typing import TYPE_CHECKING, Any

from snowflake.connector.util_text import split_statements

from infra.local.warehouse import routines
from infra.local.warehouse.errors import LocalSqlError
from infra.local.warehouse.sqltext import sql_literal, strip_comments

if TYPE_CHECKING:
    from infra.local.warehouse.application import AppContext
    from infra.local.warehouse.engine import Engine

SQL_HANDLER = "<LANGUAGE SQL>"  # stored as the handler of SQL procedures in the catalog
_LET = re.compile(r"^LET\s+(?P<name>[A-Za-z_]\w*)(?:\s+[A-Za-z_][\w(), ]*?)?\s*:=\s*(?P<expr>.+)$", re.I | re.S)
# a RETURN anywhere but last, and a LET that is not `LET name [type] := expression`, are not emulated either
_UNSUPPORTED = re.compile(
    r"^(DECLARE|LET|IF|FOR|WHILE|REPEAT|LOOP|CASE|EXCEPTION|RAISE|OPEN|FETCH|CLOSE|RETURN)\b", re.I
)


@functools.lru_cache(maxsize=256)
def parse_block(body: str) -> tuple[tuple[str, ...], str | None]:
    """Split a body into its statements and the RETURN expression; reject what is not emulated.
    Cached: a procedure's body is split on every CALL otherwise."""
    parts = [strip_comments(p).strip().rstrip(";").strip() for p, _ in split_statements(io.StringIO(body))]
    parts = [p for p in parts if p]
    if not parts or not re.match(r"^BEGIN\b", parts[0], re.I) or not re.match(r"^END$", parts[-1], re.I):
        raise LocalSqlError("A LANGUAGE SQL procedure body must be a BEGIN … END block", errno=1003)
    parts[0] = parts[0][5:].strip()
    statements = [p for p in parts[:-1] if p]
    returned = None
    if statements and re.match(r"^RETURN\b", statements[-1], re.I):
        returned = statements.pop()[6:].strip()
    for statement in statements:
        if not _LET.match(statement) and (word := _UNSUPPORTED.match(statement)):
            raise LocalSqlError(
                f"The local warehouse runs SQL procedures made of plain statements; {word[0].upper()} is not "
                "emulated (see infra/local/README.md)",
                errno=2000,
            )
    return tuple(statements), returned


def _bind(statement: str, bound: dict[str, Any]) -> str:
    def literal(m: re.Match[str]) -> str:
        if m.group(1).upper() not in bound:
            raise LocalSqlError(f"Unknown variable :{m.group(1)} in procedure body", errno=1003)
        return sql_literal(bound[m.group(1).upper()])

    return re.sub(r"(?<![:\w]):([A-Za-z_]\w*)", literal, statement)


def run_block(
    engine: Engine, fqn: str, body: str, names: list[str], values: list[Any], app: AppContext | None = None
) -> Any:
    """Run the block's statements in order (as `app` when an application's procedure runs with owner's rights);
    returns the RETURN expression's value (or None)."""
    statements, returned = parse_block(body)
    bound = dict(zip(names, values, strict=False))
    with routines.internal_session(engine, fqn, f"procedure:{fqn}", app) as session:
        for number, statement in enumerate(statements, start=1):
            let = _LET.match(statement)
            try:
                if let:
                    bound[let["name"].upper()] = engine.execute(session, "SELECT " + _bind(let["expr"], bound))[0][0]
                else:
                    engine.execute(session, _bind(statement, bound))
            except LocalSqlError as e:
                raise LocalSqlError(f"{fqn} statement {number} failed: {e.message}", errno=e.errno) from e
            except Exception as e:  # DuckDB and fakesnow errors carry their own message
                raise LocalSqlError(f"{fqn} statement {number} failed: {e}", errno=100132) from e
        return None if returned is None else engine.execute(session, "SELECT " + _bind(returned, bound))[0][0]
