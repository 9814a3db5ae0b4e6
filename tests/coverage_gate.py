"""Fail the test run when a module the project marks critical is below 100 % line coverage.

The list lives in pyproject.toml under [tool.whoop] critical_modules; modules are added as the
issues that bring them land (API client, OAuth, ingest, MERGE logic, features, evaluation).
"""

from __future__ import annotations

import sys
import tomllib
from pathlib import Path

import coverage

ROOT = Path(__file__).resolve().parents[1]


def main() -> int:
    critical = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["whoop"]["critical_modules"]
    data = coverage.Coverage(data_file=str(ROOT / ".coverage"))
    data.load()
    failures = []
    for module in critical:
        path = str(ROOT / module)
        try:
            _, statements, _, missing, _ = data.analysis2(path)
        except coverage.exceptions.NoDataError:
            failures.append(f"{module}: not measured")
            continue
        covered = 100.0 * (len(statements) - len(missing)) / len(statements) if statements else 100.0
        status = "ok" if not missing else "BELOW 100 %"
        print(f"critical {module}: {covered:.1f} % {status}" + (f" (missing lines {missing})" if missing else ""))
        if missing:
            failures.append(f"{module}: {covered:.1f} %")
    if failures:
        print("coverage gate failed: " + "; ".join(failures), file=sys.stderr)
        return 1
    print(f"coverage gate: {len(critical)} critical modules at 100 %")
    return 0


if __name__ == "__main__":
    sys.exit(main())
