"""The sandbox's record store: current records per member and resource, with edit history.

The API, the admin endpoints and the ground-truth dump all read from here, so "truth" is exactly
what the API serves. Mutations (edits, scoring pending records) move `updated_at` like WHOOP does.
"""

from __future__ import annotations

import copy
import threading
from datetime import UTC, datetime
from typing import Any

import numpy as np

from infra.local.sandbox.config import SandboxConfig
from infra.local.sandbox.members import MemberData, generate_member, member_rng
from infra.local.sandbox.timeutil import iso_to_ms, ms_to_iso

RESOURCES = ("cycle", "sleep", "recovery", "workout")
TRUTH_KEYS = {"cycle": "cycles", "sleep": "sleeps", "recovery": "recoveries", "workout": "workouts"}


def record_key(resource: str, record: dict[str, Any]) -> str:
    """Natural key: recovery has no id of its own, it is keyed by cycle_id."""
    return str(record["cycle_id"] if resource == "recovery" else record["id"])


class Store:
    """All members' data; thread-safe for the uvicorn worker plus admin calls."""

    def __init__(self, config: SandboxConfig, members: dict[str, MemberData] | None = None) -> None:
        self.config = config
        self.members = members or {name: generate_member(config, name) for name in config.members}
        self._lock = threading.RLock()
        self.edits: list[dict[str, Any]] = []
        self._index: dict[tuple[str, str, str], dict[str, Any]] = {}
        self._cycle_windows: dict[str, dict[int, tuple[int, int | None]]] = {}
        for name in self.members:
            self._reindex(name)

    # ---- lookup --------------------------------------------------------------------------
    def _reindex(self, name: str) -> None:
        data = self.members[name]
        for resource in RESOURCES:
            for rec in self.records(name, resource):
                self._index[(name, resource, record_key(resource, rec))] = rec
        self._cycle_windows[name] = {
            c["id"]: (iso_to_ms(c["start"]), iso_to_ms(c["end"]) if c["end"] else None) for c in data.cycles
        }

    def records(self, name: str, resource: str) -> list[dict[str, Any]]:
        return getattr(self.members[name], TRUTH_KEYS[resource])

    def get(self, name: str, resource: str, key: str) -> dict[str, Any] | None:
        return self._index.get((name, resource, key))

    def member_by_user_id(self, user_id: int) -> str | None:
        return next((n for n, m in self.members.items() if m.user_id == user_id), None)

    def window(self, name: str, resource: str, rec: dict[str, Any]) -> tuple[int, int | None]:
        """A record's [start, end) in ms; a recovery takes its cycle's window."""
        if resource == "recovery":
            return self._cycle_windows[name][rec["cycle_id"]]
        return iso_to_ms(rec["start"]), iso_to_ms(rec["end"]) if rec.get("end") else None

    def main_sleep_for_cycle(self, name: str, cycle_id: int) -> dict[str, Any] | None:
        rec = self.get(name, "recovery", str(cycle_id))
        return self.get(name, "sleep", rec["sleep_id"]) if rec else None

    def find_v1(self, v1_id: int) -> str | None:
        """v1 activity id → v2 uuid for sleeps and workouts of any member."""
        for name in self.members:
            for resource in ("sleep", "workout"):
                for rec in self.records(name, resource):
                    if rec.get("v1_id") == v1_id:
                        return str(rec["id"])
        return None

    # ---- mutations -----------------------------------------------------------------------
    def _touch(self, rec: dict[str, Any]) -> None:
        now = int(datetime.now(UTC).timestamp() * 1000)
        rec["updated_at"] = ms_to_iso(max(now, iso_to_ms(rec["updated_at"]) + 1))

    def _replace(self, name: str, resource: str, new: dict[str, Any], reason: str) -> None:
        key = record_key(resource, new)
        old = self._index[(name, resource, key)]
        self._touch(new)
        items = self.records(name, resource)
        items[next(i for i, r in enumerate(items) if r is old)] = new
        self._index[(name, resource, key)] = new
        self.edits.append(
            {"member": name, "resource": resource, "key": key, "reason": reason, "updated_at": new["updated_at"]}
        )

    def edit(self, fraction: float, within_days: int, seed: int = 0) -> list[dict[str, Any]]:
        """Rescore a deterministic fraction of SCORED records started in the last `within_days` days."""
        if not 0 <= fraction <= 1 or within_days < 0:
            raise ValueError("fraction must be in [0, 1] and within_days >= 0")
        changed: list[dict[str, Any]] = []
        with self._lock:
            for name, data in self.members.items():
                rng = member_rng(seed, name, "edit")
                cutoff = iso_to_ms(data.meta["as_of"]) - within_days * 86_400_000
                for resource in RESOURCES:
                    for rec in list(self.records(name, resource)):
                        start, _ = self.window(name, resource, rec)
                        if start < cutoff or rec["score_state"] != "SCORED" or rng.random() >= fraction:
                            continue
                        new = copy.deepcopy(rec)
                        _rescore(resource, new["score"], rng)
                        self._replace(name, resource, new, "edit")
                        changed.append(
                            {
                                "member": name,
                                "resource": resource,
                                "key": record_key(resource, new),
                                "updated_at": new["updated_at"],
                            }
                        )
        return changed

    def score_pending(self) -> list[dict[str, Any]]:
        """PENDING_SCORE → SCORED with the score generated up front; updated_at moves."""
        changed: list[dict[str, Any]] = []
        with self._lock:
            for name, data in self.members.items():
                for (resource, key), score in list(data.hidden_scores.items()):
                    rec = self._index.get((name, resource, key))
                    if rec is None or rec["score_state"] != "PENDING_SCORE":
                        continue
                    new = copy.deepcopy(rec)
                    new["score_state"], new["score"] = "SCORED", copy.deepcopy(score)
                    self._replace(name, resource, new, "score_pending")
                    del data.hidden_scores[(resource, key)]
                    changed.append({"member": name, "resource": resource, "key": key, "updated_at": new["updated_at"]})
        return changed

    # ---- ground truth --------------------------------------------------------------------
    def truth(self, name: str) -> dict[str, Any]:
        """Everything the API would serve for a member (newest first), plus export-only facts."""
        with self._lock:
            data = self.members[name]
            out: dict[str, Any] = {
                "member": name,
                "user_id": data.user_id,
                "profile": copy.deepcopy(data.profile),
                "body_measurement": copy.deepcopy(data.body),
            }
            for resource, key in TRUTH_KEYS.items():
                out[key] = sorted(
                    copy.deepcopy(self.records(name, resource)),
                    key=lambda r, res=resource: self.window(name, res, r)[0],
                    reverse=True,
                )
            out["counts"] = {key: len(out[key]) for key in TRUTH_KEYS.values()}
            out["counts"]["naps"] = sum(1 for s in out["sleeps"] if s["nap"])
            out["counts"]["journal_entries"] = len(data.journal)
            out["illness_episodes"] = copy.deepcopy(data.illness)
            out["journal"] = copy.deepcopy(data.journal)
            out["meta"] = copy.deepcopy(data.meta)
            out["edits"] = [e for e in self.edits if e["member"] == name]
            return out


def _rescore(resource: str, score: dict[str, Any], rng: np.random.Generator) -> None:
    """A plausible small rescoring that keeps every invariant (stage sums, zone sums)."""
    if resource == "sleep":
        stages = score["stage_summary"]
        shift = int(min(stages["total_light_sleep_time_milli"], 60_000 * rng.integers(1, 15)))
        stages["total_light_sleep_time_milli"] -= shift
        stages["total_slow_wave_sleep_time_milli"] += shift // 2
        stages["total_rem_sleep_time_milli"] += shift - shift // 2
    elif resource == "recovery":
        score["recovery_score"] = float(np.clip(score["recovery_score"] + rng.integers(-5, 6), 1, 99))
    elif resource == "cycle":
        score["strain"] = round(float(np.clip(score["strain"] + rng.uniform(0.1, 1.0), 0, 21)), 4)
        score["kilojoule"] = round(score["kilojoule"] * float(rng.uniform(1.0, 1.05)), 2)
    else:
        score["strain"] = round(float(np.clip(score["strain"] + rng.uniform(-0.5, 0.5), 0, 21)), 4)
        score["kilojoule"] = round(score["kilojoule"] * float(rng.uniform(0.95, 1.05)), 3)
