"""Which account-level (global) privileges a statement needs when an app runs it, and which of them an app
may hold.

An app owns what it creates inside itself, so schema-level work needs nothing more; anything that
acts on the account needs a global privilege that the manifest requests (`privileges:`) and that is
either granted automatically at install (manifest v2) or granted by the consumer. A privilege not on
Snowflake's list can never be held by an app, so a statement that needs one fails at install.

Read from:
- https://docs.snowflake.com/en/developer-guide/native-apps/requesting-privs (what an app may request)
- https://docs.snowflake.com/en/developer-guide/native-apps/requesting-auto-privs (what manifest v2 grants
  automatically; the rest wait for the consumer's GRANT … TO APPLICATION)
- per statement, the Access control requirements of its page (linked below).

This one table serves both `whoop preflight` (statically, over the setup script and the files it runs)
and the local warehouse (by running the setup script as the app), so the two cannot disagree.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import sqlglot
from sqlglot.dialects.snowflake import Snowflake
from sqlglot.tokens import Token, TokenType

from infra.preflight.sqlwords import STRINGS

REQUESTING_PRIVS = "https://docs.snowflake.com/en/developer-guide/native-apps/requesting-privs"
AUTO_PRIVS = "https://docs.snowflake.com/en/developer-guide/native-apps/requesting-auto-privs"


@dataclass(frozen=True)
class GlobalPrivilege:
    name: str
    auto_granted: bool  # granted at install/upgrade with manifest v2; otherwise the consumer grants it


# The global privileges an app may request, as the manifest spells them. EXECUTE DATA METRIC FUNCTION and
# EXECUTE MANAGED ALERT are on neither page: an app cannot hold them.
REQUESTABLE: dict[str, GlobalPrivilege] = {
    p.name: p
    for p in (
        GlobalPrivilege("BIND SERVICE ENDPOINT", True),
        GlobalPrivilege("CREATE COMPUTE POOL", True),
        GlobalPrivilege("CREATE DATABASE", True),
        GlobalPrivilege("CREATE EXTERNAL ACCESS INTEGRATION", True),
        GlobalPrivilege("CREATE WAREHOUSE", True),
        GlobalPrivilege("EXECUTE MANAGED TASK", True),
        GlobalPrivilege("EXECUTE TASK", True),
        # manifest v2 only; the integration stays disabled until the consumer approves its app specification
        # (https://docs.snowflake.com/en/developer-guide/native-apps/requesting-app-specs-sec-integ)
        GlobalPrivilege("CREATE SECURITY INTEGRATION", True),
        GlobalPrivilege("MANAGE WAREHOUSES", False),
        GlobalPrivilege("EXECUTE ALERT", False),
        GlobalPrivilege("READ SESSION", False),
        GlobalPrivilege("IMPORTED PRIVILEGES ON SNOWFLAKE DB", False),
    )
}


@dataclass(frozen=True)
class Requirement:
    privilege: str
    what: str  # the statement kind that needs it, for the error message
    doc: str

    @property
    def requestable(self) -> bool:
        return self.privilege in REQUESTABLE


_SQL_REF = "https://docs.snowflake.com/en/sql-reference/sql/"

# (words the statement starts with, words it must also contain, privilege, doc page). Words are matched
# on sqlglot's Snowflake tokens, so comments, string literals and identifiers never match by accident.
_RULES: tuple[tuple[tuple[str, ...], tuple[str, ...], str, str], ...] = (
    (("CREATE", "WAREHOUSE"), (), "CREATE WAREHOUSE", _SQL_REF + "create-warehouse"),
    (
        ("CREATE", "EXTERNAL", "ACCESS", "INTEGRATION"),
        (),
        "CREATE EXTERNAL ACCESS INTEGRATION",
        _SQL_REF + "create-external-access-integration",
    ),
    (
        ("CREATE", "SECURITY", "INTEGRATION"),
        (),
        "CREATE SECURITY INTEGRATION",
        _SQL_REF + "create-security-integration",
    ),
    (("CREATE", "DATABASE"), (), "CREATE DATABASE", _SQL_REF + "create-database"),
    (("CREATE", "COMPUTE", "POOL"), (), "CREATE COMPUTE POOL", _SQL_REF + "create-compute-pool"),
    (("CREATE", "ALERT"), (), "EXECUTE ALERT", _SQL_REF + "create-alert"),
    (("ALTER", "ALERT"), ("RESUME",), "EXECUTE ALERT", _SQL_REF + "alter-alert"),
    (("EXECUTE", "ALERT"), (), "EXECUTE ALERT", _SQL_REF + "execute-alert"),
    (("ALTER", "TASK"), ("RESUME",), "EXECUTE TASK", _SQL_REF + "alter-task"),
    (("EXECUTE", "TASK"), (), "EXECUTE TASK", _SQL_REF + "execute-task"),
    (
        ("ALTER",),
        ("DATA", "METRIC", "FUNCTION"),
        "EXECUTE DATA METRIC FUNCTION",
        "https://docs.snowflake.com/en/user-guide/data-quality-access-control",
    ),
    (
        ("ALTER",),
        ("DATA_METRIC_SCHEDULE",),
        "EXECUTE DATA METRIC FUNCTION",
        "https://docs.snowflake.com/en/user-guide/data-quality-access-control",
    ),
)

# Context functions that read the session need READ SESSION in an owner's-rights app context
# (Streamlit, procedures): https://docs.snowflake.com/en/developer-guide/native-apps/adding-streamlit
SESSION_FUNCTIONS = ("IS_APPLICATION_ROLE_IN_SESSION", "CURRENT_ROLE", "CURRENT_USER", "IS_ROLE_IN_SESSION")
READ_SESSION_DOC = "https://docs.snowflake.com/en/developer-guide/native-apps/adding-streamlit"


class _WordTokenizer(Snowflake.Tokenizer):
    """Snowflake's tokenizer without "commands": the stock one turns everything after EXECUTE (or FETCH,
    RENAME) into one string token, which would hide `EXECUTE TASK` and `EXECUTE IMMEDIATE FROM '…'`."""

    COMMANDS: ClassVar[set[TokenType]] = set()


def tokens(sql: str) -> list[Token]:
    """sqlglot's Snowflake tokens of `sql` (comments dropped; `$$…$$` is one RAW_STRING token)."""
    return _WordTokenizer().tokenize(sql)


def words(statement: str) -> list[str]:
    """The statement's keywords and identifiers, upper case, without strings (also `$$` bodies) and comments."""
    try:
        toks = tokens(statement)
    except sqlglot.errors.TokenError:
        return statement.upper().split()
    return [t.text.upper() for t in toks if t.token_type not in STRINGS]


def required_privileges(statement: str) -> list[Requirement]:
    """The global privileges an app needs to run `statement` (none for work inside the app)."""
    ws = words(statement)
    found: list[Requirement] = []
    for start, contains, privilege, doc in _RULES:
        if tuple(ws[: len(start)]) != start and not _starts_with_modifiers(ws, start):
            continue
        if start == ("CREATE", "DATABASE") and ws[ws.index("DATABASE") + 1 :][:1] == ["ROLE"]:
            continue  # CREATE DATABASE ROLE: an object inside the app, no account privilege

        if contains and not _contains(ws, contains):
            continue
        found.append(Requirement(privilege, " ".join(start + contains), doc))
    if _starts_with_modifiers(ws, ("CREATE", "NOTIFICATION", "INTEGRATION")):
        what = "CREATE NOTIFICATION INTEGRATION"
        found.append(Requirement("CREATE INTEGRATION", what, _SQL_REF + "create-integration"))
    for call in _NOTIFY_CALLS:
        if call in ws:
            found.append(Requirement(NOTIFICATION_USE, call, NOTIFICATION_DOC))
    if ws[:2] == ["CREATE", "TASK"] or _starts_with_modifiers(ws, ("CREATE", "TASK")):
        # a task without WAREHOUSE runs serverless: EXECUTE MANAGED TASK (create-task, Access control)
        head = ws[: ws.index("AS")] if "AS" in ws else ws
        if "WAREHOUSE" not in head:
            found.append(Requirement("EXECUTE MANAGED TASK", "CREATE TASK (serverless)", _SQL_REF + "create-task"))
    return found


# No application can send a notification: sending needs USAGE on a notification integration, and an app can neither
# create one (CREATE INTEGRATION is not among the privileges it may request, REQUESTING_PRIVS) nor be handed one as a
# reference (SYSTEM$REFERENCE's object types list none). So the app writes an outbox and the consumer's account sends
# (sql/ops/11_member_alerts.sql, migrations/R__30_alerts.sql).
NOTIFICATION_USE = "USAGE ON A NOTIFICATION INTEGRATION"
NOTIFICATION_DOC = "https://docs.snowflake.com/en/sql-reference/functions/system_reference"
_NOTIFY_CALLS = ("SYSTEM$SEND_EMAIL", "SYSTEM$SEND_SNOWFLAKE_NOTIFICATION")


def session_function_calls(sql: str) -> list[str]:
    """Context functions in `sql` that need READ SESSION when an app runs them with owner's rights."""
    ws = words(sql)
    return [f for f in SESSION_FUNCTIONS if f in ws]


def _starts_with_modifiers(ws: list[str], start: tuple[str, ...]) -> bool:
    """CREATE [OR REPLACE] [OR ALTER] … : the verb, then the object words after Snowflake's modifiers."""
    if not ws or ws[0] != start[0]:
        return False
    rest = ws[1:]
    while rest[:2] in (["OR", "REPLACE"], ["OR", "ALTER"]):
        rest = rest[2:]
    if rest[:3] == ["IF", "NOT", "EXISTS"]:
        rest = rest[3:]
    return tuple(rest[: len(start) - 1]) == start[1:]


def _contains(ws: list[str], phrase: tuple[str, ...]) -> bool:
    n = len(phrase)
    return any(tuple(ws[i : i + n]) == phrase for i in range(len(ws) - n + 1))
