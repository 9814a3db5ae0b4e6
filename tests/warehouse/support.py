"""Helpers the warehouse tests share: a cursor on a prepared schema, a statement's rows, an expected refusal."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import snowflake.connector

from tests.conftest import connect


@contextmanager
def prepared(warehouse: dict, schema: str | None, *setup: str, **connect_args: Any) -> Iterator[Any]:
    """A cursor on a new connection in `schema` ("DB.SCHEMA", or None for none) after running `setup`; closed after."""
    if schema:
        connect_args["database"], connect_args["schema"] = schema.split(".")
    conn = connect(warehouse, **connect_args)
    try:
        cur = conn.cursor()
        for sql in setup:
            cur.execute(sql)
        yield cur
    finally:
        conn.close()


def cursor_fixture(schema: str | None, *setup: str) -> Any:
    """A `cur` fixture, new for each test: a cursor in `schema` after running `setup`."""

    @pytest.fixture(name="cur")
    def cur(warehouse: dict) -> Iterator[Any]:
        with prepared(warehouse, schema, *setup) as c:
            yield c

    return cur


def _cursor(target: Any) -> Any:
    """`target` itself when it is a cursor, else a new cursor on the connection it is."""
    return target.cursor() if isinstance(target, snowflake.connector.SnowflakeConnection) else target


def rows(target: Any, sql: str, params: Any = None) -> list[tuple]:
    """The rows `sql` returns ([] for a statement without a result) on a cursor or a connection."""
    cur = _cursor(target)
    cur.execute(sql, params)
    return cur.fetchall() if cur.description else []


def fails(target: Any, sql: str, *fragments: str) -> str:
    """The message (whitespace collapsed) of the error Snowflake would raise for `sql`; it must hold each fragment."""
    with pytest.raises(snowflake.connector.ProgrammingError) as info:
        _cursor(target).execute(sql)
    message = " ".join(str(info.value).split())
    for fragment in fragments:
        assert fragment in message, message
    return message


def slow_procedure(name: str, table: str, seconds: int) -> str:
    """A Python procedure that inserts a row into `table`, then sleeps: a run still going when the test acts."""
    return (
        f"CREATE OR REPLACE PROCEDURE {name}() RETURNS VARCHAR LANGUAGE PYTHON RUNTIME_VERSION = '3.11' "
        "PACKAGES = ('snowflake-snowpark-python') HANDLER = 'run' AS $$\n"
        f"import time\ndef run(session):\n    session.sql('INSERT INTO {table} VALUES (1)').collect()\n"
        f"    time.sleep({seconds})\n    return 'done'\n$$"
    )
