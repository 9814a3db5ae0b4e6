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

import requests

from bench.harness import Recorder, median_seconds
from infra.local.auth import code_flow
from infra.local.in_process import free_port, serve

TODAY = date(2026, 11, 25)
MEMBER = "bench"
COLLECTIONS = ("/v2/cycle", "/v2/activity/sleep", "/v2/recovery", "/v2/activity/workout")
PAGE = 25


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
        sign_in = code_flow(
            MEMBER, config.client_id, config.secret, f"{base}/oauth/oauth2/auth", f"{base}/oauth/oauth2/token"
        )
        token = sign_in["access_token"]
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
