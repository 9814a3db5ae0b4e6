"""Which token provider the ingest handler picks per member, and what the member procedures write.

Handlers run against a recording fake session here; the same code runs end to end in
tests/integration/test_snowflake_managed.py.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from snowpark_procs import ingest, members, secrets
from snowpark_procs.whoop.errors import ReauthorizationRequired, WhoopApiError
from snowpark_procs.whoop.tokens import AppManagedTokens, SnowflakeManagedTokens


class FakeSession:
    """Records statements; answers SELECTs from `answers` (first matching substring wins)."""

    def __init__(self, answers: dict[str, list[tuple]] | None = None) -> None:
        self.answers = answers or {}
        self.statements: list[tuple[str, list | None]] = []

    def sql(self, text: str, params: list | None = None) -> FakeSession:
        self.statements.append((text, params))
        self._last = text
        return self

    def collect(self) -> list[tuple]:
        for needle, rows in self.answers.items():
            if needle in self._last:
                return rows
        return []

    def get_current_database(self) -> str:
        return "WHOOP"


SETTINGS = {"token_url": "https://t.example/token", "authorize_url": "https://t.example/auth"}


def test_snowflake_managed_reads_the_members_alias(monkeypatch: pytest.MonkeyPatch) -> None:
    asked: list[str] = []
    monkeypatch.setattr(secrets, "read_oauth", lambda alias: asked.append(alias) or f"token-{len(asked)}")
    provider = ingest.token_provider(FakeSession(), "ben", "SNOWFLAKE_MANAGED", SETTINGS, {}, {})
    assert isinstance(provider, SnowflakeManagedTokens)
    assert provider.access_token() == "token-1"
    assert provider.refresh() == "token-2"  # re-read after a 401: Snowflake refreshes
    assert asked == ["whoop_oauth_ben", "whoop_oauth_ben"]


def test_app_managed_needs_a_stored_refresh_token() -> None:
    provider = ingest.token_provider(FakeSession(), "ann", "APP_MANAGED", SETTINGS, {"client_id": "c"}, {"ann": "r"})
    assert isinstance(provider, AppManagedTokens)
    with pytest.raises(ReauthorizationRequired, match="no refresh token stored"):
        ingest.token_provider(FakeSession(), "ann", "APP_MANAGED", SETTINGS, {}, {})


def test_unknown_mode_is_a_plain_failure_not_reauthorization() -> None:
    with pytest.raises(ValueError, match="unknown AUTH_MODE"):
        ingest.token_provider(FakeSession(), "ann", "SOMETHING", SETTINGS, {}, {"ann": "r"})


@pytest.mark.parametrize(
    ("failure", "expected", "message"),
    [
        (ConnectionError("endpoint down"), WhoopApiError, "could not refresh whoop_oauth_ben: ConnectionError"),
        (TimeoutError(), WhoopApiError, "TimeoutError"),
        (PermissionError("refused (invalid_grant)"), ReauthorizationRequired, "invalid_grant"),
        (ValueError("alias not bound"), ReauthorizationRequired, "ValueError: alias not bound"),
    ],
)
def test_secret_read_failures_are_classified(
    monkeypatch: pytest.MonkeyPatch, failure: Exception, expected: type, message: str
) -> None:
    def read(alias: str) -> str:
        raise failure

    monkeypatch.setattr(secrets, "read_oauth", read)
    provider = ingest.token_provider(FakeSession(), "ben", "SNOWFLAKE_MANAGED", SETTINGS, {}, {})
    with pytest.raises(expected, match=message) as caught:
        provider.access_token()
    if expected is WhoopApiError:
        assert not isinstance(caught.value, ReauthorizationRequired)  # transient: retried on the next run


def test_an_empty_token_needs_reauthorization(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(secrets, "read_oauth", lambda alias: "")
    provider = ingest.token_provider(FakeSession(), "ben", "SNOWFLAKE_MANAGED", SETTINGS, {}, {})
    with pytest.raises(ReauthorizationRequired, match="no access token in whoop_oauth_ben"):
        provider.access_token()


def test_read_oauth_goes_through_the_runtime_module(monkeypatch: pytest.MonkeyPatch) -> None:
    import sys
    import types

    fake = types.SimpleNamespace(get_oauth_access_token=lambda alias: f"from-runtime:{alias}")
    monkeypatch.setitem(sys.modules, "_snowflake", fake)
    assert secrets.read_oauth("whoop_oauth_ben") == "from-runtime:whoop_oauth_ben"


@pytest.mark.parametrize("name", ["", "1ann", "ann-b", "ann b", "ann'; DROP", "a" * 65])
def test_member_names_that_cannot_name_a_secret_are_refused(name: str) -> None:
    with pytest.raises(ValueError, match="must be a letter"):
        ingest.oauth_secret(name)


def test_names_are_derived_deterministically() -> None:
    assert ingest.oauth_alias("Ben_2") == "whoop_oauth_ben_2"
    assert ingest.oauth_secret("Ben_2") == "CONFIG.WHOOP_OAUTH_BEN_2"


def _client(monkeypatch: pytest.MonkeyPatch, value: dict[str, str]) -> None:
    monkeypatch.setattr(secrets, "read_generic", lambda alias: json.dumps(value))


def test_connect_writes_integration_secret_member_and_bindings(monkeypatch: pytest.MonkeyPatch) -> None:
    _client(monkeypatch, {"client_id": "cid", "client_secret": "s'cret"})
    session = FakeSession(
        {
            "SETTING_KEY": list(SETTINGS.items()),
            "WHERE AUTH_MODE": [("ben",), ("cat",)],
        }
    )
    out = members.connect_oauth(session, " ben ", 42)
    assert out["secret"] == "WHOOP.CONFIG.WHOOP_OAUTH_BEN" and out["alias"] == "whoop_oauth_ben"
    assert out["next_steps"][0].startswith("SELECT SYSTEM$START_OAUTH_FLOW('WHOOP.CONFIG.WHOOP_OAUTH_BEN')")
    texts = [t for t, _ in session.statements]
    create = next(t for t in texts if t.startswith("CREATE SECURITY INTEGRATION IF NOT EXISTS WHOOP_PLATFORM_OAUTH"))
    assert "TYPE = API_AUTHENTICATION AUTH_TYPE = OAUTH2" in create and "OAUTH_CLIENT_SECRET = 's''cret'" in create
    assert "OAUTH_TOKEN_ENDPOINT = 'https://t.example/token'" in create and "'offline'" in create
    assert any(t.startswith("ALTER SECURITY INTEGRATION WHOOP_PLATFORM_OAUTH SET OAUTH_CLIENT_ID") for t in texts)
    assert any(
        t.startswith("CREATE SECRET IF NOT EXISTS CONFIG.WHOOP_OAUTH_BEN TYPE = OAUTH2 API_AUTHENTICATION")
        for t in texts
    )
    merge = next(p for t, p in session.statements if t.startswith("MERGE INTO CONFIG.MEMBERS"))
    assert merge == ["ben", 42]
    assert (
        "ALTER PROCEDURE OPS.INGEST_WHOOP(VARCHAR, VARCHAR, NUMBER) SET SECRETS = ("
        "'whoop_client' = CONFIG.WHOOP_CLIENT, 'whoop_tokens' = CONFIG.WHOOP_REFRESH_TOKENS, "
        "'whoop_oauth_ben' = CONFIG.WHOOP_OAUTH_BEN, "
        "'whoop_oauth_cat' = CONFIG.WHOOP_OAUTH_CAT)"
    ) in texts
    eai = next(t for t in texts if t.startswith("ALTER EXTERNAL ACCESS INTEGRATION"))
    assert "ALLOWED_API_AUTHENTICATION_INTEGRATIONS = (WHOOP_PLATFORM_OAUTH)" in eai
    assert "CONFIG.WHOOP_OAUTH_CAT" in eai and "CONFIG.WHOOP_CLIENT" in eai


def test_connect_needs_client_credentials_and_a_free_name(monkeypatch: pytest.MonkeyPatch) -> None:
    _client(monkeypatch, {})
    with pytest.raises(ValueError, match="SET_WHOOP_CLIENT"):
        members.connect_oauth(FakeSession(), "ben", 1)
    with pytest.raises(ValueError, match="already uses the secret"):
        members.connect_oauth(FakeSession({"UPPER(MEMBER_NAME)": [("BEN",)]}), "ben", 1)


def test_bind_without_snowflake_managed_members_changes_nothing() -> None:
    session = FakeSession()
    assert members.bind_ingest_secrets(session) == "no Snowflake-managed members"
    assert all(not t.startswith("ALTER") for t, _ in session.statements)


def test_register_switches_a_member_back_to_app_managed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(secrets, "read_generic", lambda alias: "{}")
    written: list[Any] = []
    monkeypatch.setattr(secrets, "write_generic", lambda session, name, value: written.append(name))
    session = FakeSession()
    members.register(session, "ben", "refresh", 7)
    merge = next(t for t, _ in session.statements if t.startswith("MERGE INTO CONFIG.MEMBERS"))
    assert "AUTH_MODE = 'APP_MANAGED'" in merge
    assert written == ["CONFIG.WHOOP_REFRESH_TOKENS"]
