"""A small recorder for benchmark figures, plus helpers shared by the benchmark modules.

Each figure is one record `{"name", "value", "unit", "compared_to", "target", "note"}`; `compared_to`
says what the value is measured against, `target` is the goal from the issue tracker or None.
`Recorder.write(path)` replaces `path` (latest.json) and appends a timestamped copy under
`path.parent / "history"` (git-ignored).
"""

from __future__ import annotations

import json
import math
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

FIELDS = ("name", "value", "unit", "compared_to", "target", "note")


@dataclass
class Recorder:
    """Collects figures in the order they are added; names must be unique within a run."""

    records: list[dict[str, Any]] = field(default_factory=list)

    def add(
        self,
        name: str,
        value: float,
        unit: str,
        compared_to: str,
        target: float | None = None,
        note: str = "",
    ) -> dict[str, Any]:
        if not name or any(r["name"] == name for r in self.records):
            raise ValueError(f"benchmark figure name must be non-empty and unique: {name!r}")
        value = float(value)
        if not math.isfinite(value):
            raise ValueError(f"benchmark figure {name!r} is not finite: {value}")
        if not unit or not compared_to:
            raise ValueError(f"benchmark figure {name!r} needs a unit and what it is compared to")
        record = {
            "name": name,
            "value": value,
            "unit": unit,
            "compared_to": compared_to,
            "target": None if target is None else float(target),
            "note": note,
        }
        self.records.append(record)
        return record

    def write(self, path: Path | str) -> Path:
        """Write the records to `path` (replacing it) and a timestamped copy under `history/`; returns the copy."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        text = json.dumps(self.records, indent=2) + "\n"
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_text(text)
        tmp.replace(path)
        history = path.parent / "history"
        history.mkdir(exist_ok=True)
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S.%fZ")
        copy = history / f"{path.stem}-{stamp}{path.suffix}"
        copy.write_text(text)
        return copy

    def table(self) -> str:
        """A readable fixed-width table of the records."""
        rows = [("name", "value", "unit", "target", "compared_to")]
        for r in self.records:
            target = "-" if r["target"] is None else _fmt(r["target"])
            rows.append((r["name"], _fmt(r["value"]), r["unit"], target, r["compared_to"]))
        widths = [max(len(row[i]) for row in rows) for i in range(4)]
        lines = []
        for i, row in enumerate(rows):
            cells = [row[0].ljust(widths[0]), row[1].rjust(widths[1]), row[2].ljust(widths[2]), row[3].rjust(widths[3])]
            lines.append("  ".join([*cells, row[4]]).rstrip())
            if i == 0:
                lines.append("  ".join("-" * w for w in [*widths, len(row[4])]))
        return "\n".join(lines)


def _fmt(value: float) -> str:
    if value == 0 or 0.01 <= abs(value) < 1e6:
        return f"{value:,.3f}".rstrip("0").rstrip(".") if abs(value) < 100 else f"{value:,.1f}"
    return f"{value:.3g}"


def median_seconds(fn: Callable[[], Any], repeats: int, after: Callable[[], Any] | None = None) -> float:
    """Median wall time of `fn()` over `repeats` runs; `after()` runs untimed after each (e.g. a reset)."""
    times = []
    for _ in range(max(1, repeats)):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
        if after is not None:
            after()
    return statistics.median(times)
