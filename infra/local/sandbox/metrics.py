"""Request counters for the admin API: by route template and status, and 429s by cause."""

from __future__ import annotations

import threading
from collections import Counter
from typing import Any


class Metrics:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        self.by_route: Counter[tuple[str, str, int]] = Counter()
        self.rate_limited = 0
        self.fault_429 = 0
        self.faults: Counter[str] = Counter()
        self.total = 0

    def record(self, method: str, route: str, status: int) -> None:
        with self._lock:
            self.total += 1
            self.by_route[(method, route, status)] += 1

    def fault(self, kind: str) -> None:
        with self._lock:
            self.faults[kind] += 1
            if kind == "429":
                self.fault_429 += 1

    def limited(self) -> None:
        with self._lock:
            self.rate_limited += 1

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            return {
                "total": self.total,
                "rate_limited_429": self.rate_limited,
                "fault_429": self.fault_429,
                "served_429": sum(c for (_, _, s), c in self.by_route.items() if s == 429),
                "faults": dict(self.faults),
                "requests": [
                    {"method": m, "path": r, "status": s, "count": c} for (m, r, s), c in sorted(self.by_route.items())
                ],
            }
