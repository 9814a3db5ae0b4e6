"""Who a session is: its user, the account roles and the application roles it holds, for the context functions.

Snowflake answers `CURRENT_USER()`, `IS_ROLE_IN_SESSION('R')` and `IS_APPLICATION_ROLE_IN_SESSION('R')` from the
session, also inside a view or a policy body, where they are evaluated when the query runs
(https://docs.snowflake.com/en/sql-reference/functions/current_user,
https://docs.snowflake.com/en/sql-reference/functions/is_role_in_session,
https://docs.snowflake.com/en/sql-reference/functions/is_application_role_in_session). fakesnow answers
`CURRENT_USER()` with DuckDB's own user and knows neither of the others. So each client session gets three DuckDB
variables (connection-scoped, evaluated at run time, also inside stored views):

- `WHOOP_LOCAL_USER`: the login name the client sent (upper case, as Snowflake stores unquoted user names);
- `WHOOP_LOCAL_ROLES`: the session's role and every account role it inherits (GRANTS, plus the system roles'
  own hierarchy), as `,R1,R2,`;
- `WHOOP_LOCAL_APP_ROLES`: the application roles those roles hold, and the roles those hold, as `,R1,R2,`.

and every statement that reaches fakesnow has the three functions rewritten to read them. A session that logs in
with an application role as its role (the local dashboard, standing for the Streamlit viewer's application role:
WHOOP_DASHBOARD_ROLE) holds that application role. Sessions the layer opens itself (task bodies, an app's setup
script, owner's-rights procedures) have no variables: the functions return NULL there, which every use here treats
as "no" (an application calling IS_APPLICATION_ROLE_IN_SESSION never gets TRUE either, per its page).
"""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING

from sqlglot.tokens import TokenType

from infra.local.warehouse.base import LocalSession
from infra.local.warehouse.catalog import PREFIX
from infra.local.warehouse.errors import LocalSqlError
from infra.local.warehouse.sqltext import closing_paren, sql_literal, tokens

if TYPE_CHECKING:
    from infra.local.warehouse.engine import Engine

USER_VAR, ROLES_VAR, APP_ROLES_VAR = "WHOOP_LOCAL_USER", "WHOOP_LOCAL_ROLES", "WHOOP_LOCAL_APP_ROLES"
# the system roles' hierarchy (https://docs.snowflake.com/en/user-guide/security-access-control-overview)
SYSTEM_HIERARCHY = {"ACCOUNTADMIN": ("SYSADMIN", "SECURITYADMIN"), "SECURITYADMIN": ("USERADMIN",)}
_FUNCTIONS = ("CURRENT_USER", "IS_ROLE_IN_SESSION", "IS_APPLICATION_ROLE_IN_SESSION")
_FUNCTION = re.compile(rf"\b({'|'.join(_FUNCTIONS)})\s*\(", re.I)


def roles_held(engine: Engine, role: str | None) -> tuple[set[str], set[str]]:
    """(account roles, application roles) a session whose role is `role` holds, the role itself included."""
    if not role:
        return set(), set()
    grants = engine.catalog.query(
        f"SELECT GRANTEE_KIND, GRANTEE_NAME, GRANTED_ON, OBJECT_NAME FROM {PREFIX}.GRANTS "
        "WHERE PRIVILEGE = 'USAGE' AND GRANTED_ON IN ('ROLE', 'APPLICATION_ROLE')"
    )
    is_app_role = bool(
        engine.catalog.query(
            f"SELECT 1 FROM {PREFIX}.OBJECTS WHERE KIND = 'APPLICATION ROLE' AND NAME = ?", [role.split(".")[-1]]
        )
    )
    start = ("APPLICATION ROLE", role.split(".")[-1]) if is_app_role else ("ROLE", role)
    seen, todo = {start}, [start]
    while todo:
        kind, name = todo.pop()
        held = [("ROLE", r) for r in SYSTEM_HIERARCHY.get(name, ())] if kind == "ROLE" else []
        for gkind, gname, granted_on, obj in grants:
            if gkind == kind and gname.split(".")[-1] == name:
                held.append(("ROLE", obj) if granted_on == "ROLE" else ("APPLICATION ROLE", obj.split(".")[-1]))
        for h in held:
            if h not in seen:
                seen.add(h)
                todo.append(h)
    return {n for k, n in seen if k == "ROLE"}, {n for k, n in seen if k == "APPLICATION ROLE"}


def bind(engine: Engine, session: LocalSession) -> None:
    """Set the session's variables from its login and current role (again after USE ROLE)."""
    user = session.user
    if user is None:
        return  # a session the layer opened itself
    roles, app_roles = roles_held(engine, session.role)
    cur = session.conn.cursor()
    parser_log = logging.getLogger("sqlglot")
    level = parser_log.level
    parser_log.setLevel(logging.ERROR)  # sqlglot warns that it passes DuckDB's SET VARIABLE through as a command
    try:
        for name, value in (
            (USER_VAR, user),
            (ROLES_VAR, "," + ",".join(sorted(roles)) + ","),
            (APP_ROLES_VAR, "," + ",".join(sorted(app_roles)) + ","),
        ):
            cur.execute(f"SET VARIABLE {name} = {sql_literal(value)}")
    finally:
        parser_log.setLevel(level)


def _in(variable: str, argument: str) -> str:
    return f"COALESCE(CONTAINS(GETVARIABLE('{variable}'), ',' || UPPER({argument}) || ','), FALSE)"


def rewrite(sql: str) -> str:
    """The statement with the three context functions reading the session's variables (strings, `$$` bodies and
    comments untouched: they are single tokens)."""
    if not _FUNCTION.search(sql):
        return sql
    try:
        spans = tokens(sql)
    except LocalSqlError:
        return sql  # fakesnow reports the syntax error itself
    out, last, i = [], 0, 0
    while i < len(spans):
        t = spans[i]
        name = t.text.upper()
        is_call = (
            name in _FUNCTIONS
            and t.token_type != TokenType.IDENTIFIER
            and i + 1 < len(spans)
            and spans[i + 1].token_type == TokenType.L_PAREN
            and not (i and spans[i - 1].token_type == TokenType.DOT)
        )
        if not is_call:
            i += 1
            continue
        close = closing_paren(sql, spans[i + 1].start)
        argument = sql[spans[i + 1].end + 1 : close].strip()
        if name == "CURRENT_USER":
            replacement = f"GETVARIABLE('{USER_VAR}')"
        else:
            replacement = _in(ROLES_VAR if name == "IS_ROLE_IN_SESSION" else APP_ROLES_VAR, rewrite(argument))
        out += [sql[last : t.start], replacement]
        last = close + 1
        while i < len(spans) and spans[i].start <= close:
            i += 1
    out.append(sql[last:])
    return "".join(out)
