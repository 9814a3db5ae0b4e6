"""Live tier: the same checks against a real Snowflake account, run with `pytest -m live tests/live`.

Needs SNOWFLAKE_ACCOUNT and SNOWFLAKE_USER plus one way to authenticate (SNOWFLAKE_AUTHENTICATOR such as
WORKLOAD_IDENTITY in CI, SNOWFLAKE_PRIVATE_KEY_PATH, or SNOWFLAKE_PASSWORD), and WHOOP_APP_DATABASE /
WHOOP_REPORTING_DATABASE naming the deployment. Without them every test here is skipped with that message,
so `make test` stays offline.
"""

from __future__ import annotations

import os

import pytest

REQUIRED = ("SNOWFLAKE_ACCOUNT", "SNOWFLAKE_USER")
AUTH = ("SNOWFLAKE_AUTHENTICATOR", "SNOWFLAKE_PRIVATE_KEY_PATH", "SNOWFLAKE_PASSWORD")


def missing() -> list[str]:
    absent = [v for v in REQUIRED if not os.environ.get(v)]
    if not any(os.environ.get(v) for v in AUTH):
        absent.append(" or ".join(AUTH))
    return absent


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    absent = missing()
    if not absent:
        return
    skip = pytest.mark.skip(reason=f"live tier: no Snowflake credentials ({', '.join(absent)} not set)")
    for item in items:
        # the marker, not `"live" in item.keywords`: keywords hold the folder name too, which would skip the
        # offline checks of this folder (test_live_app_deploy.py's CLI flag checks)
        if item.get_closest_marker("live"):
            item.add_marker(skip)


DEFAULT_ROLE = "WHOOP_ADMIN"
DEFAULT_WAREHOUSE = "WHOOP_TRANSFORM_WH"


def connection_settings() -> dict[str, str]:
    """The connection of the live tier, from SNOWFLAKE_* variables: the connector's parameter names. The
    Snowflake CLI commands of test_live_app_deploy.py are built from the same dict."""
    params = {
        "account": os.environ["SNOWFLAKE_ACCOUNT"],
        "user": os.environ["SNOWFLAKE_USER"],
        "role": os.environ.get("SNOWFLAKE_ROLE", DEFAULT_ROLE),
        "warehouse": os.environ.get("SNOWFLAKE_WAREHOUSE", DEFAULT_WAREHOUSE),
    }
    for env, key in (("SNOWFLAKE_AUTHENTICATOR", "authenticator"), ("SNOWFLAKE_PRIVATE_KEY_PATH", "private_key_file"),
                     ("SNOWFLAKE_PASSWORD", "password")):  # fmt: skip
        if os.environ.get(env):
            params[key] = os.environ[env]
    return params


@pytest.fixture(scope="session")
def snowflake_conn():
    import snowflake.connector

    conn = snowflake.connector.connect(**connection_settings(), session_parameters={"QUERY_TAG": "whoop-live-tests"})
    yield conn
    conn.close()


@pytest.fixture(scope="session")
def names() -> dict[str, str]:
    return {
        "app": os.environ.get("WHOOP_APP_DATABASE", "WHOOP_PLATFORM"),
        "reporting": os.environ.get("WHOOP_REPORTING_DATABASE", "WHOOP_REPORTING"),
    }
