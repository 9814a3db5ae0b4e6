"""Admin API under /_sandbox/ (not part of WHOOP's contract): health, faults, truth, edits, metrics."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from pydantic import BaseModel, Field, ValidationError
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from infra.local.sandbox.config import FaultConfig
from infra.local.sandbox.routing import Routes
from infra.local.sandbox.state import Sandbox

ROUTES = Routes("/_sandbox")


class EditRequest(BaseModel):
    fraction: float = Field(0.1, ge=0, le=1)
    within_days: int = Field(7, ge=0)
    seed: int = 0


def _sandbox(request: Request) -> Sandbox:
    return request.app.state.sandbox


async def _body(request: Request) -> dict[str, Any]:
    raw = await request.body()
    if not raw:
        return {}
    data = json.loads(raw)
    if not isinstance(data, dict):
        raise ValueError("body must be a JSON object")
    return data


def _bad(exc: Exception) -> JSONResponse:
    return JSONResponse({"error": str(exc)}, status_code=400)


def _for_member(request: Request, act: Callable[[Sandbox, str], Any]) -> Response:
    """`act` on the path's member, answered as JSON; 404 for a member the sandbox does not know."""
    sandbox = _sandbox(request)
    name = request.path_params["member"]
    if name not in sandbox.store.members:
        return JSONResponse({"error": "unknown member"}, status_code=404)
    return JSONResponse(act(sandbox, name))


@ROUTES.add("/health", "GET")
async def health(request: Request) -> Response:
    sandbox = _sandbox(request)
    return JSONResponse(
        {"status": "ok", "members": len(sandbox.store.members), "as_of": sandbox.config.as_of_date.isoformat()}
    )


@ROUTES.add("/faults", "GET", "PUT")
async def faults(request: Request) -> Response:
    sandbox = _sandbox(request)
    if request.method == "PUT":
        try:
            merged = sandbox.faults.config.model_dump() | await _body(request)
            sandbox.faults.configure(FaultConfig.model_validate(merged))
        except (ValueError, ValidationError) as exc:
            return _bad(exc)
    return JSONResponse(sandbox.faults.config.model_dump())


@ROUTES.add("/members", "GET")
async def members(request: Request) -> Response:
    store = _sandbox(request).store
    return JSONResponse(
        [{"name": n, "user_id": m.user_id, "email": m.profile["email"]} for n, m in store.members.items()]
    )


@ROUTES.add("/truth/{member}", "GET")
async def truth(request: Request) -> Response:
    return _for_member(request, lambda sandbox, name: sandbox.store.truth(name))


@ROUTES.add("/edit", "POST")
async def edit(request: Request) -> Response:
    try:
        req = EditRequest.model_validate(await _body(request))
    except (ValueError, ValidationError) as exc:
        return _bad(exc)
    changed = _sandbox(request).store.edit(req.fraction, req.within_days, req.seed)
    return JSONResponse({"changed": changed, "count": len(changed)})


@ROUTES.add("/score-pending", "POST")
async def score_pending(request: Request) -> Response:
    changed = _sandbox(request).store.score_pending()
    return JSONResponse({"changed": changed, "count": len(changed)})


@ROUTES.add("/expire-tokens/{member}", "POST")
async def expire_tokens(request: Request) -> Response:
    return _for_member(request, lambda sandbox, name: {"expired": sandbox.tokens.expire_access(name)})


@ROUTES.add("/revoke/{member}", "POST")
async def revoke_grants(request: Request) -> Response:
    return _for_member(request, lambda sandbox, name: {"revoked": sandbox.tokens.revoke_member(name)})


@ROUTES.add("/metrics", "GET")
async def metrics(request: Request) -> Response:
    return JSONResponse(_sandbox(request).metrics.snapshot())


@ROUTES.add("/reset-metrics", "POST")
async def reset_metrics(request: Request) -> Response:
    _sandbox(request).metrics.reset()
    return Response(status_code=204)


@ROUTES.add("/partner", "GET")
async def partner(request: Request) -> Response:
    return JSONResponse(_sandbox(request).partner.summary())


def routes() -> list[Route]:
    return list(ROUTES)
