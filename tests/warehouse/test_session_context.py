"""The session's identity in the local warehouse: CURRENT_USER(), IS_ROLE_IN_SESSION and
IS_APPLICATION_ROLE_IN_SESSION answer from the login and the role grants (also inside a stored view), and a row
access policy attached to a table or view filters the queries that read it."""

from __future__ import annotations

import pytest

from tests.conftest import connect


def run(conn, sql: str) -> list[tuple]:
    cur = conn.cursor()
    cur.execute(sql)
    return cur.fetchall() if cur.description else []


@pytest.fixture(scope="module")
def setup(warehouse):
    conn = connect(warehouse)
    for sql in (
        "CREATE DATABASE IF NOT EXISTS CTX",
        "CREATE SCHEMA IF NOT EXISTS CTX.S",
        "CREATE ROLE IF NOT EXISTS CTX_COACH",
        "CREATE ROLE IF NOT EXISTS CTX_HEAD",
        "CREATE ROLE IF NOT EXISTS CTX_ADMIN",
        "GRANT ROLE CTX_COACH TO ROLE CTX_HEAD",
        "CREATE APPLICATION ROLE IF NOT EXISTS CTX_APP_VIEWER",
        "CREATE APPLICATION ROLE IF NOT EXISTS CTX_APP_COACH",
        "GRANT APPLICATION ROLE CTX_APP_VIEWER TO APPLICATION ROLE CTX_APP_COACH",
        "GRANT APPLICATION ROLE CTX.CTX_APP_COACH TO ROLE CTX_COACH",
        "CREATE OR REPLACE TABLE CTX.S.ROWS_ (MEMBER VARCHAR, V NUMBER)",
        "INSERT INTO CTX.S.ROWS_ VALUES ('ann', 1), ('bob', 2), ('cat', 3)",
        "CREATE OR REPLACE TABLE CTX.S.MAP (VIEWER VARCHAR, MEMBER VARCHAR)",
        "INSERT INTO CTX.S.MAP VALUES ('COACH_A', 'ann'), ('COACH_A', 'bob'), ('ANN', 'ann')",
        "CREATE OR REPLACE SECURE VIEW CTX.S.WHO AS SELECT CURRENT_USER() AS U, "
        "IS_ROLE_IN_SESSION('CTX_COACH') AS COACH, IS_APPLICATION_ROLE_IN_SESSION('CTX_APP_VIEWER') AS APP_VIEWER",
        "CREATE OR REPLACE SECURE VIEW CTX.S.V_ROWS AS SELECT r.MEMBER, r.V FROM CTX.S.ROWS_ AS r",
        "CREATE OR REPLACE ROW ACCESS POLICY CTX.S.MINE AS (P_MEMBER VARCHAR) RETURNS BOOLEAN -> "
        "IS_ROLE_IN_SESSION('CTX_ADMIN') OR EXISTS (SELECT 1 FROM CTX.S.MAP AS m "
        "WHERE m.MEMBER = P_MEMBER AND m.VIEWER = CURRENT_USER())",
        "ALTER VIEW CTX.S.V_ROWS ADD ROW ACCESS POLICY CTX.S.MINE ON (MEMBER)",
    ):
        run(conn, sql)
    conn.close()
    return warehouse


def as_user(kw: dict, user: str, role: str | None = None):
    extra = {"user": user, "database": "CTX", "schema": "S"}
    if role:
        extra["role"] = role
    return connect(kw, **extra)


def test_context_functions_answer_from_the_login_and_the_grants(setup):
    conn = as_user(setup, "coach_a", "CTX_HEAD")
    try:
        # inherited: CTX_HEAD holds CTX_COACH, which holds the app role CTX_APP_COACH, which holds CTX_APP_VIEWER
        assert run(conn, "SELECT CURRENT_USER(), IS_ROLE_IN_SESSION('ctx_coach'), IS_ROLE_IN_SESSION('CTX_ADMIN')") == [
            ("COACH_A", True, False)
        ]
        assert run(conn, "SELECT U, COACH, APP_VIEWER FROM CTX.S.WHO") == [("COACH_A", True, True)]
        assert run(conn, "SELECT 'CURRENT_USER()' AS T") == [("CURRENT_USER()",)]  # strings are never rewritten
        run(conn, "USE ROLE CTX_ADMIN")
        assert run(conn, "SELECT COACH, APP_VIEWER FROM CTX.S.WHO") == [(False, False)]
    finally:
        conn.close()
    other = as_user(setup, "ann")
    try:  # a view's context functions answer for the session reading it, not the one that created it
        assert run(other, "SELECT U, COACH FROM CTX.S.WHO") == [("ANN", False)]
    finally:
        other.close()


def test_a_session_logged_in_with_an_application_role_holds_it(setup):
    conn = as_user(setup, "athlete", "CTX_APP_COACH")
    try:
        sql = "SELECT IS_APPLICATION_ROLE_IN_SESSION('CTX_APP_VIEWER'), IS_ROLE_IN_SESSION('CTX_COACH')"
        assert run(conn, sql) == [(True, False)]
    finally:
        conn.close()


def test_row_access_policy_filters_each_viewer(setup):
    seen = {}
    for user, role in (("coach_a", None), ("ann", None), ("nobody", None), ("boss", "CTX_ADMIN")):
        conn = as_user(setup, user, role)
        try:
            seen[user] = run(conn, "SELECT v.MEMBER FROM V_ROWS AS v ORDER BY v.MEMBER")
            # joins, CTEs and aggregates read the filtered rows too
            total = run(conn, "WITH x AS (SELECT MEMBER, V FROM CTX.S.V_ROWS) SELECT COALESCE(SUM(V), 0) FROM x")
            assert total[0][0] == sum({"ann": 1, "bob": 2, "cat": 3}[m] for (m,) in seen[user])
        finally:
            conn.close()
    assert seen == {
        "coach_a": [("ann",), ("bob",)],
        "ann": [("ann",)],
        "nobody": [],
        "boss": [("ann",), ("bob",), ("cat",)],
    }


def test_dropping_the_policy_stops_filtering(setup):
    admin = connect(setup)
    conn = as_user(setup, "nobody")
    try:
        run(admin, "ALTER VIEW CTX.S.V_ROWS DROP ALL ROW ACCESS POLICIES")
        assert len(run(conn, "SELECT MEMBER FROM CTX.S.V_ROWS")) == 3
        run(admin, "ALTER VIEW CTX.S.V_ROWS ADD ROW ACCESS POLICY CTX.S.MINE ON (MEMBER)")
        assert run(conn, "SELECT MEMBER FROM CTX.S.V_ROWS") == []
        # a changed body applies to the next query
        run(admin, "ALTER ROW ACCESS POLICY CTX.S.MINE SET BODY -> P_MEMBER = 'cat'")
        assert run(conn, "SELECT MEMBER FROM CTX.S.V_ROWS") == [("cat",)]
    finally:
        conn.close()
        admin.close()
