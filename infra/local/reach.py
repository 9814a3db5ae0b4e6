"""Is the local warehouse there? Fast answers for every client, without cutting off a slow statement.

Two different failures look alike to the Snowflake connector: a statement that is still running (its HTTP
request outlives the socket timeout) and a warehouse that is gone (connection refused or reset). The connector
retries both the same way until `network_timeout`, which is also the time after which it cancels a statement
(connection.py and cursor.py of snowflake-connector-python; the connect() parameters are described at
https://docs.snowflake.com/en/developer-guide/python-connector/python-connector-api). So `network_timeout` stays
long, and the difference is told by asking the warehouse's health route instead:

- before connecting, `check` probes it (a refused connection fails at once, with the one-line error);
- while connected, the connector's documented `backoff_policy` hook runs between retries of a failed request,
  and `backoff_policy(url)` probes there: a warehouse that refuses connections ends the retries with
  `WarehouseUnreachable`; one that answers slowly (busy with a long statement) is waited for as before.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, Literal

import requests

from infra.local.errors import WarehouseUnreachable

HEALTH_PATH = "/_local/health"
PROBE_SECONDS = 2.0  # the health route answers in milliseconds, even while statements run (they run in a pool)
CONNECT_SECONDS = 3.0  # connect timeout of plain HTTP calls to the warehouse (the tick): loopback connects at once
LOGIN_SECONDS = 10  # connector login_timeout: no login retries after it
STATEMENT_SECONDS = 600  # connector network_timeout: a statement may run this long (retries of a slow one included)
RETRY_SLEEP_SECONDS = 1  # between retries of a failed request; each retry is preceded by a probe

Health = Literal["up", "busy", "down"]


def probe(url: str, timeout: float = PROBE_SECONDS) -> Health:
    """`up` (answered), `busy` (accepted the connection but did not answer in time), `down` (nothing listening)."""
    try:
        with requests.Session() as http:
            http.trust_env = False  # loopback: never through a proxy named in the environment
            response = http.get(f"{url}{HEALTH_PATH}", timeout=timeout)
    except requests.ConnectTimeout:
        return "down"
    except requests.Timeout:
        return "busy"
    except requests.ConnectionError:
        return "down"
    return "up" if response.ok else "busy"


def check(url: str) -> None:
    """Raise `WarehouseUnreachable` unless something answers at `url` (a busy warehouse counts as there)."""
    if probe(url) == "down":
        raise WarehouseUnreachable(url)


def backoff_policy(url: str) -> Callable[[], Iterator[int]]:
    """A connector backoff policy (a generator function yielding seconds to sleep before each retry) that ends the
    retries with `WarehouseUnreachable` once the warehouse at `url` refuses connections.

    The connector draws the first sleep when a request starts, the next ones after each failed attempt and its
    sleep; an exception from the generator propagates out of the statement (or the login) that was retrying."""

    def policy() -> Iterator[int]:
        yield RETRY_SLEEP_SECONDS  # drawn when the request starts: nothing has failed yet
        while True:
            check(url)  # a failed attempt and a sleep behind us: is the warehouse gone, or only slow?
            yield RETRY_SLEEP_SECONDS

    return policy


def connector_options(url: str) -> dict[str, Any]:
    """Connector (and Snowpark) options for a session on the local warehouse at `url`: give up logging in after
    LOGIN_SECONDS, and retry a failed request only while the warehouse is there. The statement limit
    (`network_timeout`) is the caller's: `pipeline.connect` keeps its STATEMENT_SECONDS, a Snowpark session none."""
    return {"login_timeout": LOGIN_SECONDS, "backoff_policy": backoff_policy(url)}
