"""A requests-based client for WHOOP's v2 API: paging, rate limits, bounded retries.

Behaviour the ingest depends on:
- pages of `limit=25` follow `next_token` until it is absent or null;
- the shared rate limiter reads `X-RateLimit-Remaining` / `X-RateLimit-Reset` and waits before a
  request that would be refused, and a 429 is waited out, not counted as a failure;
- 5xx, timeouts, connection errors and unreadable bodies are retried with exponential backoff
  and jitter, a bounded number of times;
- 401 triggers one token refresh; 400/403/404 fail at once (a 404 on a collection is an error,
  never "zero rows": that is how a v1→v2 change went unnoticed elsewhere).
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import requests

from snowpark_procs.whoop.errors import ReauthorizationRequired, WhoopApiError
from snowpark_procs.whoop.models import Page
from snowpark_procs.whoop.tokens import TokenProvider

PAGE_LIMIT = 25


@dataclass
class ClientStats:
    requests: int = 0
    pages: int = 0
    records: int = 0
    retries: int = 0
    waits: int = 0
    wait_seconds: float = 0.0
    rate_limited: int = 0


class RateLimiter:
    """Shared by every client of one app: WHOOP's limits are per app, across members."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._remaining: int | None = None
        self._reset_at = 0.0

    def delay(self) -> float:
        """Seconds to wait before the next request may be sent."""
        with self._lock:
            if self._remaining is not None and self._remaining <= 0:
                return max(0.0, self._reset_at - self._clock())
            return 0.0

    def observe(self, headers: Any) -> None:
        remaining, reset = headers.get("X-RateLimit-Remaining"), headers.get("X-RateLimit-Reset")
        if remaining is None or reset is None:
            return
        try:
            remaining_n, reset_s = int(remaining), float(reset)
        except ValueError:
            return
        with self._lock:
            self._remaining = remaining_n
            self._reset_at = self._clock() + reset_s

    def exhausted(self, reset_seconds: float) -> None:
        with self._lock:
            self._remaining = 0
            self._reset_at = self._clock() + reset_seconds


@dataclass(eq=False, repr=False)  # compared by identity; no repr of the token provider
class WhoopClient:
    base_url: str
    tokens: TokenProvider
    limiter: RateLimiter = field(default_factory=RateLimiter)
    http: requests.Session = field(default_factory=requests.Session)
    max_retries: int = 6
    max_waits: int = 50
    max_refreshes: int = 4
    timeout: tuple[float, float] = (5.0, 30.0)
    backoff: float = 0.5
    sleep: Callable[[float], None] = time.sleep
    rng: random.Random = field(default_factory=random.Random)
    stats: ClientStats = field(init=False, default_factory=ClientStats)

    def __post_init__(self) -> None:
        self.base_url = self.base_url.rstrip("/")

    def get(self, path: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        """GET one resource or page, retrying what retrying can fix."""
        body = self._request("GET", path, params)
        assert body is not None  # a GET answers 200 with a body or raises
        return body

    def revoke_access(self) -> None:
        """DELETE /v2/user/access: the member's grant to this app ends (WHOOP answers 204)."""
        self._request("DELETE", "/v2/user/access", None)

    def _request(self, method: str, path: str, params: dict[str, Any] | None) -> dict[str, Any] | None:
        failures = 0
        waits = 0
        refreshed = 0
        last_problem = ""
        while True:
            self._wait(self.limiter.delay())
            token = self.tokens.access_token()
            self.stats.requests += 1
            try:
                response = self.http.request(
                    method,
                    f"{self.base_url}{path}",
                    params=params,
                    headers={"Authorization": f"Bearer {token}", "Accept": "application/json"},
                    timeout=self.timeout,
                )
            except requests.RequestException as e:
                last_problem = type(e).__name__
                failures = self._retry_or_fail(failures, path, last_problem)
                continue
            self.limiter.observe(response.headers)
            status = response.status_code
            if status == 204 and method == "DELETE":
                return None
            if status == 200:
                try:
                    body = response.json()
                except ValueError:
                    last_problem = "unreadable JSON body"
                    failures = self._retry_or_fail(failures, path, last_problem)
                    continue
                if not isinstance(body, dict):
                    last_problem = "unexpected JSON body"
                    failures = self._retry_or_fail(failures, path, last_problem)
                    continue
                return body
            if status == 429:
                waits += 1
                self.stats.rate_limited += 1
                if waits > self.max_waits:
                    raise WhoopApiError(f"{method} {path}: still rate limited after {self.max_waits} waits", 429, path)
                self.limiter.exhausted(_reset_seconds(response.headers))
                continue
            if status == 401:
                # one refresh per request, plus one each time a concurrent run rotated the token since
                if refreshed >= self.max_refreshes or (refreshed and not _superseded(self.tokens)):
                    raise ReauthorizationRequired(f"{method} {path}: access refused after a token refresh", 401, path)
                refreshed += 1
                self.tokens.refresh()
                continue
            if status >= 500:
                last_problem = f"HTTP {status}"
                failures = self._retry_or_fail(failures, path, last_problem)
                continue
            raise WhoopApiError(f"{method} {path}: HTTP {status}", status, path)

    def pages(
        self, path: str, start: datetime | None = None, end: datetime | None = None
    ) -> Iterator[list[dict[str, Any]]]:
        """Every page of a collection, newest first, as lists of raw records."""
        params: dict[str, Any] = {"limit": PAGE_LIMIT}
        if start is not None:
            params["start"] = _iso(start)
        if end is not None:
            params["end"] = _iso(end)
        while True:
            page = Page.model_validate(self.get(path, params))
            self.stats.pages += 1
            self.stats.records += len(page.records)
            yield page.records
            if not page.next_token:
                return
            params = {**params, "nextToken": page.next_token}

    def _retry_or_fail(self, failures: int, path: str, problem: str) -> int:
        failures += 1
        if failures > self.max_retries:
            raise WhoopApiError(f"{path}: gave up after {self.max_retries} retries ({problem})", path=path)
        self.stats.retries += 1
        # full jitter: spreads retries of concurrent runs instead of synchronising them
        self._wait(self.rng.uniform(0, self.backoff * 2 ** (failures - 1)))
        return failures

    def _wait(self, seconds: float) -> None:
        if seconds <= 0:
            return
        self.stats.waits += 1
        self.stats.wait_seconds += seconds
        self.sleep(seconds)


def _superseded(tokens: TokenProvider) -> bool:
    check = getattr(tokens, "superseded", None)
    return bool(check and check())


def _reset_seconds(headers: Any) -> float:
    try:
        return max(float(headers.get("X-RateLimit-Reset", "1")), 0.0)
    except ValueError:
        return 1.0


def _iso(value: datetime) -> str:
    return value.isoformat().replace("+00:00", "Z")
