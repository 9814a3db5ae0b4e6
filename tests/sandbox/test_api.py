"""The v2 API: contract validation with openapi-core, paging semantics, errors."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
import requests
from openapi_core import OpenAPI
from openapi_core.contrib.requests import RequestsOpenAPIRequest, RequestsOpenAPIResponse

from infra.local.sandbox.timeutil import iso_to_ms, ms_to_iso
from tests.sandbox.conftest import Server

SPEC_PATH = Path("/work/shared/whoop/openapi-v2.json")
if not SPEC_PATH.exists():
    SPEC_PATH = Path(__file__).resolve().parents[2] / "shared" / "whoop" / "openapi-v2.json"
COLLECTIONS = {
    "/v2/cycle": "cycles",
    "/v2/recovery": "recoveries",
    "/v2/activity/sleep": "sleeps",
    "/v2/activity/workout": "workouts",
}


def _relaxed_spec(base: str) -> dict[str, Any]:
    """The official spec with the explicit nulls live payloads send allowed (score, end, next_token)."""
    spec = copy.deepcopy(json.loads(SPEC_PATH.read_text()))
    spec["servers"] = [{"url": f"{base}/developer"}]
    spec["info"].setdefault("version", "2")  # the published document omits the required field
    schemas = spec["components"]["schemas"]
    for name in ("Cycle", "Sleep", "Recovery", "WorkoutV2"):
        ref = schemas[name]["properties"]["score"]["$ref"].rsplit("/", 1)[1]
        schemas[name]["properties"]["score"] = {**schemas[ref], "nullable": True}
    schemas["Cycle"]["properties"]["end"]["nullable"] = True
    for name in ("PaginatedCycleResponse", "RecoveryCollection", "PaginatedSleepResponse", "WorkoutCollection"):
        schemas[name]["properties"]["next_token"]["nullable"] = True
    return spec


@pytest.fixture(scope="module")
def openapi(server: Server) -> OpenAPI:
    return OpenAPI.from_dict(_relaxed_spec(server.url))


def _validate(openapi: OpenAPI, response: requests.Response) -> None:
    openapi.validate_response(RequestsOpenAPIRequest(response.request), RequestsOpenAPIResponse(response))


def _all(server: Server, token: str, path: str, **params: Any) -> list[dict[str, Any]]:
    out, next_token = [], None
    while True:
        extra = {"nextToken": next_token} if next_token else {}
        r = server.get(f"/developer{path}", token, limit=25, **params, **extra)
        assert r.status_code == 200, r.text
        body = r.json()
        out += body["records"]
        next_token = body["next_token"]
        if not next_token:
            return out


def test_every_path_validates_against_the_contract(server: Server, openapi: OpenAPI, alice_token: str) -> None:
    truth = server.sandbox.store.truth("alice")
    for path in COLLECTIONS:
        for params in ({}, {"limit": 25}, {"limit": 25, "nextToken": None}):
            r = server.get(f"/developer{path}", alice_token, **{k: v for k, v in params.items() if v})
            assert r.status_code == 200
            _validate(openapi, r)
    # by-id paths on a sample that includes pending (null score), unscorable and naps
    cycles = truth["cycles"][:3] + [c for c in truth["cycles"] if c["end"] is None]
    for c in cycles:
        for suffix in ("", "/sleep", "/recovery"):
            r = server.get(f"/developer/v2/cycle/{c['id']}{suffix}", alice_token)
            assert r.status_code == 200, r.text
            _validate(openapi, r)
    pending = [s for s in truth["sleeps"] if s["score"] is None][:3]
    naps = [s for s in truth["sleeps"] if s["nap"]][:2]
    for s in truth["sleeps"][:3] + pending + naps:
        r = server.get(f"/developer/v2/activity/sleep/{s['id']}", alice_token)
        assert r.json() == s
        _validate(openapi, r)
    for w in truth["workouts"][:5]:
        r = server.get(f"/developer/v2/activity/workout/{w['id']}", alice_token)
        assert r.json() == w
        _validate(openapi, r)
    for path in ("/v2/user/profile/basic", "/v2/user/measurement/body"):
        r = server.get(f"/developer{path}", alice_token)
        _validate(openapi, r)
    assert server.get("/developer/v2/user/profile/basic", alice_token).json() == truth["profile"]
    assert any(c["score"] is None for c in cycles)
    assert '"score": null' in server.get(f"/developer/v2/cycle/{cycles[-1]['id']}", alice_token).text


def test_collections_match_truth_newest_first(server: Server, alice_token: str) -> None:
    truth = server.sandbox.store.truth("alice")
    for path, key in COLLECTIONS.items():
        records = _all(server, alice_token, path)
        assert records == truth[key]
        if key != "recoveries":
            starts = [iso_to_ms(r["start"]) for r in records]
            assert starts == sorted(starts, reverse=True)


def test_default_limit_and_limit_bounds(server: Server, alice_token: str) -> None:
    r = server.get("/developer/v2/cycle", alice_token)
    assert len(r.json()["records"]) == 10 and r.json()["next_token"]
    assert server.get("/developer/v2/cycle", alice_token, limit=26).status_code == 400
    assert server.get("/developer/v2/cycle", alice_token, limit=0).status_code == 400
    assert server.get("/developer/v2/cycle", alice_token, limit="x").status_code == 400
    assert server.get("/developer/v2/cycle", alice_token, start="yesterday").status_code == 400
    assert server.get("/developer/v2/cycle", alice_token, nextToken="!!").status_code == 400


def test_start_end_overlap_semantics(server: Server, alice_token: str) -> None:
    cycles = server.sandbox.store.truth("alice")["cycles"]
    target = cycles[10]
    s, e = iso_to_ms(target["start"]), iso_to_ms(target["end"])
    # a window strictly inside one cycle returns exactly that cycle
    got = _all(server, alice_token, "/v2/cycle", start=ms_to_iso(s + 1000), end=ms_to_iso(e - 1000))
    assert [c["id"] for c in got] == [target["id"]]
    # end is exclusive: ending at the cycle's start excludes it; start is inclusive of overlap
    got = _all(server, alice_token, "/v2/cycle", start=ms_to_iso(s - 1000), end=ms_to_iso(s))
    assert target["id"] not in [c["id"] for c in got]
    got = _all(server, alice_token, "/v2/cycle", start=ms_to_iso(e), end=ms_to_iso(e + 1000))
    assert target["id"] not in [c["id"] for c in got]
    # the open cycle overlaps any window after its start
    open_cycle = cycles[0]
    got = _all(server, alice_token, "/v2/cycle", start="2099-01-01T00:00:00Z")
    assert [c["id"] for c in got] == [open_cycle["id"]]


def test_paging_is_stable_and_disjoint(server: Server, alice_token: str) -> None:
    seen: list[str] = []
    token = None
    for _ in range(5):
        r = server.get("/developer/v2/activity/sleep", alice_token, limit=7, **({"nextToken": token} if token else {}))
        body = r.json()
        seen += [s["id"] for s in body["records"]]
        token = body["next_token"]
    assert len(seen) == len(set(seen)) == 35


def test_errors(server: Server, alice_token: str) -> None:
    assert server.get("/developer/v2/cycle/1", alice_token).status_code == 404
    assert server.get("/developer/v2/cycle/abc", alice_token).status_code == 400
    assert server.get("/developer/v2/activity/sleep/not-a-uuid", alice_token).status_code == 400
    assert (
        server.get("/developer/v2/activity/workout/00000000-0000-4000-8000-000000000000", alice_token).status_code
        == 404
    )
    bob_cycle = server.sandbox.store.truth("bob")["cycles"][0]["id"]
    assert server.get(f"/developer/v2/cycle/{bob_cycle}", alice_token).status_code == 404
    assert server.get("/developer/v2/cycle", None).status_code == 401
    assert server.get("/developer/v2/cycle", "bogus").status_code == 401
    assert server.get("/developer/v1/cycle", alice_token).status_code == 404


def test_scope_is_enforced(server: Server) -> None:
    token = server.login("bob", scope="read:cycles")["access_token"]
    assert "refresh_token" not in server.login("bob", scope="read:cycles")
    assert server.get("/developer/v2/cycle", token).status_code == 200
    assert server.get("/developer/v2/recovery", token).status_code == 401


def test_activity_mapping(server: Server, openapi: OpenAPI) -> None:
    assert server.get("/developer/v1/activity-mapping/123", None).status_code == 404


def test_revoke_access(server: Server, openapi: OpenAPI) -> None:
    tokens = server.login("carol")
    r = requests.delete(
        f"{server.url}/developer/v2/user/access",
        headers={"Authorization": f"Bearer {tokens['access_token']}"},
        timeout=5,
    )
    assert r.status_code == 204
    _validate(openapi, r)
    assert server.get("/developer/v2/cycle", tokens["access_token"]).status_code == 401
    assert (
        server.post_token({"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]}).status_code == 400
    )


def test_partner_endpoints(server: Server, openapi: OpenAPI) -> None:
    r = requests.post(
        f"{server.url}/developer/v2/partner/token",
        json={"client_id": server.config.client_id, "client_secret": server.config.secret},
        timeout=5,
    )
    assert r.status_code == 200
    _validate(openapi, r)
    auth = {"Authorization": f"Bearer {r.json()['access_token']}"}
    assert (
        requests.post(
            f"{server.url}/developer/v2/partner/development/add-test-data", headers=auth, timeout=5
        ).status_code
        == 204
    )
    req = requests.get(f"{server.url}/_sandbox/partner", timeout=5).json()["requisitions"][0]
    r = requests.get(f"{server.url}/developer/v2/partner/requisition/{req['id']}", headers=auth, timeout=5)
    _validate(openapi, r)
    sr = req["service_requests"][0]["id"]
    r = requests.get(f"{server.url}/developer/v2/partner/service-request/{sr}", headers=auth, timeout=5)
    _validate(openapi, r)
    r = requests.patch(
        f"{server.url}/developer/v2/partner/service-request/{sr}/status",
        headers=auth,
        json={"task_business_status": "Specimen collected"},
        timeout=5,
    )
    assert r.json()["task_business_status"] == "Specimen collected"
    _validate(openapi, r)
    r = requests.post(
        f"{server.url}/developer/v2/partner/service-request/{sr}/results",
        headers=auth,
        json={"status": "final", "observations": [{"code": "2093-3", "value_numeric": 180}]},
        timeout=5,
    )
    assert r.status_code == 201
    assert requests.get(f"{server.url}/developer/v2/partner/requisition/{req['id']}", timeout=5).status_code == 401
