"""Fault injection for API calls: 5xx, 429 bursts, slow and hanging responses, truncated bodies.

Draws come from a generator seeded by the fault seed and reset whenever the settings change, so
a sequential client sees the same fault sequence on every run.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import numpy as np

from infra.local.sandbox.config import FaultConfig


@dataclass
class FaultPlan:
    """What to do to one request; all fields default to 'nothing'."""

    status: int | None = None  # 500/502/503 or 429
    delay: float = 0.0
    malformed: bool = False
    expire_tokens: bool = False


class FaultInjector:
    def __init__(self, config: FaultConfig) -> None:
        self._lock = threading.Lock()
        self.configure(config)

    def configure(self, config: FaultConfig) -> None:
        with self._lock:
            self.config = config
            self._rng = np.random.default_rng(config.seed)
            self._burst_left = 0

    def plan(self) -> FaultPlan:
        with self._lock:
            cfg = self.config
            plan = FaultPlan()
            if cfg.expire_tokens_now:
                plan.expire_tokens = True
                self.config = cfg.model_copy(update={"expire_tokens_now": False})
            draws = self._rng.random(5)
            if self._burst_left > 0:
                self._burst_left -= 1
                plan.status = 429
            elif draws[0] < cfg.p_429:
                self._burst_left = cfg.burst_429 - 1
                plan.status = 429
            elif draws[1] < cfg.p_5xx:
                plan.status = int(self._rng.choice([500, 502, 503]))
            if draws[2] < cfg.p_timeout:
                plan.delay = cfg.timeout_seconds
            elif draws[3] < cfg.p_slow:
                plan.delay = cfg.slow_seconds
            plan.malformed = plan.status is None and draws[4] < cfg.p_malformed
            return plan
