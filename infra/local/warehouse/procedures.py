"""Python stored procedures.

Local meaning: `CREATE PROCEDURE … LANGUAGE PYTHON HANDLER = 'module.function'` records the
procedure; `CALL` evaluates the arguments in the warehouse, opens a Snowpark `Session` on this same
local warehouse over HTTP (as Snowflake hands the handler a session), calls the handler and returns
its value as a one-row result named after the procedure. Inline code (`AS $$ … $$`) is run as a
module; otherwise the handler's module is imported from the installed project (the local stand-in for
IMPORTS, which are recorded). While a handler runs, `_snowflake` answers its secret look-ups
(`get_generic_secret_string`, `get_oauth_access_token`, what the product's handlers use) from the secrets bound
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
from infra.local.warehouse import account_catalog, oauth_flow, routines, scripting
from infra.local.warehouse.application import AppContext, context_of
from infra.local.warehouse.base import LocalSession, Outcome, answer, ok
from infra.local.warehouse.catalog import PREFIX, now
from infra.local.warehouse.errors import LocalSqlError
from infra.local.warehouse.routines import PROCEDURE
from infra.local.warehouse.sqltext import (
    QNAME,
    ObjectName,
    closing_paren,
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

_SIGNATURE = rf"(?P<ie>IF\s+EXISTS\s+)?(?P<name>{QNAME})\s*\((?P<args>[^)]*)\)"


def register(engine: Engine) -> None:
    engine.on(routines.create_pattern(PROCEDURE), _create)
    engine.on(rf"^DROP\s+PROCEDURE\s+{_SIGNATURE}$", _drop)
    engine.on(rf"^ALTER\s+PROCEDURE\s+{_SIGNATURE}\s+SET\s+(?P<rest>.+)$", _alter)
    engine.on(rf"^CALL\s+(?P<name>{QNAME})\s*\((?P<args>.*)\)$", _call)
    # Snowpark's Session.close() cancels the session's queries; nothing runs asynchronously here
    engine.on(r"^SELECT\s+SYSTEM\$CANCEL_ALL_QUERIES\s*\(.*\)$", _cancel_all)
    _install_snowflake_shim()
    ml_registry.install()  # handlers' `snowflake.ml.registry` is the local Model Registry, like `_snowflake`


def _cancel_all(engine: Engine, session: LocalSession, text: str, m: re.Match[str]) -> Outcome:
    return answer(status_select("query cancelled", column="SYSTEM$CANCEL_ALL_QUERIES"))


def _parse_args(text: str) -> list[tuple[str, str, str | None]]:
    """`a VARCHAR, b NUMBER DEFAULT 3` -> [(A, VARCHAR, None), (B, NUMBER, '3')]."""
    out: list[tuple[str, str, str | None]] = []
    for part in filter(str.strip, split_top_level(text)):
        m = re.match(r"^\s*(\S+)\s+(.+?)(?:\s+DEFAULT\s+(.+))?\s*$", part, re.I | re.S)
        if not m:
            raise LocalSqlError(f"Cannot read procedure argument: {part.strip()}", errno=1003)
        out.append((m.group(1).strip('"').upper(), m.group(2).strip().upper(), m.group(3)))
    return out


def _secrets(clause: str | None, session: LocalSession) -> dict[str, str]:
    """`('alias' = secret, …)` -> {alias: the secret's qualified name}."""
    pairs = re.findall(r"'([^']+)'\s*=\s*([\w.$\"]+)", clause or "")
    return {alias: qualify(ref, session.database, session.schema).fqn for alias, ref in pairs}


# RETURNS comes before LANGUAGE (CREATE PROCEDURE's syntax); the type is kept as written, for the signature and the
# result's cast (sqlglot rewrites NUMBER as DECIMAL(38, 0) and cannot parse RETURNS TABLE (…) at all)
_RETURNS = re.compile(r"\bRETURNS\s+(?P<type>.+?)\s+(?:NOT\s+NULL\s+)?LANGUAGE\s+(?P<language>\w+)", re.I | re.S)


def _create(engine: Engine, session: LocalSession, text: str, m: re.Match[str]) -> Outcome:
    name = qualify(m["name"], session.database, session.schema)
    if not m["rest"].startswith("("):
        raise LocalSqlError("CREATE PROCEDURE needs its argument list: name(<argument> <type>, …)", errno=1003)
    close = closing_paren(m["rest"], 0)
    arguments, rest, body = m["rest"][1:close], m["rest"][close + 1 :], None
    if dollar := re.search(r"\bAS\s*\$\$(?P<body>.*)\$\$\s*$", rest, re.S | re.I):
        rest, body = rest[: dollar.start()], dollar["body"]
    header = _RETURNS.search(rest)
    if header is None:
        raise LocalSqlError("CREATE PROCEDURE needs RETURNS <type> LANGUAGE <language>", errno=1003)
    language = header["language"].upper()
    if language not in {"PYTHON", "SQL"}:
        raise LocalSqlError(f"The local warehouse runs LANGUAGE PYTHON and SQL procedures, not {language}", errno=2000)
    options = create_options(text)

    def option(key: str) -> str | None:  # sqlglot's parse, or the header text where sqlglot cannot parse it
        return options.get(key) if options is not None else property_value(rest, key)

    handler = option("HANDLER")
    if language == "SQL":
        if body is None:
            raise LocalSqlError("A LANGUAGE SQL procedure needs a body (AS $$ BEGIN … END $$)", errno=1003)
        scripting.parse_block(body)  # unsupported scripting fails now, not at the first CALL
        handler = scripting.SQL_HANDLER
    if not handler:
        raise LocalSqlError("CREATE PROCEDURE needs RETURNS and HANDLER", errno=1003)
    args = _parse_args(arguments)
    arg_types = ",".join(t for _, t, _ in args)
    if (over := routines.create_over(engine, PROCEDURE, name, m, ARG_TYPES=arg_types)) is not None:
        return over
    execute_as = re.search(r"\bEXECUTE\s+AS\s+(OWNER|CALLER|RESTRICTED\s+CALLER)", rest, re.I)
    engine.catalog.query(
        f"INSERT OR REPLACE INTO {PREFIX}.PROCEDURES VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            name.fqn,
            arg_types,
            json.dumps([(n, d) for n, _, d in args]),
            header["type"].strip().upper(),
            option("RUNTIME_VERSION"),
            handler,
            option("PACKAGES"),
            option("IMPORTS"),
            option("EXTERNAL_ACCESS_INTEGRATIONS"),
            json.dumps(_secrets(option("SECRETS"), session)),
            execute_as[1].upper() if execute_as else "OWNER",
            body,
            now(),
        ],
    )
    return ok(f"Function {name.name} successfully created.")


def _signature(engine: Engine, session: LocalSession, m: re.Match[str]) -> tuple[ObjectName, str, bool]:
    """The procedure DROP or ALTER names, its argument types as recorded, and whether it exists."""
    name = qualify(m["name"], session.database, session.schema)
    types_ = ",".join(t.strip().upper() for t in m["args"].split(",") if t.strip())
    return name, types_, routines.exists(engine, PROCEDURE, name.fqn, " AND ARG_TYPES = ?", [types_])


def _drop(engine: Engine, session: LocalSession, text: str, m: re.Match[str]) -> Outcome:
    name, types_, found = _signature(engine, session, m)
    if not found and not m["ie"]:
        raise routines.not_found(PROCEDURE, f"{name.fqn}({types_})")
    engine.catalog.query(f"DELETE FROM {PREFIX}.PROCEDURES WHERE NAME = ? AND ARG_TYPES = ?", [name.fqn, types_])
    return ok(f"{name.name} successfully dropped.")


def _alter(engine: Engine, session: LocalSession, text: str, m: re.Match[str]) -> Outcome:
    """ALTER PROCEDURE … SET SECRETS = (…) / EXTERNAL_ACCESS_INTEGRATIONS = (…): replaces the recorded lists.

    As in Snowflake, SET SECRETS replaces the whole alias map; each secret must exist. Other SET
    properties (COMMENT, LOG_LEVEL, …) are accepted and not recorded.
    """
    name, types_, found = _signature(engine, session, m)
    if not found:
        return routines.absent(PROCEDURE, f"{name.fqn}({types_})", m["ie"])
    changes = {"EXTERNAL_ACCESS_INTEGRATIONS": property_value(m["rest"], "EXTERNAL_ACCESS_INTEGRATIONS")}
    if (clause := property_value(m["rest"], "SECRETS")) is not None:
        bound = _secrets(clause, session)
        for ref in bound.values():
            account_catalog.secret_value(engine, ref)  # raises "Secret '…' does not exist" as Snowflake would
        changes["SECRETS"] = json.dumps(bound)
    for column, value in changes.items():
        if value:
            engine.catalog.query(
                f"UPDATE {PREFIX}.PROCEDURES SET {column} = ? WHERE NAME = ? AND ARG_TYPES = ?",
                [value, name.fqn, types_],
            )
    return ok()


def _call(engine: Engine, session: LocalSession, text: str, m: re.Match[str]) -> Outcome:
    name = qualify(m["name"], session.database, session.schema)
    raw_args = [a.strip() for a in split_top_level(m["args"]) if a.strip()]
    candidates = engine.catalog.query(
        f"SELECT ARG_NAMES, RETURNS, HANDLER, BODY, SECRETS, EXECUTE_AS, IMPORTS FROM {PREFIX}.PROCEDURES "
        "WHERE NAME = ?",
        [name.fqn],
    )

    def takes(arg_names: list[tuple[str, str | None]]) -> bool:
        return sum(1 for _, default in arg_names if default is None) <= len(raw_args) <= len(arg_names)

    proc = next((row for row in candidates if takes(json.loads(row[0]))), None)
    if proc is None:
        raise LocalSqlError(f"Procedure '{name.fqn}' with {len(raw_args)} argument(s) does not exist.", errno=2003)
    arg_names_json, returns, handler, body, secrets_json, execute_as, imports = proc
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
            fn = _load_handler(engine, handler, body, name.fqn)
            result = _run_handler(engine, session, name.fqn, fn, json.loads(secrets_json), values, app, imports)
    except (Exception, SystemExit) as e:  # a handler's sys.exit() is its failure, not the server's
        routines.record(
            engine, "PROCEDURE_CALLS", name.fqn, "FAILED", f"{type(e).__name__}: {e}"[:4000], started, now()
        )
        if isinstance(e, LocalSqlError) and handler == scripting.SQL_HANDLER:
            raise
        raise LocalSqlError(f"Python Interpreter Error: {type(e).__name__}: {e} in function {name.name}", 100357) from e
    routines.record(engine, "PROCEDURE_CALLS", name.fqn, "SUCCEEDED", None, started, now())
    return answer(_result_select(name.name, returns, result))


def _bind_arguments(raw_args: list[str], arg_names: list[tuple[str, str | None]]) -> list[str]:
    """The argument expressions in declared order: positional, or all named (`name => expr`), defaults filled in."""
    named = [re.match(r"^(\w+)\s*=>\s*(.+)$", a, re.S) for a in raw_args]
    if not (raw_args and all(named)):
        return raw_args + [d for _, d in arg_names[len(raw_args) :] if d is not None]
    given = {n.group(1).upper(): n.group(2) for n in named if n}
    for arg, default in arg_names:
        if arg not in given and default is None:
            raise LocalSqlError(f"Missing argument {arg}", errno=1044)
    return [given.get(arg, default) for arg, default in arg_names]  # type: ignore[misc]


def _result_select(column: str, returns: str, value: Any) -> str:
    column = column.replace('"', "")
    if returns.startswith("TABLE"):
        raise LocalSqlError("The local warehouse returns scalar and VARIANT procedure results only", errno=2000)
    variant = returns in {"VARIANT", "OBJECT", "ARRAY"}
    if variant or isinstance(value, dict | list):
        value = json.dumps(value, default=_json_default)
    if variant:
        return f'SELECT PARSE_JSON({sql_literal(value)}) AS "{column}"'
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
        path = getattr(module, "__file__", None)
        if (name == package or name.startswith(package + ".")) and path and os.path.exists(path):
            mtime = os.path.getmtime(path)
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
    fn: Callable[..., Any],
    secrets: dict[str, str],
    values: list[Any],
    app: AppContext | None,
    imports: str | None,
) -> Any:
    from snowflake.snowpark import Session

    import_directory = _import_directory(fqn, imports, app)
    host, port = engine.base_url().split("://", 1)[1].rsplit(":", 1)
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
    token = snowpark.connection.rest.token
    engine.run_for_caller(token, session.session_id)
    engine.run_as_app(token, app)  # None: the session runs as its caller
    _context.secrets = {alias: (engine, ref) for alias, ref in secrets.items()}
    # Snowflake gives the directory with a trailing slash (handlers join it with file names)
    _context.import_directory = import_directory.name + "/" if import_directory else None
    try:
        return fn(snowpark, *values)
    finally:
        _context.secrets = {}
        _context.import_directory = None
        engine.run_for_caller(token, None)
        engine.run_as_app(token, None)
        if import_directory:
            import_directory.cleanup()
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
        directory = getattr(_context, "import_directory", None)
        if key == IMPORT_DIRECTORY and directory is not None:
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


def _bound(alias: str) -> tuple[Engine, str]:
    """The engine and secret bound to `alias` in the running procedure's SECRETS clause."""
    bound = getattr(_context, "secrets", {})
    if alias not in bound:
        raise ValueError(f"Secret alias {alias!r} is not bound to this procedure (SECRETS clause)")
    return bound[alias]


def _install_snowflake_shim() -> None:
    if not isinstance(sys._xoptions, _XOptions):
        sys._xoptions = _XOptions(sys._xoptions)  # type: ignore[misc]
    if "_snowflake" in sys.modules:
        return
    shim = types.ModuleType("_snowflake")
    shim.__doc__ = "Local stand-in for Snowflake's handler runtime module (secrets only)."
    shim.__dict__.update(
        get_generic_secret_string=lambda alias: account_catalog.secret_value(*_bound(alias))["secret_string"],
        # an OAUTH2 secret's access token, refreshed (and the rotated refresh token stored) as Snowflake does
        get_oauth_access_token=lambda alias: oauth_flow.access_token(*_bound(alias)),
    )
    sys.modules["_snowflake"] = shim
