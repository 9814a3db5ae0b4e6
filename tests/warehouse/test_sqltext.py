"""sqltext reads statements through sqlglot's tokens: statement text in, parts out (no server)."""

from __future__ import annotations

import pytest

from infra.local.warehouse.errors import LocalSqlError
from infra.local.warehouse.session_context import rewrite
from infra.local.warehouse.sqltext import closing_paren, split_as, split_top_level, strip_comments


def test_comments_go_and_quoted_text_stays():
    assert strip_comments("SELECT 1 /* a 'b */ -- c\n, '--d' FROM t;") == "SELECT 1\n, '--d' FROM t"
    # a quoted identifier is not a comment (the hand scanner cut the statement here)
    assert strip_comments('SELECT "a--b" FROM t -- tail') == 'SELECT "a--b" FROM t'
    # `//` is no comment here: an unquoted PUT path must survive
    assert strip_comments("PUT file:///tmp/x.csv @s -- c") == "PUT file:///tmp/x.csv @s"
    # after a command keyword (CALL, SHOW, EXECUTE) the rest is still read token by token
    assert strip_comments("-- the run's alert\n CALL OPS.ALERT(); -- x") == "CALL OPS.ALERT()"


def test_split_as_skips_strings_identifiers_parentheses_and_dollar_bodies():
    header, body = split_as("(a, b) TARGET_LAG = 'AS' WAREHOUSE = \"MY AS WH\" AS SELECT 1 AS y")
    assert header == "(a, b) TARGET_LAG = 'AS' WAREHOUSE = \"MY AS WH\""
    assert body == "SELECT 1 AS y"
    assert split_as("WAREHOUSE = w AS $$ x AS y $$") == ("WAREHOUSE = w", "$$ x AS y $$")
    with pytest.raises(LocalSqlError, match="Expected AS"):
        split_as("TARGET_LAG = '1 hour'")


def test_split_top_level_and_closing_paren():
    assert split_top_level("a VARCHAR, b NUMBER(3, 2) DEFAULT 'x,y', \"c,d\" INT") == [
        "a VARCHAR",
        " b NUMBER(3, 2) DEFAULT 'x,y'",
        ' "c,d" INT',
    ]
    text = "IF (EXISTS (SELECT ')' FROM t)) THEN x"
    assert text[closing_paren(text, 3) :] == ") THEN x"


def test_context_functions_rewritten_outside_strings_comments_and_qualified_names():
    out = rewrite("SELECT CURRENT_USER(), 'CURRENT_USER()', s.current_user() -- IS_ROLE_IN_SESSION('X')")
    assert out.startswith("SELECT GETVARIABLE('WHOOP_LOCAL_USER'), 'CURRENT_USER()', s.current_user()")
    nested = rewrite("SELECT IS_ROLE_IN_SESSION(UPPER(')'))")
    assert (
        nested == "SELECT COALESCE(CONTAINS(GETVARIABLE('WHOOP_LOCAL_ROLES'), ',' || UPPER(UPPER(')')) || ','), FALSE)"
    )
