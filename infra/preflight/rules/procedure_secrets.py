"""procedure-secrets: a procedure or function that names SECRETS must name the external access
integrations that allow them.

https://docs.snowflake.com/en/sql-reference/sql/create-procedure (the SECRETS parameter, read there, in
substance): SECRETS assigns secrets to variables the handler reads, and each secret must be allowed by an
integration named in the same statement's EXTERNAL_ACCESS_INTEGRATIONS; otherwise CREATE fails.
https://docs.snowflake.com/en/sql-reference/sql/create-external-access-integration:
`ALLOWED_AUTHENTICATION_SECRETS = ( { secret_name [, …] | all | none } )`.

Checked: every CREATE PROCEDURE/FUNCTION with SECRETS names EXTERNAL_ACCESS_INTEGRATIONS; and where an
integration it names is created in the scanned files, each secret is in that integration's
ALLOWED_AUTHENTICATION_SECRETS (or the list is ALL). Integrations passed as `reference('…')` or created
elsewhere are taken on trust.
"""

from __future__ import annotations

from infra.preflight.project import Finding, Project, Statement, _is_create
from infra.preflight.sqlwords import name_parts, object_name_after, paren_list, same_object

RULE = "procedure-secrets"
DOC = "https://docs.snowflake.com/en/sql-reference/sql/create-procedure"
TITLE = "procedure SECRETS are allowed by the EXTERNAL_ACCESS_INTEGRATIONS it names"


def _integrations(statements: list[Statement]) -> dict[tuple[str, ...], tuple[bool, list[tuple[str, ...]]]]:
    """Integrations created in the scanned files: name -> (allows all, allowed secret names)."""
    out: dict[tuple[str, ...], tuple[bool, list[tuple[str, ...]]]] = {}
    for s in statements:
        if not _is_create(s.words, ("EXTERNAL", "ACCESS", "INTEGRATION")):
            continue
        hit = object_name_after(s.tokens, ("INTEGRATION",))
        if hit is None or hit[1][0].text.upper() == "IDENTIFIER":
            continue
        allowed = paren_list(s.tokens, "ALLOWED_AUTHENTICATION_SECRETS")
        names = [name_parts(item) for item in (allowed[1] if allowed else [])]
        allows_all = any(n == ("ALL",) for n in names)
        out[name_parts(hit[1])] = (allows_all, [n for n in names if n not in (("ALL",), ("NONE",))])
    return out


def check(project: Project) -> list[Finding]:
    statements = project.all_statements()
    eais = _integrations(statements)
    findings: list[Finding] = []
    for s in statements:
        if not (_is_create(s.words, ("PROCEDURE",)) or _is_create(s.words, ("FUNCTION",))):
            continue
        secrets = paren_list(s.tokens, "SECRETS")
        if secrets is None:
            continue
        at = s.line_of(s.tokens[secrets[0]].line)
        integrations = paren_list(s.tokens, "EXTERNAL_ACCESS_INTEGRATIONS")
        if integrations is None or not integrations[1]:
            findings.append(
                Finding(
                    RULE,
                    s.path,
                    at,
                    "SECRETS without EXTERNAL_ACCESS_INTEGRATIONS: CREATE fails; name the "
                    "integration whose ALLOWED_AUTHENTICATION_SECRETS lists these secrets",
                    DOC,
                )
            )
            continue
        named = [name_parts(i) for i in integrations[1]]
        known = [eais[k] for n in named for k in eais if same_object(n, k)]
        if len(known) != len(named):
            continue  # an integration made elsewhere (a reference, the consumer): cannot check its list
        for item in secrets[1]:
            eq = next((k for k, t in enumerate(item) if t.text == "="), None)
            secret = name_parts(item[eq + 1 :]) if eq is not None else name_parts(item)
            if any(all_ or any(same_object(secret, a) for a in allowed) for all_, allowed in known):
                continue
            findings.append(
                Finding(
                    RULE,
                    s.path,
                    at,
                    f"secret {'.'.join(secret)} is not in ALLOWED_AUTHENTICATION_SECRETS of "
                    f"{', '.join('.'.join(n) for n in named)}: CREATE fails",
                    DOC,
                )
            )
    return findings
