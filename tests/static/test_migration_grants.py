"""Can the migrations run on a fresh account that Terraform set up? Static checks of the two things schemachange
needs that its own `render` cannot show:

1. its change-history table's database exists: schemachange creates the table (and a missing schema), never the
   database (github.com/Snowflake-Labs/schemachange, README "Change History Table"), so Terraform must create it;
2. every GRANT in migrations/ can be run by the role schemachange connects as. A GRANT needs OWNERSHIP of the
   object (of the role, for GRANT ROLE) or MANAGE GRANTS on the account
   (https://docs.snowflake.com/en/sql-reference/sql/grant-privilege,
   https://docs.snowflake.com/en/sql-reference/sql/grant-role). Who owns what follows from Terraform (each
   resource is created as its provider's role) and from the migrations themselves (an object a script creates
   is owned by the role schemachange runs as, unless Terraform created it first).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import yaml

from infra.local import migrations
from tests.static.test_migrations import ENVS
from tests.static.test_terraform import HCL, _unquote, resources

ROOT = Path(__file__).resolve().parents[2]
CONFIG = yaml.safe_load((ROOT / "migrations/schemachange-config.yml").read_text())
DEPLOY = yaml.safe_load((ROOT / ".github/workflows/deploy.yml").read_text())
SCHEMACHANGE_DEFAULT_HISTORY = "METADATA.SCHEMACHANGE.CHANGE_HISTORY"


def _name(text: str) -> str:
    return text.strip().strip('"').upper()


def _role_ref(expr: str) -> str:
    """'${snowflake_account_role.platform["WHOOP_ADMIN"].name}' or 'SYSADMIN' -> the role name."""
    m = re.search(r'platform\["(\w+)"\]', expr)
    return m.group(1) if m else _name(_unquote(expr))


def _provider_roles() -> dict[str, str]:
    out = {}
    for block in HCL["provider"]:
        body = block['"snowflake"']
        out[_unquote(body.get("alias", '""'))] = _name(_unquote(body["role"]))
    return out


def _creator(body: dict) -> str:
    alias = body["provider"].strip("${}").split(".", 1)[1] if "provider" in body else ""
    return _provider_roles()[alias]


@dataclass
class Account:
    """What Terraform leaves on the account: owners of databases, schemas and roles, and privileges per role."""

    databases: dict[str, str] = field(default_factory=dict)  # name -> owner
    schemas: dict[str, str] = field(default_factory=dict)  # DB.SCHEMA -> owner
    roles: dict[str, str] = field(default_factory=dict)  # role -> owner
    account_privileges: dict[str, set[str]] = field(default_factory=dict)  # role -> privileges on the account
    object_privileges: dict[tuple[str, str], set[str]] = field(default_factory=dict)  # (role, object) -> privs


def terraform_account() -> Account:
    acct = Account()
    res = resources()
    db_names = {}
    for (rtype, rname), body in res.items():
        if rtype == "snowflake_database":
            db_names[rname] = _name(_unquote(body["name"]))
            acct.databases[db_names[rname]] = _creator(body)
    schema_refs = {}  # 'snowflake_schema.<name>.fully_qualified_name' -> DB.SCHEMA
    for (rtype, rname), body in res.items():
        if rtype == "snowflake_schema":
            ref = re.search(r"snowflake_database\.(\w+)\.name", body["database"])
            db = db_names[ref.group(1)] if ref else _name(_unquote(body["database"]))
            qualified = f"{db}.{_name(_unquote(body['name']))}"
            acct.schemas[qualified] = _creator(body)
            schema_refs[f"snowflake_schema.{rname}.fully_qualified_name"] = qualified
    roles_local = next(item for item in HCL["locals"] if "roles" in item)["roles"]
    for (rtype, _), body in res.items():
        if rtype == "snowflake_account_role":
            assert "local.roles" in body.get("for_each", ""), "roles are created from local.roles"
            for role in roles_local:
                if not role.startswith("__"):
                    acct.roles[_name(role)] = _creator(body)
    for (rtype, _), body in res.items():
        if rtype != "snowflake_grant_privileges_to_account_role":
            continue
        role = _role_ref(body["account_role_name"])
        privileges = {_name(_unquote(p)) for p in body["privileges"]}
        if body.get("on_account") is True:
            acct.account_privileges.setdefault(role, set()).update(privileges)
        for block in body.get("on_account_object", []):
            ref = re.search(r"snowflake_database\.(\w+)\.name", block["object_name"])
            if _unquote(block["object_type"]) == "DATABASE":
                obj = db_names[ref.group(1)] if ref else _name(_unquote(block["object_name"]))
                acct.object_privileges.setdefault((role, obj), set()).update(privileges)
        for block in body.get("on_schema", []):
            key = block["schema_name"].strip("${}")
            obj = schema_refs.get(key) or _name(_unquote(block["schema_name"]))
            acct.object_privileges.setdefault((role, obj), set()).update(privileges)
    return acct


def workflow_step(pattern: str) -> dict:
    steps = [s for job in DEPLOY["jobs"].values() for s in job["steps"] if re.search(pattern, s.get("run", ""))]
    assert len(steps) == 1, f"one deploy step runs {pattern!r}"
    return steps[0]


def schemachange_role() -> str:
    """The role the deploy workflow runs schemachange as (-r / --snowflake-role)."""
    run = workflow_step(r"schemachange\s+deploy")["run"]
    m = re.search(r"(?:\s-r|--snowflake-role)\s+(\S+)", run)
    assert m, "the deploy workflow must name schemachange's role explicitly"
    return _name(m.group(1))


def snow_role() -> str:
    """The role `snow app deploy/run` connects as in the deploy workflow (and so the application's owner)."""
    (job,) = DEPLOY["jobs"].values()
    return _name(job["env"]["SNOWFLAKE_CONNECTIONS_DEFAULT_ROLE"])


# --- 1. the change history ----------------------------------------------------------------------------------


def test_change_history_database_and_schema_are_created_by_terraform():
    table = _name(CONFIG["schemachange"].get("change-history-table") or SCHEMACHANGE_DEFAULT_HISTORY)
    database, schema, _ = table.split(".")
    acct, role = terraform_account(), schemachange_role()
    assert database in acct.databases, (
        f"schemachange's change history is in database {database}, which Terraform does not create "
        f"(it creates {sorted(acct.databases)}); schemachange never creates the database"
    )
    assert CONFIG["schemachange"].get("create-change-history-table") is True
    held = lambda obj: acct.object_privileges.get((role, obj), set())  # noqa: E731
    if acct.databases[database] != role:
        assert "USAGE" in held(database), f"{role} needs USAGE on {database} (Terraform grant)"
    qualified = f"{database}.{schema}"
    if qualified in acct.schemas:
        if acct.schemas[qualified] != role:
            assert {"USAGE", "CREATE TABLE"} <= held(qualified), f"{role} needs USAGE, CREATE TABLE on {qualified}"
    else:
        assert acct.databases[database] == role or "CREATE SCHEMA" in held(database), (
            f"{role} must be able to create schema {qualified}"
        )
    assert table == migrations.HISTORY_TABLE, "the local deploy keeps its history where production does"


# --- 2. the grants ------------------------------------------------------------------------------------------

_CREATE = re.compile(
    r"^\s*CREATE\s+(?:OR\s+REPLACE\s+)?(?:SECURE\s+)?(?P<type>DATABASE|SCHEMA|VIEW|TABLE|ROLE|MASKING\s+POLICY|"
    r"ROW\s+ACCESS\s+POLICY|TAG|ALERT|NOTIFICATION\s+INTEGRATION)\s+(?:IF\s+NOT\s+EXISTS\s+)?(?P<name>[\w.$\"{}]+)",
    re.I,
)
_GRANT_ROLE = re.compile(r"^\s*GRANT\s+ROLE\s+(?P<name>[\w\"]+)\s+TO\s+(?:ROLE|USER)\s", re.I)
_GRANT_APP_ROLE = re.compile(r"^\s*GRANT\s+APPLICATION\s+ROLE\s+(?P<app>[\w\"]+)\.(?P<name>[\w\"]+)\s+TO\s", re.I)
_GRANT_ON = re.compile(
    r"^\s*GRANT\s+(?P<privs>.+?)\s+ON\s+(?P<future>(?:ALL|FUTURE)\s+)?(?P<type>[A-Z ]+?)\s+(?P<name>[\w.$\"]+)"
    r"(?:\s*\([^)]*\))?\s+TO\s",
    re.I | re.S,
)


def grant_problems(statements: list[str], role: str, acct: Account, app: str, app_owner: str) -> list[str]:
    """Each GRANT the role cannot run, with the reason. `app` is the installed application (owned by
    `app_owner`, the role `snow app run` ran as)."""
    if "MANAGE GRANTS" in acct.account_privileges.get(role, set()):
        return []
    owned: set[tuple[str, str]] = set()
    problems = []
    for stmt in statements:
        text = re.sub(r"--[^\n]*", "", stmt).strip()
        created = _CREATE.match(text)
        if created:
            kind, name = " ".join(created["type"].upper().split()), _name(created["name"])
            already = {"DATABASE": acct.databases, "ROLE": acct.roles, "SCHEMA": acct.schemas}.get(kind, {})
            if name not in already:  # Terraform runs first: an IF NOT EXISTS on its object creates nothing
                owned.add((kind, name))
                if kind in {"DATABASE", "ROLE"} and f"CREATE {kind}" not in acct.account_privileges.get(role, set()):
                    problems.append(f"{role} cannot CREATE {kind} {name} (no CREATE {kind} on the account): {text}")
            continue
        if not re.match(r"^\s*GRANT\b", text, re.I):
            continue
        if m := _GRANT_ROLE.match(text):
            name = _name(m["name"])
            if ("ROLE", name) in owned or acct.roles.get(name) == role:
                continue
            owner = acct.roles.get(name, "nobody (not created by Terraform or the migrations)")
            problems.append(f"role {name} is owned by {owner}, not {role}: {text}")
        elif m := _GRANT_APP_ROLE.match(text):
            if _name(m["app"]) == _name(app) and app_owner == role:
                continue
            problems.append(f"application {m['app']} is not owned by {role}: {text}")
        elif m := _GRANT_ON.match(text):
            kind, name = " ".join(m["type"].upper().split()), _name(m["name"])
            if m["future"] and m["future"].strip().upper() == "FUTURE":
                problems.append(f"future grants need MANAGE GRANTS: {text}")
            elif m["future"]:  # ON ALL <objects> IN <container> <name>: the container's objects are ours
                if not any(o[1] == name for o in owned):
                    problems.append(f"{name} (container of ALL) is not created by the migrations: {text}")
            elif (kind, name) not in owned and not (kind == "VIEW" and ("VIEW", name) in owned):
                owner = {"DATABASE": acct.databases, "SCHEMA": acct.schemas}.get(kind, {}).get(name)
                problems.append(f"{kind} {name} is not owned by {role} (owner: {owner or 'unknown'}): {text}")
        else:
            problems.append(f"a GRANT this check does not understand (extend it): {text}")
    return problems


def rendered_statements(variables: dict[str, str]) -> list[str]:
    out = []
    for change in migrations.changes():
        out += migrations.statements(change, migrations.render(change, variables))
    return out


@pytest.mark.parametrize("env", sorted(ENVS))
def test_every_grant_in_migrations_is_grantable_by_the_schemachange_role(env):
    role, acct = schemachange_role(), terraform_account()
    assert snow_role() == role, "snow app run and schemachange run as the same role (it owns the app it grants)"
    assert {"CREATE APPLICATION", "CREATE APPLICATION PACKAGE"} <= acct.account_privileges.get(role, set())
    statements = rendered_statements(ENVS[env])
    assert any(re.match(r"\s*GRANT\b", s, re.I) for s in statements), "the regexes still see the grants"
    problems = grant_problems(statements, role, acct, ENVS[env]["app_database"], snow_role())
    assert not problems, "\n".join(problems)


def test_terraform_creates_the_deploy_role_and_its_users_role():
    acct, role = terraform_account(), schemachange_role()
    assert role in acct.roles
    ci = resources()[("snowflake_grant_account_role", "ci_deploy")]
    assert _role_ref(ci["role_name"]) == role, "the CI deploy user holds the role schemachange runs as"
    assert "MANAGE GRANTS" not in acct.account_privileges.get(role, set()), "least privilege: no MANAGE GRANTS"


def test_a_role_grant_by_a_role_that_does_not_own_it_is_reported():
    """What the check guards against: a migration granting a Terraform-created role (owned by SECURITYADMIN)."""
    acct = terraform_account()
    planted = [
        "GRANT ROLE WHOOP_BI TO ROLE WHOOP_ANALYST",
        "GRANT USAGE ON DATABASE WHOOP_ADMIN_DB TO ROLE WHOOP_BI",
        "CREATE DATABASE IF NOT EXISTS R_DB",
        "GRANT USAGE ON DATABASE R_DB TO ROLE WHOOP_BI",
        "GRANT SELECT ON FUTURE VIEWS IN SCHEMA R_DB.S TO ROLE WHOOP_BI",
    ]
    problems = grant_problems(planted, "WHOOP_ADMIN", acct, "APP", "WHOOP_ADMIN")
    assert len(problems) == 3, problems
    assert "owned by SECURITYADMIN" in problems[0] and "WHOOP_ADMIN_DB" in problems[1] and "FUTURE" in problems[2]
    with_manage = Account(account_privileges={"WHOOP_ADMIN": {"MANAGE GRANTS"}})
    assert grant_problems(planted, "WHOOP_ADMIN", with_manage, "APP", "WHOOP_ADMIN") == []
