"""The sandbox's live state: one object holding store, tokens, limiter, faults and metrics."""

from __future__ import annotations

from dataclasses import dataclass, field

from infra.local.sandbox.config import SandboxConfig
from infra.local.sandbox.faults import FaultInjector
from infra.local.sandbox.metrics import Metrics
from infra.local.sandbox.oauth import TokenStore
from infra.local.sandbox.partner import PartnerState
from infra.local.sandbox.ratelimit import RateLimiter
from infra.local.sandbox.store import Store


@dataclass
class Sandbox:
    config: SandboxConfig
    store: Store
    tokens: TokenStore
    limiter: RateLimiter
    faults: FaultInjector
    metrics: Metrics = field(default_factory=Metrics)
    partner: PartnerState = field(default_factory=PartnerState)

    @classmethod
    def build(cls, config: SandboxConfig) -> Sandbox:
        state_file = config.state_dir / "oauth_state.json" if config.state_dir else None
        return cls(
            config=config,
            store=Store(config),
            tokens=TokenStore(state_file, config.expires_in),
            limiter=RateLimiter(config.rate_per_minute, config.rate_per_day, config.clock_scale),
            faults=FaultInjector(config.faults),
        )
