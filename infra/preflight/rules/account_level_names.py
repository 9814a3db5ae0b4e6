"""account-level-names: account-level objects an app creates are named after the app, not with a fixed
literal, so two installs in one account (dev and prod, or one per developer) do not collide.

https://docs.snowflake.com/en/developer-guide/native-apps/requesting-about ("Create and access objects in
a consumer account"): with the privileges of requesting-privs the app creates warehouses, compute pools,
integrations and databases in the consumer account itself, outside the application object.
Their names live in the account's namespace: https://docs.snowflake.com/en/sql-reference/sql/create-warehouse
("Identifier … for the virtual warehouse; must be unique for your account"), likewise for databases,
integrations and compute pools. With IF NOT EXISTS a second install silently reuses the first one's
object (owned by the other app); with OR REPLACE it takes it over.

Accepted names: IDENTIFIER(<expression>) (e.g. CURRENT_DATABASE() || '_WH', or a variable set from it),
a name concatenated in Snowflake Scripting (`EXECUTE IMMEDIATE 'CREATE WAREHOUSE ' || :name`), and
template variables (`{{ … }}`, `<% … %>`, `&var`). A plain or quoted identifier, or IDENTIFIER('literal'),
is reported.
"""

from __future__ import annotations

from sqlglot.tokens import Token, TokenType

from infra.preflight.project import Finding, Project, _is_create, tokenize
from infra.preflight.sqlwords import STRINGS, object_name_after

RULE = "account-level-names"
DOC = "https://docs.snowflake.com/en/developer-guide/native-apps/requesting-about"
TITLE = "account-level objects the app creates are named after the app"

KINDS: tuple[tuple[str, ...], ...] = (
    ("WAREHOUSE",),
    ("EXTERNAL", "ACCESS", "INTEGRATION"),
    ("SECURITY", "INTEGRATION"),
    ("API", "INTEGRATION"),
    ("COMPUTE", "POOL"),
    ("DATABASE",),
)
_TEMPLATE = {TokenType.L_BRACE, TokenType.LT, TokenType.AMP, TokenType.PARAMETER}


def _literal_name(tokens: list[Token], kind: tuple[str, ...]) -> str | None:
    """The fixed name a CREATE <kind> uses, or None when the name is built (or missing: concatenated)."""
    hit = object_name_after(tokens, kind)
    if hit is None:
        return None
    start, name = hit
    first = name[0]
    if first.token_type in _TEMPLATE or first.text.startswith(("$", ":", "&")) or first.text == "{":
        return None
    if first.text.upper() == "IDENTIFIER":
        inner = tokens[start + 1 :]
        depth, args = 0, []
        for t in inner:
            if t.token_type == TokenType.L_PAREN:
                depth += 1
                if depth == 1:
                    continue
            elif t.token_type == TokenType.R_PAREN:
                depth -= 1
                if depth == 0:
                    break
            args.append(t)
        if args and all(t.token_type in STRINGS for t in args):
            return f"IDENTIFIER('{args[0].text}')"
        return None
    if first.token_type in STRINGS:
        return None
    return ".".join(t.text for t in name if t.token_type != TokenType.DOT)


def check(project: Project) -> list[Finding]:
    findings: list[Finding] = []
    seen: set[tuple[str, int, str]] = set()  # a string run by EXECUTE IMMEDIATE is also a nested statement
    for s in project.all_statements():
        candidates: list[tuple[list[Token], int]] = [(s.tokens, s.line)]
        for t in s.tokens:  # SQL built in a string (EXECUTE IMMEDIATE '…' || name)
            if t.token_type == TokenType.STRING and "CREATE" in t.text.upper():
                candidates.append((tokenize(t.text), s.line_of(t.line) - t.text.count("\n")))
        for tokens, line in candidates:
            ws = [t.text.upper() for t in tokens if t.token_type not in STRINGS]
            for kind in KINDS:
                if not _is_create(ws, kind):
                    continue
                name = _literal_name(tokens, kind)
                if kind == ("DATABASE",) and name is not None and name.upper() == "ROLE":
                    continue  # CREATE DATABASE ROLE: lives in a database, not the account
                if name is None or (str(s.path), line, name) in seen:
                    continue
                seen.add((str(s.path), line, name))
                findings.append(
                    Finding(
                        RULE,
                        s.path,
                        line,
                        f"CREATE {' '.join(kind)} {name}: a fixed name in the account's namespace; "
                        "a second install of the app in this account collides with it. Build the "
                        "name from the app's, e.g. IDENTIFIER(CURRENT_DATABASE() || '_WH')",
                        DOC,
                    )
                )
    return findings
