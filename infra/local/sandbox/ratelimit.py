"""Per-client-app request limits (100/minute and 10,000/day by default), as WHOOP enforces them.

Fixed windows that start at the first request after the previous window ended. `clock_scale`
shrinks both windows (0.01 → a 0.6 s minute) so benchmarks can hit the limit quickly; headers then
report real seconds. The `window=` values in X-RateLimit-Limit stay nominal (60, 86400).
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass
class Decision:
    allowed: bool
    headers: dict[str, str]


class RateLimiter:
    def __init__(
        self, per_minute: int, per_day: int, clock_scale: float = 1.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.limits = ((per_minute, 60.0), (per_day, 86_400.0))
        self.scale = clock_scale
        self.clock = clock
        self._lock = threading.Lock()
        self._windows: dict[str, list[list[float]]] = {}  # client → [[window_start, count], ...]

    def _format_reset(self, seconds: float) -> str:
        """Integer ceiling (>= 1) at real time; fractional real seconds when the clock is scaled."""
        if self.scale == 1.0:
            return str(max(1, math.ceil(seconds)))
        return f"{max(seconds, 0.001):.3f}"

    def check(self, client: str) -> Decision:
        """Count one request for `client` unless a window is exhausted (rejected calls are not counted)."""
        with self._lock:
            now = self.clock()
            windows = self._windows.setdefault(client, [[now, 0] for _ in self.limits])
            for state, (_, length) in zip(windows, self.limits, strict=True):
                if now - state[0] >= length * self.scale:
                    state[0], state[1] = now, 0
            exhausted = [i for i, (limit, _) in enumerate(self.limits) if windows[i][1] >= limit]
            allowed = not exhausted
            if allowed:
                for state in windows:
                    state[1] += 1
            remaining = [limit - state[1] for state, (limit, _) in zip(windows, self.limits, strict=True)]
            binding = exhausted[-1] if exhausted else 0
            reset = windows[binding][0] + self.limits[binding][1] * self.scale - now
            minute, day = self.limits
            headers = {
                "X-RateLimit-Limit": f"{minute[0]}, {minute[0]};window=60, {day[0]};window=86400",
                "X-RateLimit-Remaining": str(max(0, min(remaining))),
                "X-RateLimit-Reset": self._format_reset(reset),
            }
            return Decision(allowed, headers)
