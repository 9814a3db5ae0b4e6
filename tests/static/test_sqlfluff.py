"""Every SQL statement the project ships parses with sqlfluff (dialect snowflake): the pipeline files under
sql/, the Native App setup script, and the schemachange migrations rendered with the local variables.

Files are split into statements with schemachange's splitter (it respects $$ bodies and BEGIN…END) and each
statement is parsed on its own, so one construct sqlfluff lacks does not hide the rest of a file. The
statements sqlfluff 4.5.0 cannot parse are listed below with the reason; an exception nothing needs any more
fails the run, so the list only shrinks.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from schemachange.sql_splitter import split_sql_statements
from sqlfluff.core import FluffConfig, Linter

from infra.local import migrations
from snowpark_procs import sql_templates

ROOT = Path(__file__).resolve().parents[2]

# statement pattern (matched against the statement, comments removed, whitespace collapsed) -> why it is allowed
EXCEPTIONS = {
    r"^CREATE (OR REPLACE )?NOTIFICATION INTEGRATION\b.*\bTYPE = EMAIL\b": "no e-mail integration grammar",
    r"^CREATE APPLICATION ROLE\b": "Native App statement (application roles) missing from the dialect",
    r"^GRANT APPLICATION ROLE\b": "Native App statement (granting application roles) missing from the dialect",
    r"\bTO APPLICATION ROLE\b": "grants to an application role are missing from the dialect",
    r"^CREATE OR ALTER VERSIONED SCHEMA\b": "Native App versioned schemas are missing from the dialect",
    r"^ALTER APPLICATION SET SPECIFICATION\b": "Native App specifications (2025 preview) are missing from the dialect",
    r"^CREATE OR REPLACE STREAMLIT \S+ FROM '/": "Native App CREATE STREAMLIT FROM a stage path",
}  # fmt: skip


def sources() -> dict[str, str]:
    files = [*sorted((ROOT / "sql").rglob("*.sql")), ROOT / "app/setup_script.sql"]
    # the Gold and alert templates are parsed as OPS.BUILD_GOLD renders them (snowpark_procs/app_warehouse.py)
    out = {str(p.relative_to(ROOT)): sql_templates.render_file(p, "WHOOP_WH") for p in files}
    for change in migrations.changes():
        out[f"migrations/{change.script}"] = migrations.render(change, migrations.local_vars("WHOOP"))
    return out


SOURCES = sources()
LINTER = Linter(config=FluffConfig(overrides={"dialect": "snowflake"}))
USED: set[str] = set()


def _statements(text: str) -> list[str]:
    out = []
    for statement in split_sql_statements(text):
        flat = " ".join(re.sub(r"--[^\n]*", "", statement).split())
        if flat.strip(";"):
            out.append(statement)
    return out


@pytest.mark.parametrize("name", sorted(SOURCES))
def test_every_statement_parses_with_sqlfluff(name):
    unexplained = []
    for statement in _statements(SOURCES[name]):
        if not LINTER.parse_string(statement).violations:
            continue
        flat = " ".join(re.sub(r"--[^\n]*", "", statement).split())
        reasons = [p for p in EXCEPTIONS if re.search(p, flat, re.I)]
        if reasons:
            USED.update(reasons)
        else:
            unexplained.append(flat[:160])
    assert not unexplained, f"{name}: sqlfluff (snowflake) cannot parse:\n" + "\n".join(unexplained)


def test_every_exception_is_still_needed():
    """Runs last in this module: an exception no statement needed any more is stale."""
    if len(USED) == 0:
        pytest.skip("run with the parse tests (they record which exceptions were needed)")
    assert set(EXCEPTIONS) == USED, f"exceptions nothing needs any more: {set(EXCEPTIONS) - USED}"
