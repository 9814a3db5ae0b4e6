"""Where the `whoop` CLI connects: the local stack (the default) or a Snowflake account, the way `snow` does.

The local stack's connection parameters are written here once (`local_parameters`). A real account is named the
way the Snowflake CLI names it: `--connection NAME` (or SNOWFLAKE_DEFAULT_CONNECTION_NAME) is a connection of
`connections.toml` / `config.toml` under SNOWFLAKE_HOME (default ~/.snowflake), read by the connector itself
(`snowflake.connector.connect(connection_name=...)`), so every key and authenticator `snow` accepts works
(password, SNOWFLAKE_JWT with private_key_file, externalbrowser, OAuth with token or token_file_path):
https://docs.snowflake.com/en/developer-guide/python-connector/python-connector-connect#connecting-using-the-connections-toml-file.
On top of the file, as `snow` does (https://docs.snowflake.com/en/developer-guide/snowflake-cli/connecting/configure-connections):
SNOWFLAKE_CONNECTIONS_<NAME>_<KEY> overrides a key of that connection, and a generic SNOWFLAKE_<KEY> fills a key the
connection does not set. `--temporary-connection` (`-x`) builds the connection from the SNOWFLAKE_<KEY> variables
alone, like `snow -x`.

The app on an account is named by `--app NAME`, else WHOOP_APP, else WHOOP_PLATFORM (an install's default name;
`snow app run` names a development install `whoop_platform_<user>` after snowflake.yml, so pass that).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

from infra.local.errors import WhoopError, warehouse_failure
from infra.local.settings import Settings

LOCAL_APP = "WHOOP"  # the app's name on the local stack (deploy installs it under this name)
ACCOUNT_APP = "WHOOP_PLATFORM"
APP_VARIABLE = "WHOOP_APP"
QUERY_TAG = "whoop-cli"
# SNOWFLAKE_<KEY> variables `snow` reads, by connector parameter (snow's SNOWFLAKE_PRIVATE_KEY_PATH included)
GENERIC_VARIABLES = {
    "account": ("SNOWFLAKE_ACCOUNT",),
    "user": ("SNOWFLAKE_USER",),
    "password": ("SNOWFLAKE_PASSWORD",),
    "authenticator": ("SNOWFLAKE_AUTHENTICATOR",),
    "private_key_file": ("SNOWFLAKE_PRIVATE_KEY_FILE", "SNOWFLAKE_PRIVATE_KEY_PATH"),
    "private_key_file_pwd": ("SNOWFLAKE_PRIVATE_KEY_FILE_PWD", "SNOWFLAKE_PRIVATE_KEY_PASSPHRASE"),
    "token": ("SNOWFLAKE_TOKEN",),
    "token_file_path": ("SNOWFLAKE_TOKEN_FILE_PATH",),
    "role": ("SNOWFLAKE_ROLE",),
    "warehouse": ("SNOWFLAKE_WAREHOUSE",),
    "host": ("SNOWFLAKE_HOST",),
    "port": ("SNOWFLAKE_PORT",),
    "protocol": ("SNOWFLAKE_PROTOCOL",),
}


def local_parameters(settings: Settings, user: str = "whoop", role: str | None = None) -> dict[str, Any]:
    """The connector parameters of a session on the local warehouse: the one place they are written."""
    params: dict[str, Any] = {
        "account": "local",
        "user": user,
        "password": "local",
        "host": settings.host,
        "port": settings.warehouse_port,
        "protocol": "http",
    }
    if role:
        params["role"] = role
    return params


@dataclass(frozen=True)
class Target:
    """A place the CLI works on: the local stack (`name` None) or a named (or temporary) Snowflake connection."""

    settings: Settings
    name: str | None = None
    temporary: bool = False
    app: str = LOCAL_APP

    @property
    def is_local(self) -> bool:
        return self.name is None and not self.temporary

    @property
    def label(self) -> str:
        if self.is_local:
            return f"the local warehouse at {self.settings.warehouse_url}"
        return "the temporary connection (SNOWFLAKE_* variables)" if self.temporary else f"connection {self.name}"

    def require_local(self, what: str) -> None:
        """One line, for a command that only works on the local stack."""
        if not self.is_local:
            raise WhoopError(f"{what} works on the local stack only, not on {self.label}")

    def parameters(self) -> dict[str, Any]:
        """The connector's keyword arguments (secrets included: never print them)."""
        if self.is_local:
            from infra.local import reach

            return {
                **local_parameters(self.settings),
                "database": self.app,
                "schema": "PUBLIC",
                "network_timeout": reach.STATEMENT_SECONDS,
                **reach.connector_options(self.settings.warehouse_url),
            }
        overrides = _generic(set()) if self.temporary else _overrides(self.name or "")
        if self.temporary and "account" not in overrides:
            raise WhoopError("--temporary-connection needs SNOWFLAKE_ACCOUNT (and SNOWFLAKE_USER, a way to sign in)")
        return {**({} if self.temporary else {"connection_name": self.name}), **overrides, "database": self.app}

    def connect(self, **extra: Any) -> Any:
        """A connector session, in the app's database. The local warehouse is probed first (a stopped one fails at
        once, with one line); an account's login errors (unknown connection, refused key) are one line too."""
        import snowflake.connector

        from infra.local import reach

        if self.is_local:
            reach.check(self.settings.warehouse_url)
        params = {
            **self.parameters(),
            "session_parameters": {"CLIENT_OUT_OF_BAND_TELEMETRY_ENABLED": False, "QUERY_TAG": QUERY_TAG},
            **extra,
        }
        try:
            return snowflake.connector.connect(**params)
        except snowflake.connector.errors.Error as e:
            raise self._failure(e) from None

    def snowpark(self) -> Any:
        """A Snowpark session on the same connection (what a procedure handler gets)."""
        import atexit

        from snowflake.snowpark import Session

        # Snowpark's own connections bind `?` (qmark); a connection handed to it keeps the connector's default
        # (pyformat), so ask for qmark here: handlers and tests bind with `params=[...]`
        conn = self.connect(paramstyle="qmark")
        try:
            session = Session.builder.configs({"connection": conn}).create()
        except Exception as e:
            conn.close()
            raise self._failure(e) from None
        # Snowpark closes its sessions at exit over HTTP; the local server may be gone by then
        atexit.unregister(session._close_at_exit)
        return session

    def _failure(self, e: BaseException) -> WhoopError:
        message = " ".join(str(getattr(e, "msg", None) or e).split())[:300]
        if self.is_local:
            url = self.settings.warehouse_url
            return warehouse_failure(e, url) or WhoopError(f"cannot connect to the local warehouse at {url}: {message}")
        return WhoopError(f"cannot connect with {self.label}: {message}")


def resolve(settings: Settings, name: str | None = None, temporary: bool = False, app: str | None = None) -> Target:
    """The target of this command: `--connection NAME`, else SNOWFLAKE_DEFAULT_CONNECTION_NAME, else with
    `temporary` the SNOWFLAKE_* variables, else the local stack. An unknown name fails here, in one line."""
    if name and temporary:
        raise WhoopError("--connection and --temporary-connection exclude each other")
    name = name or (None if temporary else os.environ.get("SNOWFLAKE_DEFAULT_CONNECTION_NAME") or None)
    if name is None and not temporary:
        return Target(settings)  # the local stack installs the app as WHOOP (deploy), whatever --app says
    app = app or os.environ.get(APP_VARIABLE) or ACCOUNT_APP
    if name is not None:
        known = _connections()
        if name not in known:
            listed = ", ".join(sorted(known)) or "none"
            raise WhoopError(
                f"no connection {name} in {_config_dir()}/connections.toml or config.toml (known: {listed})"
            )
    return Target(settings, name=name, temporary=temporary, app=app)


def _connections() -> dict[str, Any]:
    """The connections the connector knows (its config manager reads connections.toml and config.toml)."""
    from snowflake.connector.config_manager import CONFIG_MANAGER

    try:
        return dict(CONFIG_MANAGER["connections"])
    except Exception as e:  # a malformed or unreadable file: the connector's own words
        raise WhoopError(
            f"cannot read the Snowflake connections in {_config_dir()}: {' '.join(str(e).split())}"
        ) from None


def _config_dir() -> str:
    from snowflake.connector.constants import CONNECTIONS_FILE

    return str(CONNECTIONS_FILE.parent)


def _overrides(name: str) -> dict[str, Any]:
    """`snow`'s precedence on top of the file: SNOWFLAKE_CONNECTIONS_<NAME>_<KEY> over the file's key, the
    generic SNOWFLAKE_<KEY> under it (only for keys the connection leaves unset)."""
    prefix = f"SNOWFLAKE_CONNECTIONS_{name.upper()}_"
    specific: dict[str, Any] = {
        k[len(prefix) :].lower(): v for k, v in os.environ.items() if k.startswith(prefix) and v
    }
    if "port" in specific:
        specific["port"] = int(specific["port"])
    in_file = {str(k).lower() for k in _connections().get(name, {})}
    return {**_generic(in_file | set(specific)), **specific}


def _generic(skip: set[str]) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for key, variables in GENERIC_VARIABLES.items():
        value = next((os.environ[v] for v in variables if os.environ.get(v)), None)
        if value is not None and key not in skip:
            found[key] = int(value) if key == "port" else value
    return found
