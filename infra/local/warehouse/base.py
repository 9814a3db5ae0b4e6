"""The types every statement handler shares: the client session, the handler signature and its answer.

Kept apart from engine.py so that handler modules import these, the engine imports the handler modules it
calls, and nothing imports back (handlers are registered explicitly, in handlers.py).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from infra.local.warehouse.sqltext import status_select

if TYPE_CHECKING:
    from fakesnow.conn import FakeSnowflakeConnection

    from infra.local.warehouse.application import AppContext
    from infra.local.warehouse.engine import Engine


@dataclass
class LocalSession:
    """One client session: fakesnow's connection plus what the local layer tracks for it."""

    session_id: str
    conn: FakeSnowflakeConnection
    role: str = "ACCOUNTADMIN"
    warehouse: str | None = None
    parameters: dict[str, str] = field(default_factory=dict)
    # the current statement's bound parameters, for handlers that evaluate expressions (CALL)
    pending_params: Any = None
    # fakesnow tracks BEGIN only with autocommit off, so the layer follows it itself
    explicit_transaction: bool = False
    # set when the session runs as a Native App (its setup script): infra/local/warehouse/application.py
    app: AppContext | None = None
    # the login name a client sent (None for sessions the layer opens itself): infra/local/warehouse/session_context.py
    user: str | None = None

    @property
    def database(self) -> str | None:
        return self.conn.database

    @property
    def schema(self) -> str | None:
        return self.conn.schema


@dataclass
class Outcome:
    """What fakesnow should run for the client, and what to do once it has run."""

    sql: str
    keep_params: bool = True
    before: Callable[[], None] | None = None
    after: Callable[[bool], None] | None = None
    response: dict[str, Any] | None = None  # answered as the statement's `data` instead of running `sql` (GET)


# None: a check that passed; the next matching handler runs the statement (stage_files.py)
Handler = Callable[["Engine", LocalSession, str, re.Match[str]], "Outcome | None"]


def answer(sql: str) -> Outcome:
    """A handled statement's result: `sql` (a SELECT the layer built), run without the client's bindings."""
    return Outcome(sql=sql, keep_params=False)


def ok(message: str = "Statement executed successfully.") -> Outcome:
    """Snowflake's one-row status answer."""
    return answer(status_select(message))
