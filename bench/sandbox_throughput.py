"""WHOOP sandbox throughput: paged API reads per second through a real OAuth token, and the time to
generate one member-year of synthetic data.

The sandbox runs in-process under uvicorn on a loopback port with its rate limits raised far above
what the loop can reach, so the limiter never binds; faults are off. A `requests.Session` (keep-alive)
pages round-robin through cycle, sleep, recovery and workout with `limit=25`, following `next_token`
and starting over when a collection is exhausted, for a fixed number of requests.
"""

from __future__ import annotations

import time
from datetime import date
from typing import Any
from urllib.parse import parse_qs, urlparse

import requests

from bench.harness import Recorder, free_port, median_seconds, serve
from infra.local.oauth_callback import authorize_url

TODAY = date(2026, 11, 25)
MEMBER = "bench"
REDIRECT = "http://127.0.0.1:9/callback"
SCOPES = "read:recovery read:cycles read:workout read:sleep read:profile read:body_measurement offline"
COLLECTIONS = ("/v2/cycle", "/v2/activity/sleep", "/v2/recovery", "/v2/activity/workout")
PAGE = 25


def login(base: str, client_id: str, secret: str, session: requests.Session, member: str = MEMBER) -> str:
    """OAuth code flow with `login_hint` (the sandbox's stand-in for a login page); returns the access token."""
    url = authorize_url(f"{base}/oauth/oauth2/auth", client_id, REDIRECT, SCOPES, "bench123")
    r = session.get(url, params={"login_hint": member}, allow_redirects=False, timeout=10)
    if r.status_code != 302:
        raise RuntimeError(f"sandbox authorization failed: {r.status_code} {r.text[:200]}")
    code = parse_qs(urlparse(r.headers["location"]).query)["code"][0]
    r = session.post(
        f"{base}/oauth/oauth2/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": REDIRECT,
            "client_id": client_id,
            "client_secret": secret,
        },
        timeout=10,
    )
    if r.status_code != 200:
        raise RuntimeError(f"sandbox token exchange failed: {r.status_code} {r.text[:200]}")
    return str(r.json()["access_token"])


def page_through(base: str, session: requests.Session, requests_total: int) -> tuple[float, int]:
    """Issue exactly `requests_total` paged GETs; returns (elapsed seconds, records received)."""
    next_tokens: dict[str, str | None] = dict.fromkeys(COLLECTIONS)
    records = 0
    start = time.perf_counter()
    for k in range(requests_total):
        path = COLLECTIONS[k % len(COLLECTIONS)]
        params: dict[str, Any] = {"limit": PAGE}
        if next_tokens[path]:
            params["nextToken"] = next_tokens[path]
        r = session.get(f"{base}/developer{path}", params=params, timeout=10)
        if r.status_code != 200:
            raise RuntimeError(f"sandbox GET {path} answered {r.status_code}: {r.text[:200]}")
        body = r.json()
        records += len(body["records"])
        next_tokens[path] = body.get("next_token")  # None → start that collection over
    return time.perf_counter() - start, records


def run(rec: Recorder, quick: bool = False, requests_total: int | None = None, seed: int = 42) -> None:
    """Record `sandbox_requests_per_second`, `sandbox_records_per_second`, `sandbox_generate_member_year_seconds`."""
    from infra.local.sandbox.app import create_app
    from infra.local.sandbox.config import SandboxConfig
    from infra.local.sandbox.members import generate_member

    total = requests_total or (40 if quick else 500)
    unlimited = 1_000_000_000
    config = SandboxConfig(
        seed=seed, members=[MEMBER], days=365, today=TODAY, rate_per_minute=unlimited, rate_per_day=unlimited
    )

    generate_s = median_seconds(lambda: generate_member(config, MEMBER), 1 if quick else 5)

    app = create_app(config)
    with serve(app, free_port()) as base, requests.Session() as session:
        token = login(base, config.client_id, config.secret, session)
        session.headers["Authorization"] = f"Bearer {token}"
        page_through(base, session, len(COLLECTIONS))  # warm-up: one page of each
        elapsed, records = page_through(base, session, total)

    where = (
        f"{total} sequential GETs over one keep-alive requests.Session against the sandbox in-process "
        f"(uvicorn, loopback, rate limits at {unlimited:,}/min so the limiter never binds, no faults), "
        f"round-robin over {', '.join(COLLECTIONS)} with limit={PAGE}, following next_token; "
        f"token from the real OAuth code flow; client and server share one Python process (and its GIL); "
        f"1 member × 365 days; {elapsed:.2f} s, {records:,} records"
    )
    compared_to = "the real WHOOP API's default limit of 100 requests/minute (1.67/s) per client app"
    rec.add("sandbox_requests_per_second", total / elapsed, "req/s", compared_to, note=where)
    rec.add(
        "sandbox_records_per_second",
        records / elapsed,
        "records/s",
        "absolute rate of the same paged loop (no baseline); at most 25 records per request",
        note=where,
    )
    rec.add(
        "sandbox_generate_member_year_seconds",
        generate_s,
        "s",
        "absolute wall time (no baseline) of generate_member() for one member, days=365: "
        "cycles, sleeps, recoveries, workouts, journal",
        note=f"median of {1 if quick else 5} runs, seed {seed}, today {TODAY.isoformat()}",
    )
