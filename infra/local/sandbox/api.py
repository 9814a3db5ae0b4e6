"""WHOOP v2 resource endpoints under /developer: collections, by-id lookups, snapshots, revocation.

Request handling order mirrors a real gateway: rate limit, (injected faults), bearer token, scope,
then the resource. Every response carries the X-RateLimit-* headers.
"""

from __future__ import annotations

import asyncio
import base64
import json
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from infra.local.sandbox.oauth import OAuthError
from infra.local.sandbox.state import Sandbox
from infra.local.sandbox.store import record_key
from infra.local.sandbox.timeutil import iso_to_ms

MAX_LIMIT = 25
DEFAULT_LIMIT = 10


class ApiError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status, self.message = status, message


Handler = Callable[[Request, Sandbox, str], Any]


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)


def endpoint(
    template: str, scope: str | None, handler: Handler, *, auth: bool = True
) -> Callable[[Request], Awaitable[Response]]:
    """Wrap a resource handler with limits, faults, auth and metrics."""

    async def run(request: Request) -> Response:
        sandbox: Sandbox = request.app.state.sandbox
        decision = sandbox.limiter.check(sandbox.config.client_id)
        response = await _respond(request, sandbox, decision.allowed, scope, handler, auth)
        response.headers.update(decision.headers)
        sandbox.metrics.record(request.method, template, response.status_code)
        return response

    return run


async def _respond(
    request: Request, sandbox: Sandbox, allowed: bool, scope: str | None, handler: Handler, auth: bool
) -> Response:
    if not allowed:
        sandbox.metrics.limited()
        return _error(429, "rate limit exceeded")
    plan = sandbox.faults.plan()
    if plan.expire_tokens:
        sandbox.tokens.expire_access()
        sandbox.metrics.fault("expire_tokens")
    if plan.delay:
        sandbox.metrics.fault("delay")
        await asyncio.sleep(plan.delay)
    if plan.status is not None:
        sandbox.metrics.fault(str(plan.status if plan.status == 429 else "5xx"))
        return _error(plan.status, "injected fault")
    member = ""
    if auth:
        header = request.headers.get("authorization", "")
        if not header.lower().startswith("bearer "):
            return _error(401, "missing bearer token")
        try:
            member, scopes, grant = sandbox.tokens.authenticate(header[7:].strip())
        except OAuthError as exc:
            return _error(401, exc.description)
        if scope and scope not in scopes:
            return _error(401, f"token lacks scope {scope}")
        request.state.grant = grant
    try:
        result = handler(request, sandbox, member)
    except ApiError as exc:
        return _error(exc.status, exc.message)
    if isinstance(result, Response):
        return result
    body = json.dumps(result, ensure_ascii=False).encode()
    if plan.malformed:
        sandbox.metrics.fault("malformed")
        body = body[: max(1, len(body) // 2)]
    return Response(body, status_code=200, media_type="application/json")


# ---- parameters --------------------------------------------------------------------------
def _limit(request: Request) -> int:
    raw = request.query_params.get("limit")
    if raw is None or raw == "":
        return DEFAULT_LIMIT
    try:
        value = int(raw)
    except ValueError as exc:
        raise ApiError(400, "limit must be an integer") from exc
    if not 1 <= value <= MAX_LIMIT:
        raise ApiError(400, f"limit must be between 1 and {MAX_LIMIT}")
    return value


def _time_param(request: Request, name: str) -> int | None:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return None
    try:
        return iso_to_ms(raw)
    except ValueError as exc:
        raise ApiError(400, f"{name} must be an ISO 8601 date-time") from exc


def encode_token(start_ms: int, key: str) -> str:
    return base64.urlsafe_b64encode(json.dumps([start_ms, key]).encode()).decode().rstrip("=")


def decode_token(token: str) -> tuple[int, str]:
    try:
        start_ms, key = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
        return int(start_ms), str(key)
    except (ValueError, TypeError) as exc:
        raise ApiError(400, "invalid nextToken") from exc


def collection(resource: str) -> Handler:
    def handle(request: Request, sandbox: Sandbox, member: str) -> dict[str, Any]:
        limit = _limit(request)
        start, end = _time_param(request, "start"), _time_param(request, "end")
        token = request.query_params.get("nextToken")
        cursor = decode_token(token) if token else None
        rows: list[tuple[int, str, dict[str, Any]]] = []
        for rec in sandbox.store.records(member, resource):
            w_start, w_end = sandbox.store.window(member, resource, rec)
            if end is not None and w_start >= end:
                continue
            if start is not None and w_end is not None and w_end <= start:
                continue
            rows.append((w_start, record_key(resource, rec), rec))
        rows.sort(key=lambda r: (r[0], r[1]), reverse=True)
        if cursor is not None:
            rows = [r for r in rows if (r[0], r[1]) < cursor]
        page = rows[:limit]
        more = len(rows) > limit
        return {"records": [r[2] for r in page], "next_token": encode_token(page[-1][0], page[-1][1]) if more else None}

    return handle


def _cycle_id(request: Request) -> int:
    try:
        return int(request.path_params["cycleId"])
    except ValueError as exc:
        raise ApiError(400, "cycleId must be an integer") from exc


def _uuid_param(request: Request, name: str) -> str:
    try:
        return str(uuid.UUID(request.path_params[name]))
    except ValueError as exc:
        raise ApiError(400, f"{name} must be a UUID") from exc


def _found(rec: dict[str, Any] | None) -> dict[str, Any]:
    if rec is None:
        raise ApiError(404, "not found")
    return rec


def get_cycle(request: Request, sandbox: Sandbox, member: str) -> dict[str, Any]:
    return _found(sandbox.store.get(member, "cycle", str(_cycle_id(request))))


def get_cycle_sleep(request: Request, sandbox: Sandbox, member: str) -> dict[str, Any]:
    cycle_id = _cycle_id(request)
    _found(sandbox.store.get(member, "cycle", str(cycle_id)))
    return _found(sandbox.store.main_sleep_for_cycle(member, cycle_id))


def get_cycle_recovery(request: Request, sandbox: Sandbox, member: str) -> dict[str, Any]:
    return _found(sandbox.store.get(member, "recovery", str(_cycle_id(request))))


def get_sleep(request: Request, sandbox: Sandbox, member: str) -> dict[str, Any]:
    return _found(sandbox.store.get(member, "sleep", _uuid_param(request, "sleepId")))


def get_workout(request: Request, sandbox: Sandbox, member: str) -> dict[str, Any]:
    return _found(sandbox.store.get(member, "workout", _uuid_param(request, "workoutId")))


def get_profile(request: Request, sandbox: Sandbox, member: str) -> dict[str, Any]:
    return sandbox.store.members[member].profile


def get_body(request: Request, sandbox: Sandbox, member: str) -> dict[str, Any]:
    return sandbox.store.members[member].body


def revoke_access(request: Request, sandbox: Sandbox, member: str) -> Response:
    sandbox.tokens.revoke(request.state.grant)
    return Response(status_code=204)


def activity_mapping(request: Request, sandbox: Sandbox, member: str) -> dict[str, Any]:
    try:
        v1_id = int(request.path_params["activityV1Id"])
    except ValueError as exc:
        raise ApiError(400, "activityV1Id must be an integer") from exc
    v2 = sandbox.store.find_v1(v1_id)
    if v2 is None:
        raise ApiError(404, "activity mapping not found")
    return {"v2_activity_id": v2}


def routes() -> list[Route]:
    base = "/developer"
    table: list[tuple[str, str | None, Handler, str, bool]] = [
        ("/v2/cycle", "read:cycles", collection("cycle"), "GET", True),
        ("/v2/cycle/{cycleId}", "read:cycles", get_cycle, "GET", True),
        ("/v2/cycle/{cycleId}/sleep", "read:sleep", get_cycle_sleep, "GET", True),
        ("/v2/cycle/{cycleId}/recovery", "read:recovery", get_cycle_recovery, "GET", True),
        ("/v2/recovery", "read:recovery", collection("recovery"), "GET", True),
        ("/v2/activity/sleep", "read:sleep", collection("sleep"), "GET", True),
        ("/v2/activity/sleep/{sleepId}", "read:sleep", get_sleep, "GET", True),
        ("/v2/activity/workout", "read:workout", collection("workout"), "GET", True),
        ("/v2/activity/workout/{workoutId}", "read:workout", get_workout, "GET", True),
        ("/v2/user/profile/basic", "read:profile", get_profile, "GET", True),
        ("/v2/user/measurement/body", "read:body_measurement", get_body, "GET", True),
        ("/v2/user/access", None, revoke_access, "DELETE", True),
        ("/v1/activity-mapping/{activityV1Id}", None, activity_mapping, "GET", False),
    ]
    return [
        Route(base + path, endpoint(base + path, scope, handler, auth=auth), methods=[method])
        for path, scope, handler, method, auth in table
    ]
