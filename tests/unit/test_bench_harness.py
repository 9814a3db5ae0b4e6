"""The benchmark recorder's format, and every benchmark at a tiny size (bench/run.py end to end)."""

from __future__ import annotations

import json
import math
from contextlib import ExitStack
from pathlib import Path

import pytest

from bench import run as bench_run
from bench import sandbox_throughput, warehouse_overhead
from bench.harness import FIELDS, Recorder, median_seconds


def test_add_returns_the_record_with_every_field() -> None:
    rec = Recorder()
    r = rec.add("x_ratio", 2, "x", "plain DuckDB", target=1.5, note="n")
    assert r == {
        "name": "x_ratio",
        "value": 2.0,
        "unit": "x",
        "compared_to": "plain DuckDB",
        "target": 1.5,
        "note": "n",
    }
    assert tuple(r) == FIELDS
    assert rec.add("y", 1.0, "s", "nothing").get("target") is None


@pytest.mark.parametrize(
    "kwargs",
    [
        {"name": "", "value": 1, "unit": "s", "compared_to": "c"},
        {"name": "dup", "value": 1, "unit": "s", "compared_to": "c"},
        {"name": "n", "value": math.nan, "unit": "s", "compared_to": "c"},
        {"name": "n", "value": math.inf, "unit": "s", "compared_to": "c"},
        {"name": "n", "value": 1, "unit": "", "compared_to": "c"},
        {"name": "n", "value": 1, "unit": "s", "compared_to": ""},
    ],
)
def test_add_rejects_bad_records(kwargs: dict) -> None:
    rec = Recorder()
    rec.add("dup", 1, "s", "c")
    with pytest.raises(ValueError):
        rec.add(**kwargs)


def test_write_replaces_latest_and_keeps_a_history_copy(tmp_path: Path) -> None:
    latest = tmp_path / "results" / "latest.json"
    first = Recorder()
    first.add("a", 1, "s", "c")
    copy1 = first.write(latest)
    second = Recorder()
    second.add("b", 2.5, "req/s", "c", target=None, note="")
    copy2 = second.write(latest)

    data = json.loads(latest.read_text())
    assert data == [{"name": "b", "value": 2.5, "unit": "req/s", "compared_to": "c", "target": None, "note": ""}]
    assert copy1 != copy2 and copy1.parent == copy2.parent == latest.parent / "history"
    assert json.loads(copy1.read_text())[0]["name"] == "a"
    assert json.loads(copy2.read_text()) == data
    assert sorted(p.name for p in latest.parent.iterdir()) == ["history", "latest.json"]


def test_table_lists_every_record() -> None:
    rec = Recorder()
    rec.add("warehouse_overhead_ratio", 2.345678, "x", "plain DuckDB", target=1.5)
    rec.add("sandbox_records_per_second", 12345.6, "records/s", "none")
    lines = rec.table().splitlines()
    assert lines[0].split() == ["name", "value", "unit", "target", "compared_to"]
    assert "2.346" in lines[2] and "1.5" in lines[2] and "plain DuckDB" in lines[2]
    assert "12,345.6" in lines[3] and lines[3].split()[3] == "-"


def test_median_seconds_runs_after_each_time() -> None:
    calls: list[str] = []
    t = median_seconds(lambda: calls.append("fn"), 3, after=lambda: calls.append("after"))
    assert t >= 0 and calls == ["fn", "after"] * 3


def _by_name(records: list[dict]) -> dict[str, dict]:
    return {r["name"]: r for r in records}


def test_warehouse_overhead_tiny() -> None:
    rec = Recorder()
    warehouse_overhead.run(rec, quick=True, rows=2_000, repeats=1)
    got = _by_name(rec.records)
    overall = got["warehouse_overhead_ratio"]
    assert overall["unit"] == "x" and overall["target"] == 1.5 and overall["value"] > 0
    assert "HTTP" in overall["note"] and "Arrow" in overall["note"] and "transpilation" in overall["note"]
    per_query = [n for n in got if n.startswith("warehouse_overhead_ratio.")]
    assert {n.split(".", 1)[1] for n in per_query} == {q.name for q in warehouse_overhead._queries()}
    arrow = got["warehouse_overhead_ratio_arrow_results"]
    assert arrow["target"] is None and arrow["value"] > 0  # a breakdown; the target is on the figure above
    assert all(q.name in arrow["note"] for q in warehouse_overhead._queries())


def test_sandbox_throughput_tiny() -> None:
    rec = Recorder()
    sandbox_throughput.run(rec, quick=True, requests_total=12)
    got = _by_name(rec.records)
    assert got["sandbox_requests_per_second"]["value"] > 0
    assert got["sandbox_records_per_second"]["value"] >= got["sandbox_requests_per_second"]["value"]
    assert 0 < got["sandbox_generate_member_year_seconds"]["value"] < 30


def test_main_runs_every_benchmark_and_writes_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    calls: list[bool] = []

    def fake(rec: Recorder, quick: bool = False) -> None:
        calls.append(quick)
        rec.add("fake_figure", 3, "s", "nothing")

    out = tmp_path / "latest.json"
    records = bench_run.main(quick=True, out=out, benchmarks=[fake])
    assert calls == [True]
    assert json.loads(out.read_text()) == records and records[0]["name"] == "fake_figure"
    assert "fake_figure" in capsys.readouterr().out
    assert warehouse_overhead.run in bench_run.BENCHMARKS and sandbox_throughput.run in bench_run.BENCHMARKS


def test_cli_quick_runs_the_real_benchmarks(tmp_path: Path) -> None:
    out = tmp_path / "latest.json"
    assert bench_run._cli(["--quick", "--out", str(out)]) == 0
    data = json.loads(out.read_text())
    names = {r["name"] for r in data}
    assert {"warehouse_overhead_ratio", "sandbox_requests_per_second", "sandbox_records_per_second"} <= names
    assert "sandbox_generate_member_year_seconds" in names
    assert all(tuple(r) == FIELDS for r in data)


def test_each_benchmark_warehouse_is_a_deployed_copy_pointed_at_its_own_stack(tmp_path: Path) -> None:
    """The benchmarks start from copies of one deployed template (infra/local/deployed_template.py): each copy is
    the installed app with its own adapters (sandbox URL, registry under its home) and its own rows."""
    from infra.local.synthetic_members import deployed_warehouse

    with ExitStack() as stack:
        homes = [
            (*deployed_warehouse(stack, tmp_path / "a", {"ann": 101}, seed=3), "ann"),
            (*deployed_warehouse(stack, tmp_path / "b", {"ben": 102}, seed=4), "ben"),
        ]
        for settings, conn, member in homes:
            cur = conn.cursor()
            cur.execute(
                "SELECT SETTING_KEY, SETTING_VALUE FROM CONFIG.SETTINGS "
                "WHERE SETTING_KEY IN ('api_base_url', 'token_url', 'ml_registry_path')"
            )
            assert dict(cur.fetchall()) == {
                "api_base_url": f"{settings.sandbox_url}/developer",
                "token_url": f"{settings.sandbox_url}/oauth/oauth2/token",
                "ml_registry_path": str(settings.home / "ml" / "registry"),
            }
            cur.execute("SELECT MEMBER_NAME FROM CONFIG.MEMBERS")
            assert [row[0] for row in cur.fetchall()] == [member]


def _rec(name: str, value: float = 1.0) -> dict:
    return {"name": name, "value": value, "unit": "s", "compared_to": "c", "target": None, "note": ""}


def test_only_merges_its_benchmarks_figures_into_the_results(tmp_path: Path, monkeypatch) -> None:
    out = tmp_path / "latest.json"
    out.write_text(json.dumps([_rec("medallion_x"), _rec("ml_a"), _rec("ml_stale"), _rec("dashboard_y")]))

    def fake_ml(rec: Recorder, quick: bool = False) -> None:
        rec.add("ml_a", 2, "s", "c")
        rec.add("ml_new", 3, "s", "c")

    def never(rec: Recorder, quick: bool = False) -> None:
        raise AssertionError("only the named benchmark runs")

    fake_ml.__module__, never.__module__ = "bench.ml", "bench.medallion"
    monkeypatch.setattr(bench_run, "BENCHMARKS", [never, fake_ml])
    bench_run.main(out=out, only=["ml"])
    data = json.loads(out.read_text())
    assert [(r["name"], r["value"]) for r in data] == [
        ("medallion_x", 1.0),
        ("ml_a", 2.0),
        ("ml_new", 3.0),
        ("dashboard_y", 1.0),
    ]
    with pytest.raises(ValueError, match="no benchmark nothing"):
        bench_run.main(out=out, only=["nothing"])
    assert bench_run.merge([_rec("a")], [_rec("ml_b")], ["ml"]) == [_rec("a"), _rec("ml_b")]
