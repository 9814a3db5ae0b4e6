"""Tasks: graphs run in dependency order from EXECUTE TASK, WHEN gates, history, suspend/resume."""

from __future__ import annotations

import time

from tests.conftest import connect
from tests.warehouse.support import cursor_fixture, fails, prepared, rows, slow_procedure

TASKS = ("ROOT_T", "CHILD_A", "CHILD_B", "GRANDCHILD", "GATED", "BROKEN", "AFTER_BROKEN", "FINAL")


cur = cursor_fixture(
    "TASKS_DB.S",
    *(f"DROP TASK IF EXISTS {t}" for t in TASKS),
    "CREATE OR REPLACE TABLE LOG (STEP VARCHAR, AT_SEQ INT)",
    "CREATE OR REPLACE SEQUENCE SEQ",
    "CREATE OR REPLACE TABLE SRC (ID INT)",
    "CREATE OR REPLACE STREAM SRC_S ON TABLE SRC APPEND_ONLY = TRUE",
)


def make_graph(c):
    c.execute(
        "CREATE TASK ROOT_T WAREHOUSE = WH SCHEDULE = 'USING CRON 0 * * * * UTC' "
        "AS INSERT INTO LOG SELECT 'root', SEQ.NEXTVAL"
    )
    c.execute("CREATE TASK CHILD_A AFTER ROOT_T AS INSERT INTO LOG SELECT 'a', SEQ.NEXTVAL")
    c.execute("CREATE TASK CHILD_B AFTER ROOT_T AS INSERT INTO LOG SELECT 'b', SEQ.NEXTVAL")
    c.execute("CREATE TASK GRANDCHILD AFTER CHILD_A, CHILD_B AS INSERT INTO LOG SELECT 'g', SEQ.NEXTVAL")
    for t in ("CHILD_A", "CHILD_B", "GRANDCHILD"):
        c.execute(f"ALTER TASK {t} RESUME")


def test_execute_task_runs_graph_in_dependency_order(cur):
    make_graph(cur)
    assert rows(cur, "EXECUTE TASK ROOT_T") == [("Task ROOT_T is scheduled to run immediately.",)]
    steps = [r[0] for r in rows(cur, "SELECT STEP FROM LOG ORDER BY AT_SEQ")]
    assert steps[0] == "root" and steps[-1] == "g" and sorted(steps[1:3]) == ["a", "b"]
    history = rows(
        cur,
        "SELECT NAME, STATE FROM WHOOP_LOCAL.CATALOG.TASK_HISTORY WHERE ROOT_TASK = 'TASKS_DB.S.ROOT_T' ORDER BY NAME",
    )
    assert {n.split(".")[-1]: s for n, s in history} == {
        "CHILD_A": "SUCCEEDED",
        "CHILD_B": "SUCCEEDED",
        "GRANDCHILD": "SUCCEEDED",
        "ROOT_T": "SUCCEEDED",
    }


def test_suspended_child_does_not_run(cur):
    make_graph(cur)
    cur.execute("ALTER TASK CHILD_B SUSPEND")
    cur.execute("EXECUTE TASK ROOT_T")
    steps = sorted(r[0] for r in rows(cur, "SELECT STEP FROM LOG"))
    # GRANDCHILD waits for CHILD_B, which did not run in this graph run
    assert steps == ["a", "g", "root"] or steps == ["a", "root"]
    assert "b" not in steps


def test_when_condition_gates_on_stream_data(cur):
    cur.execute(
        "CREATE TASK GATED SCHEDULE = '5 MINUTE' WHEN SYSTEM$STREAM_HAS_DATA('SRC_S') "
        "AS INSERT INTO LOG SELECT 'gated:' || COUNT(*), SEQ.NEXTVAL FROM SRC_S"
    )
    cur.execute("EXECUTE TASK GATED")
    assert rows(cur, "SELECT COUNT(*) FROM LOG") == [(0,)]
    last = rows(
        cur,
        "SELECT STATE, ERROR_MESSAGE FROM WHOOP_LOCAL.CATALOG.TASK_HISTORY "
        "WHERE NAME = 'TASKS_DB.S.GATED' ORDER BY COMPLETED_TIME DESC LIMIT 1",
    )
    assert last == [("SKIPPED", "WHEN condition was false")]
    cur.execute("INSERT INTO SRC VALUES (1), (2)")
    cur.execute("EXECUTE TASK GATED")
    assert rows(cur, "SELECT STEP FROM LOG") == [("gated:2",)]
    assert rows(cur, "SELECT SYSTEM$STREAM_HAS_DATA('SRC_S')") == [(False,)]


def test_failed_task_is_recorded_and_successors_skipped(cur):
    cur.execute("CREATE TASK BROKEN SCHEDULE = '1 MINUTE' AS INSERT INTO NO_SUCH_TABLE SELECT 1")
    cur.execute("CREATE TASK AFTER_BROKEN AFTER BROKEN AS INSERT INTO LOG SELECT 'x', 1")
    cur.execute("ALTER TASK AFTER_BROKEN RESUME")
    cur.execute("EXECUTE TASK BROKEN")
    states = dict(
        rows(cur, "SELECT NAME, STATE FROM WHOOP_LOCAL.CATALOG.TASK_HISTORY WHERE ROOT_TASK = 'TASKS_DB.S.BROKEN'")
    )
    assert states == {"TASKS_DB.S.BROKEN": "FAILED", "TASKS_DB.S.AFTER_BROKEN": "SKIPPED"}
    assert rows(cur, "SELECT COUNT(*) FROM LOG") == [(0,)]


def test_finalizer_runs_last_whatever_the_other_tasks_did(cur):
    # a child skipped by its WHEN skips its successors, but the finalizer still runs, after everything else
    cur.execute("CREATE TASK BROKEN SCHEDULE = '1 MINUTE' AS INSERT INTO LOG SELECT 'root', SEQ.NEXTVAL")
    cur.execute(
        "CREATE TASK GATED AFTER BROKEN WHEN SYSTEM$STREAM_HAS_DATA('SRC_S') AS INSERT INTO LOG SELECT 'g', SEQ.NEXTVAL"
    )
    cur.execute("CREATE TASK AFTER_BROKEN AFTER GATED AS INSERT INTO LOG SELECT 'after', SEQ.NEXTVAL")
    cur.execute("CREATE TASK FINAL FINALIZE = BROKEN AS INSERT INTO LOG SELECT 'final', SEQ.NEXTVAL")
    for t in ("GATED", "AFTER_BROKEN"):
        cur.execute(f"ALTER TASK {t} RESUME")
    cur.execute("EXECUTE TASK BROKEN")
    assert [r[0] for r in rows(cur, "SELECT STEP FROM LOG ORDER BY AT_SEQ")] == ["root"]  # finalizer suspended
    cur.execute("ALTER TASK FINAL RESUME")
    cur.execute("EXECUTE TASK BROKEN")
    assert [r[0] for r in rows(cur, "SELECT STEP FROM LOG ORDER BY AT_SEQ")] == ["root", "root", "final"]
    last = rows(
        cur,
        "SELECT NAME, STATE FROM WHOOP_LOCAL.CATALOG.TASK_HISTORY WHERE ROOT_TASK = 'TASKS_DB.S.BROKEN' "
        "QUALIFY RUN_ID = LAST_VALUE(RUN_ID) OVER (ORDER BY COMPLETED_TIME ROWS BETWEEN UNBOUNDED PRECEDING "
        "AND UNBOUNDED FOLLOWING) ORDER BY COMPLETED_TIME",
    )
    assert [(n.split(".")[-1], s) for n, s in last] == [
        ("BROKEN", "SUCCEEDED"),
        ("GATED", "SKIPPED"),
        ("AFTER_BROKEN", "SKIPPED"),
        ("FINAL", "SUCCEEDED"),
    ]
    fails(cur, "EXECUTE TASK FINAL", "not a root task")
    fails(cur, "CREATE TASK BAD_FINAL FINALIZE = BROKEN AFTER GATED AS SELECT 1", "finalizer task cannot have")
    fails(cur, "CREATE TASK BAD_FINAL FINALIZE = NO_SUCH_ROOT AS SELECT 1", "does not exist")


def test_show_alter_drop_and_errors(cur):
    make_graph(cur)
    shown = {r[1]: r for r in rows(cur, "SHOW TASKS")}
    assert shown["ROOT_T"][5] == "USING CRON 0 * * * * UTC" and shown["CHILD_A"][7] == "started"
    assert shown["ROOT_T"][7] == "suspended"
    fails(cur, "EXECUTE TASK CHILD_A", "not a root task")
    fails(cur, "CREATE TASK ROOT_T SCHEDULE = '1 MINUTE' AS SELECT 1", "already exists")
    fails(cur, "CREATE TASK ORPHAN AFTER NO_SUCH_TASK AS SELECT 1", "does not exist")
    fails(cur, "CREATE TASK BAD SCHEDULE = '1 MINUTE' AFTER ROOT_T AS SELECT 1", "both SCHEDULE and AFTER")
    cur.execute("ALTER TASK ROOT_T MODIFY AS INSERT INTO LOG SELECT 'changed', SEQ.NEXTVAL")
    cur.execute("EXECUTE TASK ROOT_T")
    assert ("changed",) in rows(cur, "SELECT STEP FROM LOG")
    cur.execute("DROP TASK GRANDCHILD")
    fails(cur, "DROP TASK GRANDCHILD", "does not exist")
    fails(cur, "EXECUTE TASK NOPE", "does not exist")


def test_a_firing_while_the_previous_run_executes_is_skipped(warehouse):
    import threading

    with prepared(
        warehouse,
        "TASK_DB.S",
        "CREATE OR REPLACE TABLE SLOW_RUNS (N INT)",
        slow_procedure("SLOW", "SLOW_RUNS", seconds=2),
        "CREATE OR REPLACE TASK SLOW_ROOT WAREHOUSE = WH SCHEDULE = '60 MINUTE' AS CALL SLOW()",
    ) as c:
        first = threading.Thread(
            target=lambda: connect(warehouse, database="TASK_DB", schema="S").cursor().execute("EXECUTE TASK SLOW_ROOT")
        )
        first.start()
        time.sleep(0.8)
        c.execute("EXECUTE TASK SLOW_ROOT")  # the first run is still executing
        first.join()
        states = [
            r[0]
            for r in c.execute(
                "SELECT STATE FROM WHOOP_LOCAL.CATALOG.TASK_HISTORY WHERE NAME = 'TASK_DB.S.SLOW_ROOT' "
                "ORDER BY QUERY_START_TIME"
            ).fetchall()
        ]
        assert sorted(states) == ["SKIPPED", "SUCCEEDED"]
        assert c.execute("SELECT COUNT(*) FROM SLOW_RUNS").fetchall() == [(1,)]


def test_return_value_is_what_the_run_set_not_the_body_result(cur):
    """TASK_HISTORY.RETURN_VALUE comes from SYSTEM$SET_RETURN_VALUE, as in Snowflake; a body's own result is not it."""
    cur.execute("CREATE TASK ROOT_T SCHEDULE = '1 MINUTE' AS SELECT 'the body result'")
    cur.execute("CREATE TASK CHILD_A AFTER ROOT_T AS CALL SYSTEM$SET_RETURN_VALUE('set by ' || 'the child')")
    cur.execute("ALTER TASK CHILD_A RESUME")
    cur.execute("EXECUTE TASK ROOT_T")
    values = dict(
        rows(
            cur,
            "SELECT NAME, RETURN_VALUE FROM WHOOP_LOCAL.CATALOG.TASK_HISTORY WHERE RUN_ID = (SELECT MAX_BY(RUN_ID, "
            "QUERY_START_TIME) FROM WHOOP_LOCAL.CATALOG.TASK_HISTORY WHERE NAME = 'TASKS_DB.S.ROOT_T')",
        )
    )
    assert values == {"TASKS_DB.S.ROOT_T": None, "TASKS_DB.S.CHILD_A": "set by the child"}


def test_runtime_info_and_return_value_only_inside_a_task_run(cur):
    fails(cur, "SELECT SYSTEM$TASK_RUNTIME_INFO('CURRENT_TASK_GRAPH_RUN_GROUP_ID')", "only be called in a task run")
    fails(cur, "CALL SYSTEM$SET_RETURN_VALUE('x')", "only be called in a task run")
    # a procedure the task CALLs asks which graph run it is in and sets the task's return value to it (the ingest's way)
    cur.execute(
        "CREATE OR REPLACE PROCEDURE WHICH_RUN() RETURNS VARCHAR LANGUAGE PYTHON RUNTIME_VERSION = '3.11' "
        "PACKAGES = ('snowflake-snowpark-python') HANDLER = 'run' AS $$\n"
        "def run(session):\n"
        "    info = \"SELECT SYSTEM$TASK_RUNTIME_INFO('CURRENT_TASK_GRAPH_RUN_GROUP_ID')\"\n"
        "    graph = session.sql(info).collect()[0][0]\n"
        "    session.sql('CALL SYSTEM$SET_RETURN_VALUE(?)', params=['run ' + graph]).collect()\n"
        "    return graph\n"
        "$$"
    )
    cur.execute("CREATE TASK ROOT_T SCHEDULE = '1 MINUTE' AS CALL WHICH_RUN()")
    cur.execute("EXECUTE TASK ROOT_T")
    ((state, graph_run, returned),) = rows(
        cur,
        "SELECT STATE, GRAPH_RUN_GROUP_ID, RETURN_VALUE FROM TABLE(INFORMATION_SCHEMA.TASK_HISTORY(RESULT_LIMIT => 5)) "
        "WHERE NAME = 'ROOT_T' ORDER BY QUERY_START_TIME DESC LIMIT 1",
    )
    assert state == "SUCCEEDED" and returned == f"run {graph_run}"  # the task history names the same graph run


def test_a_return_value_over_10_kb_fails_the_task(cur):
    cur.execute("CREATE TASK ROOT_T SCHEDULE = '1 MINUTE' AS CALL SYSTEM$SET_RETURN_VALUE(REPEAT('x', 10241))")
    cur.execute("EXECUTE TASK ROOT_T")
    ((state, error),) = rows(
        cur,
        "SELECT STATE, ERROR_MESSAGE FROM WHOOP_LOCAL.CATALOG.TASK_HISTORY WHERE NAME = 'TASKS_DB.S.ROOT_T' "
        "ORDER BY COMPLETED_TIME DESC LIMIT 1",
    )
    assert state == "FAILED" and "10 kB" in error
