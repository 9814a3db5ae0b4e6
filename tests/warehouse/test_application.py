"""Native App installs on the local warehouse: the setup script runs whole, as the application, with only
the privileges its manifest (and the consumer) give it; what Snowflake refuses at install is refused here."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import pytest
import snowflake.connector
import yaml

from tests.conftest import connect
from tests.warehouse.support import fails
from tests.warehouse.support import rows as run

CAT = "WHOOP_LOCAL.CATALOG"
_names = itertools.count(1)


@pytest.fixture(scope="module")
def conn(warehouse):
    c = connect(warehouse)
    yield c
    c.close()


def stage(tmp_path: Path, setup: str, privileges: tuple[str, ...] = (), files: dict[str, str] | None = None) -> Path:
    """An app stage: manifest.yml (v2, requesting `privileges`), setup_script.sql and other files."""
    root = tmp_path / f"stage{next(_names)}"
    root.mkdir()
    manifest = {
        "manifest_version": 2,
        "artifacts": {"setup_script": "setup_script.sql"},
        "privileges": [{p: {"description": "needed"}} for p in privileges],
    }
    (root / "manifest.yml").write_text(yaml.safe_dump(manifest))
    (root / "setup_script.sql").write_text(setup)
    for rel, text in (files or {}).items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    return root


def install(conn, name: str, root: Path) -> list[tuple]:
    return run(conn, f"CREATE APPLICATION {name} FROM APPLICATION PACKAGE {name}_PKG USING 'file://{root}'")


def eif(path: str) -> str:
    return f"EXECUTE IMMEDIATE FROM '{path}';\n"


def app_name() -> str:
    return f"APP{next(_names)}"


# privileges ----------------------------------------------------------------------------------------
def test_data_metric_functions_are_refused_in_the_app(conn, tmp_path):
    table = "CREATE SCHEMA IF NOT EXISTS s;\nCREATE OR REPLACE TABLE s.t (id INT, score INT);\n"
    for statement in (
        "ALTER TABLE s.t SET DATA_METRIC_SCHEDULE = 'TRIGGER_ON_CHANGES';",
        "ALTER TABLE s.t ADD DATA METRIC FUNCTION SNOWFLAKE.CORE.NULL_COUNT ON (score);",
    ):
        name = app_name()
        fails(
            conn,
            f"CREATE APPLICATION {name} USING 'file://{stage(tmp_path, table + statement)}'",
            "/setup_script.sql statement 3 (ALTER TABLE s.t",
            "Insufficient privileges",
            "needs EXECUTE DATA METRIC FUNCTION",
            "no application can hold it",
            "data-quality-access-control",
        )
        assert not run(conn, f"SELECT 1 FROM {CAT}.OBJECTS WHERE KIND = 'APPLICATION' AND NAME = %s", (name,))


def test_create_alert_needs_the_consumer_to_grant_execute_alert(conn, tmp_path):
    name = app_name()
    setup = (
        "CREATE SCHEMA IF NOT EXISTS ops;\n"
        "CREATE OR REPLACE ALERT ops.a SCHEDULE = '60 MINUTE' IF (EXISTS (SELECT 1)) THEN SELECT 1;\n"
    )
    root = stage(tmp_path, setup, privileges=("EXECUTE ALERT",))
    fails(
        conn,
        f"CREATE APPLICATION {name} USING 'file://{root}'",
        "runs CREATE ALERT, which needs EXECUTE ALERT",
        f"the consumer has not granted it: GRANT EXECUTE ALERT ON ACCOUNT TO APPLICATION {name}",
    )
    run(conn, f"GRANT EXECUTE ALERT ON ACCOUNT TO APPLICATION {name}")
    assert install(conn, name, root) == [(f"Application {name} successfully created.",)]
    assert run(conn, f"SELECT 1 FROM {CAT}.OBJECTS WHERE KIND = 'ALERT' AND NAME = %s", (f"{name}.OPS.A",))
    # outside the app nobody asks
    run(conn, "CREATE DATABASE IF NOT EXISTS OUTSIDE")
    run(conn, "CREATE SCHEMA IF NOT EXISTS OUTSIDE.OPS")
    run(conn, "CREATE OR REPLACE ALERT OUTSIDE.OPS.A SCHEDULE = '60 MINUTE' IF (EXISTS (SELECT 1)) THEN SELECT 1")


def test_create_warehouse_needs_the_manifest_to_request_it(conn, tmp_path):
    setup = "CREATE WAREHOUSE IF NOT EXISTS app_wh WAREHOUSE_SIZE = 'XSMALL';\n"
    fails(
        conn,
        f"CREATE APPLICATION {app_name()} USING 'file://{stage(tmp_path, setup, privileges=('EXECUTE TASK',))}'",
        "runs CREATE WAREHOUSE, which needs CREATE WAREHOUSE",
        "the manifest does not request it",
    )
    install(conn, app_name(), stage(tmp_path, setup, privileges=("CREATE WAREHOUSE",)))  # auto-granted (v2)
    assert run(conn, f"SELECT 1 FROM {CAT}.OBJECTS WHERE KIND = 'WAREHOUSE' AND NAME = 'APP_WH'")
    run(conn, "CREATE WAREHOUSE IF NOT EXISTS outside_wh")


def test_tasks_need_execute_task_and_serverless_ones_execute_managed_task(conn, tmp_path):
    setup = (
        "CREATE SCHEMA IF NOT EXISTS ops;\nCREATE OR REPLACE TABLE ops.log (n INT);\n"
        "CREATE OR REPLACE TASK ops.t SCHEDULE = '60 MINUTE' AS INSERT INTO ops.log SELECT 1;\n"
        "ALTER TASK ops.t RESUME;\n"
    )
    fails(
        conn,
        f"CREATE APPLICATION {app_name()} USING 'file://{stage(tmp_path, setup, privileges=('EXECUTE TASK',))}'",
        "statement 3 (CREATE OR REPLACE TASK",
        "needs EXECUTE MANAGED TASK",
    )
    root = stage(tmp_path, setup, privileges=("EXECUTE MANAGED TASK",))
    fails(conn, f"CREATE APPLICATION {app_name()} USING 'file://{root}'", "statement 4 (ALTER TASK", "EXECUTE TASK")
    install(conn, app_name(), stage(tmp_path, setup, privileges=("EXECUTE TASK", "EXECUTE MANAGED TASK")))


def test_a_task_of_the_app_runs_its_body_as_the_app(conn, tmp_path):
    name = app_name()
    setup = (
        "CREATE SCHEMA IF NOT EXISTS ops;\n"
        "CREATE OR REPLACE TASK ops.t SCHEDULE = '60 MINUTE' AS CREATE WAREHOUSE IF NOT EXISTS task_wh;\n"
    )
    install(conn, name, stage(tmp_path, setup, privileges=("EXECUTE TASK", "EXECUTE MANAGED TASK")))
    run(conn, f"EXECUTE TASK {name}.OPS.T")  # the consumer runs it; the body still runs as the app
    ((state, error),) = run(
        conn, f"SELECT STATE, ERROR_MESSAGE FROM {CAT}.TASK_HISTORY WHERE NAME = %s", (f"{name}.OPS.T",)
    )
    assert state == "FAILED" and "needs CREATE WAREHOUSE" in error and "does not request it" in error


def test_the_apps_owners_rights_procedures_run_as_the_app(conn, tmp_path):
    name = app_name()
    setup = (
        "CREATE SCHEMA IF NOT EXISTS core;\n"
        "CREATE OR REPLACE PROCEDURE core.make_wh() RETURNS VARCHAR LANGUAGE PYTHON RUNTIME_VERSION = '3.11' "
        "PACKAGES = ('snowflake-snowpark-python') HANDLER = 'run' AS $$\n"
        "def run(session):\n"
        "    session.sql('CREATE WAREHOUSE IF NOT EXISTS proc_wh').collect()\n"
        "    return 'made'\n$$;\n"
        "CREATE OR REPLACE PROCEDURE core.caller_wh() RETURNS VARCHAR LANGUAGE PYTHON RUNTIME_VERSION = '3.11' "
        "PACKAGES = ('snowflake-snowpark-python') HANDLER = 'run' EXECUTE AS CALLER AS $$\n"
        "def run(session):\n"
        "    session.sql('CREATE WAREHOUSE IF NOT EXISTS caller_wh').collect()\n"
        "    return 'made'\n$$;\n"
        "CREATE OR REPLACE PROCEDURE core.sql_wh() RETURNS VARCHAR LANGUAGE SQL AS $$\n"
        "BEGIN\n    CREATE WAREHOUSE IF NOT EXISTS sql_wh;\nEND;\n$$;\n"
    )
    install(conn, name, stage(tmp_path, setup))
    fails(conn, f"CALL {name}.core.make_wh()", "Application " + name, "needs CREATE WAREHOUSE")
    fails(conn, f"CALL {name}.core.sql_wh()", "statement 1 failed", "needs CREATE WAREHOUSE")
    assert run(conn, f"CALL {name}.core.caller_wh()") == [("made",)]  # caller's rights: the consumer's privileges
    run(conn, "CREATE WAREHOUSE IF NOT EXISTS outside_proc_wh")  # the client session is not the app afterwards


def test_the_manifest_cannot_request_what_no_app_may_hold(conn, tmp_path):
    root = stage(tmp_path, "SELECT 1;\n", privileges=("EXECUTE DATA METRIC FUNCTION",))
    fails(conn, f"CREATE APPLICATION {app_name()} USING 'file://{root}'", "cannot hold", "requesting-privs")


def test_the_setup_script_runs_in_the_apps_database(conn, tmp_path):
    name = app_name()
    install(conn, name, stage(tmp_path, "CREATE SCHEMA s;\nCREATE TABLE s.here AS SELECT CURRENT_DATABASE() AS db;\n"))
    assert run(conn, f"SELECT db FROM {name}.S.HERE") == [(name,)]
    fails(conn, f"CREATE APPLICATION {name} USING 'file://{tmp_path}'", "already exists")


# EXECUTE IMMEDIATE FROM ---------------------------------------------------------------------------
def test_execute_immediate_from_nested_and_a_missing_file(conn, tmp_path):
    name = app_name()
    files = {
        "sql/a.sql": "CREATE SCHEMA IF NOT EXISTS s;\nEXECUTE IMMEDIATE FROM '/sql/nested/b.sql';\n",
        "sql/nested/b.sql": "CREATE TABLE s.b (id INT);\n",
    }
    install(conn, name, stage(tmp_path, "EXECUTE IMMEDIATE FROM '/sql/a.sql';\n", files=files))
    assert run(conn, f"SELECT COUNT(*) FROM {name}.S.B") == [(0,)]
    files["sql/nested/b.sql"] = "EXECUTE IMMEDIATE FROM '/sql/missing.sql';\n"
    fails(
        conn,
        f"CREATE APPLICATION {app_name()} USING 'file://{stage(tmp_path, eif('/sql/a.sql'), files=files)}'",
        "/sql/nested/b.sql statement 1",
        "File '/sql/missing.sql' does not exist on the stage",
    )
    fails(conn, "EXECUTE IMMEDIATE FROM '/sql/a.sql'", "only in an application's setup script")
    fails(
        conn,
        f"CREATE APPLICATION {app_name()} USING 'file://{stage(tmp_path, eif('/../x.sql'))}'",
        "outside the application stage",
    )


def test_execute_immediate_from_refuses_templates_in_a_setup_script(conn, tmp_path):
    """Snowflake renders a Jinja2 file in EXECUTE IMMEDIATE FROM, but the Native App pages do not say a setup script
    may; the app renders its templates in procedures, and the local install refuses a template so none creeps in."""
    files = {
        "sql/using.sql": "CREATE TABLE s.{{ prefix }} (id INT);\n",
        "sql/directive.sql": "--!jinja\nCREATE TABLE s.{{ 'from_directive' }} (id INT);\n",
        "sql/plain.sql": (
            "CREATE SCHEMA IF NOT EXISTS s;\nCREATE TABLE s.plain (x VARCHAR DEFAULT '{{ not rendered }}');\n"
        ),
    }
    for statement in ("EXECUTE IMMEDIATE FROM '/sql/using.sql' USING (prefix => 'wh')", eif("/sql/directive.sql")):
        setup = statement if statement.endswith("\n") else statement + ";\n"
        fails(
            conn,
            f"CREATE APPLICATION {app_name()} USING 'file://{stage(tmp_path, setup, files=files)}'",
            "a Jinja2 template run by a setup script's EXECUTE IMMEDIATE FROM",
        )
    name = app_name()
    install(conn, name, stage(tmp_path, eif("/sql/plain.sql"), files=files))  # a plain file is run as written
    (default,) = run(
        conn,
        f"SELECT column_default FROM {name}.information_schema.columns WHERE table_schema = 'S' "
        "AND table_name = 'PLAIN'",
    )[0]
    assert "{{ not rendered }}" in default


# versioned schema, specifications, Streamlit ------------------------------------------------------
def test_versioned_schema_is_recorded_and_only_for_apps(conn, tmp_path):
    name = app_name()
    setup = "CREATE OR ALTER VERSIONED SCHEMA core;\n" * 2 + "CREATE TABLE core.t (i INT);\n"
    install(conn, name, stage(tmp_path, setup))
    (props,) = run(conn, f"SELECT PROPERTIES FROM {CAT}.OBJECTS WHERE KIND = 'SCHEMA' AND NAME = %s", (f"{name}.CORE",))
    assert json.loads(props[0])["VERSIONED"] is True
    fails(conn, "CREATE OR ALTER VERSIONED SCHEMA OUTSIDE.CORE", "only allowed in an application's setup script")


def spec_rows(conn, name: str) -> list[tuple]:
    cur = conn.cursor(snowflake.connector.DictCursor)
    cur.execute(f"SHOW SPECIFICATIONS IN APPLICATION {name}")
    return [(r["name"], r["sequence_number"], r["status"], r["label"], json.loads(r["definition"])) for r in cur]


def test_specification_sequence_number_and_approval(conn, tmp_path):
    name = app_name()
    spec = (
        "ALTER APPLICATION SET SPECIFICATION egress TYPE = EXTERNAL_ACCESS LABEL = '{label}' "
        "DESCRIPTION = 'Calls the API' HOST_PORTS = ({hosts});\n"
    )
    hosts = "'api.example.com'"
    install(conn, name, root := stage(tmp_path, spec.format(label="API", hosts=hosts)))
    definition = {"HOST_PORTS": ["api.example.com"]}
    assert spec_rows(conn, name) == [("EGRESS", 1, "PENDING", "API", definition)]
    approve = f"ALTER APPLICATION {name} APPROVE SPECIFICATION egress SEQUENCE_NUMBER ="
    fails(conn, f"{approve} 2", "SEQUENCE_NUMBER 1, not 2")
    run(conn, f"{approve} 1")
    # an upgrade with the same definition keeps the number and the approval; so does a new LABEL
    (root / "setup_script.sql").write_text(spec.format(label="WHOOP API", hosts=hosts))
    run(conn, f"ALTER APPLICATION {name} UPGRADE")
    assert spec_rows(conn, name) == [("EGRESS", 1, "APPROVED", "WHOOP API", definition)]
    # a changed HOST_PORTS is a new definition: sequence 2, waiting for the consumer again
    (root / "setup_script.sql").write_text(spec.format(label="WHOOP API", hosts=hosts + ", 'auth.example.com'"))
    run(conn, f"ALTER APPLICATION {name} UPGRADE USING 'file://{root}'")
    rows = spec_rows(conn, name)
    assert [r[:3] for r in rows] == [("EGRESS", 2, "PENDING")]
    assert rows[0][4] == {"HOST_PORTS": ["api.example.com", "auth.example.com"]}
    run(conn, f"ALTER APPLICATION {name} DECLINE SPECIFICATION egress SEQUENCE_NUMBER = 2")
    assert spec_rows(conn, name)[0][2] == "DECLINED"
    # TYPE is immutable; the app cannot approve itself; nobody outside an app sets a specification
    (root / "setup_script.sql").write_text(
        "ALTER APPLICATION SET SPECIFICATION egress TYPE = SECURITY_INTEGRATION LABEL = 'x' OAUTH_TYPE = "
        "'AUTHORIZATION_CODE' OAUTH_TOKEN_ENDPOINT = 'https://x/token';"
    )
    fails(conn, f"ALTER APPLICATION {name} UPGRADE", "TYPE cannot change")
    (root / "setup_script.sql").write_text(f"{approve} 2;")
    fails(conn, f"ALTER APPLICATION {name} UPGRADE", "cannot approve its own specifications")
    fails(conn, spec.format(label="x", hosts=hosts), "only allowed in an application's setup script")


def test_streamlit_needs_its_folder_and_main_file_on_the_stage(conn, tmp_path):
    setup = (
        "CREATE SCHEMA IF NOT EXISTS core;\n"
        "CREATE OR REPLACE STREAMLIT core.dashboard FROM '/streamlit/' MAIN_FILE = 'app.py' TITLE = 'Dash';\n"
        "GRANT USAGE ON STREAMLIT core.dashboard TO APPLICATION ROLE app_viewer;\n"
    )
    roles = "CREATE APPLICATION ROLE IF NOT EXISTS app_viewer;\n"
    fails(
        conn,
        f"CREATE APPLICATION {app_name()} USING 'file://{stage(tmp_path, roles + setup, {}, {'streamlit/x.py': ''})}'",
        "main file 'app.py' does not exist in '/streamlit/'",
    )
    fails(
        conn,
        f"CREATE APPLICATION {app_name()} USING 'file://{stage(tmp_path, roles + setup)}'",
        "folder '/streamlit/' does not exist",
    )
    name = app_name()
    install(conn, name, stage(tmp_path, roles + setup, files={"streamlit/app.py": "import streamlit"}))
    where = "KIND = 'STREAMLIT' AND NAME = %s"
    (props,) = run(conn, f"SELECT PROPERTIES FROM {CAT}.OBJECTS WHERE {where}", (f"{name}.CORE.DASHBOARD",))
    assert json.loads(props[0])["MAIN_FILE"] == "app.py"


def test_an_app_procedure_reads_its_imports_from_the_import_directory(conn, tmp_path):
    """IMPORTS files of an app procedure come from the app's stage into sys._xoptions['snowflake_import_directory'],
    only those it names; a stage file it does not import is not there."""
    name = app_name()
    body = (
        "import os, sys\n"
        "def run(session):\n"
        "    d = sys._xoptions['snowflake_import_directory']\n"
        "    return ','.join(sorted(os.listdir(d))) + ':' + open(d + 'one.sql').read().strip()\n"
    )
    setup = (
        "CREATE SCHEMA IF NOT EXISTS core;\n"
        "CREATE OR REPLACE PROCEDURE core.read_one() RETURNS VARCHAR LANGUAGE PYTHON RUNTIME_VERSION = '3.11' "
        f"PACKAGES = ('snowflake-snowpark-python') IMPORTS = ('/sql/one.sql') HANDLER = 'run' AS $$\n{body}$$;\n"
        "CREATE OR REPLACE PROCEDURE core.read_gone() RETURNS VARCHAR LANGUAGE PYTHON RUNTIME_VERSION = '3.11' "
        f"PACKAGES = ('snowflake-snowpark-python') IMPORTS = ('/sql/gone.sql') HANDLER = 'run' AS $$\n{body}$$;\n"
    )
    install(conn, name, stage(tmp_path, setup, files={"sql/one.sql": "SELECT 1;\n", "sql/two.sql": "SELECT 2;\n"}))
    assert run(conn, f"CALL {name}.core.read_one()") == [("one.sql:SELECT 1;",)]
    fails(conn, f"CALL {name}.core.read_gone()", "IMPORTS file '/sql/gone.sql' does not exist")


def test_what_neither_the_product_nor_a_test_uses_fails_as_not_emulated(conn, tmp_path):
    """The statement shapes read only what the install uses; a clause beyond them is refused by name, never read
    as part of a name (`IF` is no application or Streamlit name)."""
    name = app_name()
    root = stage(tmp_path, "CREATE SCHEMA IF NOT EXISTS core;\n", files={"streamlit/app.py": ""})
    fails(conn, f"CREATE APPLICATION IF NOT EXISTS {name} USING 'file://{root}'", "does not support CREATE APPLICATION")
    install(conn, name, root)
    fails(conn, f"DROP STREAMLIT IF EXISTS {name}.core.dashboard", "does not support DROP STREAMLIT")
    streamlit = "CREATE STREAMLIT IF NOT EXISTS core.dashboard FROM '/streamlit/' MAIN_FILE = 'app.py';\n"
    fails(conn, f"CREATE APPLICATION {app_name()} USING 'file://{stage(tmp_path, streamlit)}'", "does not support")
