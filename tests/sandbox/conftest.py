"""Fixtures: a pinned-date config, a uvicorn server on a free loopback port, an OAuth helper."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest
import requests
from starlette.applications import Starlette

from infra.local.in_process import free_port, serve
from infra.local.oauth_callback import authorize_url
from infra.local.sandbox.app import create_app
from infra.local.sandbox.config import SandboxConfig

TODAY = date(2026, 11, 25)
REDIRECT = "http://127.0.0.1:9/callback"
ALL_SCOPES = "read:recovery read:cycles read:workout read:sleep read:profile read:body_measurement offline"


@dataclass
class Server:
    url: str
    app: Starlette
    config: SandboxConfig

    @property
    def sandbox(self) -> Any:
        return self.app.state.sandbox

    def login(self, member: str = "alice", scope: str = ALL_SCOPES) -> dict[str, Any]:
        """Authorization-code flow with login_hint; returns the token response."""
        r = self.authorize(member, scope, "abcdefgh")
        assert r.status_code == 302, r.text
        query = parse_qs(urlparse(r.headers["location"]).query)
        assert query["state"] == ["abcdefgh"]
        return self.token({"grant_type": "authorization_code", "code": query["code"][0], "redirect_uri": REDIRECT})

    def authorize(self, member: str, scope: str, state: str) -> requests.Response:
        """The authorization request, `login_hint` standing in for the member's login; not redirected."""
        url = authorize_url(f"{self.url}/oauth/oauth2/auth", self.config.client_id, REDIRECT, scope, state)
        return requests.get(url, params={"login_hint": member}, allow_redirects=False, timeout=5)

    def token(self, form: dict[str, str]) -> dict[str, Any]:
        r = self.post_token(form)
        assert r.status_code == 200, r.text
        return r.json()

    def post_token(self, form: dict[str, str]) -> requests.Response:
        body = {"client_id": self.config.client_id, "client_secret": self.config.secret, **form}
        return requests.post(f"{self.url}/oauth/oauth2/token", data=body, timeout=5)

    def get(self, path: str, token: str | None, **params: Any) -> requests.Response:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return requests.get(f"{self.url}{path}", headers=headers, params=params, timeout=10)


def start_server(config: SandboxConfig) -> Iterator[Server]:
    app = create_app(config)
    port = free_port()
    with serve(app, port) as url:
        yield Server(url, app, config)


def make_config(tmp: Path, **overrides: Any) -> SandboxConfig:
    return SandboxConfig(today=TODAY, state_dir=tmp, **overrides)


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    yield from start_server(make_config(tmp_path_factory.mktemp("sandbox"), rate_per_minute=100_000))


@pytest.fixture(scope="session")
def alice_token(server: Server) -> str:
    return str(server.login("alice")["access_token"])
