"""Store mutations (edit, score_pending), admin truth, and the CSV export against truth."""

from __future__ import annotations

import csv
from pathlib import Path

import requests

from infra.local.sandbox.config import SandboxConfig
from infra.local.sandbox.export import CYCLE_HEADERS, JOURNAL_HEADERS, SLEEP_HEADERS, WORKOUT_HEADERS, write_export
from infra.local.sandbox.store import Store
from infra.local.sandbox.timeutil import iso_to_ms
from tests.sandbox.conftest import TODAY, Server, make_config, start_server


def test_edit_moves_updated_at_deterministically() -> None:
    cfg = SandboxConfig(today=TODAY, days=60, members=["alice"])
    a, b = Store(cfg), Store(cfg)
    before = {s["id"]: s["updated_at"] for s in a.truth("alice")["sleeps"]}
    changed = a.edit(0.5, 14, seed=1)
    assert changed and [c["key"] for c in changed] == [c["key"] for c in b.edit(0.5, 14, seed=1)]
    sleeps = {s["id"]: s for s in a.truth("alice")["sleeps"]}
    cutoff = iso_to_ms(a.members["alice"].meta["as_of"]) - 14 * 86_400_000
    for c in changed:
        if c["resource"] == "sleep":
            s = sleeps[c["key"]]
            assert s["updated_at"] > before[s["id"]] and iso_to_ms(s["start"]) >= cutoff
            st = s["score"]["stage_summary"]
            assert st["total_light_sleep_time_milli"] >= 0
    assert len(a.truth("alice")["edits"]) == len(changed)


def test_score_pending() -> None:
    store = Store(SandboxConfig(today=TODAY, days=30, members=["bob"]))
    truth = store.truth("bob")
    pending = [r for k in ("cycles", "sleeps", "recoveries") for r in truth[k] if r["score_state"] == "PENDING_SCORE"]
    assert len(pending) >= 3
    changed = store.score_pending()
    assert len(changed) >= 3
    after = store.truth("bob")
    assert not [
        r
        for k in ("cycles", "sleeps", "recoveries", "workouts")
        for r in after[k]
        if r["score_state"] == "PENDING_SCORE"
    ]
    assert after["cycles"][0]["score"] is not None and after["cycles"][0]["end"] is None
    assert store.score_pending() == []


def test_admin_endpoints(tmp_path: Path) -> None:
    for srv in start_server(make_config(tmp_path, days=30)):
        assert requests.get(f"{srv.url}/_sandbox/health", timeout=5).json()["status"] == "ok"
        members = requests.get(f"{srv.url}/_sandbox/members", timeout=5).json()
        assert [m["name"] for m in members] == ["alice", "bob", "carol"]
        truth = requests.get(f"{srv.url}/_sandbox/truth/alice", timeout=5).json()
        assert {"cycles", "sleeps", "recoveries", "workouts", "counts", "illness_episodes"} <= set(truth)
        assert requests.get(f"{srv.url}/_sandbox/truth/zed", timeout=5).status_code == 404
        r = requests.post(f"{srv.url}/_sandbox/edit", json={"fraction": 1.0, "within_days": 3}, timeout=5)
        assert r.json()["count"] > 0
        assert requests.post(f"{srv.url}/_sandbox/score-pending", timeout=5).json()["count"] >= 9
        assert requests.post(f"{srv.url}/_sandbox/edit", json={"fraction": 3}, timeout=5).status_code == 400
        srv.get("/developer/v2/cycle", None)
        metrics = requests.get(f"{srv.url}/_sandbox/metrics", timeout=5).json()
        assert {"method": "GET", "path": "/developer/v2/cycle", "status": 401, "count": 1} in metrics["requests"]
        assert requests.post(f"{srv.url}/_sandbox/reset-metrics", timeout=5).status_code == 204
        assert requests.get(f"{srv.url}/_sandbox/metrics", timeout=5).json()["total"] == 0


def _read(path: Path) -> tuple[list[str], list[list[str]]]:
    with path.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    return rows[0], rows[1:]


def test_export_matches_truth(server: Server, tmp_path: Path) -> None:
    truth = server.sandbox.store.truth("alice")
    paths = write_export(truth, tmp_path)
    head, cycles = _read(paths["physiological_cycles.csv"])
    assert head == CYCLE_HEADERS and len(cycles) == truth["counts"]["cycles"]
    assert cycles[0][1] == "" and cycles[1][1] != ""  # current cycle has a blank end
    assert cycles[0][2].startswith("UTC") and len(cycles[1][0]) == 19
    head, sleeps = _read(paths["sleeps.csv"])
    assert head == SLEEP_HEADERS and len(sleeps) == truth["counts"]["sleeps"]
    assert sum(r[-1] == "true" for r in sleeps) == truth["counts"]["naps"]
    head, workouts = _read(paths["workouts.csv"])
    assert head == WORKOUT_HEADERS and len(workouts) == truth["counts"]["workouts"]
    head, journal = _read(paths["journal_entries.csv"])
    assert head == JOURNAL_HEADERS and len(journal) == truth["counts"]["journal_entries"]
    assert any(q.endswith(" ") for q in (r[3] for r in journal))
    scored = next(c for c in truth["cycles"] if c["score"])
    row = next(r for r in cycles if r[8] != "")
    assert abs(float(row[9]) - scored["score"]["kilojoule"] / 4.184) <= 1


def test_export_has_multiline_notes() -> None:
    store = Store(SandboxConfig(today=TODAY, members=["alice", "bob", "carol"]))
    notes = [j["notes"] for n in store.members for j in store.members[n].journal]
    assert any("\n" in n for n in notes)


def test_every_export_row_has_as_many_fields_as_its_header(tmp_path):
    import csv
    from datetime import date

    from infra.local.sandbox.config import SandboxConfig
    from infra.local.sandbox.export import write_export
    from infra.local.sandbox.store import Store

    store = Store(SandboxConfig(seed=9, members=["fay"], days=60, today=date(2026, 11, 20)))
    for path in write_export(store.truth("fay"), tmp_path).values():
        with open(path, newline="", encoding="utf-8") as f:
            rows = list(csv.reader(f))
        widths = {len(r) for r in rows[1:]}
        assert widths <= {len(rows[0])} or path.name == "workouts.csv", f"{path.name}: {widths} vs {len(rows[0])}"
