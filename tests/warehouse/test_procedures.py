"""Python procedures: CALL runs the handler with a Snowpark session on the same warehouse."""

from __future__ import annotations

import json

import pytest
import snowflake.connector

from tests.conftest import connect
from tests.warehouse.support import cursor_fixture, fails, rows, slow_procedure

cur = cursor_fixture(
    "PROC_DB.S",
    "CREATE OR REPLACE TABLE T (ID INT)",
    "CREATE OR REPLACE PROCEDURE ADD_ROWS(TBL VARCHAR, N NUMBER DEFAULT 2) RETURNS NUMBER LANGUAGE PYTHON "
    "RUNTIME_VERSION = '3.11' PACKAGES = ('snowflake-snowpark-python') HANDLER = 'tests.fixtures.procs.add_rows'",
    "CREATE OR REPLACE PROCEDURE ECHO(V VARCHAR) RETURNS VARIANT LANGUAGE PYTHON RUNTIME_VERSION = '3.11' "
    "PACKAGES = ('snowflake-snowpark-python') HANDLER = 'tests.fixtures.procs.echo'",
)


def test_call_runs_handler_against_same_warehouse(cur):
    assert rows(cur, "CALL ADD_ROWS('T', 3)") == [(3,)]
    assert rows(cur, "SELECT COUNT(*) FROM T") == [(3,)]
    assert rows(cur, "CALL ADD_ROWS('T')") == [(5,)]  # default argument
    assert rows(cur, "CALL ADD_ROWS(N => 1, TBL => 'T')") == [(6,)]  # named arguments


def test_variant_result_and_bound_arguments(warehouse, cur):
    (value,) = rows(cur, "CALL ECHO('hello')")[0]
    assert json.loads(value)["value"] == "hello"
    assert "PROC_DB" in json.loads(value)["database"]
    bound = connect(warehouse, database="PROC_DB", schema="S", paramstyle="qmark").cursor()
    (value,) = rows(bound, "CALL ECHO(?)", ["with 'quote' and \\ backslash"])[0]
    assert json.loads(value)["value"] == "with 'quote' and \\ backslash"


def test_inline_python_body(cur):
    cur.execute(
        "CREATE OR REPLACE PROCEDURE SQUARE(X NUMBER) RETURNS NUMBER LANGUAGE PYTHON RUNTIME_VERSION = '3.11' "
        "PACKAGES = ('snowflake-snowpark-python') HANDLER = 'run' AS $$\n"
        "def run(session, x):\n    return int(x) * int(x)\n$$"
    )
    assert rows(cur, "CALL SQUARE(7)") == [(49,)]


def test_equal_arguments_each_reach_the_handler(cur):
    """Two arguments with the same literal value are still two arguments (their evaluation once shared a column
    name, and the handler got one value too few)."""
    cur.execute(
        "CREATE OR REPLACE PROCEDURE JOIN3(A VARCHAR, B VARCHAR, C VARCHAR) RETURNS VARCHAR LANGUAGE PYTHON "
        "RUNTIME_VERSION = '3.11' PACKAGES = ('snowflake-snowpark-python') HANDLER = 'run' "
        "AS $$\ndef run(session, a, b, c):\n    return '|'.join([a, b, c])\n$$"
    )
    assert rows(cur, "CALL JOIN3('coach', 'coach', 'x@example.com')") == [("coach|coach|x@example.com",)]


def test_handler_error_is_a_sql_error_and_recorded(cur):
    cur.execute(
        "CREATE OR REPLACE PROCEDURE FAILS() RETURNS VARCHAR LANGUAGE PYTHON RUNTIME_VERSION = '3.11' "
        "PACKAGES = ('snowflake-snowpark-python') HANDLER = 'tests.fixtures.procs.fail'"
    )
    fails(cur, "CALL FAILS()", "handler failed on purpose")
    assert rows(cur, "SELECT STATE FROM WHOOP_LOCAL.CATALOG.PROCEDURE_CALLS WHERE NAME = 'PROC_DB.S.FAILS'") == [
        ("FAILED",)
    ]


def test_catalog_records_definition(cur):
    cur.execute(
        "CREATE OR REPLACE PROCEDURE WITH_EAI() RETURNS VARCHAR LANGUAGE PYTHON RUNTIME_VERSION = '3.11' "
        "PACKAGES = ('snowflake-snowpark-python', 'requests') HANDLER = 'tests.fixtures.procs.fail' "
        "EXTERNAL_ACCESS_INTEGRATIONS = (WHOOP_EAI) SECRETS = ('cred' = PROC_DB.S.WHOOP_SECRET) EXECUTE AS OWNER"
    )
    (eai, secrets, execute_as) = rows(
        cur,
        "SELECT EXTERNAL_ACCESS_INTEGRATIONS, SECRETS, EXECUTE_AS FROM WHOOP_LOCAL.CATALOG.PROCEDURES "
        "WHERE NAME = 'PROC_DB.S.WITH_EAI'",
    )[0]
    assert "WHOOP_EAI" in eai and json.loads(secrets) == {"cred": "PROC_DB.S.WHOOP_SECRET"} and execute_as == "OWNER"


def test_secrets_reach_the_handler_through_snowflake_module(cur):
    cur.execute("CREATE OR REPLACE SECRET API_KEY TYPE = GENERIC_STRING SECRET_STRING = 'sk-local-123'")
    cur.execute(
        "CREATE OR REPLACE PROCEDURE READ_SECRET() RETURNS VARCHAR LANGUAGE PYTHON RUNTIME_VERSION = '3.11' "
        "PACKAGES = ('snowflake-snowpark-python') HANDLER = 'run' SECRETS = ('key' = API_KEY) AS $$\n"
        "import _snowflake\n"
        "def run(session):\n    return str(len(_snowflake.get_generic_secret_string('key')))\n$$"
    )
    assert rows(cur, "CALL READ_SECRET()") == [("12",)]


def test_unknown_procedure_and_non_python_are_rejected(cur):
    fails(cur, "CALL NOPE(1)", "does not exist")
    fails(cur, "CREATE PROCEDURE JS() RETURNS VARCHAR LANGUAGE JAVASCRIPT AS $$ return 1 $$", "LANGUAGE PYTHON")


def test_sql_procedure_runs_its_statements_in_order(cur):
    cur.execute("CREATE OR REPLACE TABLE SRC (ID INT)")
    cur.execute("INSERT INTO SRC VALUES (1), (2), (3)")
    cur.execute(
        "CREATE OR REPLACE PROCEDURE MOVE_ROWS(MIN_ID NUMBER) RETURNS VARCHAR LANGUAGE SQL AS $$\n"
        "BEGIN\n"
        "    -- copy, then clear: the unit of work a transform procedure runs\n"
        "    INSERT INTO T (ID) SELECT ID FROM SRC WHERE ID >= :MIN_ID;\n"
        "    DELETE FROM SRC WHERE ID >= :MIN_ID;\n"
        "    RETURN 'moved; left ' || (SELECT COUNT(*) FROM SRC);\n"
        "END;\n$$"
    )
    assert rows(cur, "CALL MOVE_ROWS(2)") == [("moved; left 1",)]
    assert rows(cur, "SELECT ID FROM T ORDER BY ID") == [(2,), (3,)]
    assert rows(cur, "SELECT ID FROM SRC") == [(1,)]


def test_sql_procedure_stops_at_the_first_failing_statement(cur):
    cur.execute(
        "CREATE OR REPLACE PROCEDURE HALF_DONE() RETURNS VARCHAR LANGUAGE SQL AS $$\n"
        "BEGIN\n    INSERT INTO T (ID) VALUES (1);\n    INSERT INTO MISSING_TABLE VALUES (1);\n"
        "    INSERT INTO T (ID) VALUES (2);\nEND;\n$$"
    )
    fails(cur, "CALL HALF_DONE()", "HALF_DONE statement 2 failed")
    assert rows(cur, "SELECT ID FROM T") == [(1,)]


@pytest.mark.parametrize(
    "body, message",
    [
        ("SELECT 1;", "BEGIN … END block"),
        ("BEGIN\n DECLARE X NUMBER;\n RETURN 1;\nEND;", "DECLARE is not emulated"),
        ("BEGIN\n RETURN 1;\n SELECT 1;\nEND;", "RETURN is not emulated"),
    ],
)
def test_sql_procedure_outside_the_emulated_subset_is_rejected_at_create(cur, body, message):
    with pytest.raises(snowflake.connector.errors.ProgrammingError, match=message):
        cur.execute(f"CREATE OR REPLACE PROCEDURE BAD() RETURNS VARCHAR LANGUAGE SQL AS $$\n{body}\n$$")


def test_sql_procedure_let_evaluates_once_and_binds(cur):
    """LET runs its expression once: every later statement sees the same value (a run id, not a new one each)."""
    cur.execute("CREATE OR REPLACE TABLE RUN_IDS (ID VARCHAR, N INT)")
    cur.execute(
        "CREATE OR REPLACE PROCEDURE TWO_ROWS(N NUMBER) RETURNS VARCHAR LANGUAGE SQL AS $$\n"
        "BEGIN\n    LET run_id VARCHAR := UUID_STRING();\n    LET doubled := :N * 2;\n"
        "    INSERT INTO RUN_IDS (ID, N) SELECT :run_id, :doubled;\n"
        "    INSERT INTO RUN_IDS (ID, N) SELECT :run_id, :N;\n    RETURN :run_id;\nEND;\n$$"
    )
    (returned,) = rows(cur, "CALL TWO_ROWS(21)")[0]
    assert rows(cur, "SELECT ID, N FROM RUN_IDS ORDER BY N") == [(returned, 21), (returned, 42)]


def test_sql_procedure_unknown_variable(cur):
    cur.execute(
        "CREATE OR REPLACE PROCEDURE UNKNOWN_VAR() RETURNS VARCHAR LANGUAGE SQL AS $$\n"
        "BEGIN\n    INSERT INTO T (ID) SELECT :NOPE;\nEND;\n$$"
    )
    fails(cur, "CALL UNKNOWN_VAR()", "Unknown variable :NOPE")


def test_a_client_retry_of_a_running_statement_does_not_run_it_twice(warehouse, cur):
    # the connector re-sends a statement that outlives its socket timeout, with the same request id
    cur.execute("CREATE OR REPLACE TABLE RUNS (N INT)")
    cur.execute(slow_procedure("SLOW_INSERT", "RUNS", seconds=3))
    impatient = connect(warehouse, database="PROC_DB", schema="S", socket_timeout=1)
    try:
        assert rows(impatient.cursor(), "CALL SLOW_INSERT()") == [("done",)]
    finally:
        impatient.close()
    assert rows(cur, "SELECT COUNT(*) FROM RUNS") == [(1,)]
