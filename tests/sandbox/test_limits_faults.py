"""Rate-limit headers and 429s, and each fault switch."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from tests.sandbox.conftest import Server, make_config, start_server


@pytest.fixture
def limited(tmp_path: Path) -> Iterator[Server]:
    yield from start_server(make_config(tmp_path, days=30, rate_per_minute=5, rate_per_day=8, clock_scale=0.01))


def test_headers_and_429_at_the_limit(limited: Server) -> None:
    token = limited.login("alice")["access_token"]
    statuses, remaining = [], []
    for _ in range(6):
        r = limited.get("/developer/v2/cycle", token)
        statuses.append(r.status_code)
        remaining.append(r.headers["X-RateLimit-Remaining"])
        assert r.headers["X-RateLimit-Limit"] == "5, 5;window=60, 8;window=86400"
        assert float(r.headers["X-RateLimit-Reset"]) > 0
    assert statuses == [200] * 5 + [429] and remaining == ["4", "3", "2", "1", "0", "0"]
    time.sleep(0.65)  # the scaled minute window (0.6 s) has passed
    assert limited.get("/developer/v2/cycle", token).status_code == 200
    assert limited.get("/developer/v2/cycle", token).status_code == 200
    r = limited.get("/developer/v2/cycle", token)  # day limit (8) reached
    assert r.status_code == 200
    time.sleep(0.65)
    assert limited.get("/developer/v2/cycle", token).status_code == 429
    metrics = requests.get(f"{limited.url}/_sandbox/metrics", timeout=5).json()
    assert metrics["rate_limited_429"] == 2 and metrics["served_429"] == 2


def test_reset_header_is_integer_unscaled(server: Server, alice_token: str) -> None:
    r = server.get("/developer/v2/cycle", alice_token)
    assert r.headers["X-RateLimit-Reset"].isdigit() and 1 <= int(r.headers["X-RateLimit-Reset"]) <= 60


@pytest.fixture
def faulty(tmp_path: Path) -> Iterator[Server]:
    yield from start_server(make_config(tmp_path, days=30))


def _faults(srv: Server, **settings: object) -> None:
    base = {"p_5xx": 0, "p_429": 0, "p_slow": 0, "p_timeout": 0, "p_malformed": 0, "expire_tokens_now": False}
    r = requests.put(f"{srv.url}/_sandbox/faults", json={**base, **settings}, timeout=5)
    assert r.status_code == 200, r.text


def test_fault_switches(faulty: Server) -> None:
    token = faulty.login("alice")["access_token"]
    _faults(faulty, p_5xx=1.0)
    assert faulty.get("/developer/v2/cycle", token).status_code in (500, 502, 503)
    _faults(faulty, p_429=1.0, burst_429=2)
    r = faulty.get("/developer/v2/cycle", token)
    assert r.status_code == 429 and "X-RateLimit-Limit" in r.headers
    _faults(faulty, p_malformed=1.0)
    r = faulty.get("/developer/v2/cycle", token)
    assert r.status_code == 200
    with pytest.raises(ValueError):
        r.json()
    _faults(faulty, p_slow=1.0, slow_seconds=0.3)
    t0 = time.perf_counter()
    assert faulty.get("/developer/v2/cycle", token).status_code == 200
    assert time.perf_counter() - t0 >= 0.3
    _faults(faulty, p_timeout=1.0, timeout_seconds=2.0)
    with pytest.raises(requests.Timeout):
        requests.get(f"{faulty.url}/developer/v2/cycle", headers={"Authorization": f"Bearer {token}"}, timeout=0.3)
    _faults(faulty, expire_tokens_now=True)
    assert faulty.get("/developer/v2/cycle", token).status_code == 401
    assert requests.get(f"{faulty.url}/_sandbox/faults", timeout=5).json()["expire_tokens_now"] is False
    token = faulty.login("alice")["access_token"]
    assert faulty.get("/developer/v2/cycle", token).status_code == 200
    assert requests.put(f"{faulty.url}/_sandbox/faults", json={"p_5xx": 2}, timeout=5).status_code == 400


def test_faults_are_deterministic(faulty: Server) -> None:
    token = faulty.login("alice")["access_token"]
    runs = []
    for _ in range(2):
        _faults(faulty, p_5xx=0.5, seed=3)
        runs.append([faulty.get("/developer/v2/cycle", token, limit=1).status_code for _ in range(12)])
    assert runs[0] == runs[1] and 200 in runs[0] and set(runs[0]) - {200}
