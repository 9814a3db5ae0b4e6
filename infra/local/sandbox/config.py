"""Configuration of the WHOOP sandbox: which members exist, how much history, limits and faults.

One pydantic model so the CLI, tests and the admin API agree on names and validation.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime
from pathlib import Path

from pydantic import BaseModel, Field, field_validator


class FaultConfig(BaseModel):
    """Runtime-switchable fault injection; every probability is per API request.

    Draws come from a generator seeded by `seed`, so a sequential client sees the same faults on
    every run.
    """

    seed: int = 0
    p_5xx: float = Field(0.0, ge=0, le=1)
    p_429: float = Field(0.0, ge=0, le=1)
    burst_429: int = Field(3, ge=1, description="requests answered 429 once a burst starts")
    p_slow: float = Field(0.0, ge=0, le=1)
    slow_seconds: float = Field(1.0, ge=0)
    p_timeout: float = Field(0.0, ge=0, le=1)
    timeout_seconds: float = Field(30.0, ge=0)
    p_malformed: float = Field(0.0, ge=0, le=1)
    expire_tokens_now: bool = Field(False, description="one-shot: expire every access token")


class SandboxConfig(BaseModel):
    """Everything that defines a sandbox instance. Data depends only on seed, members, days, today."""

    seed: int = 42
    members: list[str] = Field(default_factory=lambda: ["alice", "bob", "carol"])
    days: int = Field(365, ge=7)
    today: date | None = None
    client_id: str = "whoop-sandbox-client"
    client_secret: str | None = None
    redirect_uris: list[str] | None = Field(None, description="allowed redirect URIs; None allows any http(s) URI")
    expires_in: int = Field(3600, ge=1, description="access token lifetime in seconds")
    rate_per_minute: int = Field(100, ge=1)
    rate_per_day: int = Field(10_000, ge=1)
    clock_scale: float = Field(1.0, gt=0, description="multiplies rate-limit windows (0.01 → 0.6 s)")
    state_dir: Path | None = None
    faults: FaultConfig = Field(default_factory=FaultConfig)

    @field_validator("members")
    @classmethod
    def _members_unique(cls, value: list[str]) -> list[str]:
        if not value or len(set(value)) != len(value) or any(not m.strip() for m in value):
            raise ValueError("members must be non-empty, unique names")
        return value

    @property
    def as_of_date(self) -> date:
        """The last day of history; the real UTC date unless pinned."""
        return self.today or datetime.now(UTC).date()

    @property
    def secret(self) -> str:
        """The client secret: configured, or derived from the seed so restarts agree."""
        if self.client_secret:
            return self.client_secret
        return hashlib.sha256(f"whoop-sandbox-secret:{self.seed}".encode()).hexdigest()[:40]
