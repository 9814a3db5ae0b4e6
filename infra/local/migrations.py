"""schemachange migrations (`migrations/`) applied to the local warehouse, the way schemachange applies them.

schemachange cannot target the emulator (it ignores `host`/`port`, SNOWFLAKE.md §6), so this module uses
schemachange's own pieces instead of its CLI: its script discovery and naming rules
(`get_all_scripts_recursively`), its Jinja renderer with the modules folder (`JinjaTemplateProcessor`), and
its BEGIN…END-aware statement splitter (`split_sql_statements`). What it adds is the bookkeeping: a change
history table with schemachange's columns (at the config's `change-history-table`), versioned scripts run
once in version order, repeatable ones when their rendered checksum changes, always-scripts every time.

It also stands in for Terraform, which in production runs before the migrations: the account roles and their
hierarchy (`locals` of infra/terraform/roles.tf, read with python-hcl2, so the two cannot drift) and the
database and schema of the change history (infra/terraform/admin.tf).

Differences from `schemachange deploy`: no session reset between scripts (scripts use qualified names, as
schemachange requires anyway), no query tag, no `.cli.yml` steps (none exist here).
"""

from __future__ import annotations

import hashlib
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from infra.local.errors import WhoopError
from infra.local.settings import REPO_ROOT

MIGRATIONS = REPO_ROOT / "migrations"
MODULES = MIGRATIONS / "modules"
TERRAFORM_ROLES = REPO_ROOT / "infra" / "terraform" / "roles.tf"


def _history_table() -> str:
    """schemachange's change-history-table from its config (its default when absent)."""
    import yaml

    config = yaml.safe_load((MIGRATIONS / "schemachange-config.yml").read_text())
    return str(config.get("schemachange", {}).get("change-history-table") or "METADATA.SCHEMACHANGE.CHANGE_HISTORY")


HISTORY_TABLE = _history_table().upper()
HISTORY_DATABASE, HISTORY_SCHEMA, _ = HISTORY_TABLE.split(".")
REPORTING_DATABASE = "WHOOP_REPORTING_LOCAL"


def local_vars(app_database: str) -> dict[str, str]:
    """The Jinja variables for the local environment (production's come from schemachange-config.yml)."""
    return {
        "env": "local",
        "app_database": app_database,
        "reporting_database": REPORTING_DATABASE,
        "alert_recipients": "operators@localhost",
        "alert_warehouse": "WHOOP_PLATFORM_WH",
    }


@dataclass(frozen=True)
class Change:
    script: str  # file name, e.g. V1.0.0__roles.sql
    kind: str  # V, R or A
    version: str | None
    description: str
    path: Path


def _version_key(version: str) -> tuple:
    return tuple(int(p) if p.isdigit() else p for p in re.split(r"[._]", version))


def changes(root: Path = MIGRATIONS) -> list[Change]:
    """The change scripts in schemachange's order: versioned by version, then repeatable, then always."""
    from schemachange.session.Script import get_all_scripts_recursively

    found = [
        Change(s.name, s.type, getattr(s, "version", None), s.description, s.file_path)
        for s in get_all_scripts_recursively(root).values()
        if s.format == "SQL" and MODULES not in s.file_path.parents
    ]
    versioned = sorted((c for c in found if c.kind == "V"), key=lambda c: _version_key(c.version or ""))
    repeatable = sorted((c for c in found if c.kind == "R"), key=lambda c: c.script.lower())
    always = sorted((c for c in found if c.kind == "A"), key=lambda c: c.script.lower())
    return versioned + repeatable + always


def render(change: Change, variables: dict[str, Any], root: Path = MIGRATIONS) -> str:
    """The script as schemachange renders it (the checksum is taken of this text)."""
    from schemachange.JinjaTemplateProcessor import JinjaTemplateProcessor

    processor = JinjaTemplateProcessor(project_root=root, modules_folder=root / "modules")
    return processor.render(change.path.relative_to(root).as_posix(), variables)


def statements(change: Change, content: str) -> list[str]:
    from schemachange.JinjaTemplateProcessor import JinjaTemplateProcessor
    from schemachange.sql_splitter import split_sql_statements

    prepared = JinjaTemplateProcessor(project_root=MIGRATIONS).prepare_for_execution(content, change.path)
    return [s for s in split_sql_statements(prepared) if _has_sql(s)]


def _has_sql(statement: str) -> bool:
    text = re.sub(r"--[^\n]*|/\*.*?\*/", "", statement, flags=re.S)
    return bool(text.strip().strip(";").strip())


def terraform_roles(path: Path = TERRAFORM_ROLES) -> tuple[dict[str, str], dict[str, str]]:
    """(role -> comment, child role -> parent role) from the locals of infra/terraform/roles.tf."""
    import hcl2

    with path.open() as f:
        parsed = hcl2.load(f)
    (block,) = [b for b in parsed["locals"] if "roles" in b and "hierarchy" in b]

    def plain(mapping: dict) -> dict[str, str]:
        return {k.strip('"'): str(v).strip('"') for k, v in mapping.items() if not k.startswith("__")}

    return plain(block["roles"]), plain(block["hierarchy"])


def terraform_statements() -> list[str]:
    """What Terraform leaves on the account before the migrations run, as SQL for the local warehouse."""
    roles, hierarchy = terraform_roles()
    out = [f"CREATE ROLE IF NOT EXISTS {name} COMMENT = '{comment.replace(chr(39), chr(39) * 2)}'"
           for name, comment in roles.items()]  # fmt: skip
    out += [f"GRANT ROLE {child} TO ROLE {parent}" for child, parent in hierarchy.items()]
    out += [f"CREATE DATABASE IF NOT EXISTS {HISTORY_DATABASE}",
            f"CREATE SCHEMA IF NOT EXISTS {HISTORY_DATABASE}.{HISTORY_SCHEMA}"]  # fmt: skip
    return out


def _ensure_history(cur: Any) -> None:
    for statement in terraform_statements():
        cur.execute(statement)
    cur.execute(
        f"CREATE TABLE IF NOT EXISTS {HISTORY_TABLE} (VERSION VARCHAR, DESCRIPTION VARCHAR, SCRIPT VARCHAR, "
        "SCRIPT_TYPE VARCHAR, CHECKSUM VARCHAR, EXECUTION_TIME NUMBER, STATUS VARCHAR, INSTALLED_BY VARCHAR, "
        "INSTALLED_ON TIMESTAMP_LTZ)"
    )


def _history(cur: Any) -> tuple[set[str], dict[str, str]]:
    """(applied versions, newest checksum per repeatable script)."""
    cur.execute(f"SELECT VERSION FROM {HISTORY_TABLE} WHERE SCRIPT_TYPE = 'V' AND STATUS = 'Success'")
    versions = {r[0] for r in cur.fetchall()}
    cur.execute(
        f"SELECT SCRIPT, CHECKSUM FROM {HISTORY_TABLE} WHERE SCRIPT_TYPE = 'R' AND STATUS = 'Success' "
        "ORDER BY INSTALLED_ON"
    )
    checksums: dict[str, str] = {}
    for script, checksum in cur.fetchall():
        checksums[script] = checksum
    return versions, checksums


def deploy(
    conn: Any, variables: dict[str, Any], root: Path = MIGRATIONS, log: Callable[[str], None] | None = None
) -> list[str]:
    """Apply pending change scripts; returns the names of the scripts run."""
    cur = conn.cursor()
    _ensure_history(cur)
    versions, checksums = _history(cur)
    ran: list[str] = []
    for change in changes(root):
        content = render(change, variables, root)
        checksum = hashlib.sha224(content.encode("utf-8")).hexdigest()
        if change.kind == "V" and change.version in versions:
            continue
        if change.kind == "R" and checksums.get(change.script) == checksum:
            continue
        started = time.monotonic()
        for statement in statements(change, content):
            try:
                cur.execute(statement)
            except Exception as e:  # the connector's ProgrammingError, or the emulator's own
                message = getattr(e, "msg", None) or str(e)
                raise WhoopError(f"migrations/{change.script}: {message}") from None
        cur.execute(
            f"INSERT INTO {HISTORY_TABLE} (VERSION, DESCRIPTION, SCRIPT, SCRIPT_TYPE, CHECKSUM, EXECUTION_TIME, "
            "STATUS, INSTALLED_BY, INSTALLED_ON) VALUES (%s, %s, %s, %s, %s, %s, 'Success', 'whoop-local', "
            "CURRENT_TIMESTAMP())",
            (change.version, change.description, change.script, change.kind, checksum,
             round(time.monotonic() - started)),
        )  # fmt: skip
        ran.append(change.script)
        if log:
            log(f"applied migrations/{change.script}")
    return ran
