"""The WHOOP client (snowpark_procs/whoop): paging, limits, retries and token rotation.

Most tests run the real client against the local WHOOP sandbox over HTTP. Branches the sandbox
cannot produce on demand use a tiny fake transport that returns prepared `requests.Response`s.
Token values are never put into assertion messages: comparisons that involve them are reduced to
booleans first.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
import random
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests

from snowpark_procs.whoop.client import PAGE_LIMIT, RateLimiter, WhoopClient
from snowpark_procs.whoop.errors import ReauthorizationRequired, WhoopApiError
from snowpark_procs.whoop.models import RESOURCES, Cycle, Page, record_key
from snowpark_procs.whoop.tokens import AppManagedTokens, SnowflakeManagedTokens
from tests.sandbox.conftest import Server, make_config, start_server

# collection path -> (resource name, key in the sandbox truth)
COLLECTIONS = {
    "/v2/cycle": ("cycle", "cycles"),
    "/v2/activity/sleep": ("sleep", "sleeps"),
    "/v2/recovery": ("recovery", "recoveries"),
    "/v2/activity/workout": ("workout", "workouts"),
}
NO_FAULTS = {"p_5xx": 0, "p_429": 0, "p_slow": 0, "p_timeout": 0, "p_malformed": 0, "expire_tokens_now": False}


def no_sleep(_: float) -> None:
    return None


class Sleeps(list):
    """A sleep function that records what it was asked to wait."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def digest(token: str) -> str:
    """A short stand-in for a token, for bookkeeping that might end up in a failure report."""
    return hashlib.sha256(token.encode()).hexdigest()[:12]


# ---- sandbox helpers ---------------------------------------------------------------------------
@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A year of history for three members; limits high enough never to bind."""
    yield from start_server(make_config(tmp_path_factory.mktemp("whoop-client"), rate_per_minute=100_000))


def api_url(srv: Server) -> str:
    return f"{srv.url}/developer"


def token_url(srv: Server) -> str:
    return f"{srv.url}/oauth/oauth2/token"


def truth(srv: Server, member: str) -> dict[str, Any]:
    r = requests.get(f"{srv.url}/_sandbox/truth/{member}", timeout=10)
    assert r.status_code == 200
    return r.json()


def metrics(srv: Server) -> dict[str, Any]:
    return requests.get(f"{srv.url}/_sandbox/metrics", timeout=5).json()


def set_faults(srv: Server, **settings: Any) -> None:
    r = requests.put(f"{srv.url}/_sandbox/faults", json={**NO_FAULTS, **settings}, timeout=5)
    assert r.status_code == 200, r.text


def app_tokens(srv: Server, member: str, saved: list[str] | None = None, **kw: Any) -> AppManagedTokens:
    refresh = srv.login(member)["refresh_token"]
    store = saved if saved is not None else []
    return AppManagedTokens(token_url(srv), srv.config.client_id, srv.config.secret, refresh, store.append, **kw)


def sandbox_client(srv: Server, member: str = "alice", **kw: Any) -> WhoopClient:
    kw.setdefault("sleep", no_sleep)
    return WhoopClient(api_url(srv), app_tokens(srv, member), **kw)


def collect(client: WhoopClient, path: str, **kw: Any) -> tuple[list[dict[str, Any]], list[int]]:
    """All records of a collection and the size of every page."""
    records: list[dict[str, Any]] = []
    sizes: list[int] = []
    for page in client.pages(path, **kw):
        sizes.append(len(page))
        records.extend(page)
    return records, sizes


def assert_exact(resource: str, records: list[dict[str, Any]], expected: list[dict[str, Any]]) -> None:
    keys = [record_key(resource, r) for r in records]
    assert len(keys) == len(set(keys)), f"{resource}: duplicate records"
    assert keys == [record_key(resource, r) for r in expected], f"{resource}: keys or order differ from the truth"
    assert records == expected, f"{resource}: payloads differ from the truth"


def ms(text: str) -> int:
    return round(datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp() * 1000)


# ---- paging against the sandbox ----------------------------------------------------------------
def test_full_cycle_history_equals_truth_in_ceil_n_over_25_pages(sandbox: Server) -> None:
    client = sandbox_client(sandbox, "alice")
    path, model = RESOURCES["cycle"].path, RESOURCES["cycle"].model
    records, sizes = collect(client, path)
    expected = truth(sandbox, "alice")["cycles"]
    n = len(expected)
    assert n > 3 * PAGE_LIMIT and n % PAGE_LIMIT, "the fixture should give several pages, the last one partial"
    assert_exact("cycle", records, expected)
    assert len(sizes) == math.ceil(n / PAGE_LIMIT) == client.stats.pages
    assert sizes[:-1] == [PAGE_LIMIT] * (len(sizes) - 1) and sizes[-1] == n % PAGE_LIMIT
    assert client.stats.records == n and client.stats.requests == len(sizes)
    assert client.stats.retries == 0 and client.stats.rate_limited == 0 and client.stats.waits == 0
    assert model is Cycle
    cycles = [model.model_validate(r) for r in records]
    assert cycles[0].end is None and cycles[0].score_state == "PENDING_SCORE" and cycles[0].score is None
    assert all(c.user_id == expected[0]["user_id"] for c in cycles)


@pytest.mark.parametrize("path", ["/v2/activity/sleep", "/v2/recovery", "/v2/activity/workout"])
def test_other_collections_equal_truth(sandbox: Server, path: str) -> None:
    resource, key = COLLECTIONS[path]
    client = sandbox_client(sandbox, "bob")
    records, sizes = collect(client, path)
    expected = truth(sandbox, "bob")[key]
    assert_exact(resource, records, expected)
    assert len(sizes) == math.ceil(len(expected) / PAGE_LIMIT)


def test_exact_multiple_of_25_needs_no_empty_extra_page(sandbox: Server) -> None:
    # a window holding exactly 50 cycles: the second page must carry next_token null, not a third, empty page
    expected = truth(sandbox, "carol")["cycles"][10:60]
    start = datetime.fromisoformat(expected[-1]["start"].replace("Z", "+00:00"))
    end = datetime.fromisoformat(expected[0]["end"].replace("Z", "+00:00"))
    client = sandbox_client(sandbox, "carol")
    records, sizes = collect(client, "/v2/cycle", start=start, end=end)
    assert_exact("cycle", records, expected)
    assert sizes == [25, 25]


def test_start_end_filtering(sandbox: Server) -> None:
    cycles = truth(sandbox, "alice")["cycles"]
    start = datetime.fromisoformat(cycles[50]["start"].replace("Z", "+00:00")) + timedelta(hours=1)
    end = datetime.fromisoformat(cycles[20]["start"].replace("Z", "+00:00")) + timedelta(hours=1)
    lo, hi = round(start.timestamp() * 1000), round(end.timestamp() * 1000)
    expected = [c for c in cycles if ms(c["start"]) < hi and (c["end"] is None or ms(c["end"]) > lo)]
    assert [c["id"] for c in expected] == [c["id"] for c in cycles[20:51]]  # both boundary cycles overlap

    client = sandbox_client(sandbox, "alice")
    records, sizes = collect(client, "/v2/cycle", start=start, end=end)
    assert_exact("cycle", records, expected)
    assert len(sizes) == math.ceil(len(expected) / PAGE_LIMIT) == 2

    only_start, _ = collect(client, "/v2/cycle", start=start)
    assert_exact("cycle", only_start, cycles[:51])
    only_end, _ = collect(client, "/v2/cycle", end=end)
    assert_exact("cycle", only_end, cycles[20:])
    future, sizes = collect(client, "/v2/cycle", start=datetime(2030, 1, 1, tzinfo=UTC))
    # only the open cycle (no end yet) overlaps a window in the future
    assert [c["id"] for c in future] == [c["id"] for c in cycles if c["end"] is None] and sizes == [1]


def test_404_on_a_collection_is_an_error_not_zero_rows(sandbox: Server) -> None:
    client = sandbox_client(sandbox, "alice")
    with pytest.raises(WhoopApiError) as err:
        client.get("/v1/cycle")
    assert err.value.status == 404 and err.value.path == "/v1/cycle"
    rows: list[list[dict[str, Any]]] = []
    with pytest.raises(WhoopApiError) as err:
        rows.extend(client.pages("/v1/cycle"))
    assert err.value.status == 404 and rows == []
    assert client.stats.requests == 2 and client.stats.retries == 0 and client.stats.pages == 0


def test_400_fails_at_once(sandbox: Server) -> None:
    client = sandbox_client(sandbox, "alice")
    with pytest.raises(WhoopApiError) as err:
        client.get("/v2/cycle", {"limit": 26})
    assert err.value.status == 400 and not isinstance(err.value, ReauthorizationRequired)
    assert client.stats.requests == 1 and client.stats.retries == 0


def test_by_id_lookup_and_missing_record(sandbox: Server) -> None:
    cycle = truth(sandbox, "alice")["cycles"][3]
    client = sandbox_client(sandbox, "alice")
    assert client.get(f"/v2/cycle/{cycle['id']}") == cycle
    with pytest.raises(WhoopApiError) as err:
        client.get("/v2/cycle/1")
    assert err.value.status == 404 and client.stats.requests == 2


# ---- faults ------------------------------------------------------------------------------------
@pytest.fixture
def faulty(tmp_path: Path) -> Iterator[Server]:
    yield from start_server(make_config(tmp_path, days=120, members=["alice"], rate_per_minute=100_000))


def test_faults_still_give_exactly_the_truth(faulty: Server) -> None:
    set_faults(faulty, seed=7, p_5xx=0.2, p_malformed=0.1, p_429=0.05, burst_429=3)
    requests.post(f"{faulty.url}/_sandbox/reset-metrics", timeout=5)
    sleeps = Sleeps()
    client = sandbox_client(faulty, "alice", sleep=sleeps, rng=random.Random(1))
    expected = truth(faulty, "alice")
    for path, (resource, key) in COLLECTIONS.items():
        records, sizes = collect(client, path)
        assert_exact(resource, records, expected[key])
        assert len(sizes) == math.ceil(len(expected[key]) / PAGE_LIMIT)

    m = metrics(faulty)
    faults = m["faults"]
    assert faults.get("5xx", 0) > 0 and faults.get("malformed", 0) > 0 and faults.get("429", 0) > 0, faults
    # every injected 5xx and truncated body was retried exactly once, every 429 waited out, none lost
    assert client.stats.retries == faults["5xx"] + faults["malformed"]
    assert client.stats.rate_limited == m["served_429"] == m["fault_429"] > 0
    api_requests = sum(r["count"] for r in m["requests"] if r["path"].startswith("/developer/"))
    assert client.stats.requests == api_requests
    assert client.stats.pages == sum(math.ceil(len(expected[k]) / PAGE_LIMIT) for _, k in COLLECTIONS.values())
    # the waits were asked of the sleep function: backoff jitter plus the 429 resets
    assert client.stats.waits == len(sleeps) >= client.stats.retries
    assert all(s > 0 for s in sleeps)


def test_timeouts_are_retried(faulty: Server) -> None:
    set_faults(faulty, seed=3, p_timeout=0.3, timeout_seconds=1.0)
    requests.post(f"{faulty.url}/_sandbox/reset-metrics", timeout=5)
    client = sandbox_client(faulty, "alice", timeout=(2.0, 0.2))
    records, _ = collect(client, "/v2/cycle")
    assert_exact("cycle", records, truth(faulty, "alice")["cycles"])
    delays = metrics(faulty)["faults"].get("delay", 0)
    assert delays > 0 and client.stats.retries == delays


def test_persistent_5xx_gives_up(faulty: Server) -> None:
    set_faults(faulty, p_5xx=1.0)
    client = sandbox_client(faulty, "alice", max_retries=3)
    with pytest.raises(WhoopApiError) as err:
        list(client.pages("/v2/cycle"))
    assert "gave up after 3 retries (HTTP 50" in str(err.value)
    assert client.stats.requests == 4 and client.stats.retries == 3 and client.stats.pages == 0


# ---- rate limits with a scaled clock (real time) -----------------------------------------------
@pytest.fixture
def limited(tmp_path: Path) -> Iterator[Server]:
    # a 5-per-"minute" window that lasts 0.6 s of real time; 240 days so both members page at least 6 times (gaps)
    yield from start_server(
        make_config(tmp_path, days=240, members=["alice", "bob"], rate_per_minute=5, clock_scale=0.01)
    )


def test_small_rate_limit_makes_the_client_wait_not_fail(limited: Server) -> None:
    # a client that knows nothing yet about the window is refused once, waits it out, then succeeds
    first = sandbox_client(limited, "alice", sleep=time.sleep)
    for _ in range(5):
        first.get("/v2/user/profile/basic")
    assert first.stats.rate_limited == 0 and first.limiter.delay() > 0
    uninformed = sandbox_client(limited, "bob", sleep=time.sleep)
    t0 = time.monotonic()
    assert uninformed.get("/v2/user/profile/basic")["first_name"]
    assert uninformed.stats.rate_limited == 1 and uninformed.stats.waits == 1
    assert 0 < uninformed.stats.wait_seconds <= 0.6 and time.monotonic() - t0 >= uninformed.stats.wait_seconds

    # two members' clients sharing one limiter (WHOOP limits per app) page interleaved: no 429 at all
    requests.post(f"{limited.url}/_sandbox/reset-metrics", timeout=5)
    shared = RateLimiter()
    alice = sandbox_client(limited, "alice", limiter=shared, sleep=time.sleep)
    bob = sandbox_client(limited, "bob", limiter=shared, sleep=time.sleep)
    got: dict[str, list[dict[str, Any]]] = {"alice": [], "bob": []}
    t0 = time.monotonic()
    # interleaved page by page; members have different numbers of cycles (strap-off days), so one may finish first
    for a_page, b_page in itertools.zip_longest(alice.pages("/v2/cycle"), bob.pages("/v2/cycle"), fillvalue=[]):
        got["alice"].extend(a_page)
        got["bob"].extend(b_page)
    elapsed = time.monotonic() - t0
    for member, client in (("alice", alice), ("bob", bob)):
        assert_exact("cycle", got[member], truth(limited, member)["cycles"])
        assert client.stats.rate_limited == 0
    total = alice.stats.requests + bob.stats.requests
    assert total == alice.stats.pages + bob.stats.pages >= 12
    m = metrics(limited)
    assert m["served_429"] == 0 and m["rate_limited_429"] == 0
    # 13 requests since the window opened with the uninformed client's one: at least two windows waited for
    assert alice.stats.waits + bob.stats.waits >= 2
    assert elapsed >= 2 * 0.6 * 0.9


# ---- tokens against the sandbox ----------------------------------------------------------------
class RecordingSession(requests.Session):
    """A real session that notes, in order, which tokens were issued and which were sent."""

    def __init__(self, events: list[tuple[str, str]]) -> None:
        super().__init__()
        self.events = events

    def request(self, method: str | bytes, url: Any, *args: Any, **kw: Any) -> requests.Response:
        if method == "GET":
            self.events.append(("sent-access", digest(kw["headers"]["Authorization"].removeprefix("Bearer "))))
        response = super().request(method, url, *args, **kw)
        if method == "POST" and response.status_code == 200:
            body = response.json()
            self.events.append(("issued-access", digest(body["access_token"])))
            self.events.append(("issued-refresh", digest(body["refresh_token"])))
        return response


def test_expired_access_token_refreshes_once_and_saves_the_rotated_token_first(sandbox: Server) -> None:
    events: list[tuple[str, str]] = []
    saved: list[str] = []

    def save(token: str) -> None:
        saved.append(token)
        events.append(("saved-refresh", digest(token)))

    original = sandbox.login("carol")["refresh_token"]
    session = RecordingSession(events)
    tokens = AppManagedTokens(
        token_url(sandbox), sandbox.config.client_id, sandbox.config.secret, original, save, http=session
    )
    client = WhoopClient(api_url(sandbox), tokens, http=session, sleep=no_sleep)
    assert client.get("/v2/user/profile/basic")["email"]
    assert tokens.refreshes == 1 and len(saved) == 1

    r = requests.post(f"{sandbox.url}/_sandbox/expire-tokens/carol", timeout=5)
    assert r.status_code == 200 and r.json()["expired"] >= 1
    before = client.stats.requests
    records, sizes = collect(client, "/v2/cycle")
    assert_exact("cycle", records, truth(sandbox, "carol")["cycles"])
    assert tokens.refreshes == 2 and len(saved) == 2, "exactly one refresh after the expiry"
    assert client.stats.requests - before == len(sizes) + 1, "one refused request, then the pages"

    rotated = saved[0] != original and saved[1] != saved[0]
    assert rotated, "every refresh saved a new refresh token"
    # the save came after the token endpoint issued the pair and before the new access token was sent
    for issued_at, (kind, access) in enumerate(events):
        if kind != "issued-access":
            continue
        refresh_event = events[issued_at + 1]
        assert refresh_event[0] == "issued-refresh"
        saved_at = events.index(("saved-refresh", refresh_event[1]))
        first_use = events.index(("sent-access", access))
        assert issued_at < saved_at < first_use
    # the refresh tokens that were replaced no longer work; the last saved one does
    for stale in (original, saved[0]):
        r = sandbox.post_token({"grant_type": "refresh_token", "refresh_token": stale})
        assert r.status_code == 400 and r.json()["error"] == "invalid_grant"
    r = sandbox.post_token({"grant_type": "refresh_token", "refresh_token": saved[1]})
    assert r.status_code == 200


def test_failed_save_hands_out_no_access_token(sandbox: Server) -> None:
    events: list[tuple[str, str]] = []

    def save(token: str) -> None:
        raise RuntimeError("ALTER SECRET failed")

    session = RecordingSession(events)
    tokens = AppManagedTokens(
        token_url(sandbox),
        sandbox.config.client_id,
        sandbox.config.secret,
        sandbox.login("alice")["refresh_token"],
        save,
        http=session,
    )
    client = WhoopClient(api_url(sandbox), tokens, http=session, sleep=no_sleep)
    with pytest.raises(RuntimeError, match="ALTER SECRET failed"):
        client.get("/v2/cycle")
    assert tokens.refreshes == 0 and not [e for e in events if e[0] == "sent-access"]


def test_revoked_grant_requires_reauthorization(sandbox: Server) -> None:
    grant = sandbox.login("bob")
    r = requests.delete(
        f"{api_url(sandbox)}/v2/user/access", headers={"Authorization": f"Bearer {grant['access_token']}"}, timeout=5
    )
    assert r.status_code == 204
    saved: list[str] = []
    tokens = AppManagedTokens(
        token_url(sandbox), sandbox.config.client_id, sandbox.config.secret, grant["refresh_token"], saved.append
    )
    client = WhoopClient(api_url(sandbox), tokens, sleep=no_sleep)
    with pytest.raises(ReauthorizationRequired) as err:
        client.get("/v2/cycle")
    assert err.value.status == 400 and err.value.path == "token"
    leaked = grant["refresh_token"] in str(err.value) or grant["access_token"] in str(err.value)
    assert not leaked, "the error message contains a token"
    assert saved == [] and client.stats.requests == 0


def test_invalid_refresh_token_requires_reauthorization(sandbox: Server) -> None:
    tokens = AppManagedTokens(
        token_url(sandbox), sandbox.config.client_id, sandbox.config.secret, "not-a-refresh-token", lambda t: None
    )
    with pytest.raises(ReauthorizationRequired) as err:
        WhoopClient(api_url(sandbox), tokens, sleep=no_sleep).get("/v2/cycle")
    assert "not-a-refresh-token" not in str(err.value) and "re-authorization" in str(err.value)
    assert tokens.refreshes == 0


def test_access_still_refused_after_refresh_requires_reauthorization(sandbox: Server) -> None:
    # a grant without read:cycles: the sandbox answers 401 both before and after the refresh
    refresh = sandbox.login("alice", scope="read:profile offline")["refresh_token"]
    tokens = AppManagedTokens(
        token_url(sandbox), sandbox.config.client_id, sandbox.config.secret, refresh, lambda t: None
    )
    client = WhoopClient(api_url(sandbox), tokens, sleep=no_sleep)
    assert client.get("/v2/user/profile/basic")["first_name"]
    with pytest.raises(ReauthorizationRequired) as err:
        client.get("/v2/cycle")
    assert err.value.status == 401 and err.value.path == "/v2/cycle"
    assert tokens.refreshes == 2 and client.stats.requests == 3


# ---- fake transport for what the sandbox cannot produce on demand ------------------------------
def response(status: int, body: Any = None, *, raw: bytes | None = None, headers: dict[str, str] | None = None):
    r = requests.Response()
    r.status_code = status
    r._content = raw if raw is not None else json.dumps(body).encode()
    r.headers.update(headers or {})
    r.encoding = "utf-8"
    return r


class FakeHttp:
    """Hands out prepared responses (or raises prepared exceptions) in order; records the calls."""

    def __init__(self, *answers: requests.Response | Exception) -> None:
        self.answers = list(answers)
        self.calls: list[tuple[str, str, dict[str, Any]]] = []

    def _next(self, method: str, url: str, kw: dict[str, Any]) -> requests.Response:
        self.calls.append((method, url, kw))
        answer = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
        if isinstance(answer, Exception):
            raise answer
        return answer

    def request(self, method: str, url: str, **kw: Any) -> requests.Response:
        return self._next(method, url, kw)

    def get(self, url: str, **kw: Any) -> requests.Response:
        return self._next("GET", url, kw)

    def post(self, url: str, **kw: Any) -> requests.Response:
        return self._next("POST", url, kw)


class CountingRead:
    def __init__(self) -> None:
        self.calls = 0

    def __call__(self) -> str:
        self.calls += 1
        return f"snowflake-token-{self.calls}"


def fake_client(http: FakeHttp, **kw: Any) -> tuple[WhoopClient, CountingRead]:
    read = CountingRead()
    kw.setdefault("sleep", Sleeps())
    return WhoopClient("https://api.example/developer/", SnowflakeManagedTokens(read), http=http, **kw), read


OK_PAGE = {"records": [{"id": 1}], "next_token": None}


def test_snowflake_managed_tokens_read_the_secret_each_time() -> None:
    http = FakeHttp(response(401, {}), response(200, OK_PAGE))
    client, read = fake_client(http)
    assert client.get("/v2/cycle") == OK_PAGE
    sent = [c[2]["headers"]["Authorization"] for c in http.calls]
    # read and sent, re-read on refresh, read again and sent
    assert sent == ["Bearer snowflake-token-1", "Bearer snowflake-token-3"]
    assert read.calls == 3
    assert http.calls[0][1] == "https://api.example/developer/v2/cycle"
    assert http.calls[0][2]["timeout"] == (5.0, 30.0)


def test_non_dict_json_body_is_retried_then_given_up() -> None:
    client, _ = fake_client(FakeHttp(response(200, [OK_PAGE]), response(200, OK_PAGE)))
    assert client.get("/v2/cycle") == OK_PAGE
    assert client.stats.retries == 1

    client, _ = fake_client(FakeHttp(response(200, "nope")), max_retries=2)
    with pytest.raises(WhoopApiError, match=r"gave up after 2 retries \(unexpected JSON body\)"):
        client.get("/v2/cycle")
    assert client.stats.requests == 3


def test_unreadable_json_body_is_retried() -> None:
    client, _ = fake_client(FakeHttp(response(200, raw=b'{"records": ['), response(200, OK_PAGE)))
    assert list(client.pages("/v2/cycle")) == [[{"id": 1}]]
    assert client.stats.retries == 1 and client.stats.pages == 1 and client.stats.records == 1


def test_connection_errors_exhaust_retries_with_bounded_jittered_backoff() -> None:
    sleeps = Sleeps()
    http = FakeHttp(requests.ConnectionError("refused"))
    client, _ = fake_client(http, max_retries=4, backoff=0.5, sleep=sleeps, rng=random.Random(0))
    with pytest.raises(WhoopApiError) as err:
        client.get("/v2/cycle")
    assert "gave up after 4 retries (ConnectionError)" in str(err.value)
    assert err.value.path == "/v2/cycle" and err.value.status is None
    assert len(http.calls) == 5 and client.stats.retries == 4
    assert len(sleeps) == 4 and all(0 < s <= 0.5 * 2**i for i, s in enumerate(sleeps))
    assert client.stats.wait_seconds == pytest.approx(sum(sleeps))


def test_timeouts_then_success() -> None:
    client, _ = fake_client(FakeHttp(requests.ReadTimeout(), requests.ConnectTimeout(), response(200, OK_PAGE)))
    assert client.get("/v2/cycle") == OK_PAGE
    assert client.stats.retries == 2 and client.stats.requests == 3


def test_429_is_waited_out_for_the_reset_seconds() -> None:
    sleeps = Sleeps()
    http = FakeHttp(
        response(429, {}, headers={"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "7"}),
        response(429, {}, headers={"X-RateLimit-Reset": "soon"}),  # unreadable: a second
        response(429, {}),  # absent: a second
        response(429, {}, headers={"X-RateLimit-Reset": "-3"}),  # negative: no wait
        response(200, OK_PAGE),
    )
    clock = [100.0]

    def sleep(seconds: float) -> None:
        sleeps.append(seconds)
        clock[0] += seconds

    client, _ = fake_client(http, sleep=sleep, limiter=RateLimiter(clock=lambda: clock[0]))
    assert client.get("/v2/cycle") == OK_PAGE
    assert sleeps == [7.0, 1.0, 1.0]
    assert client.stats.rate_limited == 4 and client.stats.retries == 0 and client.stats.waits == 3


def test_429_beyond_max_waits_fails() -> None:
    sleeps = Sleeps()
    http = FakeHttp(response(429, {}, headers={"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "2"}))
    client, _ = fake_client(http, max_waits=3, sleep=sleeps)
    with pytest.raises(WhoopApiError) as err:
        client.get("/v2/cycle")
    assert err.value.status == 429 and "still rate limited after 3 waits" in str(err.value)
    assert len(http.calls) == 4 and client.stats.rate_limited == 4 and client.stats.retries == 0


def test_401_after_refresh_requires_reauthorization() -> None:
    http = FakeHttp(response(401, {}))
    client, read = fake_client(http)
    with pytest.raises(ReauthorizationRequired) as err:
        client.get("/v2/cycle")
    assert err.value.status == 401 and len(http.calls) == 2 and read.calls == 3


@pytest.mark.parametrize("status", [400, 403, 404, 409])
def test_client_errors_fail_at_once(status: int) -> None:
    http = FakeHttp(response(status, {"error": "x"}), response(200, OK_PAGE))
    client, _ = fake_client(http)
    with pytest.raises(WhoopApiError) as err:
        client.get("/v2/cycle")
    assert err.value.status == status and not isinstance(err.value, ReauthorizationRequired)
    assert len(http.calls) == 1 and client.stats.retries == 0


def test_pages_follow_next_token_and_send_iso_utc_filters() -> None:
    http = FakeHttp(
        response(200, {"records": [{"id": 3}, {"id": 2}], "next_token": "abc"}),
        response(200, {"records": [{"id": 1}], "next_token": ""}),
    )
    client, _ = fake_client(http)
    start = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    end = datetime(2026, 2, 1, tzinfo=UTC)
    assert list(client.pages("/v2/cycle", start=start, end=end)) == [[{"id": 3}, {"id": 2}], [{"id": 1}]]
    params = [c[2]["params"] for c in http.calls]
    assert params[0] == {"limit": 25, "start": "2026-01-02T03:04:05Z", "end": "2026-02-01T00:00:00Z"}
    assert params[1] == {**params[0], "nextToken": "abc"}


def test_rate_limiter_observe_and_delay() -> None:
    now = [50.0]
    limiter = RateLimiter(clock=lambda: now[0])
    assert limiter.delay() == 0.0
    limiter.observe({"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "0.412"})
    assert limiter.delay() == pytest.approx(0.412)
    for bad in (
        {"X-RateLimit-Remaining": "many", "X-RateLimit-Reset": "9"},
        {"X-RateLimit-Remaining": "3", "X-RateLimit-Reset": "later"},
        {"X-RateLimit-Remaining": "3"},
        {"X-RateLimit-Reset": "9"},
        {},
    ):
        limiter.observe(bad)  # ignored: the last readable state stands
        assert limiter.delay() == pytest.approx(0.412)
    now[0] += 1.0
    assert limiter.delay() == 0.0  # the window has passed
    limiter.observe({"X-RateLimit-Remaining": "2", "X-RateLimit-Reset": "30"})
    assert limiter.delay() == 0.0  # requests left: no wait
    limiter.exhausted(5.0)
    assert limiter.delay() == pytest.approx(5.0)


def test_page_model_accepts_nulls_and_unknown_fields() -> None:
    page = Page.model_validate({"records": [{"id": 1}], "next_token": None, "new_field": 1})
    assert page.next_token is None and page.records == [{"id": 1}]
    assert Page.model_validate({}).records == []
    with pytest.raises(ValueError):
        Page.model_validate({"records": "not a list"})


def test_record_key() -> None:
    assert record_key("recovery", {"cycle_id": 42, "sleep_id": "s"}) == "42"
    assert record_key("cycle", {"id": 7}) == "7"
    assert record_key("sleep", {"id": "0b1e"}) == "0b1e"


# ---- token endpoint failures, with a fake transport --------------------------------------------
SECRET = "client-secret-value"


def fake_tokens(*answers: requests.Response | Exception) -> tuple[AppManagedTokens, list[str], FakeHttp]:
    saved: list[str] = []
    http = FakeHttp(*answers)
    tokens = AppManagedTokens("https://auth.example/token", "cid", SECRET, "refresh-0", saved.append, http=http)
    return tokens, saved, http


def test_token_refresh_rotates_and_caches() -> None:
    tokens, saved, http = fake_tokens(
        response(200, {"access_token": "access-1", "refresh_token": "refresh-1"}),
        response(200, {"access_token": "access-2", "refresh_token": "refresh-2"}),
    )
    assert tokens.access_token() == "access-1"
    assert tokens.access_token() == "access-1"  # cached: no second call
    assert len(http.calls) == 1
    assert tokens.refresh() == "access-2"
    assert saved == ["refresh-1", "refresh-2"] and tokens.refreshes == 2
    forms = [c[2]["data"] for c in http.calls]
    assert [f["refresh_token"] for f in forms] == ["refresh-0", "refresh-1"]
    assert forms[0]["grant_type"] == "refresh_token" and forms[0]["scope"] == "offline"
    assert http.calls[0][2]["timeout"] == 30.0


@pytest.mark.parametrize("status", [400, 401])
def test_token_endpoint_rejection_requires_reauthorization(status: int) -> None:
    tokens, saved, _ = fake_tokens(response(status, {"error": "invalid_grant"}))
    with pytest.raises(ReauthorizationRequired) as err:
        tokens.access_token()
    assert err.value.status == status and saved == []


def test_token_endpoint_500_is_an_api_error_not_reauthorization() -> None:
    tokens, saved, _ = fake_tokens(response(500, {}))
    with pytest.raises(WhoopApiError) as err:
        tokens.refresh()
    assert type(err.value) is WhoopApiError and err.value.status == 500 and err.value.path == "token"
    assert saved == [] and tokens.refreshes == 0


def test_token_endpoint_network_error() -> None:
    tokens, saved, _ = fake_tokens(requests.ConnectionError(f"cannot send client_secret={SECRET}"))
    with pytest.raises(WhoopApiError) as err:
        tokens.access_token()
    message = str(err.value)
    assert message == "token refresh failed: ConnectionError"
    assert err.value.__cause__ is None and err.value.__suppress_context__
    assert saved == []


@pytest.mark.parametrize(
    "body",
    [b"<html>gateway</html>", b'{"access_token": "a"}', b'["access_token"]', b"null", b'"text"'],
    ids=["not-json", "no-refresh-token", "json-list", "json-null", "json-string"],
)
def test_token_endpoint_unreadable_body(body: bytes) -> None:
    tokens, saved, _ = fake_tokens(response(200, raw=body))
    with pytest.raises(WhoopApiError, match="unreadable body") as err:
        tokens.access_token()
    assert type(err.value) is WhoopApiError and err.value.status == 200
    assert saved == [] and tokens.refreshes == 0


def test_concurrent_refresh_continues_from_the_token_the_other_run_saved(sandbox: Server) -> None:
    """Two runs hold the same refresh token: the first rotates it; the second is rejected, re-reads the
    stored token (the one the first saved) and continues, so neither run loses the member's access."""
    store: dict[str, str] = {"token": sandbox.login("bob")["refresh_token"]}

    def save(token: str) -> None:
        store["token"] = token

    def make() -> AppManagedTokens:
        return AppManagedTokens(
            token_url(sandbox),
            sandbox.config.client_id,
            sandbox.config.secret,
            store["token"],
            save,
            stored_refresh_token=lambda: store["token"],
        )

    first, second = make(), make()
    assert first.access_token()
    assert second.access_token()  # rejected with the stale token, then refreshed from the stored one
    assert first.refreshes == 1 and second.refreshes == 1
    client = WhoopClient(api_url(sandbox), second, sleep=lambda s: None)
    assert client.get("/v2/user/profile/basic")["user_id"]


def test_rejection_without_a_newer_stored_token_still_requires_reauthorization(sandbox: Server) -> None:
    tokens = AppManagedTokens(
        token_url(sandbox),
        sandbox.config.client_id,
        sandbox.config.secret,
        "revoked",
        lambda t: None,
        stored_refresh_token=lambda: "revoked",
        sleep=lambda s: None,
    )
    with pytest.raises(ReauthorizationRequired):
        tokens.access_token()


class RotatedElsewhere:
    """Tokens whose member another run keeps rotating: each refresh is followed by a fresh rotation."""

    def __init__(self, rotations: int) -> None:
        self.rotations = rotations
        self.refreshes = 0

    def access_token(self) -> str:
        return f"access-{self.refreshes}"

    def refresh(self) -> str:
        self.refreshes += 1
        return self.access_token()

    def superseded(self) -> bool:
        return self.refreshes <= self.rotations


def test_401_again_after_a_concurrent_rotation_refreshes_again() -> None:
    http = FakeHttp(response(401, {}), response(401, {}), response(200, OK_PAGE))
    tokens = RotatedElsewhere(rotations=1)
    client = WhoopClient("https://api.example/developer", tokens, http=http, sleep=Sleeps())
    assert client.get("/v2/cycle") == OK_PAGE
    assert tokens.refreshes == 2


def test_endless_rotation_still_ends_in_reauthorization() -> None:
    http = FakeHttp(response(401, {}))
    tokens = RotatedElsewhere(rotations=100)
    client = WhoopClient("https://api.example/developer", tokens, http=http, sleep=Sleeps(), max_refreshes=3)
    with pytest.raises(ReauthorizationRequired):
        client.get("/v2/cycle")
    assert tokens.refreshes == 3


def test_superseded_compares_the_stored_token(sandbox: Server) -> None:
    stored = {"token": "mine"}
    tokens = AppManagedTokens(
        token_url(sandbox),
        sandbox.config.client_id,
        sandbox.config.secret,
        "mine",
        lambda t: None,
        stored_refresh_token=lambda: stored["token"],
        sleep=lambda s: None,
    )
    assert not tokens.superseded()
    stored["token"] = "theirs"
    assert tokens.superseded()


def test_revoke_access_sends_delete_and_accepts_204() -> None:
    http = FakeHttp(response(503, {}), response(204, raw=b""))
    client, _ = fake_client(http)
    assert client.revoke_access() is None
    assert [(m, u) for m, u, _ in http.calls] == [("DELETE", "https://api.example/developer/v2/user/access")] * 2


def test_revoke_access_refused_is_an_error_naming_the_method() -> None:
    client, _ = fake_client(FakeHttp(response(403, {})))
    with pytest.raises(WhoopApiError, match="DELETE /v2/user/access: HTTP 403"):
        client.revoke_access()
