"""The dispatcher between clients and fakesnow.

Every statement passes through `Engine.plan`: statements of the objects fakesnow lacks (streams,
tasks, dynamic tables, Python procedures, account and governance objects) are handled here and
answered with a small result statement that fakesnow then runs; everything else goes to fakesnow
unchanged, except that DML reading a stream is wrapped so the stream's offset advances only when the
statement commits. A statement neither side knows fails with an error that names it.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fakesnow.dialect import parse_one
from fakesnow.instance import FakeSnow
from sqlglot import exp

from infra.local.warehouse import row_access, session_context, streams
from infra.local.warehouse.application import AppContext, check_privileges
from infra.local.warehouse.base import Handler, LocalSession, Outcome
from infra.local.warehouse.catalog import CATALOG_DB, CATALOG_SCHEMA, Catalog
from infra.local.warehouse.changes import ChangeTracker
from infra.local.warehouse.errors import LocalSqlError
from infra.local.warehouse.secret_store import NamedLocks, SecretStore
from infra.local.warehouse.sqltext import strip_comments

if TYPE_CHECKING:
    from fakesnow.conn import FakeSnowflakeConnection


# DDL passes to fakesnow only for the object kinds fakesnow implements; any other kind that no
# local handler claimed fails with an error naming it, not with a DuckDB parser error.
_DDL_KIND = re.compile(
    r"^(?P<verb>CREATE|ALTER|DROP|UNDROP)\s+(?:OR\s+REPLACE\s+)?(?:OR\s+ALTER\s+)?"
    r"(?:(?:LOCAL|GLOBAL|SECURE|TEMPORARY|TEMP|TRANSIENT|VOLATILE|RECURSIVE)\s+)*"
    r"(?P<kind>[A-Z_]+(?:\s+(?:FORMAT|ROLE|RULE|POLICY|INTEGRATION|MONITOR|TABLE|VIEW))?)\b",
    re.I,
)
_FAKESNOW_KINDS = {"TABLE", "VIEW", "SCHEMA", "DATABASE", "SEQUENCE", "STAGE", "FILE", "TAG", "FUNCTION"}
_COMMAND_HINT = re.compile(r"^(SHOW|DESCRIBE|DESC|GRANT|REVOKE|EXECUTE|CALL|USE)\b", re.I)


_BEGIN = re.compile(r"^(BEGIN(\s+(WORK|TRANSACTION))?|START\s+TRANSACTION)\b(?!.*\bEND\b)", re.I | re.S)
_END = re.compile(r"^(COMMIT|ROLLBACK)\b", re.I)


class Engine:
    def __init__(self, fs: FakeSnow, base_url: Callable[[], str], data_dir: Path | None = None) -> None:
        self.fs = fs
        self.base_url = base_url
        # the warehouse's data directory (parent of fakesnow's db_path); None keeps local state in memory
        self.data_dir = data_dir
        catalog_conn = fs.connect(CATALOG_DB, CATALOG_SCHEMA)
        self.catalog = Catalog(fs.duck_conn)
        catalog_conn.close()
        self._handlers: list[tuple[re.Pattern[str], Handler]] = []
        self._stream_names: set[str] = set()
        self._sessions: dict[str, LocalSession] = {}
        self._app_sessions: dict[str, AppContext] = {}
        self._callers: dict[str, str] = {}  # procedure session -> the session that CALLed it
        self.row_access_cache: dict[str, tuple[str, str, str]] | None = None  # infra/local/warehouse/row_access.py
        self._lock = threading.RLock()
        self.changes = ChangeTracker()
        # what the handlers keep between statements, owned here so each warehouse (tests run several) has its own
        self.secrets = SecretStore(data_dir / "secrets.json" if data_dir is not None else None)
        self.locks = NamedLocks()  # keyed "stream:<fqn>", "oauth:<fqn>"
        self.oauth_flows: dict[str, dict[str, Any]] = {}  # state -> started flow (oauth_flow.py)
        self.handler_mtimes: dict[str, float] = {}  # handler module -> source mtime last loaded (procedures.py)

    # registration ---------------------------------------------------------------------------
    def on(self, pattern: str, handler: Handler) -> None:
        """Route statements whose comment-free text matches `pattern` (case-insensitive) to handler."""
        self._handlers.append((re.compile(pattern, re.I | re.S), handler))

    def watch_stream(self, short_name: str) -> None:
        self._stream_names.add(short_name.upper())

    # sessions -------------------------------------------------------------------------------
    def login(self, session_id: str, conn: FakeSnowflakeConnection, user: str, role: str | None) -> None:
        """A client logged in: its session has the login name and the role the client asked for."""
        s = LocalSession(session_id, conn, user=user)
        if role:
            s.role = role
        with self._lock:
            self._sessions[session_id] = s
        session_context.bind(self, s)

    def session(self, session_id: str, conn: FakeSnowflakeConnection) -> LocalSession:
        with self._lock:
            s = self._sessions.get(session_id)
            if s is None or s.conn is not conn:
                s = self._sessions[session_id] = LocalSession(session_id, conn)
            s.app = self._app_sessions.get(session_id)
            return s

    def run_as_app(self, session_id: str, app: AppContext | None) -> None:
        """Mark a client session (a procedure handler's Snowpark session) as running as an application."""
        with self._lock:
            if app is None:
                self._app_sessions.pop(session_id, None)
            else:
                self._app_sessions[session_id] = app

    def run_for_caller(self, session_id: str, caller_id: str | None) -> None:
        """A procedure handler's Snowpark session belongs to the session that CALLed it: a stored procedure runs in
        its caller's session (e.g. SYSTEM$START_OAUTH_FLOW and FINISH in two CALLs are one session's flow)."""
        with self._lock:
            if caller_id is None:
                self._callers.pop(session_id, None)
            else:
                self._callers[session_id] = caller_id

    def session_identity(self, session_id: str) -> str:
        """The client session a (possibly nested) procedure session runs in."""
        with self._lock:
            seen = set()
            while session_id in self._callers and session_id not in seen:
                seen.add(session_id)
                session_id = self._callers[session_id]
            return session_id

    def forget_session(self, session_id: str) -> None:
        with self._lock:
            self._sessions.pop(session_id, None)

    def internal_session(self, database: str | None, schema: str | None, name: str) -> LocalSession:
        """A session for work the layer itself runs (task bodies, refreshes)."""
        conn = self.fs.connect(database, schema)
        return LocalSession(f"internal:{name}", conn)

    # planning -------------------------------------------------------------------------------
    def plan(self, session: LocalSession, sql: str, params: Any = None) -> Outcome:
        session.pending_params = params
        text = strip_comments(sql)
        if _BEGIN.match(text):
            session.explicit_transaction = True
        elif _END.match(text):
            session.explicit_transaction = False
        self.changes.note(text, session.database, session.schema)
        if session.app is not None:
            # the application may run only what its privileges allow (manifest + consumer grants)
            check_privileges(self, session, text)
        for pattern, handler in self._handlers:
            m = pattern.match(text)
            if m and (outcome := handler(self, session, text, m)) is not None:
                return outcome  # None: a check that passed, the next matching handler runs the statement
        if self._stream_names and self._mentions_stream(text):
            consuming = streams.consuming_outcome(self, session, sql, text)
            if consuming is not None:
                return consuming
        self._reject_unknown(text)
        # what only the session can answer: row access policies (on the objects the query reads) and the context
        # functions (infra/local/warehouse/row_access.py, session_context.py)
        return Outcome(sql=session_context.rewrite(row_access.apply(self, session, sql, text)))

    def _mentions_stream(self, text: str) -> bool:
        upper = text.upper()
        return any(name in upper for name in self._stream_names)

    def _reject_unknown(self, text: str) -> None:
        """Fail clearly on DDL for an object kind neither fakesnow nor this layer knows."""
        m = _DDL_KIND.match(text)
        if m and m["kind"].upper().split()[0] not in _FAKESNOW_KINDS:
            raise LocalSqlError(
                f"The local warehouse does not support {m['verb'].upper()} {m['kind'].upper()} "
                "(see infra/local/README.md for what is emulated)",
                errno=2000,
            )
        if _COMMAND_HINT.match(text):
            try:
                tree = parse_one(text)
            except Exception:  # fakesnow reports syntax errors itself, with its own message
                return
            if isinstance(tree, exp.Command):
                words = " ".join(text.split()[:3]).upper()
                raise LocalSqlError(
                    f"The local warehouse does not support this statement: {words} ... "
                    "(see infra/local/README.md for what is emulated)",
                    errno=2000,
                )

    # execution --------------------------------------------------------------------------------
    def start(self, session: LocalSession, sql: str, params: Any = None) -> Outcome:
        """Plan a statement and run its `before` step; if that fails, its `after` step runs as not ok."""
        outcome = self.plan(session, sql, params)
        if outcome.before:
            try:
                outcome.before()
            except BaseException:
                if outcome.after:
                    outcome.after(False)
                raise
        return outcome

    def execute(self, session: LocalSession, sql: str, params: Any = None) -> list[tuple[Any, ...]]:
        """Run one statement as a client would, with the local layer applied, and return its rows."""
        outcome = self.start(session, sql, params)
        ok = False
        try:
            cur = session.conn.cursor()
            bound = params if outcome.keep_params and params else None
            # positional parameters arrive already decoded, as on the server path
            cur.execute(outcome.sql, binding_params=bound, server=True) if bound else cur.execute(outcome.sql)
            rows = cur.fetchall()
            ok = True
            return rows
        finally:
            if outcome.after:
                outcome.after(ok)
