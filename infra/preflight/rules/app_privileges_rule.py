"""app-privileges: every account-level privilege the setup script needs is one an app may request, is
requested in the manifest, and is held when the statement runs.

https://docs.snowflake.com/en/developer-guide/native-apps/requesting-privs: an app may request only the
global privileges listed there (the table in `infra/preflight/app_privileges.py`); anything else the
setup script does that needs an account privilege fails at install.
https://docs.snowflake.com/en/developer-guide/native-apps/requesting-auto-privs: with manifest_version 2
some of them are granted automatically at install/upgrade; the others (and all of them with manifest
v1) are granted by the consumer afterwards, so a statement that needs one cannot run in the setup script
at install — only later, e.g. inside a procedure the consumer calls after granting.
https://docs.snowflake.com/en/developer-guide/native-apps/adding-streamlit: owner's-rights Streamlit (and
procedures) need READ SESSION to call context functions such as IS_APPLICATION_ROLE_IN_SESSION.

EXECUTE DATA METRIC FUNCTION is left to the dmf-arguments rule (one finding, not two).
"""

from __future__ import annotations

import ast
from pathlib import Path

from infra.preflight import app_privileges
from infra.preflight.project import Finding, Project, _is_create
from infra.preflight.sqlwords import STRINGS, find

RULE = "app-privileges"
DOC = app_privileges.REQUESTING_PRIVS
TITLE = "account privileges the setup script needs are requestable, requested and held at install"
_LEFT_TO_DMF_RULE = "EXECUTE DATA METRIC FUNCTION"


def requested(manifest: dict) -> set[str]:
    out: set[str] = set()
    for p in manifest.get("privileges") or []:
        if isinstance(p, dict):
            out |= {str(k).upper().strip() for k in p}
        elif isinstance(p, str):
            out.add(p.upper().strip())
    return out


def _auto_granted(manifest: dict, privilege: str) -> bool:
    if str(manifest.get("manifest_version", 1)).strip() != "2":
        return False
    p = app_privileges.REQUESTABLE.get(privilege)
    return bool(p and p.auto_granted)


def _sql_text(node: ast.expr) -> str | None:
    """The text of a string or f-string argument (placeholders become a literal `x`)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(v.value if isinstance(v, ast.Constant) else "x" for v in node.values)
    return None


def streamlit_session_calls(folder: Path) -> list[tuple[Path, int, list[str]]]:
    """(file, line, context functions) for SQL strings passed to calls (session.sql(...), …) in the Streamlit
    code; docstrings and comments that merely name a function do not count."""
    out = []
    for py in sorted(folder.rglob("*.py")):
        try:
            tree = ast.parse(py.read_text(encoding="utf-8"), filename=str(py))
        except (OSError, SyntaxError, ValueError):
            continue
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            for arg in [*node.args, *(k.value for k in node.keywords)]:
                text = _sql_text(arg)
                calls = app_privileges.session_function_calls(text) if text else []
                if calls:
                    out.append((py, arg.lineno, calls))
    return out


def check(project: Project) -> list[Finding]:
    manifest = project.manifest
    asked = requested(manifest)
    findings: list[Finding] = []
    for s in project.all_statements():
        for req in app_privileges.required_privileges(s.text):
            if req.privilege == _LEFT_TO_DMF_RULE:
                continue
            where = "a procedure body" if s.in_procedure_body else "the setup script at install"
            if not req.requestable:
                findings.append(
                    Finding(RULE, s.path, s.line, f"{req.what} needs {req.privilege}, which an app cannot request", DOC)
                )
            elif req.privilege not in asked:
                findings.append(
                    Finding(
                        RULE,
                        s.path,
                        s.line,
                        f"{req.what} needs {req.privilege}, which the manifest "
                        f"({project.manifest_path.name}) does not request",
                        DOC,
                    )
                )
            elif not s.in_procedure_body and not _auto_granted(manifest, req.privilege):
                findings.append(
                    Finding(
                        RULE,
                        s.path,
                        s.line,
                        f"{req.what} needs {req.privilege}, which is not granted automatically "
                        f"(consumer grants it after install), so {where} cannot hold it; "
                        "run it from a procedure the consumer calls after granting",
                        app_privileges.AUTO_PRIVS,
                    )
                )
    if "READ SESSION" in asked:
        return findings
    for app in project.streamlit_apps():
        if app.folder is None:
            continue
        for path, line, calls in streamlit_session_calls(app.folder):
            findings.append(
                Finding(
                    RULE,
                    path,
                    line,
                    f"the Streamlit code calls {', '.join(calls)}, which needs READ SESSION in the "
                    "manifest's privileges",
                    app_privileges.READ_SESSION_DOC,
                )
            )
    for s in project.all_statements():
        if not (_is_create(s.words, ("PROCEDURE",)) or _is_create(s.words, ("FUNCTION",))):
            continue
        if find(s.tokens, "EXECUTE", "AS", "CALLER") >= 0:
            continue
        for t in s.tokens:
            if t.token_type in STRINGS and len(t.text) > 20:
                calls = [f for f in app_privileges.session_function_calls(t.text) if f"{f}(" in t.text.upper()]
                if calls:
                    findings.append(
                        Finding(
                            RULE,
                            s.path,
                            s.line,
                            f"an owner's-rights procedure calls {', '.join(calls)}, which needs "
                            "READ SESSION in the manifest's privileges",
                            app_privileges.READ_SESSION_DOC,
                        )
                    )
    return findings
