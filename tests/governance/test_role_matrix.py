"""The least-privilege role matrix (infra/governance/role_matrix.yml, docs/governance.md) against the grants
the local warehouse recorded after `whoop deploy --local` (the app's setup-script roles and grants, then the
schemachange migrations). Nothing is enforced locally (RBAC is Snowflake's), so these tests prove what was
*granted and attached*: a grant the matrix does not allow fails, and so does a matrix row nothing matches.
"""

from __future__ import annotations

import fnmatch
import json
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from infra.local import migrations, pipeline
from infra.local.errors import WhoopError
from infra.local.settings import Settings
from tests.conftest import free_port, serve

ROOT = Path(__file__).resolve().parents[2]
MATRIX = yaml.safe_load((ROOT / "infra/governance/role_matrix.yml").read_text())
APP = pipeline.DATABASE
REPORTING = migrations.REPORTING_DATABASE
CATALOG = "WHOOP_LOCAL.CATALOG"


def fill(text: str) -> str:
    return text.replace("{app}", APP).replace("{reporting}", REPORTING)


Grant = tuple[str, str, str, str, str]  # grantee kind, grantee, privilege, granted_on, object


def allowed(grant: Grant) -> bool:
    kind, name, privilege, granted_on, obj = grant
    for row in MATRIX["grants"]:
        gkind, _, gname = row["grantee"].rpartition(" ")
        if (gkind, gname, row["privilege"], row["granted_on"]) == (
            kind,
            name,
            privilege,
            granted_on,
        ) and fnmatch.fnmatchcase(obj, fill(row["object"])):
            return True
    return False


def unexpected(grants: list[Grant]) -> list[Grant]:
    return [g for g in grants if not allowed(g)]


@pytest.fixture(scope="module")
def deployed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Settings]:
    from infra.local.warehouse.server import create_app

    home = tmp_path_factory.mktemp("governance")
    settings = Settings(home=home, host="127.0.0.1", warehouse_port=free_port(), sandbox_port=free_port(), seed=7)
    with serve(create_app(home / "warehouse", settings.warehouse_url), settings.warehouse_port):
        pipeline.deploy_local(settings, start_stack=False)
        yield settings


@pytest.fixture
def cur(deployed: Settings):
    conn = pipeline.connect(deployed)
    try:
        yield conn.cursor()
    finally:
        conn.close()


def recorded(cur) -> list[Grant]:
    # the consumer's grants of global privileges to the app itself (GRANT … ON ACCOUNT TO APPLICATION, app/README.md)
    # are the manifest's business, checked in tests/warehouse/test_application.py; the matrix is about roles
    cur.execute(
        f"SELECT GRANTEE_KIND, GRANTEE_NAME, PRIVILEGE, GRANTED_ON, OBJECT_NAME FROM {CATALOG}.GRANTS "
        "WHERE GRANTEE_KIND <> 'APPLICATION'"
    )
    return [tuple(r) for r in cur.fetchall()]


def closure(grants: list[Grant], start: tuple[str, str]) -> set[tuple[str, str]]:
    """Every (kind, role) a role holds, itself included: account roles and application roles granted to it."""
    seen, todo = {start}, [start]
    while todo:
        kind, name = todo.pop()
        for gkind, gname, privilege, granted_on, obj in grants:
            if (gkind, gname) != (kind, name) or privilege != "USAGE" or granted_on not in ("ROLE", "APPLICATION_ROLE"):
                continue
            held = ("ROLE", obj) if granted_on == "ROLE" else ("APPLICATION ROLE", obj.split(".")[-1])
            if held not in seen:
                seen.add(held)
                todo.append(held)
    return seen


def privileges_of(grants: list[Grant], role: str) -> set[tuple[str, str, str]]:
    held = closure(grants, ("ROLE", role))
    return {(p, on, obj) for kind, name, p, on, obj in grants if (kind, name) in held and on not in ("ROLE",)}


# --- the matrix is complete and exact -----------------------------------------------------------------------


def test_every_recorded_grant_is_allowed_by_the_matrix(cur):
    extra = unexpected(recorded(cur))
    assert not extra, (
        "grants the role matrix does not allow (add them to role_matrix.yml and docs/governance.md):\n"
        + ("\n".join(map(str, extra)))
    )


def test_every_matrix_row_matches_a_recorded_grant(cur):
    grants = recorded(cur)
    stale = []
    for row in MATRIX["grants"]:
        gkind, _, gname = row["grantee"].rpartition(" ")
        if not any(
            (k, n, p, on) == (gkind, gname, row["privilege"], row["granted_on"])
            and fnmatch.fnmatchcase(o, fill(row["object"]))
            for k, n, p, on, o in grants
        ):
            stale.append(row)
    assert not stale, f"matrix rows no deployment grants: {stale}"


def test_a_grant_outside_the_matrix_fails_the_check(cur):
    """The check itself: a grant added by hand (BI reading the row access mapping) is reported."""
    target = f"{REPORTING}.GOVERNANCE.MEMBER_ACCESS"
    cur.execute(f"GRANT SELECT ON TABLE {target} TO ROLE WHOOP_BI")
    try:
        assert unexpected(recorded(cur)) == [("ROLE", "WHOOP_BI", "SELECT", "TABLE", target)]
    finally:
        cur.execute(f"REVOKE SELECT ON TABLE {target} FROM ROLE WHOOP_BI")
    assert unexpected(recorded(cur)) == []


def test_docs_table_lists_every_matrix_row():
    doc = (ROOT / "docs/governance.md").read_text()
    for row in MATRIX["grants"]:
        _, _, grantee = row["grantee"].rpartition(" ")
        line = f"| {grantee} | {row['privilege']} | {row['granted_on']} | `{row['object']}` |"
        assert line in doc, f"docs/governance.md lacks: {line}"


# --- the properties the matrix is for -----------------------------------------------------------------------


def test_bi_reads_only_reporting_views(cur):
    grants = recorded(cur)
    assert closure(grants, ("ROLE", "WHOOP_BI")) == {("ROLE", "WHOOP_BI")}, "BI inherits no other role"
    privileges = privileges_of(grants, "WHOOP_BI")
    reads = {(p, on, o) for p, on, o in privileges if p != "USAGE"}
    assert reads and all(
        p == "SELECT"
        and on == "VIEW"
        and (o.startswith(f"{REPORTING}.REPORTING.V_") or o == f"{REPORTING}.REPORTING.SQUAD_READINESS")
        for p, on, o in reads
    )
    assert {(p, on, o) for p, on, o in privileges if p == "USAGE"} == {
        ("USAGE", "DATABASE", REPORTING),
        ("USAGE", "SCHEMA", f"{REPORTING}.REPORTING"),
    }
    cur.execute(
        "SELECT TABLE_NAME FROM WHOOP_REPORTING_LOCAL.INFORMATION_SCHEMA.VIEWS WHERE TABLE_SCHEMA = 'REPORTING'"
    )
    views = {f"{REPORTING}.REPORTING.{r[0]}" for r in cur.fetchall()}
    assert {o for _, _, o in reads} == views, "every reporting view is readable by BI, and nothing else"


def test_analysts_never_see_pii_unmasked(cur):
    grants = recorded(cur)
    pii = MATRIX["pii"]
    for role in pii["never_unmasked_for"]:
        held = closure(grants, ("ROLE", role))
        assert ("ROLE", pii["reader_role"]) not in held, f"{role} holds the PII reader role"
        assert not [h for h in held if h[0] == "APPLICATION ROLE"], f"{role} reads the app's Gold (unmasked) directly"
    # every PII-tagged Gold column a reporting view exposes carries the masking policy on that view
    cur.execute(f"SELECT OBJECT_NAME, COLUMN_NAME FROM {CATALOG}.TAG_REFERENCES WHERE TAG_NAME = '{APP}.GOLD.PII'")
    tagged = {(o.split(".")[-1], c) for o, c in cur.fetchall()}
    assert {("DIM_MEMBER", "EMAIL"), ("DIM_MEMBER", "FIRST_NAME"), ("DIM_MEMBER", "LAST_NAME")} <= tagged
    sources = view_sources()
    cur.execute(
        f"SELECT REF_OBJECT, REF_COLUMNS, POLICY_NAME FROM {CATALOG}.POLICY_REFERENCES "
        "WHERE POLICY_KIND = 'MASKING_POLICY'"
    )
    masked = {(o, c): p for o, c, p in cur.fetchall()}
    exposed = [
        (view, col) for view, (table, cols) in sources.items() for t, col in tagged if t == table and col in cols
    ]
    assert len(exposed) == 3
    for view, col in exposed:
        assert masked.get((f"{REPORTING}.REPORTING.{view}", col)) == fill(pii["masking_policy"]), (view, col)
    # and the policy shows clear text to the PII reader role only
    cur.execute(f"SHOW MASKING POLICIES IN SCHEMA {REPORTING}.GOVERNANCE")
    assert [r[1] for r in cur.fetchall()] == ["PII_STRING_MASK"]
    body = policy_body(cur, "MASKING POLICY", fill(pii["masking_policy"]))
    assert re.search(rf"WHEN\s+IS_ROLE_IN_SESSION\('{pii['reader_role']}'\)\s+THEN\s+VAL\b", body)
    assert "ELSE '***MASKED***'" in body
    assert "CURRENT_ROLE" not in body.upper(), "IS_ROLE_IN_SESSION, so role hierarchy and secondary roles count"


def test_only_app_admin_can_call_member_procedures(cur):
    grants = recorded(cur)
    spec = MATRIX["member_procedures"]
    for pattern in map(fill, spec["procedures"]):
        callers = {(k, n) for k, n, p, on, o in grants if on == "PROCEDURE" and fnmatch.fnmatchcase(o, pattern)}
        assert callers == {("APPLICATION ROLE", c) for c in spec["callers"]}, pattern
    holders = {(k, n) for k, n, p, on, o in grants if on == "APPLICATION_ROLE" and o.split(".")[-1] == "APP_ADMIN"}
    assert holders == {("ROLE", "WHOOP_ADMIN")}


def test_every_member_view_has_the_row_access_policy(cur):
    spec = MATRIX["row_access"]
    cur.execute(
        "SELECT TABLE_NAME FROM WHOOP_REPORTING_LOCAL.INFORMATION_SCHEMA.COLUMNS "
        f"WHERE TABLE_SCHEMA = 'REPORTING' AND COLUMN_NAME = '{spec['column']}'"
    )
    member_views = {f"{REPORTING}.REPORTING.{r[0]}" for r in cur.fetchall()}
    cur.execute(
        f"SELECT REF_OBJECT, REF_COLUMNS, POLICY_NAME FROM {CATALOG}.POLICY_REFERENCES "
        "WHERE POLICY_KIND = 'ROW_ACCESS_POLICY'"
    )
    attached = {o: (c, p) for o, c, p in cur.fetchall()}
    assert len(member_views) >= 7
    for view in member_views:
        assert attached.get(view) == (spec["column"], fill(spec["policy"])), view
    body = policy_body(cur, "ROW ACCESS POLICY", fill(spec["policy"]))
    assert "IS_ROLE_IN_SESSION(a.ROLE_NAME)" in body and f"{REPORTING}.GOVERNANCE.MEMBER_ACCESS" in body
    # and the users the app's member-to-viewer mapping names (tests/governance/test_member_access.py filters by it)
    assert f"{APP}.OPS.MEMBER_VIEWERS" in body and "v.VIEWER_USER = CURRENT_USER()" in body


def test_redeploy_is_idempotent(deployed, cur):
    before = sorted(recorded(cur))
    pipeline.deploy_local(deployed, start_stack=False)
    assert sorted(recorded(cur)) == before
    cur.execute(f"SELECT SCRIPT, SCRIPT_TYPE FROM {migrations.HISTORY_TABLE} ORDER BY INSTALLED_ON, SCRIPT")
    history = cur.fetchall()
    scripts = [c.script for c in migrations.changes() if c.kind != "A"]
    # always-scripts (A__) run on every deploy, by design; the others exactly once when nothing changed
    assert sorted(s for s, kind in history if kind != "A") == sorted(scripts), "each script ran exactly once"
    always = [c.script for c in migrations.changes() if c.kind == "A"]
    assert sorted(s for s, kind in history if kind == "A") == sorted(always * 2), "always-scripts ran every time"


# --- the install itself: app/setup_script.sql ran whole, as the app ----------------------------------------


def test_deploy_installed_the_app_from_its_stage(cur):
    cur.execute(f"SELECT PROPERTIES FROM {CATALOG}.OBJECTS WHERE KIND = 'APPLICATION' AND NAME = %s", (APP,))
    (props,) = [json.loads(r[0]) for r in cur.fetchall()]
    assert Path(props["STAGE"], "setup_script.sql").is_file() and props["VERSION"] == "v1"
    cur.execute(
        f"SELECT PROPERTIES:VERSIONED::BOOLEAN FROM {CATALOG}.OBJECTS WHERE KIND = 'SCHEMA' AND NAME = %s",
        (f"{APP}.CORE",),
    )
    assert cur.fetchall() == [(True,)]
    cur.execute(
        f"SELECT PROPERTIES:MAIN_FILE::VARCHAR FROM {CATALOG}.OBJECTS WHERE KIND = 'STREAMLIT' AND NAME = %s",
        (f"{APP}.CORE.DASHBOARD",),
    )
    assert cur.fetchall() == [("streamlit_app.py",)]
    cur.execute(f"SHOW SPECIFICATIONS IN APPLICATION {APP}")
    specs = {r[0]: (r[1], r[2], r[3]) for r in cur.fetchall()}
    assert specs["WHOOP_API_EGRESS"] == (1, "EXTERNAL_ACCESS", "PENDING")
    cur.execute(
        f"SELECT PRIVILEGE FROM {CATALOG}.GRANTS WHERE GRANTEE_KIND = 'APPLICATION' AND GRANTEE_NAME = %s", (APP,)
    )
    assert sorted(r[0] for r in cur.fetchall()) == sorted(pipeline.CONSUMER_GRANTS)


def test_deploy_refuses_a_statement_the_app_may_not_run(deployed, tmp_path, monkeypatch):
    """A planted data metric function (EXECUTE DATA METRIC FUNCTION: no app can hold it) fails the deploy with one
    line naming the setup script, the file and the statement."""
    from infra import app_stage

    copy = tmp_path / "proj"
    for rel in ("app", "sql"):
        shutil.copytree(ROOT / rel, copy / rel)
    shutil.copy(ROOT / "snowflake.yml", copy / "snowflake.yml")
    shutil.copytree(ROOT / "build", copy / "build")
    planted = copy / "sql" / "config" / "01_config.sql"
    planted.write_text(
        planted.read_text() + "\nALTER TABLE SILVER.CYCLE ADD DATA METRIC FUNCTION SNOWFLAKE.CORE.ROW_COUNT ON ();\n"
    )
    build = app_stage.build_stage
    monkeypatch.setattr(app_stage, "build_stage", lambda dest: build(dest, root=copy))
    with pytest.raises(WhoopError) as info:
        pipeline.deploy_local(deployed, start_stack=False)
    message = str(info.value)
    assert "\n" not in message
    for fragment in ("app/setup_script.sql", "/sql/config/01_config.sql statement", "EXECUTE DATA METRIC FUNCTION"):
        assert fragment in message, message
    monkeypatch.undo()
    pipeline.deploy_local(deployed, start_stack=False)  # the real stage installs again


# --- helpers ------------------------------------------------------------------------------------------------


def view_sources() -> dict[str, tuple[str, set[str]]]:
    """View -> (Gold table, its columns) from the rendered R__10_reporting_views.sql (a view's match never runs
    into the next statement, so a view that reads more than one Gold table cannot hide the view after it)."""
    (change,) = [c for c in migrations.changes() if c.script == "R__10_reporting_views.sql"]
    text = migrations.render(change, migrations.local_vars(APP))
    out = {}
    for m in re.finditer(
        r"CREATE OR REPLACE SECURE VIEW \S+\.REPORTING\.(\w+) \((?P<cols>[^)]*)\)"
        r"(?:(?!CREATE OR REPLACE).)*?FROM \S+\.GOLD\.(\w+) AS g;",
        text,
        re.S,
    ):
        out[m.group(1)] = (m.group(3), {c.strip() for c in m["cols"].split(",")})
    return out


def policy_body(cur, kind: str, name: str) -> str:
    cur.execute(f"SELECT PROPERTIES:BODY::VARCHAR FROM {CATALOG}.OBJECTS WHERE KIND = %s AND NAME = %s", (kind, name))
    (row,) = cur.fetchall()
    return row[0]
