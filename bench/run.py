"""Run every benchmark, print a table and write bench/results/latest.json (+ a copy under history/).

Adding a benchmark: write a module with `run(rec: Recorder, quick: bool = False) -> None` that calls
`rec.add(...)`, and append its `run` to `BENCHMARKS` below.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench import dashboard, ingest, medallion, ml, sandbox_throughput, warehouse_overhead
from bench.harness import Recorder

BENCHMARKS: list[Callable[..., None]] = [
    warehouse_overhead.run,
    sandbox_throughput.run,
    ingest.run,
    medallion.run,
    ml.run,
    dashboard.run,
]

RESULTS = Path(__file__).resolve().parent / "results" / "latest.json"


def main(
    settings: Any = None,
    quick: bool = False,
    out: Path | str | None = None,
    benchmarks: list[Callable[..., None]] | None = None,
) -> list[dict[str, Any]]:
    """Run the benchmarks (all of `BENCHMARKS` unless given), print a table, write `out` (default
    bench/results/latest.json) and return the records. `settings` (infra.local.settings.Settings) is
    accepted for the CLI's sake; everything runs in-process on free loopback ports, so nothing in it is needed.
    """
    rec = Recorder()
    for bench in benchmarks if benchmarks is not None else BENCHMARKS:
        label = f"{bench.__module__}.{bench.__name__}"
        print(f"running {label} ...", file=sys.stderr, flush=True)
        start = time.perf_counter()
        bench(rec, quick=quick)
        print(f"  done in {time.perf_counter() - start:.1f} s", file=sys.stderr, flush=True)
    path = Path(out) if out is not None else RESULTS
    rec.write(path)
    print(rec.table())
    print(f"\nwrote {path}")
    return rec.records


def _cli(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny sizes, for a smoke test")
    parser.add_argument("--out", type=Path, default=None, help=f"output file (default {RESULTS})")
    args = parser.parse_args(argv)
    main(quick=args.quick, out=args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(_cli())
