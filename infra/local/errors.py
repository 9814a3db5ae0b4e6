"""The one exception type the `whoop` CLI turns into a clean one-line error.

Modules raise `WhoopError` for failures the user can act on (a busy port, a missing module, bad input);
anything else reaching the CLI is treated as a bug and logged with its traceback. `warehouse_failure` is the one
place that recognises "the local warehouse did not answer" in whatever form it surfaces (the connector's errors, a
`requests` call to its URL) and turns it into the same one line.
"""

from __future__ import annotations

# the local dashboard says the same (infra/local/dashboard_session.py WarehouseUnreachable)
UNREACHABLE = "cannot reach the local warehouse at {url} (run `whoop local up`)"

# snowflake.connector.errorcode: the login failed, or a request got no answer once its retries were spent
_CONNECTOR_NETWORK_ERRNOS = frozenset({250001, 250003, 251011})  # FAILED_TO_CONNECT_TO_DB, FAILED_TO_REQUEST, …TIMEOUT


class WhoopError(Exception):
    """A user-facing failure: its message is printed as `whoop: <message>` and the CLI exits 1."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class WarehouseUnreachable(WhoopError):
    """The local warehouse is not answering (not started, stopped, or died during the command)."""

    def __init__(self, url: str) -> None:
        super().__init__(UNREACHABLE.format(url=url))
        self.url = url


def warehouse_failure(exc: BaseException, url: str) -> WarehouseUnreachable | None:
    """The one-line error if `exc` (or what caused it) means the warehouse at `url` did not answer, else None."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, WarehouseUnreachable):
            return current
        module = type(current).__module__
        if module.startswith("snowflake.connector") and getattr(current, "errno", None) in _CONNECTOR_NETWORK_ERRNOS:
            return WarehouseUnreachable(url)
        if module.startswith("requests") and _is_connection_error(current):
            request = getattr(current, "request", None)
            if str(getattr(request, "url", "") or "").startswith(url):
                return WarehouseUnreachable(url)
        current = current.__cause__ or current.__context__
    return None


def _is_connection_error(exc: BaseException) -> bool:
    import requests

    return isinstance(exc, requests.ConnectionError)


class RunFailed(WhoopError):
    """The pipeline run ended, but not well: the one line, and the run's result (the other members' data was loaded),
    which the CLI prints before the line."""

    def __init__(self, result: dict, where: str = "") -> None:
        super().__init__(f"the pipeline run failed: {result['reason']}{_hint(result['members'], where)}")
        self.result = result


def _hint(members: list[dict], where: str = "") -> str:
    """What to do about the first failed member, when the CLI can say it (`where`: the CLI's connection options)."""
    failed = [m for m in members if m["status"] != "SUCCEEDED"]
    if failed and failed[0]["status"] == "NEEDS_REAUTHORIZATION":
        return f"; re-authorize with `whoop {where}auth --member {failed[0]['member']}`"
    return ""
