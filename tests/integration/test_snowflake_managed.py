"""Snowflake-managed members (DESIGN §3) on the local stack: an OAUTH2 secret per member, authorized with
SYSTEM$START_OAUTH_FLOW / FINISH, refreshed by the (emulated) Snowflake runtime against the sandbox.

`ben` is connected through the OAUTH2 secret, `ann` stays app-managed: every run has both modes.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from infra.local import pipeline
from infra.local.settings import Settings
from tests.integration.conftest import leaked_secrets, local_stack, truth
from tests.integration.conftest import query as query_any

SECRET = "WHOOP.CONFIG.WHOOP_OAUTH_BEN"


def query(settings: Settings, sql: str, params: list | None = None) -> list[tuple]:
    return query_any(settings, sql, params, paramstyle="qmark")  # server-side binding, as the app's callers do


def ingest(settings: Settings, resources: str = "all") -> dict:
    return json.loads(query(settings, "CALL OPS.INGEST_WHOOP(?)", [resources])[0][0])


def stored(settings: Settings, secret: str = SECRET) -> dict[str, str]:
    """What the local secret store holds for the secret (read by the test only, never printed)."""
    return json.loads((settings.home / "warehouse" / "secrets.json").read_text())[f"SECRET:{secret}"]


def token_posts(settings: Settings) -> int:
    """Successful token requests the sandbox has served (code exchanges and refreshes)."""
    metrics = requests.get(f"{settings.sandbox_url}/_sandbox/metrics", timeout=10).json()
    return sum(r["count"] for r in metrics["requests"] if r["path"] == "/oauth/oauth2/token" and r["status"] == 200)


def last_runs(settings: Settings) -> dict[str, tuple[str, str | None]]:
    rows = query(
        settings,
        "SELECT MEMBER_NAME, STATUS, ERROR_MESSAGE FROM OPS.INGEST_RUNS QUALIFY ROW_NUMBER() OVER "
        "(PARTITION BY MEMBER_NAME ORDER BY FINISHED_AT DESC) = 1",
    )
    return {r[0]: (r[1], r[2]) for r in rows}


@pytest.fixture(scope="module")
def mixed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Settings]:
    with local_stack(tmp_path_factory.mktemp("whoop_oauth"), ["ann", "ben"], days=60) as settings:
        assert pipeline.auth(settings, member="ben", snowflake_managed=True) == ["ben"]
        yield settings


def test_connect_creates_bound_objects_with_values_redacted(mixed: Settings) -> None:
    modes = dict(query(mixed, "SELECT MEMBER_NAME, AUTH_MODE FROM CONFIG.MEMBERS"))
    assert modes == {"ann": "APP_MANAGED", "ben": "SNOWFLAKE_MANAGED"}
    objects = {
        (k, n): json.loads(p)
        for k, n, p in query(mixed, "SELECT KIND, NAME, PROPERTIES FROM WHOOP_LOCAL.CATALOG.OBJECTS")
    }
    integration = objects[("SECURITY INTEGRATION", "WHOOP_WHOOP_OAUTH")]  # <APP>_WHOOP_OAUTH
    assert integration["TYPE"] == "API_AUTHENTICATION" and integration["AUTH_TYPE"] == "OAUTH2"
    assert integration["OAUTH_CLIENT_SECRET"] == "***"
    assert integration["OAUTH_TOKEN_ENDPOINT"] == f"{mixed.sandbox_url}/oauth/oauth2/token"
    assert "offline" in integration["OAUTH_ALLOWED_SCOPES"]
    secret = objects[("SECRET", SECRET)]
    assert secret["TYPE"] == "OAUTH2" and secret["API_AUTHENTICATION"] == "WHOOP_WHOOP_OAUTH"
    assert secret["OAUTH_REFRESH_TOKEN"] == "***" and "OAUTH_ACCESS_TOKEN" not in secret
    eai = objects[("EXTERNAL ACCESS INTEGRATION", "WHOOP_WHOOP_EAI")]
    assert eai["ALLOWED_API_AUTHENTICATION_INTEGRATIONS"] == ["WHOOP_WHOOP_OAUTH"]
    assert SECRET in eai["ALLOWED_AUTHENTICATION_SECRETS"]
    assert "WHOOP.CONFIG.WHOOP_CLIENT" in eai["ALLOWED_AUTHENTICATION_SECRETS"]
    bound = json.loads(
        query(mixed, "SELECT SECRETS FROM WHOOP_LOCAL.CATALOG.PROCEDURES WHERE NAME = 'WHOOP.OPS.INGEST_WHOOP'")[0][0]
    )
    assert bound == {
        "whoop_client": "WHOOP.CONFIG.WHOOP_CLIENT",
        "whoop_token_ann": "WHOOP.CONFIG.WHOOP_TOKEN_ANN",
        "whoop_oauth_ben": SECRET,
    }


def test_both_modes_ingest_every_resource_equal_to_the_truth(mixed: Settings) -> None:
    result = ingest(mixed)
    assert {m: r["status"] for m, r in result["by_member"].items()} == {"ann": "SUCCEEDED", "ben": "SUCCEEDED"}
    for member in ("ann", "ben"):
        expected = truth(mixed, member)
        user_id = expected["user_id"]
        for resource, table in (
            ("cycles", "RAW_CYCLE"),
            ("recoveries", "RAW_RECOVERY"),
            ("sleeps", "RAW_SLEEP"),
            ("workouts", "RAW_WORKOUT"),
        ):
            keys = {r[0] for r in query(mixed, f"SELECT RECORD_KEY FROM BRONZE.{table} WHERE MEMBER_ID = ?", [user_id])}
            assert len(keys) == len(expected[resource]), (member, resource)
        payloads = query(mixed, "SELECT PAYLOAD FROM BRONZE.RAW_PROFILE WHERE MEMBER_ID = ?", [user_id])
        assert [json.loads(p[0]) for p in payloads] == [expected["profile"]]


def test_redeploy_keeps_the_oauth_binding(mixed: Settings) -> None:
    # the setup script re-creates INGEST_WHOOP without bindings, then CONFIGURE_EGRESS binds every member again
    pipeline.deploy_local(mixed, start_stack=False)
    bound = json.loads(
        query(mixed, "SELECT SECRETS FROM WHOOP_LOCAL.CATALOG.PROCEDURES WHERE NAME = 'WHOOP.OPS.INGEST_WHOOP'")[0][0]
    )
    assert bound["whoop_oauth_ben"] == SECRET
    assert ingest(mixed, "profile")["by_member"]["ben"]["status"] == "SUCCEEDED"


def test_rejected_refresh_needs_reauthorization_and_reconnecting_fixes_it(mixed: Settings) -> None:
    # a refresh token the sandbox does not know (as after the member revoked the app): Snowflake cannot refresh
    query(mixed, f"ALTER SECRET {SECRET} SET OAUTH_REFRESH_TOKEN = 'no-longer-valid-refresh-token'")
    result = ingest(mixed, "profile")
    assert result["by_member"]["ann"]["status"] == "SUCCEEDED"
    assert result["by_member"]["ben"]["status"] == "NEEDS_REAUTHORIZATION"
    status, error = last_runs(mixed)["ben"]
    assert status == "NEEDS_REAUTHORIZATION" and "whoop_oauth_ben" in error and "invalid_grant" in error
    assert dict(query(mixed, "SELECT MEMBER_NAME, STATUS FROM CONFIG.MEMBERS"))["ben"] == "NEEDS_REAUTHORIZATION"
    pipeline.auth(mixed, member="ben", snowflake_managed=True)
    assert dict(query(mixed, "SELECT MEMBER_NAME, STATUS FROM CONFIG.MEMBERS"))["ben"] == "ACTIVE"
    assert ingest(mixed, "profile")["by_member"]["ben"]["status"] == "SUCCEEDED"


def test_access_token_invalidated_early_cannot_be_refreshed_by_rereading(mixed: Settings) -> None:
    """Snowflake tracks validity from `expires_in`; it cannot see the API's 401. A token WHOOP invalidated
    early (revocation, a refresh elsewhere) comes back on the re-read, so the member needs re-authorization."""
    requests.post(f"{mixed.sandbox_url}/_sandbox/expire-tokens/ben", timeout=10).raise_for_status()
    result = ingest(mixed, "profile")
    assert result["by_member"]["ben"]["status"] == "NEEDS_REAUTHORIZATION"
    assert "access refused after a token refresh" in last_runs(mixed)["ben"][1]
    pipeline.auth(mixed, member="ben", snowflake_managed=True)
    assert ingest(mixed, "profile")["by_member"]["ben"]["status"] == "SUCCEEDED"


def test_secret_values_never_reach_catalog_logs_or_errors(mixed: Settings) -> None:
    values = _secret_values(mixed.home)
    assert len(values) >= 4, "expected stored secret values to scan for"
    leaked = leaked_secrets(mixed, values, "WHOOP_LOCAL.CATALOG.PROCEDURES")
    assert leaked == 0, f"{leaked} secret value(s) found in tables or logs"  # never print the values


def _secret_values(home: Path) -> list[str]:
    stored_all = json.loads((home / "warehouse" / "secrets.json").read_text())
    keys = ("secret_string", "oauth_refresh_token", "oauth_access_token", "oauth_client_secret")
    out: list[str] = []
    for entry in stored_all.values():
        for key in keys:
            raw = entry.get(key)
            if not raw:
                continue
            try:
                parsed = json.loads(raw)
            except ValueError:
                parsed = raw
            if isinstance(parsed, dict):  # the client credentials
                out += [v for k, v in parsed.items() if k != "client_id" and isinstance(v, str) and len(v) >= 12]
            elif isinstance(parsed, str) and len(parsed) >= 12:
                out.append(parsed)
    return out


@pytest.fixture(scope="module")
def short_lived(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Settings]:
    """Access tokens live 1 s and every API request takes 0.25 s: tokens expire during a run."""
    faults = {"p_slow": 1.0, "slow_seconds": 0.25}
    home = tmp_path_factory.mktemp("whoop_short")
    # ben is only ever Snowflake-managed here: an app-managed sign-in first would read the profile with a token
    # that may be gone within its 1 s on a busy machine
    with local_stack(home, ["ben"], days=30, authorize=False, expires_in=1, faults=faults) as s:
        pipeline.auth(s, member="ben", snowflake_managed=True)
        yield s


def test_expiry_mid_run_is_survived_and_the_rotated_refresh_token_kept(short_lived: Settings) -> None:
    before = stored(short_lived)["oauth_refresh_token"]
    posts = token_posts(short_lived)
    first = ingest(short_lived)
    assert first["by_member"]["ben"]["status"] == "SUCCEEDED", first["by_member"]["ben"]["error"]
    assert token_posts(short_lived) - posts >= 2  # refreshed during the run, not just at its start
    after = stored(short_lived)["oauth_refresh_token"]
    assert after != before  # WHOOP rotated it and the runtime stored the new one
    # the sandbox invalidated every earlier refresh token: a second run works only from the stored one
    second = ingest(short_lived)
    assert second["by_member"]["ben"]["status"] == "SUCCEEDED", second["by_member"]["ben"]["error"]
    assert stored(short_lived)["oauth_refresh_token"] != after


def test_the_apps_oauth_flow_belongs_to_the_session_that_started_it(mixed: Settings) -> None:
    """START_MEMBER_OAUTH and FINISH_MEMBER_OAUTH are two CALLs of one session (a procedure runs in its caller's
    session); FINISH from another session is refused, as SYSTEM$FINISH_OAUTH_FLOW requires."""
    from urllib.parse import parse_qs, urlparse

    import snowflake.connector

    url = query(mixed, "CALL OPS.START_MEMBER_OAUTH(?)", ["ben"])[0][0]
    state = parse_qs(urlparse(url).query)["state"][0]
    with pytest.raises(snowflake.connector.errors.ProgrammingError, match="started in this session"):
        query(mixed, "CALL OPS.FINISH_MEMBER_OAUTH(?)", [f"state={state}&code=x"])
    with pytest.raises(snowflake.connector.errors.ProgrammingError, match="not a Snowflake-managed member"):
        query(mixed, "CALL OPS.START_MEMBER_OAUTH(?)", ["ann"])
