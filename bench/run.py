"""Run every benchmark, print a table and write bench/results/latest.json (+ a copy under history/).

Adding a benchmark: write a module with `run(rec: Recorder, quick: bool = False) -> None` that calls
`rec.add(...)`, and append its `run` to `BENCHMARKS` below.

`--only NAME` (repeatable; a module of bench/, e.g. `--only ml`) runs those benchmarks and merges their
figures into the existing results: a figure replaces the one of the same name, a figure of the module that
this run no longer produces (named `<module>_…`) is dropped, and every other figure is kept as it was.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench import (
    dashboard,
    ingest,
    medallion,
    member_alerts,
    ml,
    restart,
    sandbox_throughput,
    squad,
    warehouse_down,
    warehouse_overhead,
    warehouse_resumes,
)
from bench.harness import Recorder

BENCHMARKS: list[Callable[..., None]] = [
    warehouse_overhead.run,
    sandbox_throughput.run,
    ingest.run,
    medallion.run,
    ml.run,
    dashboard.run,
    squad.run,
    warehouse_resumes.run,
    warehouse_down.run,
    restart.run,
    member_alerts.run,
]


class UnknownBenchmarkError(ValueError):
    """An `--only` name that is no benchmark module (raised before any benchmark runs)."""


RESULTS = Path(__file__).resolve().parent / "results" / "latest.json"


def _short(bench: Callable[..., None]) -> str:
    return bench.__module__.rsplit(".", 1)[-1]


def merge(existing: list[dict[str, Any]], new: list[dict[str, Any]], modules: list[str]) -> list[dict[str, Any]]:
    """`existing` with `new` merged in: same-named figures replaced where they stood, the `modules`' figures
    this run did not produce dropped, figures new to the file appended after the last one of their module."""
    fresh = {r["name"]: r for r in new}
    prefixes = tuple(f"{m}_" for m in modules)
    merged: list[dict[str, Any]] = []
    for r in existing:
        if r["name"] in fresh:
            merged.append(fresh.pop(r["name"]))
        elif not r["name"].startswith(prefixes):
            merged.append(r)
    last = max((i for i, r in enumerate(merged) if r["name"].startswith(prefixes)), default=len(merged) - 1)
    return merged[: last + 1] + list(fresh.values()) + merged[last + 1 :]


def main(
    settings: Any = None,
    quick: bool = False,
    out: Path | str | None = None,
    benchmarks: list[Callable[..., None]] | None = None,
    only: list[str] | None = None,
) -> list[dict[str, Any]]:
    """Run the benchmarks (all of `BENCHMARKS` unless given, or those named in `only`), print a table, write
    `out` (default bench/results/latest.json) and return the records. With `only` the figures are merged into
    `out` (see `merge`). `settings` (infra.local.settings.Settings) is accepted for the CLI's sake; everything
    runs in-process on free loopback ports, so nothing in it is needed.
    """
    if only:
        known = {_short(b): b for b in BENCHMARKS}
        unknown = sorted(set(only) - set(known))
        if unknown:
            raise UnknownBenchmarkError(f"no benchmark {', '.join(unknown)}; choose from {', '.join(known)}")
        benchmarks = [b for name, b in known.items() if name in only]
    rec = Recorder()
    for bench in benchmarks if benchmarks is not None else BENCHMARKS:
        label = f"{bench.__module__}.{bench.__name__}"
        print(f"running {label} ...", file=sys.stderr, flush=True)
        start = time.perf_counter()
        bench(rec, quick=quick)
        print(f"  done in {time.perf_counter() - start:.1f} s", file=sys.stderr, flush=True)
    path = Path(out) if out is not None else RESULTS
    if only and path.exists():
        rec = Recorder(merge(json.loads(path.read_text()), rec.records, list(only)))
    rec.write(path)
    print(rec.table())
    print(f"\nwrote {path}")
    return rec.records


def _cli(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny sizes, for a smoke test")
    parser.add_argument("--out", type=Path, default=None, help=f"output file (default {RESULTS})")
    names = ", ".join(_short(b) for b in BENCHMARKS)
    parser.add_argument(
        "--only", action="append", metavar="NAME", help=f"run only this benchmark, merging its figures ({names})"
    )
    args = parser.parse_args(argv)
    # the benchmarks serve the warehouse in this process: sqlglot's "unsupported" warnings (what DuckDB's dialect does
    # not render, e.g. a column COMMENT, once per statement of every install) would bury the figures' table
    logging.getLogger("sqlglot").setLevel(logging.ERROR)
    try:
        main(quick=args.quick, out=args.out, only=args.only)
    except UnknownBenchmarkError as e:  # one line, as the whoop CLI answers
        print(f"bench: {e}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(_cli())
