"""App-managed tokens on the local stack: one secret per member, and the egress configuration that binds them.

Two app-managed members rotate their refresh token on every run (the sandbox rotates on each refresh);
each member's save writes only their own secret, so neither loses the other's token. Tokens are read from
the local secret store and the sandbox's OAuth state by the test only, and never printed.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from infra.local import pipeline
from infra.local.settings import Settings
from tests.integration.conftest import local_stack
from tests.integration.conftest import query as query_any

MEMBERS = ("ann", "ben")
EAI = "WHOOP_WHOOP_EAI"  # <APP>_WHOOP_EAI: the local app database is WHOOP
RULE = "WHOOP.CONFIG.WHOOP_API_RULE"
LEGACY = "WHOOP.CONFIG.WHOOP_REFRESH_TOKENS"


def query(settings: Settings, sql: str, params: list | None = None) -> list[tuple]:
    return query_any(settings, sql, params, paramstyle="qmark")


def ingest(settings: Settings) -> dict:
    return json.loads(query(settings, "CALL OPS.INGEST_WHOOP('profile')")[0][0])


def secret_string(settings: Settings, secret: str) -> str | None:
    stored = json.loads((settings.home / "warehouse" / "secrets.json").read_text())
    entry = stored.get(f"SECRET:{secret}")
    return None if entry is None else entry.get("secret_string")


def own_token(settings: Settings, member: str) -> str | None:
    return secret_string(settings, f"WHOOP.CONFIG.WHOOP_TOKEN_{member.upper()}")


def live_owner(settings: Settings, token: str | None) -> str | None:
    """The member whose grant the sandbox would refresh with this token now (None: rotated or unknown)."""
    state = json.loads((settings.home / "sandbox" / "oauth_state.json").read_text())
    grant = state["refresh"].get(token or "")
    return None if grant is None or state["grants"][grant]["revoked"] else state["grants"][grant]["member"]


def procedures(settings: Settings) -> dict[str, tuple[dict, str | None]]:
    rows = query(settings, "SELECT NAME, SECRETS, EXTERNAL_ACCESS_INTEGRATIONS FROM WHOOP_LOCAL.CATALOG.PROCEDURES")
    return {name.rsplit(".", 1)[-1]: (json.loads(secrets or "{}"), eai) for name, secrets, eai in rows}


def account_object(settings: Settings, kind: str, name: str) -> tuple[dict, str, object]:
    (row,) = query(
        settings,
        "SELECT PROPERTIES, DEFINITION, CREATED_ON FROM WHOOP_LOCAL.CATALOG.OBJECTS WHERE KIND = ? AND NAME = ?",
        [kind, name],
    )
    return json.loads(row[0]), row[1], row[2]


@pytest.fixture(scope="module")
def two(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Settings]:
    with local_stack(tmp_path_factory.mktemp("whoop_tokens"), list(MEMBERS), days=10) as settings:
        yield settings


def test_register_binds_nothing_and_every_bound_secret_is_allowed_by_the_procedures_eai(two: Settings) -> None:
    procs = procedures(two)
    assert procs["REGISTER_MEMBER"] == ({}, None)  # it only writes: no SECRETS, hence no integration needed
    assert procs["INGEST_WHOOP"][0] == {
        "whoop_client": "WHOOP.CONFIG.WHOOP_CLIENT",
        "whoop_token_ann": "WHOOP.CONFIG.WHOOP_TOKEN_ANN",
        "whoop_token_ben": "WHOOP.CONFIG.WHOOP_TOKEN_BEN",
    }
    assert procs["FORGET_MEMBER"][0] == procs["INGEST_WHOOP"][0]
    assert procs["CONNECT_MEMBER_OAUTH"][0] == {"whoop_client": "WHOOP.CONFIG.WHOOP_CLIENT"}
    assert "BIND_INGEST_SECRETS" not in procs
    eai, _, _ = account_object(two, "EXTERNAL ACCESS INTEGRATION", EAI)
    assert eai["ALLOWED_NETWORK_RULES"] == [RULE]
    allowed = set(eai["ALLOWED_AUTHENTICATION_SECRETS"])
    # the old shared map stays only for the upgrade procedure: never bound to a procedure that calls WHOOP
    assert allowed == {"WHOOP.CONFIG.WHOOP_CLIENT", "WHOOP.CONFIG.WHOOP_TOKEN_ANN", "WHOOP.CONFIG.WHOOP_TOKEN_BEN"} | {
        LEGACY
    }
    with_secrets = {name: (bound, integration) for name, (bound, integration) in procs.items() if bound}
    assert {"INGEST_WHOOP", "FORGET_MEMBER", "CONNECT_MEMBER_OAUTH", "MIGRATE_REFRESH_TOKENS"} <= set(with_secrets)
    for name, (bound, integration) in with_secrets.items():
        assert integration and EAI in integration.upper(), name  # a SECRETS clause needs its integration
        assert set(bound.values()) <= allowed, name


def test_two_members_rotating_every_run_keep_their_own_latest_tokens(two: Settings) -> None:
    seen: dict[str, set[str]] = {m: set() for m in MEMBERS}
    for _ in range(2):
        result = ingest(two)
        assert {m: r["status"] for m, r in result["by_member"].items()} == dict.fromkeys(MEMBERS, "SUCCEEDED")
        for member in MEMBERS:
            token = own_token(two, member)
            assert live_owner(two, token) == member, f"{member}'s secret does not hold their current token"
            seen[member].add(token or "")
    assert all(len(tokens) == 2 for tokens in seen.values())  # rotated on each run, saved each time
    statuses = dict(query(two, "SELECT MEMBER_NAME, STATUS FROM CONFIG.MEMBERS"))
    assert statuses == dict.fromkeys(MEMBERS, "ACTIVE")


def test_configure_egress_twice_is_idempotent_and_never_replaces_the_rule(two: Settings) -> None:
    def snapshot() -> tuple:
        return (
            account_object(two, "NETWORK RULE", RULE),
            account_object(two, "EXTERNAL ACCESS INTEGRATION", EAI),
            procedures(two),
        )

    before = snapshot()
    rule_props, definition, _ = before[0]
    assert rule_props["VALUE_LIST"] == ["api.prod.whoop.com"]
    assert definition.upper().startswith("CREATE NETWORK RULE")  # created once, not CREATE OR REPLACE
    assert "moved" not in query(two, "CALL OPS.CONFIGURE_EGRESS()")[0][0]
    query(two, "CALL OPS.CONFIGURE_EGRESS()")
    assert snapshot() == before
    # a redeploy (the setup script on upgrade) re-creates the procedures and binds them again; the rule stays
    pipeline.deploy_local(two, start_stack=False)
    after = snapshot()
    assert after[0] == before[0] and after[1] == before[1]
    assert {n: b for n, (b, _) in after[2].items()} == {n: b for n, (b, _) in before[2].items()}
    assert ingest(two)["by_member"]["ann"]["status"] == "SUCCEEDED"


def test_an_install_from_before_moves_the_shared_map_once(two: Settings) -> None:
    """An install whose tokens are still in CONFIG.WHOOP_REFRESH_TOKENS: CONFIGURE_EGRESS moves them."""
    token = own_token(two, "ann")
    query(two, "DROP SECRET CONFIG.WHOOP_TOKEN_ANN")
    legacy_map = json.dumps({"ann": token})  # a literal, as the app writes it (ALTER SECRET takes no binds)
    query(two, f"ALTER SECRET CONFIG.WHOOP_REFRESH_TOKENS SET SECRET_STRING = '{legacy_map}'")
    out = query(two, "CALL OPS.CONFIGURE_EGRESS()")[0][0]
    assert "1 member(s) moved" in out
    assert own_token(two, "ann") == token
    assert json.loads(secret_string(two, LEGACY) or "") == {}
    assert procedures(two)["INGEST_WHOOP"][0]["whoop_token_ann"] == "WHOOP.CONFIG.WHOOP_TOKEN_ANN"
    assert "moved" not in query(two, "CALL OPS.CONFIGURE_EGRESS()")[0][0]  # once
    result = ingest(two)
    assert {m: r["status"] for m, r in result["by_member"].items()} == dict.fromkeys(MEMBERS, "SUCCEEDED")
    assert live_owner(two, own_token(two, "ann")) == "ann"
