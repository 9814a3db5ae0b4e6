"""OAuth: code flow, rotation (old refresh and access tokens die), concurrency, persistence, expiry."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from tests.sandbox.conftest import REDIRECT, Server, make_config, start_server


@pytest.fixture
def local(tmp_path: Path) -> Iterator[Server]:
    yield from start_server(make_config(tmp_path, days=30, expires_in=3600))


def test_rotation_invalidates_old_tokens(server: Server) -> None:
    first = server.login("bob")
    second = server.token({"grant_type": "refresh_token", "refresh_token": first["refresh_token"]})
    assert second["refresh_token"] != first["refresh_token"] and second["expires_in"] == 3600
    assert server.get("/developer/v2/cycle", first["access_token"]).status_code == 401
    assert server.get("/developer/v2/cycle", second["access_token"]).status_code == 200
    reuse = server.post_token({"grant_type": "refresh_token", "refresh_token": first["refresh_token"]})
    assert reuse.status_code == 400 and reuse.json()["error"] == "invalid_grant"


def test_concurrent_refresh_only_first_wins(server: Server) -> None:
    tokens = server.login("bob")
    results: list[int] = []

    def refresh() -> None:
        results.append(
            server.post_token({"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]}).status_code
        )

    threads = [threading.Thread(target=refresh) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == [200, 400]


def test_code_is_single_use_and_client_checked(server: Server) -> None:
    r = server.authorize("alice", "read:cycles", "12345678")
    code = r.headers["location"].split("code=")[1].split("&")[0]
    assert (
        server.post_token({"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT}).status_code
        == 200
    )
    assert server.post_token({"grant_type": "authorization_code", "code": code}).status_code == 400
    bad = requests.post(
        f"{server.url}/oauth/oauth2/token",
        data={
            "grant_type": "authorization_code",
            "code": "x",
            "client_id": server.config.client_id,
            "client_secret": "nope",
        },
        timeout=5,
    )
    assert bad.status_code == 401


def test_authorize_validation_and_form(server: Server) -> None:
    params = {
        "client_id": server.config.client_id,
        "redirect_uri": REDIRECT,
        "response_type": "code",
        "scope": "read:cycles offline",
        "state": "short",
    }
    assert requests.get(f"{server.url}/oauth/oauth2/auth", params=params, timeout=5).status_code == 400
    params["state"] = "abcd1234"
    page = requests.get(f"{server.url}/oauth/oauth2/auth", params=params, timeout=5)
    assert page.status_code == 200 and "carol" in page.text and "<form" in page.text
    posted = requests.post(
        f"{server.url}/oauth/oauth2/auth", data={**params, "member": "carol"}, allow_redirects=False, timeout=5
    )
    assert posted.status_code == 302 and "state=abcd1234" in posted.headers["location"]
    assert (
        requests.get(f"{server.url}/oauth/oauth2/auth", params={**params, "client_id": "x"}, timeout=5).status_code
        == 400
    )


def test_admin_expire_tokens(local: Server) -> None:
    tokens = local.login("carol")
    assert local.get("/developer/v2/cycle", tokens["access_token"]).status_code == 200
    assert requests.post(f"{local.url}/_sandbox/expire-tokens/carol", timeout=5).json()["expired"] == 1
    assert local.get("/developer/v2/cycle", tokens["access_token"]).status_code == 401
    fresh = local.token({"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]})
    assert local.get("/developer/v2/cycle", fresh["access_token"]).status_code == 200


def test_short_expiry(tmp_path: Path) -> None:
    import time

    for srv in start_server(make_config(tmp_path, days=30, expires_in=1)):
        token = srv.login("alice")["access_token"]
        assert srv.get("/developer/v2/cycle", token).status_code == 200
        time.sleep(1.1)
        assert srv.get("/developer/v2/cycle", token).status_code == 401


def test_tokens_survive_restart(tmp_path: Path) -> None:
    for srv in start_server(make_config(tmp_path, days=30)):
        tokens = srv.login("alice")
    assert (tmp_path / "oauth_state.json").exists()
    for srv in start_server(make_config(tmp_path, days=30)):
        assert srv.get("/developer/v2/cycle", tokens["access_token"]).status_code == 200
        assert (
            srv.post_token({"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]}).status_code == 200
        )
