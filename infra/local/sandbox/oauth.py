"""OAuth 2.0 state of the sandbox: authorization codes, grants, rotating refresh tokens.

A grant is one member's consent to the client. Each refresh bumps the grant's generation: the old
refresh token and every access token of an older generation stop working, as on the real WHOOP.
State is persisted (temp file + os.replace) so a restart does not log members out.
"""

from __future__ import annotations

import json
import os
import secrets
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

SCOPES = frozenset(
    {"read:recovery", "read:cycles", "read:workout", "read:sleep", "read:profile", "read:body_measurement", "offline"}
)
CODE_TTL_SECONDS = 600


class OAuthError(Exception):
    """An RFC 6749 error; `status` is the HTTP status to answer with."""

    def __init__(self, error: str, description: str, status: int = 400) -> None:
        super().__init__(description)
        self.error, self.description, self.status = error, description, status


class TokenStore:
    def __init__(self, state_file: Path | None, expires_in: int, clock: Callable[[], float] = time.time) -> None:
        self.state_file = state_file
        self.expires_in = expires_in
        self.clock = clock
        self._lock = threading.Lock()
        self.codes: dict[str, dict[str, Any]] = {}
        self.grants: dict[str, dict[str, Any]] = {}
        self.access: dict[str, dict[str, Any]] = {}
        self.refresh: dict[str, str] = {}  # current refresh token → grant id
        if state_file and state_file.exists():
            state = json.loads(state_file.read_text())
            self.codes, self.grants = state["codes"], state["grants"]
            self.access, self.refresh = state["access"], state["refresh"]

    def _save(self) -> None:
        if not self.state_file:
            return
        self.state_file.parent.mkdir(parents=True, exist_ok=True)
        payload = json.dumps(
            {"codes": self.codes, "grants": self.grants, "access": self.access, "refresh": self.refresh}
        )
        fd, tmp = tempfile.mkstemp(dir=self.state_file.parent, prefix=".oauth-", suffix=".tmp")
        with os.fdopen(fd, "w") as fh:
            fh.write(payload)
        os.replace(tmp, self.state_file)

    # ---- authorization code ----------------------------------------------------------------
    def issue_code(self, member: str, scopes: list[str], redirect_uri: str) -> str:
        with self._lock:
            code = secrets.token_urlsafe(24)
            self.codes[code] = {
                "member": member,
                "scopes": scopes,
                "redirect_uri": redirect_uri,
                "expires_at": self.clock() + CODE_TTL_SECONDS,
            }
            self._save()
            return code

    def exchange_code(self, code: str, redirect_uri: str | None) -> dict[str, Any]:
        with self._lock:
            entry = self.codes.pop(code, None)
            if entry is None or entry["expires_at"] < self.clock():
                self._save()
                raise OAuthError("invalid_grant", "authorization code is invalid, used or expired")
            if redirect_uri is not None and redirect_uri != entry["redirect_uri"]:
                raise OAuthError("invalid_grant", "redirect_uri does not match the authorization request")
            grant_id = secrets.token_hex(8)
            self.grants[grant_id] = {
                "member": entry["member"],
                "scopes": entry["scopes"],
                "generation": 0,
                "revoked": False,
            }
            return self._issue(grant_id)

    # ---- refresh ---------------------------------------------------------------------------
    def refresh_grant(self, refresh_token: str) -> dict[str, Any]:
        """Rotate: the first caller wins; a reused or stale refresh token is invalid_grant."""
        with self._lock:
            grant_id = self.refresh.pop(refresh_token, None)
            if grant_id is None or self.grants[grant_id]["revoked"]:
                raise OAuthError("invalid_grant", "refresh token is invalid, rotated or revoked")
            self.grants[grant_id]["generation"] += 1
            return self._issue(grant_id)

    def _issue(self, grant_id: str) -> dict[str, Any]:
        grant = self.grants[grant_id]
        token = secrets.token_urlsafe(32)
        self.access[token] = {
            "grant": grant_id,
            "generation": grant["generation"],
            "expires_at": self.clock() + self.expires_in,
        }
        self._purge()
        body: dict[str, Any] = {
            "access_token": token,
            "expires_in": self.expires_in,
            "scope": " ".join(grant["scopes"]),
            "token_type": "bearer",
        }
        if "offline" in grant["scopes"]:
            refresh = secrets.token_urlsafe(32)
            self.refresh[refresh] = grant_id
            body["refresh_token"] = refresh
        self._save()
        return body

    def _purge(self) -> None:
        """Drop dead access tokens so the state file stays small."""
        now = self.clock()
        for tok, info in list(self.access.items()):
            grant = self.grants.get(info["grant"])
            if (
                grant is None
                or grant["revoked"]
                or info["generation"] < grant["generation"]
                or info["expires_at"] < now - 86_400
            ):
                del self.access[tok]

    # ---- use -------------------------------------------------------------------------------
    def authenticate(self, token: str) -> tuple[str, list[str], str]:
        """Access token → (member, scopes, grant id); raises OAuthError(401) when unusable."""
        with self._lock:
            info = self.access.get(token)
            grant = self.grants.get(info["grant"]) if info else None
            if info is None or grant is None or grant["revoked"]:
                raise OAuthError("invalid_token", "access token is invalid or revoked", 401)
            if info["generation"] < grant["generation"]:
                raise OAuthError("invalid_token", "access token was superseded by a refresh", 401)
            if info["expires_at"] <= self.clock():
                raise OAuthError("invalid_token", "access token expired", 401)
            return grant["member"], grant["scopes"], info["grant"]

    def revoke(self, grant_id: str) -> None:
        with self._lock:
            self.grants[grant_id]["revoked"] = True
            self.refresh = {t: g for t, g in self.refresh.items() if g != grant_id}
            self._purge()
            self._save()

    def revoke_member(self, member: str) -> int:
        """Admin: revoke every grant of the member, as when they disconnect the app in WHOOP; returns how many."""
        with self._lock:
            grants = [g for g, info in self.grants.items() if info["member"] == member and not info["revoked"]]
        for grant_id in grants:
            self.revoke(grant_id)
        return len(grants)

    def expire_access(self, member: str | None = None) -> int:
        """Admin: make access tokens (of one member, or all) expire now; refresh tokens survive."""
        with self._lock:
            now = self.clock()
            count = 0
            for info in self.access.values():
                grant = self.grants.get(info["grant"])
                if grant and (member is None or grant["member"] == member) and info["expires_at"] > now:
                    info["expires_at"] = now
                    count += 1
            self._save()
            return count
