"""WHOOP's Trusted Partner (lab requisition) endpoints, in memory.

Partners get a client-credentials token from /v2/partner/token, generate test data with
/v2/partner/development/add-test-data (as WHOOP's non-production environments allow), then read
requisitions and service requests and post status and results. `GET /_sandbox/partner` lists what
exists, since add-test-data answers 204 without a body.
"""

from __future__ import annotations

import json
import secrets
import threading
import time
import uuid
from datetime import UTC, datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from infra.local.sandbox.routing import Routes

PARTNER_TOKEN_TTL = 3600
ROUTES = Routes("/developer/v2/partner")


class PartnerState:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.tokens: dict[str, float] = {}
        self.requisitions: dict[str, dict[str, Any]] = {}
        self.service_requests: dict[str, dict[str, Any]] = {}
        self.reports: dict[str, list[dict[str, Any]]] = {}

    def add_test_data(self) -> dict[str, Any]:
        with self._lock:
            now = datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
            srs = [
                {
                    "id": str(uuid.uuid4()),
                    "status": "active",
                    "intent": "order",
                    "code": code,
                    "task_business_status": "Requested",
                    "task_description": desc,
                }
                for code, desc in (("2093-3", "Cholesterol panel"), ("4548-4", "Hemoglobin A1c"))
            ]
            req = {
                "id": str(uuid.uuid4()),
                "created_at": now,
                "updated_at": now,
                "service_requests": srs,
                "patient": {"id": str(uuid.uuid4())},
            }
            self.requisitions[req["id"]] = req
            for sr in srs:
                self.service_requests[sr["id"]] = sr
            return req

    def summary(self) -> dict[str, Any]:
        with self._lock:
            return {"requisitions": list(self.requisitions.values()), "reports": self.reports}


def _partner(request: Request) -> PartnerState:
    return request.app.state.sandbox.partner


def _authorized(request: Request) -> bool:
    header = request.headers.get("authorization", "")
    expires = _partner(request).tokens.get(header[7:].strip()) if header.lower().startswith("bearer ") else None
    return expires is not None and expires > time.time()


async def _json(request: Request) -> dict[str, Any]:
    try:
        body = json.loads(await request.body() or b"{}")
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


@ROUTES.add("/token", "POST")
async def token(request: Request) -> Response:
    body = await _json(request)
    cfg = request.app.state.sandbox.config
    if body.get("client_id") != cfg.client_id or body.get("client_secret") != cfg.secret:
        return JSONResponse({"error": "invalid_client"}, status_code=401)
    tok = secrets.token_urlsafe(32)
    _partner(request).tokens[tok] = time.time() + PARTNER_TOKEN_TTL
    return JSONResponse({"access_token": tok, "expires_in": PARTNER_TOKEN_TTL, "token_type": "bearer"})


@ROUTES.add("/development/add-test-data", "POST")
async def add_test_data(request: Request) -> Response:
    if not _authorized(request):
        return JSONResponse({"error": "unauthorized"}, status_code=401)
    _partner(request).add_test_data()
    return Response(status_code=204)


def _found(request: Request, table: str) -> dict[str, Any] | Response:
    """The path's requisition or service request, for an authorized partner; else the 401 or 404 to answer."""
    if not _authorized(request):
        return JSONResponse({"error": "unauthorized"}, status_code=401)
    found = getattr(_partner(request), table).get(request.path_params["id"])
    return JSONResponse({"error": "not found"}, status_code=404) if found is None else found


@ROUTES.add("/requisition/{id}", "GET")
async def get_requisition(request: Request) -> Response:
    req = _found(request, "requisitions")
    return req if isinstance(req, Response) else JSONResponse(req)


@ROUTES.add("/service-request/{id}", "GET")
async def get_service_request(request: Request) -> Response:
    sr = _found(request, "service_requests")
    return sr if isinstance(sr, Response) else JSONResponse(sr)


@ROUTES.add("/service-request/{id}/status", "PATCH")
async def update_status(request: Request) -> Response:
    sr = _found(request, "service_requests")
    if isinstance(sr, Response):
        return sr
    body = await _json(request)
    if isinstance(body.get("task_business_status"), str):
        sr["task_business_status"] = body["task_business_status"]
    return JSONResponse(sr)


@ROUTES.add("/service-request/{id}/results", "POST")
async def upload_results(request: Request) -> Response:
    sr = _found(request, "service_requests")
    if isinstance(sr, Response):
        return sr
    _partner(request).reports.setdefault(sr["id"], []).append(await _json(request))
    sr["status"] = "completed"
    return Response(status_code=201)


def routes() -> list[Route]:
    return list(ROUTES)
