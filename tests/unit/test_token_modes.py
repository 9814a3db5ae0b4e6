"""Which token provider the ingest handler picks per member, and what the member procedures write.

Handlers run against a recording fake session here; the same code runs end to end in
tests/integration/test_snowflake_managed.py.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

import pytest

from snowpark_procs import ingest, members, secrets
from snowpark_procs.whoop.errors import ReauthorizationRequired, WhoopApiError
from snowpark_procs.whoop.tokens import AppManagedTokens, SnowflakeManagedTokens


class Shown:
    """A row of a SHOW command, as Snowpark returns it (lower-case column names)."""

    def __init__(self, name: str) -> None:
        self.name = name

    def as_dict(self) -> dict[str, str]:
        return {"name": self.name}


class FakeSession:
    """Records statements; answers SELECTs from `answers` (first matching substring wins).

    With a `store`, ALTER SECRET … SET SECRET_STRING writes go to it, as the owner's-rights procedure's do.
    """

    def __init__(self, answers: dict[str, list[Any]] | None = None, store: SecretStore | None = None) -> None:
        self.answers = answers or {}
        self.statements: list[tuple[str, list | None]] = []
        self.store = store

    def sql(self, text: str, params: list | None = None) -> FakeSession:
        self.statements.append((text, params))
        self._last = text
        written = re.match(r"^ALTER SECRET (\S+) SET SECRET_STRING = '(.*)'$", text, re.S)
        if written and self.store is not None:
            self.store.values[written[1]] = written[2].replace("''", "'").replace("\\\\", "\\")
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
    provider = ingest.token_provider(FakeSession(), "ben", "SNOWFLAKE_MANAGED", SETTINGS, {})
    assert isinstance(provider, SnowflakeManagedTokens)
    assert provider.access_token() == "token-1"
    assert provider.refresh() == "token-2"  # re-read after a 401: Snowflake refreshes
    assert asked == ["whoop_oauth_ben", "whoop_oauth_ben"]


def test_app_managed_needs_a_stored_refresh_token(monkeypatch: pytest.MonkeyPatch) -> None:
    asked: list[str] = []
    monkeypatch.setattr(secrets, "read_generic", lambda alias: asked.append(alias) or "r")
    provider = ingest.token_provider(FakeSession(), "ann", "APP_MANAGED", SETTINGS, {"client_id": "c"})
    assert isinstance(provider, AppManagedTokens)
    assert asked == ["whoop_token_ann"]  # the member's own secret, nothing shared
    for empty in ("", None):
        monkeypatch.setattr(secrets, "read_generic", lambda alias, v=empty: v)
        with pytest.raises(ReauthorizationRequired, match="no refresh token stored"):
            ingest.token_provider(FakeSession(), "ann", "APP_MANAGED", SETTINGS, {})

    def unbound(alias: str) -> str:
        raise ValueError(f"Secret alias {alias!r} is not bound")

    monkeypatch.setattr(secrets, "read_generic", unbound)
    with pytest.raises(ReauthorizationRequired, match="no refresh token stored"):
        ingest.token_provider(FakeSession(), "ann", "APP_MANAGED", SETTINGS, {})


def test_unknown_mode_is_a_plain_failure_not_reauthorization() -> None:
    with pytest.raises(ValueError, match="unknown AUTH_MODE"):
        ingest.token_provider(FakeSession(), "ann", "SOMETHING", SETTINGS, {})


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
    provider = ingest.token_provider(FakeSession(), "ben", "SNOWFLAKE_MANAGED", SETTINGS, {})
    with pytest.raises(expected, match=message) as caught:
        provider.access_token()
    if expected is WhoopApiError:
        assert not isinstance(caught.value, ReauthorizationRequired)  # transient: retried on the next run


def test_an_empty_token_needs_reauthorization(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(secrets, "read_oauth", lambda alias: "")
    provider = ingest.token_provider(FakeSession(), "ben", "SNOWFLAKE_MANAGED", SETTINGS, {})
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
    assert ingest.token_alias("Ben_2") == "whoop_token_ben_2"
    assert ingest.token_secret("Ben_2") == "CONFIG.WHOOP_TOKEN_BEN_2"
    with pytest.raises(ValueError, match="must be a letter"):
        ingest.token_secret("ann'; DROP")


def _client(monkeypatch: pytest.MonkeyPatch, value: dict[str, str]) -> None:
    monkeypatch.setattr(secrets, "read_generic", lambda alias: json.dumps(value))


def test_connect_writes_integration_secret_member_and_bindings(monkeypatch: pytest.MonkeyPatch) -> None:
    _client(monkeypatch, {"client_id": "cid", "client_secret": "s'cret"})
    session = FakeSession(
        {
            "SETTING_KEY": list(SETTINGS.items()),
            "CURRENT_DATABASE": [("WHOOP",)],
            "SHOW SECRETS": [Shown("WHOOP_CLIENT"), Shown("WHOOP_OAUTH_BEN"), Shown("WHOOP_OAUTH_CAT")],
            "ORDER BY MEMBER_NAME": [("ben", "SNOWFLAKE_MANAGED"), ("cat", "SNOWFLAKE_MANAGED")],
        }
    )
    out = members.connect_oauth(session, " ben ", 42)
    assert out["secret"] == "WHOOP.CONFIG.WHOOP_OAUTH_BEN" and out["alias"] == "whoop_oauth_ben"
    assert out["next_steps"][0].startswith("CALL WHOOP.OPS.START_MEMBER_OAUTH('ben')")
    texts = [t for t, _ in session.statements]
    create = next(t for t in texts if t.startswith("CREATE SECURITY INTEGRATION IF NOT EXISTS WHOOP_WHOOP_OAUTH"))
    assert "TYPE = API_AUTHENTICATION AUTH_TYPE = OAUTH2" in create and "OAUTH_CLIENT_SECRET = 's''cret'" in create
    assert "OAUTH_TOKEN_ENDPOINT = 'https://t.example/token'" in create and "'offline'" in create
    assert any(t.startswith("ALTER SECURITY INTEGRATION WHOOP_WHOOP_OAUTH SET OAUTH_CLIENT_ID") for t in texts)
    assert any(
        t.startswith("CREATE SECRET IF NOT EXISTS CONFIG.WHOOP_OAUTH_BEN TYPE = OAUTH2 API_AUTHENTICATION")
        for t in texts
    )
    merge = next(p for t, p in session.statements if t.startswith("MERGE INTO CONFIG.MEMBERS"))
    assert merge == ["ben", 42]
    assert (
        "ALTER PROCEDURE OPS.INGEST_WHOOP(VARCHAR, VARCHAR, NUMBER) SET SECRETS = ("
        "'whoop_client' = CONFIG.WHOOP_CLIENT, "
        "'whoop_oauth_ben' = CONFIG.WHOOP_OAUTH_BEN, "
        "'whoop_oauth_cat' = CONFIG.WHOOP_OAUTH_CAT)"
    ) in texts
    eai = next(t for t in texts if t.startswith("ALTER EXTERNAL ACCESS INTEGRATION"))
    assert eai.startswith("ALTER EXTERNAL ACCESS INTEGRATION WHOOP_WHOOP_EAI SET")
    assert "ALLOWED_API_AUTHENTICATION_INTEGRATIONS = (WHOOP_WHOOP_OAUTH)" in eai
    assert "CONFIG.WHOOP_OAUTH_CAT" in eai and "CONFIG.WHOOP_CLIENT" in eai


def test_connect_needs_client_credentials_and_a_free_name(monkeypatch: pytest.MonkeyPatch) -> None:
    _client(monkeypatch, {})
    with pytest.raises(ValueError, match="SET_WHOOP_CLIENT"):
        members.connect_oauth(FakeSession(), "ben", 1)
    with pytest.raises(ValueError, match="already uses the secret"):
        members.connect_oauth(FakeSession({"UPPER(MEMBER_NAME)": [("BEN",)]}), "ben", 1)


def test_register_writes_only_the_members_own_secret_and_binds_it(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_reads(alias: str) -> str:
        raise AssertionError(f"REGISTER_MEMBER read {alias}: it has no SECRETS and must not need any")

    monkeypatch.setattr(secrets, "read_generic", no_reads)
    store = SecretStore()
    session = FakeSession(
        {
            "CURRENT_DATABASE": [("WHOOP",)],
            "SHOW SECRETS": [Shown("WHOOP_CLIENT"), Shown("WHOOP_TOKEN_ANN"), Shown("WHOOP_TOKEN_BEN")],
            "ORDER BY MEMBER_NAME": [("ann", "APP_MANAGED"), ("ben", "APP_MANAGED")],
        },
        store,
    )
    members.register(session, "ben", "ben-r0", 7)
    texts = [t for t, _ in session.statements]
    merge = next(t for t in texts if t.startswith("MERGE INTO CONFIG.MEMBERS"))
    assert "AUTH_MODE = 'APP_MANAGED'" in merge
    assert any(t.startswith("CREATE SECRET IF NOT EXISTS CONFIG.WHOOP_TOKEN_BEN TYPE = GENERIC_STRING") for t in texts)
    assert store.values == {"CONFIG.WHOOP_TOKEN_BEN": "ben-r0"}  # nothing else written, no map
    assert (
        "ALTER PROCEDURE OPS.INGEST_WHOOP(VARCHAR, VARCHAR, NUMBER) SET SECRETS = ("
        "'whoop_client' = CONFIG.WHOOP_CLIENT, 'whoop_token_ann' = CONFIG.WHOOP_TOKEN_ANN, "
        "'whoop_token_ben' = CONFIG.WHOOP_TOKEN_BEN)"
    ) in texts
    with pytest.raises(ValueError, match="must be a letter"):
        members.register(FakeSession(), "ben-2", "r", 7)


# ---- rotation: no member's save can overwrite another member's token ---------------------------------


@dataclass
class SecretStore:
    """Secrets by name. `stale`: a call reads the values as they were when it started (Snowflake does not
    document that a procedure sees its own ALTER SECRET during the call); else reads see every write."""

    stale: bool = False
    values: dict[str, str] = field(default_factory=dict)

    def reader(self) -> Any:
        """A call's `_snowflake.get_generic_secret_string`, by the derived alias."""
        snapshot = dict(self.values)

        def read(alias: str) -> str:
            name = "CONFIG." + alias.upper()
            return (snapshot if self.stale else self.values).get(name, "")

        return read


class TokenEndpoint:
    """WHOOP's token endpoint: each refresh rotates; the old refresh token is invalid from then on."""

    def __init__(self, members: list[str]) -> None:
        self.live = {f"{m}-r0": m for m in members}
        self.n = 0

    def current(self, member: str) -> str:
        return next(t for t, m in self.live.items() if m == member)

    def post(self, url: str, data: dict, timeout: float) -> Any:
        member = self.live.pop(data["refresh_token"], None)
        if member is None:
            return _Response(400, {"error": "invalid_grant"})
        self.n += 1
        token = f"{member}-r{self.n}"
        self.live[token] = member
        return _Response(200, {"access_token": f"{member}-a{self.n}", "refresh_token": token})


class _Response:
    def __init__(self, status: int, body: dict) -> None:
        self.status_code, self._body = status, body

    def json(self) -> dict:
        return self._body


def _call(store: SecretStore, endpoint: TokenEndpoint, monkeypatch: pytest.MonkeyPatch) -> tuple[FakeSession, Any]:
    """One procedure call: its session, and a provider factory reading the store as this call sees it."""
    session = FakeSession(store=store)
    read = store.reader()
    monkeypatch.setattr(secrets, "read_generic", read)

    def provider(member: str) -> AppManagedTokens:
        monkeypatch.setattr(secrets, "read_generic", read)  # this call's view of the store
        tokens = ingest.token_provider(session, member, "APP_MANAGED", SETTINGS, {"client_id": "c"}, http=endpoint)
        assert isinstance(tokens, AppManagedTokens)
        tokens._stored = _in_call(read, tokens._stored, monkeypatch)
        return tokens

    return session, provider


def _in_call(read: Any, stored: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    def wrapped() -> Any:
        monkeypatch.setattr(secrets, "read_generic", read)
        return stored()

    return wrapped


def _seed(stale: bool, names: list[str]) -> tuple[SecretStore, TokenEndpoint]:
    store = SecretStore(stale=stale)
    for member in names:
        store.values[f"CONFIG.WHOOP_TOKEN_{member.upper()}"] = f"{member}-r0"
    return store, TokenEndpoint(names)


def _assert_each_holds_their_latest(store: SecretStore, endpoint: TokenEndpoint, names: list[str]) -> None:
    for member in names:
        assert store.values[f"CONFIG.WHOOP_TOKEN_{member.upper()}"] == endpoint.current(member), member
    assert "CONFIG.WHOOP_REFRESH_TOKENS" not in store.values


@pytest.mark.parametrize("stale", [True, False], ids=["stale-reads", "read-your-writes"])
def test_two_members_rotating_in_one_call_keep_each_others_tokens(stale: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    store, endpoint = _seed(stale, ["ann", "ben"])
    session, provider = _call(store, endpoint, monkeypatch)
    ann, ben = provider("ann"), provider("ben")
    assert ann.access_token() == "ann-a1" and ben.access_token() == "ben-a2"
    assert ann.refresh() == "ann-a3" and ben.refresh() == "ben-a4"  # rotated twice each, interleaved
    _assert_each_holds_their_latest(store, endpoint, ["ann", "ben"])
    writes = [t for t, _ in session.statements if t.startswith("ALTER SECRET")]
    assert len(writes) == 4
    for text in writes:  # every save names one member's secret and carries that member's token only
        member = re.match(r"ALTER SECRET CONFIG.WHOOP_TOKEN_(\w+) ", text)[1].lower()
        assert re.findall(r"(\w+)-r\d", text) == [member]


@pytest.mark.parametrize("stale", [True, False], ids=["stale-reads", "read-your-writes"])
def test_two_concurrent_calls_rotating_different_members_keep_both(
    stale: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    store, endpoint = _seed(stale, ["ann", "ben"])
    _, provider_a = _call(store, endpoint, monkeypatch)
    _, provider_b = _call(store, endpoint, monkeypatch)  # started before call A saved anything
    ann, ben = provider_a("ann"), provider_b("ben")
    ann.access_token()
    ben.access_token()
    ann.refresh()
    _assert_each_holds_their_latest(store, endpoint, ["ann", "ben"])


def test_a_stale_read_of_our_own_secret_is_never_adopted(monkeypatch: pytest.MonkeyPatch) -> None:
    """After our rotation a stale read returns the token we rotated away: it is not "newer". When another run
    then rotates the member, this call reports re-authorization (as before) and never writes the stale token."""
    store, endpoint = _seed(True, ["ann"])
    _, provider = _call(store, endpoint, monkeypatch)
    ann = provider("ann")
    ann._store_polls, ann._sleep = 2, lambda s: None
    ann.access_token()  # ann-r0 -> ann-r1, saved
    assert not ann.superseded()  # the stale read (ann-r0) is ours, spent
    other = endpoint.post("", {"refresh_token": "ann-r1"}, 1)  # another run rotates and saves
    store.values["CONFIG.WHOOP_TOKEN_ANN"] = other.json()["refresh_token"]
    with pytest.raises(ReauthorizationRequired):
        ann.refresh()
    assert store.values["CONFIG.WHOOP_TOKEN_ANN"] == endpoint.current("ann")  # the other run's token stands


def test_with_read_your_writes_another_runs_rotation_is_adopted(monkeypatch: pytest.MonkeyPatch) -> None:
    store, endpoint = _seed(False, ["ann"])
    _, provider = _call(store, endpoint, monkeypatch)
    ann = provider("ann")
    ann.access_token()
    other = endpoint.post("", {"refresh_token": "ann-r1"}, 1)
    store.values["CONFIG.WHOOP_TOKEN_ANN"] = other.json()["refresh_token"]
    assert ann.superseded()
    ann.refresh()  # continues from the other run's token
    _assert_each_holds_their_latest(store, endpoint, ["ann"])


# ---- CONFIGURE_EGRESS ------------------------------------------------------------------------------------


def _egress_session(rule_exists: bool, legacy: bool = False) -> FakeSession:
    shown = [Shown("WHOOP_CLIENT"), Shown("WHOOP_TOKEN_ANN"), Shown("WHOOP_OAUTH_BEN")]
    return FakeSession(
        {
            "CURRENT_DATABASE": [("My-App",)],
            "SHOW NETWORK RULES": [Shown("WHOOP_API_RULE")] if rule_exists else [],
            "SHOW SECRETS": shown + ([Shown("WHOOP_REFRESH_TOKENS")] if legacy else []),
            "ORDER BY MEMBER_NAME": [("ann", "APP_MANAGED"), ("ben", "SNOWFLAKE_MANAGED"), ("gone", None)],
            "CALL OPS.MIGRATE_REFRESH_TOKENS": [('["CONFIG.WHOOP_TOKEN_GONE"]',)],
        }
    )


def test_configure_egress_names_account_objects_after_the_app_and_binds_eai_first() -> None:
    session = _egress_session(rule_exists=False)
    assert "MY_APP_WHOOP_EAI" in members.configure_egress(session)
    texts = [t for t, _ in session.statements]
    assert not any("CREATE OR REPLACE" in t for t in texts)
    assert "CREATE NETWORK RULE CONFIG.WHOOP_API_RULE MODE = EGRESS TYPE = HOST_PORT" in " ".join(texts)
    assert texts.index(next(t for t in texts if t.startswith("CREATE EXTERNAL ACCESS INTEGRATION IF NOT EXISTS "
                                                             "MY_APP_WHOOP_EAI"))) > 0  # fmt: skip
    allow = next(t for t in texts if t.startswith("ALTER EXTERNAL ACCESS INTEGRATION MY_APP_WHOOP_EAI SET"))
    assert (
        "ALLOWED_AUTHENTICATION_SECRETS = (CONFIG.WHOOP_CLIENT, CONFIG.WHOOP_TOKEN_ANN, CONFIG.WHOOP_OAUTH_BEN)"
        in allow
    )
    assert "ALLOWED_API_AUTHENTICATION_INTEGRATIONS = (MY_APP_WHOOP_OAUTH)" in allow
    for procedure in (*members.TOKEN_USERS, members.CONNECT_SIGNATURE):
        eai = texts.index(f"ALTER PROCEDURE {procedure} SET EXTERNAL_ACCESS_INTEGRATIONS = (MY_APP_WHOOP_EAI)")
        bound = next(i for i, t in enumerate(texts) if t.startswith(f"ALTER PROCEDURE {procedure} SET SECRETS"))
        assert texts.index(allow) < eai < bound
    assert (
        "ALTER PROCEDURE OPS.INGEST_WHOOP(VARCHAR, VARCHAR, NUMBER) SET SECRETS = ("
        "'whoop_client' = CONFIG.WHOOP_CLIENT, 'whoop_token_ann' = CONFIG.WHOOP_TOKEN_ANN, "
        "'whoop_oauth_ben' = CONFIG.WHOOP_OAUTH_BEN)"
    ) in texts
    assert not any("MIGRATE" in t for t in texts)  # no shared map on this install


def test_configure_egress_alters_an_existing_rule_and_moves_the_shared_map_before_binding() -> None:
    session = _egress_session(rule_exists=True, legacy=True)
    assert "1 member(s) moved" in members.configure_egress(session)
    texts = [t for t, _ in session.statements]
    assert "ALTER NETWORK RULE CONFIG.WHOOP_API_RULE SET VALUE_LIST = ('api.prod.whoop.com')" in texts
    assert not any(t.startswith("CREATE NETWORK RULE") for t in texts)
    call = texts.index("CALL OPS.MIGRATE_REFRESH_TOKENS()")
    assert texts.index("ALTER PROCEDURE OPS.MIGRATE_REFRESH_TOKENS() SET SECRETS = "
                       "('whoop_tokens' = CONFIG.WHOOP_REFRESH_TOKENS)") < call  # fmt: skip
    ingest_secrets = next(t for t in texts if t.startswith("ALTER PROCEDURE OPS.INGEST_WHOOP") and "SECRETS" in t)
    assert (
        "WHOOP_REFRESH_TOKENS" not in ingest_secrets
        and "'whoop_token_gone' = CONFIG.WHOOP_TOKEN_GONE" in ingest_secrets
    )
    assert texts.index(ingest_secrets) > call


def test_migration_moves_app_managed_members_without_a_secret_and_empties_the_map(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    legacy = {"ann": "ann-old", "ben": "ben-r0", "cat": "cat-r0", "gone": "g", "bad-name": "b"}
    monkeypatch.setattr(secrets, "read_generic", lambda alias: json.dumps(legacy) if alias == "whoop_tokens" else "")
    store = SecretStore()
    session = FakeSession(
        {
            "SHOW SECRETS": [Shown("WHOOP_TOKEN_ANN")],  # ann registered again since: hers is newer
            "FROM CONFIG.MEMBERS": [("ann", "APP_MANAGED"), ("ben", None), ("cat", "SNOWFLAKE_MANAGED")],
        },
        store,
    )
    assert members.migrate_refresh_tokens(session) == ["CONFIG.WHOOP_TOKEN_BEN"]
    assert store.values["CONFIG.WHOOP_TOKEN_BEN"] == "ben-r0"
    assert "CONFIG.WHOOP_TOKEN_ANN" not in store.values
    assert json.loads(store.values["CONFIG.WHOOP_REFRESH_TOKENS"]) == {"bad-name": "b"}  # left, not lost


def test_app_name_needs_a_current_database() -> None:
    class Nowhere(FakeSession):
        def get_current_database(self) -> str:
            return ""

    with pytest.raises(ValueError, match="no current database"):
        members.app_name(Nowhere({"CURRENT_DATABASE": [(None,)]}))


def test_a_member_whose_name_cannot_name_a_secret_is_not_bound() -> None:
    session = FakeSession({"ORDER BY MEMBER_NAME": [("bad-name", "APP_MANAGED"), ("ann", "APP_MANAGED")]})
    bound = members._member_secrets(session, {"CONFIG.WHOOP_TOKEN_ANN"})
    assert bound == [("whoop_token_ann", "CONFIG.WHOOP_TOKEN_ANN", "APP_MANAGED")]


def test_a_shared_map_that_is_not_json_is_left_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(secrets, "read_generic", lambda alias: "not json")
    store = SecretStore()
    assert members.migrate_refresh_tokens(FakeSession({}, store)) == []
    assert store.values == {}
