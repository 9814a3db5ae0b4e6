"""The layer in process, without HTTP: statement in, plan or catalog rows out, one test per handler module.

The engine runs on an in-memory fakesnow; these are the fast checks of each module's job (the HTTP tests beside
them check the same statements through real clients).
"""

from __future__ import annotations

import ast
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from fakesnow.instance import FakeSnow

from infra.local.warehouse import fakesnow_fixes, handlers
from infra.local.warehouse.base import LocalSession
from infra.local.warehouse.engine import Engine
from infra.local.warehouse.errors import LocalSqlError
from infra.local.warehouse.options import parse_properties, redact
from infra.local.warehouse.show import show_select

PACKAGE = Path(__file__).resolve().parents[2] / "infra" / "local" / "warehouse"
CAT = "WHOOP_LOCAL.CATALOG"


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Engine:
    fakesnow_fixes.apply()
    engine = Engine(FakeSnow(), base_url=lambda: "http://127.0.0.1:9", data_dir=tmp_path_factory.mktemp("wh"))
    handlers.register_all(engine)
    return engine


@pytest.fixture(scope="module")
def session(engine: Engine) -> Iterator[LocalSession]:
    s = engine.internal_session(None, None, "test")
    for sql in ("CREATE DATABASE APP", "CREATE SCHEMA APP.CORE", "USE SCHEMA APP.CORE", "CREATE TABLE T (ID INT)"):
        engine.execute(s, sql)
    yield s
    s.conn.close()


def catalog(engine: Engine, sql: str) -> list[tuple]:
    return engine.catalog.query(sql)


def test_no_import_inside_a_function_and_no_module_but_the_server_imports_the_engine():
    local_imports = []
    for path in PACKAGE.glob("*.py"):
        for fn in (n for n in ast.walk(ast.parse(path.read_text())) if isinstance(n, ast.FunctionDef)):
            for node in ast.walk(fn):
                if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("infra.local.warehouse"):
                    local_imports.append(f"{path.name}:{fn.name}")
    assert local_imports == []
    # no cycle: handler modules name the engine for type checking only, and the engine registers no handler
    runtime_engine_imports = [
        path.name
        for path in PACKAGE.glob("*.py")
        for node in ast.parse(path.read_text()).body
        if isinstance(node, ast.ImportFrom) and node.module == "infra.local.warehouse.engine"
    ]
    assert runtime_engine_imports == ["server.py"]
    assert "import handlers" not in (PACKAGE / "engine.py").read_text()


def test_options_parse_values_and_redact_sensitive_ones():
    text = "TYPE = password USERNAME = 'u' PASSWORD = 'it''s' ALLOWED = (a.b, 'c') COMMENT = $$x$$"
    assert parse_properties(text) == {
        "TYPE": "PASSWORD",
        "USERNAME": "u",
        "PASSWORD": "it's",
        "ALLOWED": ["A.B", "c"],
        "COMMENT": "x",
    }
    assert redact(text) == "TYPE = password USERNAME = 'u' PASSWORD = '***' ALLOWED = (a.b, 'c') COMMENT = $$x$$"


def test_account_objects_create_records_redacted_and_secret_store_keeps_the_value(engine, session):
    engine.execute(session, "CREATE SECRET S1 TYPE = GENERIC_STRING SECRET_STRING = 'Val-123-Secret'")
    [(props, definition)] = catalog(
        engine, f"SELECT PROPERTIES, DEFINITION FROM {CAT}.OBJECTS WHERE NAME = 'APP.CORE.S1'"
    )
    assert json.loads(props)["SECRET_STRING"] == "***" and "Val-123" not in definition
    assert engine.secrets.get("SECRET:APP.CORE.S1")["secret_string"] == "Val-123-Secret"
    assert (engine.data_dir / "secrets.json").stat().st_mode & 0o777 == 0o600
    with pytest.raises(LocalSqlError, match="already exists"):
        engine.execute(session, "CREATE SECRET S1 TYPE = GENERIC_STRING SECRET_STRING = 'x'")


def test_grants_fill_the_grants_table(engine, session):
    engine.execute(session, "CREATE ROLE R1")
    engine.execute(session, "GRANT SELECT ON TABLE T TO ROLE R1")
    rows = catalog(
        engine, f"SELECT PRIVILEGE, GRANTED_ON, OBJECT_NAME, GRANTEE_NAME, WITH_GRANT_OPTION FROM {CAT}.GRANTS"
    )
    assert ("SELECT", "TABLE", "APP.CORE.T", "R1", False) in rows


def test_policies_attach_row_access_policies(engine, session):
    engine.execute(session, "CREATE ROW ACCESS POLICY P1 AS (v INT) RETURNS BOOLEAN -> v > 0")
    engine.execute(session, "ALTER TABLE T ADD ROW ACCESS POLICY P1 ON (ID)")
    refs = catalog(engine, f"SELECT POLICY_NAME, REF_OBJECT, REF_COLUMNS FROM {CAT}.POLICY_REFERENCES")
    assert refs == [("APP.CORE.P1", "APP.CORE.T", "ID")]


def test_session_params_record_use_warehouse(engine, session):
    engine.execute(session, "USE WAREHOUSE WH_X")
    rows = catalog(engine, f"SELECT VALUE FROM {CAT}.SESSION_PARAMETERS WHERE NAME = 'WAREHOUSE'")
    assert ("WH_X",) in rows and session.warehouse == "WH_X"


def test_show_renders_only_the_columns_read(engine, session):
    rows = engine.execute(session, "SHOW SECRETS LIKE 'S1'")
    assert [r[1:4] for r in rows] == [("S1", "APP", "CORE")]
    assert show_select([("name", "VARCHAR")], []) == 'SELECT CAST(NULL AS VARCHAR) AS "name" WHERE FALSE'


def test_alerts_run_the_action_when_the_condition_has_rows(engine, session):
    engine.execute(session, "CREATE ALERT A1 SCHEDULE = '1 MINUTE' IF (EXISTS (SELECT 1 FROM T)) THEN SELECT 1")
    engine.execute(session, "EXECUTE ALERT A1")
    engine.execute(session, "INSERT INTO T VALUES (1)")
    engine.execute(session, "EXECUTE ALERT A1")
    states = catalog(
        engine, f"SELECT STATE FROM {CAT}.ALERT_HISTORY WHERE NAME = 'APP.CORE.A1' ORDER BY COMPLETED_TIME"
    )
    assert states == [("CONDITION_FALSE",), ("TRIGGERED",)]


def test_the_engine_plans_unknown_ddl_as_an_error_and_plain_sql_unchanged(engine, session):
    with pytest.raises(LocalSqlError, match="does not support CREATE PIPE"):
        engine.plan(session, "CREATE PIPE p AS COPY INTO t FROM @s")
    assert engine.plan(session, "SELECT 1 -- note").sql == "SELECT 1 -- note"


def test_dynamic_table_options_are_read_by_sqlglot_not_found_inside_a_comment(engine, session):
    engine.execute(
        session,
        "CREATE DYNAMIC TABLE D1 (X) COMMENT = 'TARGET_LAG = 5 days' TARGET_LAG = '1 hour' WAREHOUSE = WH "
        "REFRESH_MODE = FULL AS SELECT ID FROM T",
    )
    sql = f"SELECT TARGET_LAG, REFRESH_MODE, WAREHOUSE, DEPENDS_ON FROM {CAT}.DYNAMIC_TABLES WHERE NAME = 'APP.CORE.D1'"
    assert catalog(engine, sql) == [("1 hour", "FULL", "WH", '["APP.CORE.T"]')]


def test_procedure_options_are_read_by_sqlglot_not_found_inside_a_comment(engine, session):
    engine.execute(
        session,
        "CREATE PROCEDURE P1(A VARCHAR) RETURNS VARCHAR LANGUAGE PYTHON RUNTIME_VERSION = '3.11' "
        "COMMENT = 'HANDLER = old.fn' PACKAGES = ('snowflake-snowpark-python') HANDLER = 'run' "
        "AS $$\ndef run(session, a):\n    return a\n$$",
    )
    sql = f"SELECT HANDLER, RUNTIME_VERSION, PACKAGES FROM {CAT}.PROCEDURES WHERE NAME = 'APP.CORE.P1'"
    assert catalog(engine, sql) == [("run", "3.11", "('snowflake-snowpark-python')")]


def test_routine_kinds_answer_drop_if_exists_of_a_missing_object_as_snowflake_does(engine, session):
    for kind in ("STREAM", "TASK", "DYNAMIC TABLE"):
        assert engine.execute(session, f"DROP {kind} IF EXISTS NO_SUCH") == [
            ("Drop statement executed successfully (NO_SUCH already dropped).",)
        ]
        with pytest.raises(LocalSqlError, match=r"'APP\.CORE\.NO_SUCH' does not exist or not authorized"):
            engine.execute(session, f"DROP {kind} NO_SUCH")


def test_alter_of_a_routine_leaves_tags_to_governance_and_fails_on_actions_not_emulated(engine, session):
    engine.execute(session, "CREATE TAG ROUTINE_TAG")
    engine.execute(session, "CREATE DYNAMIC TABLE D2 TARGET_LAG = '1 hour' WAREHOUSE = WH AS SELECT ID FROM T")
    engine.execute(session, "ALTER DYNAMIC TABLE D2 MODIFY COLUMN ID SET TAG ROUTINE_TAG = 'gold'")
    refs = catalog(engine, f"SELECT TAG_VALUE FROM {CAT}.TAG_REFERENCES WHERE OBJECT_NAME = 'APP.CORE.D2'")
    assert refs == [("gold",)]
    engine.execute(session, "CREATE TASK K1 SCHEDULE = '1 MINUTE' AS SELECT 1")
    for action in ("SET SCHEDULE = '2 MINUTE'", "MODIFY WHEN TRUE"):  # once recorded, though nothing used them
        with pytest.raises(LocalSqlError, match="does not support ALTER TASK"):
            engine.execute(session, f"ALTER TASK K1 {action}")


def test_a_procedure_argument_type_may_hold_parentheses(engine, session):
    engine.execute(
        session,
        "CREATE PROCEDURE P2(AMOUNT NUMBER(10,2), NOTE VARCHAR DEFAULT 'x') RETURNS VARCHAR LANGUAGE PYTHON "
        "RUNTIME_VERSION = '3.11' HANDLER = 'run' AS $$\ndef run(session, amount, note):\n    return note\n$$",
    )
    sql = f"SELECT ARG_TYPES, ARG_NAMES FROM {CAT}.PROCEDURES WHERE NAME = 'APP.CORE.P2'"
    assert catalog(engine, sql) == [("NUMBER(10,2),VARCHAR", '[["AMOUNT", null], ["NOTE", "\'x\'"]]')]
