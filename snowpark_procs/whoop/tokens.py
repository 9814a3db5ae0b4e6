"""Where the WHOOP client gets its access token.

Two modes behind one interface (DESIGN.md §3): Snowflake-managed, where an OAUTH2 secret and
Snowflake refresh the token, and app-managed, where the app refreshes it itself and must keep the
rotated refresh token: WHOOP invalidates the old one on every refresh, so the new refresh token is
saved before the new access token is used. Losing it would force the member to re-authorize.

Within one provider the token in memory is the truth after a rotation: the store is only read to find a
token another run rotated to, and a read that returns a token this provider already rotated away (a
store that does not show the call its own writes yet) is ignored, never adopted.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Protocol

import requests

from snowpark_procs.whoop.errors import ReauthorizationRequired, WhoopApiError


class TokenProvider(Protocol):
    def access_token(self) -> str:
        """A token to send now (may be cached)."""
        ...

    def refresh(self) -> str:
        """A fresh token after the API refused the current one."""
        ...


class SnowflakeManagedTokens:
    """Snowflake refreshes the token behind an OAUTH2 secret; the handler only reads it."""

    def __init__(self, read: Callable[[], str]) -> None:
        self._read = read

    def access_token(self) -> str:
        return self._read()

    def refresh(self) -> str:
        return self._read()


class AppManagedTokens:
    """Refresh-token rotation done by the app, one refresh at a time per member.

    `save_refresh_token` must persist durably (an ALTER SECRET in Snowflake) and raise on failure;
    the new access token is only handed out after it returned.
    """

    def __init__(
        self,
        token_url: str,
        client_id: str,
        client_secret: str,
        refresh_token: str,
        save_refresh_token: Callable[[str], None],
        http: requests.Session | None = None,
        timeout: float = 30.0,
        stored_refresh_token: Callable[[], str | None] | None = None,
        store_polls: int = 6,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._token_url = token_url
        self._client_id = client_id
        self._client_secret = client_secret
        self._refresh_token = refresh_token
        self._save = save_refresh_token
        self._http = http or requests.Session()
        self._timeout = timeout
        # where another run would have saved a token it rotated: re-read before giving up on a rejection
        self._stored = stored_refresh_token
        self._store_polls = store_polls
        self._sleep = sleep
        self._access: str | None = None
        self._spent: set[str] = set()  # tokens this provider rotated away: invalid, never "newer"
        self._lock = threading.Lock()
        self.refreshes = 0

    def access_token(self) -> str:
        with self._lock:
            if self._access is None:
                self._access = self._refresh_locked()
            return self._access

    def refresh(self) -> str:
        with self._lock:
            self._access = self._refresh_locked()
            return self._access

    def _refresh_locked(self) -> str:
        try:
            return self._refresh_with(self._refresh_token)
        except ReauthorizationRequired:
            stored = self._newer_stored_token()
            if stored is None:
                raise
            # a concurrent run rotated the token first and saved the new one: continue from it
            self._refresh_token = stored
            return self._refresh_with(stored)

    def superseded(self) -> bool:
        """True when another run has rotated this member's token since this one last did (or is saving it)."""
        return self._newer_stored_token() is not None

    def _newer_stored_token(self) -> str | None:
        """A token another run saved after rotating ours; it may still be saving, so look a few times."""
        if self._stored is None:
            return None
        for attempt in range(self._store_polls):
            stored = self._stored()
            if stored and stored != self._refresh_token and stored not in self._spent:
                return stored
            if attempt + 1 < self._store_polls:
                self._sleep(0.5)
        return None

    def _refresh_with(self, refresh_token: str) -> str:
        try:
            response = self._http.post(
                self._token_url,
                data={
                    "grant_type": "refresh_token",
                    "refresh_token": refresh_token,
                    "client_id": self._client_id,
                    "client_secret": self._client_secret,
                    "scope": "offline",
                },
                timeout=self._timeout,
            )
        except requests.RequestException as e:
            raise WhoopApiError(f"token refresh failed: {type(e).__name__}", path="token") from None
        if response.status_code in (400, 401):
            raise ReauthorizationRequired(
                "WHOOP rejected the refresh token: the member needs re-authorization",
                status=response.status_code,
                path="token",
            )
        if response.status_code != 200:
            raise WhoopApiError(f"token refresh failed with HTTP {response.status_code}", response.status_code, "token")
        try:
            body = response.json()
            access, new_refresh = body["access_token"], body["refresh_token"]
        except (ValueError, KeyError, TypeError):  # not JSON, a field missing, not an object
            raise WhoopApiError("token refresh returned an unreadable body", 200, "token") from None
        self._save(new_refresh)  # persisted before the new access token is used
        self._spent.add(refresh_token)
        self._refresh_token = new_refresh
        self.refreshes += 1
        return access
