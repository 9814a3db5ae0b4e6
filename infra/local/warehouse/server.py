"""The local Snowflake: fakesnow's HTTP server with the emulation layer in front of its query endpoint.

Clients (snowflake-connector-python, Snowpark, the Snowflake CLI) connect with
`host=127.0.0.1, port=N, protocol=http` and any account, user and password. Everything persists under
the data directory: databases as DuckDB files in `databases/`, internal stages' files in `stages/`,
stages and file formats in `fakesnow_global.db` (infra/local/warehouse/persistence.py).
"""

from __future__ import annotations

import argparse
import asyncio
import contextvars
import gzip
import html
import json
import logging
import threading
import time
import uuid
from pathlib import Path

import fakesnow.server as fs_server
import fakesnow.transforms.stage as fs_stage
from fakesnow.converter import from_binding
from fakesnow.instance import FakeSnow
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route

from infra.local.warehouse import dynamic_tables, fakesnow_fixes, handlers, persistence, statement_cache
from infra.local.warehouse.engine import Engine
from infra.local.warehouse.errors import LocalSqlError
from infra.local.warehouse.sqltext import normalise_ident

log = logging.getLogger("whoop.local.warehouse")

# fakesnow answers a statement it cannot run with a 500 whose text is only the statement; the reason is in
# the exception it logs. The handler runs on the request's own task, so the reason is kept per request.
_unhandled: contextvars.ContextVar[str | None] = contextvars.ContextVar("fakesnow_unhandled", default=None)


class _KeepReason(logging.Handler):
    """Keeps the reason of the exception fakesnow's query handler logs, for the error the client gets."""

    def emit(self, record: logging.LogRecord) -> None:
        if record.exc_info and record.exc_info[1] is not None:
            e = record.exc_info[1]
            _unhandled.set(" ".join(f"{type(e).__name__}: {e}".split())[:500])


# fakesnow keeps its instance (read at login) and its stage folder in module globals, one of each per process.
# Tests serve several warehouses in one process, so each app points both at its own when it logs a session in
# and when it runs a statement; the lock keeps a login's swap and read together.
_fakesnow_globals = threading.Lock()


def _keep_fakesnow_reasons() -> None:
    logger = logging.getLogger(fs_server.__name__)
    if not any(isinstance(h, _KeepReason) for h in logger.handlers):
        # a new list: fakesnow's logger shares uvicorn's handler list object, which must not get this handler
        logger.handlers = [*logger.handlers, _KeepReason(level=logging.ERROR)]


def _copy(response: Response) -> Response:
    """The same answer as a new response object (a response is sent once)."""
    return Response(content=bytes(response.body), status_code=response.status_code, headers=dict(response.headers))


def create_app(data_dir: Path, base_url: str) -> Starlette:
    databases_dir = data_dir / "databases"
    databases_dir.mkdir(parents=True, exist_ok=True)
    fakesnow_fixes.apply()
    statement_cache.apply()
    _keep_fakesnow_reasons()
    bucket = str(persistence.use_stage_storage(data_dir))  # staged files under the data dir, not the temp dir
    fs = FakeSnow(db_path=databases_dir)
    persistence.attach_global(fs, data_dir)  # stages, file formats and comments in a file, not in memory
    # fakesnow's handlers look their shared instance up in this module global: point it at ours
    fs_server.shared_fs = fs
    for db_file in sorted(databases_dir.glob("*.db")):  # a restart keeps every table a previous run left on disk
        fs.connect(db_file.stem).close()
    probe = fs.connect()
    fakesnow_fixes.check_private(probe)  # streams.py runs offsets on a connection's own DuckDB connection
    probe.close()
    engine = Engine(fs, base_url=lambda: base_url, data_dir=data_dir)
    handlers.register_all(engine)

    # The connector re-sends a statement that has not answered within its socket timeout (about a minute),
    # with the same requestId. Snowflake runs a request id once; so does this server: a retry waits for
    # the first attempt and gets its answer (a long EXECUTE TASK or backfill CALL must not run twice).
    attempts: dict[str, asyncio.Future[Response]] = {}
    finished: dict[str, float] = {}

    async def query_request(request: Request) -> Response:
        request_id = request.query_params.get("requestId")
        if not request_id:
            return await _query(request)
        if request_id in attempts:
            return _copy(await asyncio.shield(attempts[request_id]))
        attempt: asyncio.Future[Response] = asyncio.get_running_loop().create_future()
        attempts[request_id] = attempt
        try:
            response = await _query(request)
            attempt.set_result(response)
            return response
        except BaseException as e:
            attempt.set_exception(e)
            attempt.exception()  # retrieved: no "never retrieved" warning when no retry waits
            raise
        finally:
            # answers stay a few minutes for retries that arrive after the first attempt finished
            now = time.monotonic()
            finished[request_id] = now
            for old in [r for r, t in finished.items() if now - t > 600]:
                finished.pop(old, None)
                attempts.pop(old, None)

    async def _query(request: Request) -> Response:
        body = await _json_body(request)
        token = _token(request)
        conn = fs_server.sessions.get(token) if token else None
        if conn is None:
            return await fs_server.query_request(request)
        fs_stage.LOCAL_BUCKET_PATH = bucket  # this warehouse's stages, not another in-process one's
        session = engine.session(token, conn)
        try:
            outcome = await run_in_threadpool(engine.start, session, body["sqlText"], _positional(body))
        except LocalSqlError as e:
            return _error(e)
        except Exception as e:  # a bug in the layer: answer with an error rather than a 500 clients retry
            log.exception("local layer failed on a statement")
            return _error(LocalSqlError(f"Local warehouse internal error: {type(e).__name__}: {e}", errno=2000))
        if outcome.response is not None:  # a file transfer command (stage_files.py): the client carries it out
            return JSONResponse({"data": outcome.response, "success": True})
        ok = False
        try:
            if outcome.sql != body["sqlText"] or not outcome.keep_params:
                body["sqlText"] = outcome.sql
                if not outcome.keep_params:
                    body.pop("bindings", None)
                encoded = json.dumps(body).encode()
                gzipped = request.headers.get("Content-Encoding") == "gzip"
                request._body = gzip.compress(encoded) if gzipped else encoded
            _unhandled.set(None)
            response = await fs_server.query_request(request)
            if response.status_code >= 500:
                # fakesnow answers statements it cannot run with a 500, which clients retry for
                # minutes; answer with a SQL error instead, with fakesnow's reason (never the parameters).
                reason = _unhandled.get() or "details in the warehouse log"
                statement = " ".join(outcome.sql.split())[:300]
                message = f"could not run this statement: {reason}; statement: {statement}"
                return _error(LocalSqlError(f"The local warehouse (fakesnow) {message}", errno=2000))
            ok = response.status_code == 200 and json.loads(bytes(response.body)).get("success", False)
            return response
        finally:
            if outcome.after:
                await run_in_threadpool(outcome.after, ok)

    async def login_request(request: Request) -> Response:
        """fakesnow's login, remembering who logged in: the login name and the role asked for are the session's
        (CURRENT_USER(), IS_ROLE_IN_SESSION, IS_APPLICATION_ROLE_IN_SESSION: warehouse/session_context.py)."""
        body = await _json_body(request)
        with _fakesnow_globals:  # the body is read: fakesnow's login runs to its end without yielding
            fs_server.shared_fs = fs  # the session opens on this warehouse's instance
            response = await fs_server.login_request(request)
        token = (json.loads(bytes(response.body)).get("data") or {}).get("token")
        user = str((body.get("data") or {}).get("LOGIN_NAME") or "").strip()
        if token and user:
            role = request.query_params.get("roleName")  # names as Snowflake keeps them: upper case unless quoted
            engine.login(token, fs_server.sessions[token], normalise_ident(user), role and normalise_ident(role))
        return response

    async def bucket_upload(request: Request) -> Response:
        """fakesnow's upload of a PUT file, into this warehouse's stage folder."""
        fs_stage.LOCAL_BUCKET_PATH = bucket
        return await fs_server.bucket_upload(request)

    async def session_request(request: Request) -> Response:
        token = _token(request)
        if token and request.query_params.get("delete"):
            engine.forget_session(token)
        return await fs_server.session(request)

    async def tick(request: Request) -> Response:
        """The local scheduler's beat: refresh dynamic tables whose lag is due (all of them locally)."""
        try:
            refreshed = await run_in_threadpool(dynamic_tables.refresh_all, engine)
        except LocalSqlError as e:
            return JSONResponse({"success": False, "message": e.message}, status_code=500)
        return JSONResponse({"success": True, "refreshed": refreshed})

    async def complete_secret(request: Request) -> Response:
        """Where the OAuth provider sends the browser after consent: shows what to pass to FINISH."""
        query = html.escape(request.url.query)
        return HTMLResponse(
            "<!doctype html><title>OAuth flow</title><p>Consent received. In the same session, run:</p>"
            f"<pre>SELECT SYSTEM$FINISH_OAUTH_FLOW('{query}');</pre>"
        )

    instance = uuid.uuid4().hex  # a restarted warehouse is a new instance (its clients' sessions are gone)

    async def health(request: Request) -> Response:
        return JSONResponse({"status": "ok", "service": "whoop-local-warehouse", "instance": instance})

    login_path = "/session/v1/login-request"
    upload_path = "/fs_bucket/{path:path}"
    ours = {"/queries/v1/query-request", "/session", login_path, upload_path}
    routes = [r for r in fs_server.routes if r.path not in ours]
    routes += [
        Route(upload_path, bucket_upload, methods=["PUT"]),
        Route(login_path, login_request, methods=["POST"]),
        Route("/queries/v1/query-request", query_request, methods=["POST"]),
        Route("/session", session_request, methods=["POST"]),
        Route("/_local/tick", tick, methods=["POST"]),
        Route("/_local/health", health, methods=["GET"]),
        Route("/oauth/complete-secret", complete_secret, methods=["GET"]),
    ]
    app = Starlette(routes=routes)
    app.state.engine = engine
    return app


def _positional(body: dict) -> tuple | None:
    """Positional bindings decoded as fakesnow decodes them, for handlers that evaluate them."""
    bindings = body.get("bindings")
    if not bindings or not all(k.isdigit() for k in bindings):
        return None
    if any(isinstance(b.get("value"), list) for b in bindings.values()):
        return None
    return tuple(from_binding(bindings[str(i)]) for i in range(1, len(bindings) + 1))


async def _json_body(request: Request) -> dict:
    raw = await request.body()
    return json.loads(gzip.decompress(raw) if request.headers.get("Content-Encoding") == "gzip" else raw)


def _token(request: Request) -> str | None:
    auth = request.headers.get("Authorization")
    return auth[17:-1] if auth else None  # 'Snowflake Token="…"', as fakesnow reads it


def _error(e: LocalSqlError) -> JSONResponse:
    code = f"{e.errno:06d}"
    return JSONResponse(
        {
            "data": {"errorCode": code, "sqlState": e.sqlstate},
            "code": code,
            "message": e.message,
            "success": False,
        }
    )


def main() -> None:
    import uvicorn

    parser = argparse.ArgumentParser(description="The local Snowflake warehouse (fakesnow + emulation layer)")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--data-dir", type=Path, required=True)
    args = parser.parse_args()
    app = create_app(args.data_dir, f"http://{args.host}:{args.port}")
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
