"""Python stored procedures.

Local meaning: `CREATE PROCEDURE … LANGUAGE PYTHON HANDLER = 'module.function'` records the
procedure; `CALL` evaluates the arguments in the warehouse, opens a Snowpark `Session` on this same
local warehouse over HTTP (as Snowflake hands the handler a session), calls the handler and returns
its value as a one-row result named after the procedure. Inline code (`AS $$ … $$`) is run as a
module; otherwise the handler's module is imported from the installed project (the local stand-in for
IMPORTS, which are recorded). While a handler runs, `_snowflake` answers its secret look-ups
(`get_generic_secret_string`, `get_username_password`, `get_oauth_access_token`) from the secrets bound
in its SECRETS clause.

`LANGUAGE SQL` procedures run a subset of Snowflake Scripting: a `BEGIN … END` block of plain SQL
statements run in order on one session, optionally ending with `RETURN <expression>`. That is what the
pipeline's transform procedures need (several statements that must run as one unit of work);
variables, control flow and exception blocks are rejected when the procedure is created.

Differences from Snowflake: PACKAGES are recorded, not resolved (the project's environment provides
them); EXTERNAL_ACCESS_INTEGRATIONS are recorded, not enforced; EXECUTE AS is recorded; Snowflake
Scripting beyond the subset above, Java and JavaScript procedures are rejected with an error saying so.
"""

from __future__ import annotations

import atexit
import importlib
import json
import logging
import os
import re
import shutil
import sys
import tempfile
import threading
import types
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from infra.local import ml_registry
from infra.local.warehouse import account_catalog, oauth_flow, scripting
from infra.local.warehouse.application import AppContext, context_of
from infra.local.warehouse.base import LocalSession, Outcome
from infra.local.warehouse.catalog import PREFIX, now
from infra.local.warehouse.errors import LocalSqlError
from infra.local.warehouse.sqltext import (
    QNAME,
    create_options,
    property_value,
    qualify,
    split_top_level,
    sql_literal,
    status_select,
)

log = logging.getLogger("whoop.local.warehouse")

if TYPE_CHECKING:
    from infra.local.warehouse.engine import Engine


def register(engine: Engine) -> None:
    engine.on(
        rf"^CREATE\s+(?P<replace>OR\s+REPLACE\s+)?(?:SECURE\s+)?PROCEDURE\s+(?P<ine>IF\s+NOT\s+EXISTS\s+)?"
        rf"(?P<name>{QNAME})\s*\((?P<args>[^)]*)\)\s*(?P<rest>.*)$",
        _create,
    )
    engine.on(rf"^DROP\s+PROCEDURE\s+(?P<ie>IF\s+EXISTS\s+)?(?P<name>{QNAME})\s*\((?P<args>[^)]*)\)$", _drop)
    engine.on(
        rf"^ALTER\s+PROCEDURE\s+(?P<ie>IF\s+EXISTS\s+)?(?P<name>{QNAME})\s*\((?P<args>[^)]*)\)\s+SET\s+(?P<rest>.+)$",
        _alter,
    )
    engine.on(rf"^CALL\s+(?P<name>{QNAME})\s*\((?P<args>.*)\)$", _call)
    # Snowpark's Session.close() cancels the session's queries; nothing runs asynchronously here
    engine.on(r"^SELECT\s+SYSTEM\$CANCEL_ALL_QUERIES\s*\(.*\)$", _cancel_all)
    _install_snowflake_shim()
    ml_registry.install()  # handlers' `snowflake.ml.registry` is the local Model Registry, like `_snowflake`


def _cancel_all(engine: Engine, session: LocalSession, text: str, m: re.Match[str]) -> Outcome:
    return Outcome(sql=status_select("query cancelled", column="SYSTEM$CANCEL_ALL_QUERIES"), keep_params=False)


def _parse_args(text: str) -> list[tuple[str, str, str | None]]:
    """`a VARCHAR, b NUMBER DEFAULT 3` -> [(A, VARCHAR, None), (B, NUMBER, '3')]."""
    out: list[tuple[str, str, str | None]] = []
    for part in split_top_level(text):
        if not part.strip():
            continue
        m = re.match(r"^\s*(\S+)\s+(.+?)(?:\s+DEFAULT\s+(.+))?\s*$", part, re.I | re.S)
        if not m:
            raise LocalSqlError(f"Cannot read procedure argument: {part.strip()}", errno=1003)
        out.append((m.group(1).strip('"').upper(), m.group(2).strip().upper(), m.group(3)))
    return out


def _create(engine: Engine, session: LocalSession, text: str, m: re.Match[str]) -> Outcome:
    name = qualify(m["name"], session.database, session.schema)
    rest = m["rest"]
    body = None
    dollar = re.search(r"\bAS\s*\$\$(?P<body>.*)\$\$\s*$", rest, re.S | re.I)
    if dollar:
        body = dollar["body"]
        rest = rest[: dollar.start()]
    language = (re.search(r"\bLANGUAGE\s+(\w+)", rest, re.I) or [None, "SQL"])[1].upper()
    if language not in {"PYTHON", "SQL"}:
        raise LocalSqlError(f"The local warehouse runs LANGUAGE PYTHON and SQL procedures, not {language}", errno=2000)
    returns = re.search(r"\bRETURNS\s+(.+?)\s+(?:NOT\s+NULL\s+)?LANGUAGE\b", rest, re.I | re.S)
    options = create_options(text)

    def option(key: str) -> str | None:  # sqlglot's parse, or the header text where sqlglot cannot parse it
        return options.get(key) if options is not None else property_value(rest, key)

    handler = option("HANDLER")
    if language == "SQL":
        if body is None:
            raise LocalSqlError("A LANGUAGE SQL procedure needs a body (AS $$ BEGIN … END $$)", errno=1003)
        scripting.parse_block(body)  # unsupported scripting fails now, not at the first CALL
        handler = scripting.SQL_HANDLER
    if not handler or not returns:
        raise LocalSqlError("CREATE PROCEDURE needs RETURNS and HANDLER", errno=1003)
    args = _parse_args(m["args"])
    arg_types = ",".join(t for _, t, _ in args)
    exists = engine.catalog.query(
        f"SELECT 1 FROM {PREFIX}.PROCEDURES WHERE NAME = ? AND ARG_TYPES = ?", [name.fqn, arg_types]
    )
    if exists and not m["replace"]:
        if m["ine"]:
            return Outcome(sql=status_select(f"{name.name} already exists, statement succeeded."))
        raise LocalSqlError(f"Object '{name.fqn}' already exists.", errno=2002)
    secrets = dict(re.findall(r"'([^']+)'\s*=\s*([\w.$\"]+)", option("SECRETS") or ""))
    secrets = {alias: qualify(ref, session.database, session.schema).fqn for alias, ref in secrets.items()}
    execute_as = (re.search(r"\bEXECUTE\s+AS\s+(OWNER|CALLER|RESTRICTED\s+CALLER)", rest, re.I) or [None, "OWNER"])[1]
    engine.catalog.query(
        f"INSERT OR REPLACE INTO {PREFIX}.PROCEDURES VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            name.fqn,
            arg_types,
            json.dumps([(n, d) for n, _, d in args]),
            returns.group(1).strip().upper(),
            option("RUNTIME_VERSION"),
            handler,
            option("PACKAGES"),
            option("IMPORTS"),
            option("EXTERNAL_ACCESS_INTEGRATIONS"),
            json.dumps(secrets),
            execute_as.upper(),
            body,
            now(),
        ],
    )
    return Outcome(sql=status_select(f"Function {name.name} successfully created."))


def _drop(engine: Engine, session: LocalSession, text: str, m: re.Match[str]) -> Outcome:
    name = qualify(m["name"], session.database, session.schema)
    types_ = ",".join(t.strip().upper() for t in m["args"].split(",") if t.strip())
    deleted = engine.catalog.query(
        f"DELETE FROM {PREFIX}.PROCEDURES WHERE NAME = ? AND ARG_TYPES = ? RETURNING NAME", [name.fqn, types_]
    )
    if not deleted and not m["ie"]:
        raise LocalSqlError(f"Procedure '{name.fqn}({types_})' does not exist or not authorized.", errno=2003)
    return Outcome(sql=status_select(f"{name.name} successfully dropped."))


def _alter(engine: Engine, session: LocalSession, text: str, m: re.Match[str]) -> Outcome:
    """ALTER PROCEDURE … SET SECRETS = (…) / EXTERNAL_ACCESS_INTEGRATIONS = (…): replaces the recorded lists.

    As in Snowflake, SET SECRETS replaces the whole alias map; each secret must exist. Other SET
    properties (COMMENT, LOG_LEVEL, …) are accepted and not recorded.
    """
    name = qualify(m["name"], session.database, session.schema)
    types_ = ",".join(t.strip().upper() for t in m["args"].split(",") if t.strip())
    found = engine.catalog.query(
        f"SELECT SECRETS FROM {PREFIX}.PROCEDURES WHERE NAME = ? AND ARG_TYPES = ?", [name.fqn, types_]
    )
    if not found:
        if m["ie"]:
            return Outcome(sql=status_select("Statement executed successfully."))
        raise LocalSqlError(f"Procedure '{name.fqn}({types_})' does not exist or not authorized.", errno=2003)
    rest = m["rest"]
    secrets_clause = re.search(
        r"\bSECRETS\s*=\s*(\((?:[^()']|'[^']*')*\)|(?:'[^']+'\s*=\s*[\w.$\"]+\s*,?\s*)+)", rest, re.I
    )
    if secrets_clause:
        pairs = re.findall(r"'([^']+)'\s*=\s*([\w.$\"]+)", secrets_clause.group(1))
        bound = {alias: qualify(ref, session.database, session.schema).fqn for alias, ref in pairs}
        for ref in bound.values():
            account_catalog.secret_value(engine, ref)  # raises "Secret '…' does not exist" as Snowflake would
        engine.catalog.query(
            f"UPDATE {PREFIX}.PROCEDURES SET SECRETS = ? WHERE NAME = ? AND ARG_TYPES = ?",
            [json.dumps(bound), name.fqn, types_],
        )
    eai = property_value(rest, "EXTERNAL_ACCESS_INTEGRATIONS")
    if eai:
        engine.catalog.query(
            f"UPDATE {PREFIX}.PROCEDURES SET EXTERNAL_ACCESS_INTEGRATIONS = ? WHERE NAME = ? AND ARG_TYPES = ?",
            [eai, name.fqn, types_],
        )
    return Outcome(sql=status_select("Statement executed successfully."))


def _call(engine: Engine, session: LocalSession, text: str, m: re.Match[str]) -> Outcome:
    name = qualify(m["name"], session.database, session.schema)
    raw_args = [a.strip() for a in split_top_level(m["args"]) if a.strip()]
    candidates = engine.catalog.query(
        f"SELECT ARG_TYPES, ARG_NAMES, RETURNS, HANDLER, BODY, SECRETS, EXECUTE_AS, IMPORTS FROM {PREFIX}.PROCEDURES "
        "WHERE NAME = ?",
        [name.fqn],
    )
    proc = None
    for row in candidates:
        arg_names = json.loads(row[1])
        required = sum(1 for _, default in arg_names if default is None)
        if required <= len(raw_args) <= len(arg_names):
            proc = row
            break
    if proc is None:
        raise LocalSqlError(f"Procedure '{name.fqn}' with {len(raw_args)} argument(s) does not exist.", errno=2003)
    _, arg_names_json, returns, handler, body, secrets_json, execute_as, imports = proc
    # an owner's-rights procedure of an application runs as the app, with its privileges
    app = context_of(engine, name.database) if (execute_as or "OWNER").upper() == "OWNER" else None
    arg_names = json.loads(arg_names_json)
    exprs = _bind_arguments(raw_args, arg_names)
    # each argument gets its own column name: two equal literals ('coach', 'coach') would otherwise share one, and
    # the row would come back a value short
    select = "SELECT " + ", ".join(f"{e} AS ARG_{i}" for i, e in enumerate(exprs))
    values = list(engine.execute(session, select, session.pending_params)[0]) if exprs else []
    started = now()
    try:
        if handler == scripting.SQL_HANDLER:
            result = scripting.run_block(engine, name.fqn, body, [n for n, _ in arg_names], values, app=app)
        else:
            result = _run_handler(
                engine, session, name.fqn, handler, body, json.loads(secrets_json), values, app, imports
            )
    except (Exception, SystemExit) as e:  # a handler's sys.exit() is its failure, not the server's
        engine.catalog.query(
            f"INSERT INTO {PREFIX}.PROCEDURE_CALLS VALUES (?, 'FAILED', ?, ?, ?)",
            [name.fqn, f"{type(e).__name__}: {e}"[:4000], started, now()],
        )
        if isinstance(e, LocalSqlError) and handler == scripting.SQL_HANDLER:
            raise
        raise LocalSqlError(f"Python Interpreter Error: {type(e).__name__}: {e} in function {name.name}", 100357) from e
    engine.catalog.query(
        f"INSERT INTO {PREFIX}.PROCEDURE_CALLS VALUES (?, 'SUCCEEDED', NULL, ?, ?)", [name.fqn, started, now()]
    )
    return Outcome(sql=_result_select(name.name, returns, result), keep_params=False)


def _bind_arguments(raw_args: list[str], arg_names: list[tuple[str, str | None]]) -> list[str]:
    named = [re.match(r"^(\w+)\s*=>\s*(.+)$", a, re.S) for a in raw_args]
    if all(named) and raw_args:
        given = {n.group(1).upper(): n.group(2) for n in named if n}
        exprs = []
        for arg, default in arg_names:
            if arg in given:
                exprs.append(given[arg])
            elif default is not None:
                exprs.append(default)
            else:
                raise LocalSqlError(f"Missing argument {arg}", errno=1044)
        return exprs
    return raw_args + [d for _, d in arg_names[len(raw_args) :] if d is not None]


def _result_select(column: str, returns: str, value: Any) -> str:
    column = column.replace('"', "")
    if returns.startswith("TABLE"):
        raise LocalSqlError("The local warehouse returns scalar and VARIANT procedure results only", errno=2000)
    if returns in {"VARIANT", "OBJECT", "ARRAY"}:
        text = json.dumps(value, default=_json_default)
        return f'SELECT PARSE_JSON({sql_literal(text)}) AS "{column}"'
    if isinstance(value, (dict, list)):
        value = json.dumps(value, default=_json_default)
    return f'SELECT {sql_literal(value)}::{returns} AS "{column}"'


def _json_default(value: Any) -> Any:
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def _reload_changed(mtimes: dict[str, float], package: str) -> None:
    """Re-import handler modules whose source changed, as a re-created procedure would use new code."""
    for name, module in sorted(sys.modules.items()):
        if not (name == package or name.startswith(package + ".")):
            continue
        path = getattr(module, "__file__", None)
        if not path:
            continue
        try:
            mtime = os.path.getmtime(path)
        except OSError:
            continue
        if mtimes.setdefault(name, mtime) != mtime:
            mtimes[name] = mtime
            importlib.reload(module)


def _load_handler(engine: Engine, handler: str, body: str | None, fqn: str) -> Callable[..., Any]:
    module_name, _, func = handler.rpartition(".")
    if body is not None:
        module = types.ModuleType(f"_whoop_local_proc_{abs(hash(fqn))}")
        exec(compile(body, f"<procedure {fqn}>", "exec"), module.__dict__)  # the procedure's own code
        target = module.__dict__.get(func or handler)
    else:
        _reload_changed(engine.handler_mtimes, module_name.split(".")[0])
        target = getattr(importlib.import_module(module_name), func, None)
    if not callable(target):
        raise LocalSqlError(f"Handler {handler} of {fqn} is not a function", errno=100357)
    return target


def _run_handler(
    engine: Engine,
    session: LocalSession,
    fqn: str,
    handler: str,
    body: str | None,
    secrets: dict[str, str],
    values: list[Any],
    app: AppContext | None = None,
    imports: str | None = None,
) -> Any:
    from snowflake.snowpark import Session

    fn = _load_handler(engine, handler, body, fqn)
    import_directory = _import_directory(fqn, imports, app)
    url = engine.base_url()
    host, port = url.split("://", 1)[1].rsplit(":", 1)
    database, schema, _ = fqn.split(".")
    snowpark = Session.builder.configs(
        {
            "account": "local",
            "user": "procedure",
            "password": "local",
            "host": host,
            "port": int(port),
            "protocol": "http",
            "database": database,
            "schema": schema,
            "session_parameters": {"CLIENT_OUT_OF_BAND_TELEMETRY_ENABLED": False},
        }
    ).create()
    # nothing to report telemetry to locally; snowflake-ml would otherwise keep heartbeating this session's
    # connection after it is closed (its telemetry caches the connection process-wide)
    snowpark.telemetry_enabled = False
    engine.run_for_caller(snowpark.connection.rest.token, session.session_id)
    token = snowpark.connection.rest.token if app is not None else None
    if token:
        engine.run_as_app(token, app)
    _context.secrets = {alias: (engine, ref) for alias, ref in secrets.items()}
    # Snowflake gives the directory with a trailing slash (handlers join it with file names)
    _context.import_directory = import_directory.name + "/" if import_directory else None
    try:
        return fn(snowpark, *values)
    finally:
        _context.secrets = {}
        _context.import_directory = None
        engine.run_for_caller(snowpark.connection.rest.token, None)
        if import_directory:
            import_directory.cleanup()
        if token:
            engine.run_as_app(token, None)
        # Snowpark also closes every session at interpreter exit, over HTTP, to a server that may be gone
        atexit.unregister(snowpark._close_at_exit)
        try:
            snowpark.close()
        except Exception:  # the handler's outcome stands; a failed close only leaks a local session
            log.warning("closing the procedure's Snowpark session failed", exc_info=True)


# `_snowflake`: what Snowflake's Python runtime offers handlers, answered from the local secrets --------
_context = threading.local()
IMPORT_DIRECTORY = "snowflake_import_directory"


def _import_directory(fqn: str, imports: str | None, app: AppContext | None) -> tempfile.TemporaryDirectory | None:
    """The files of an app procedure's IMPORTS, copied from the app's stage into a directory of this call, which
    the handler finds at sys._xoptions["snowflake_import_directory"], as in Snowflake
    (https://docs.snowflake.com/en/developer-guide/stored-procedure/python/procedure-python-writing, reading files).
    A stage path missing from the app's stage fails the CALL, naming it. Only an application's procedures resolve
    stage paths locally (an application's stage is a folder); the handler code itself still comes from the
    installed project."""
    paths = re.findall(r"'([^']+)'", imports or "")
    if app is None or not paths:
        return None
    folder = tempfile.TemporaryDirectory(prefix="whoop-imports-")
    for path in paths:
        source = app.stage / os.path.normpath(path.lstrip("/"))
        if not source.is_file():
            folder.cleanup()
            raise LocalSqlError(f"{fqn}: IMPORTS file '{path}' does not exist on the application's stage", errno=2003)
        shutil.copyfile(source, Path(folder.name) / source.name)
    return folder


class _XOptions(dict):
    """sys._xoptions whose snowflake_import_directory is the running CALL's (handlers run on several threads)."""

    def __getitem__(self, key: str) -> Any:
        if key == IMPORT_DIRECTORY:
            directory = getattr(_context, "import_directory", None)
            if directory is None:
                raise KeyError(key)
            return directory
        return super().__getitem__(key)

    def get(self, key: str, default: Any = None) -> Any:
        try:
            return self[key]
        except KeyError:
            return default

    def __contains__(self, key: object) -> bool:
        return (key == IMPORT_DIRECTORY and getattr(_context, "import_directory", None) is not None) or (
            super().__contains__(key)
        )


def _secret(alias: str) -> dict[str, str]:
    bound = getattr(_context, "secrets", {})
    if alias not in bound:
        raise ValueError(f"Secret alias {alias!r} is not bound to this procedure (SECRETS clause)")
    engine, ref = bound[alias]
    return account_catalog.secret_value(engine, ref)


def _oauth_access_token(alias: str) -> str:
    """An OAUTH2 secret's access token, refreshed (and the rotated refresh token stored) as Snowflake does."""
    bound = getattr(_context, "secrets", {})
    if alias not in bound:
        raise ValueError(f"Secret alias {alias!r} is not bound to this procedure (SECRETS clause)")
    engine, ref = bound[alias]
    return oauth_flow.access_token(engine, ref)


def _install_snowflake_shim() -> None:
    if not isinstance(sys._xoptions, _XOptions):
        sys._xoptions = _XOptions(sys._xoptions)  # type: ignore[misc]
    if "_snowflake" in sys.modules:
        return
    shim = types.ModuleType("_snowflake")
    shim.__doc__ = "Local stand-in for Snowflake's handler runtime module (secrets only)."
    shim.get_generic_secret_string = lambda alias: _secret(alias)["secret_string"]  # type: ignore[attr-defined]
    shim.get_username_password = lambda alias: types.SimpleNamespace(  # type: ignore[attr-defined]
        username=_secret(alias)["username"], password=_secret(alias)["password"]
    )
    shim.get_oauth_access_token = _oauth_access_token  # type: ignore[attr-defined]
    sys.modules["_snowflake"] = shim
