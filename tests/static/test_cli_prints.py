"""The CLI (infra/local/cli.py) is the only part of infra/local/ that prints (issue 17, item 4).

Everything else returns what happened (report lines, results, progress callbacks), so scripts and tests can use
it without output of their own; a module run as a script may print from its own `main()`.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LOCAL = ROOT / "infra" / "local"


def prints_outside_the_cli() -> list[str]:
    found = []
    for path in sorted(LOCAL.rglob("*.py")):
        if path == LOCAL / "cli.py":
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        in_main = {
            id(node)
            for fn in ast.walk(tree)
            if isinstance(fn, ast.FunctionDef) and fn.name == "main"
            for node in ast.walk(fn)
        }
        found += [
            f"{path.relative_to(ROOT)}:{node.lineno}"
            for node in ast.walk(tree)
            if isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id == "print"
            and id(node) not in in_main
        ]
    return found


def test_only_the_cli_prints():
    assert prints_outside_the_cli() == []
