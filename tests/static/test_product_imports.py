"""The product (snowpark_procs/, app/, sql/, migrations/) imports nothing from infra/, and infra/ nothing from bench/.

infra/ is the local stack and operator tooling, never shipped: a product module that imported it would fail in
Snowflake (the handler zip and the app stage hold no infra/), or carry a local stand-in into the app. Local
stand-ins are put in place from infra/ instead (`_snowflake`, `snowflake.ml.registry`, the dashboard's session).
The benchmarks measure infra/ and the product, so bench/ imports infra/ and never the reverse (issue 17): what both
need (serving the stack in-process, loading synthetic members) lives in infra/.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PRODUCT = ("snowpark_procs", "app", "sql", "migrations")
# Python inside SQL (procedure bodies between $$) is scanned as text
SQL_IMPORT = re.compile(r"^\s*(?:from\s+infra(?:\.|\s)|import\s+infra\b)", re.MULTILINE)


def _names(node: ast.AST) -> list[str]:
    if isinstance(node, ast.Import):
        return [a.name for a in node.names]
    if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
        return [node.module]
    if isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant):
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
        if name in {"import_module", "__import__"} and isinstance(node.args[0].value, str):
            return [node.args[0].value]
    return []


def infra_imports(path: Path, package: str = "infra") -> list[str]:
    """`file:line: module` for each import of `package` in a Python or SQL file (lazy imports in functions too)."""
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".sql":
        if package != "infra":
            return []
        return [
            f"{path}:{text[: m.start()].count(chr(10)) + 1}: {m.group(0).strip()}" for m in SQL_IMPORT.finditer(text)
        ]
    found = []
    for node in ast.walk(ast.parse(text, filename=str(path))):
        for name in _names(node):
            if name == package or name.startswith(package + "."):
                found.append(f"{path}:{getattr(node, 'lineno', 0)}: {name}")
    return found


def _product_files() -> list[Path]:
    return sorted(p for top in PRODUCT for p in (ROOT / top).rglob("*") if p.suffix in {".py", ".sql"})


def test_the_product_imports_nothing_from_infra():
    files = _product_files()
    assert len(files) > 50  # the walk found the product
    offending = [hit for path in files for hit in infra_imports(path)]
    assert offending == []


def test_infra_imports_nothing_from_bench():
    files = sorted((ROOT / "infra").rglob("*.py"))
    assert len(files) > 50
    offending = [hit for path in files for hit in infra_imports(path, "bench")]
    assert offending == []


def test_a_planted_import_of_bench_in_a_function_is_found(tmp_path):
    planted = tmp_path / "prior.py"
    planted.write_text("def f():\n    from bench.medallion import deployed_warehouse\n")
    assert len(infra_imports(planted, "bench")) == 1


@pytest.mark.parametrize(
    "source",
    [
        "from infra.local import ml_registry\n",
        "def f():\n    import infra.local.warehouse\n",
        "import importlib\nimportlib.import_module('infra.local.stack')\n",
    ],
)
def test_a_planted_import_of_infra_is_found(tmp_path, source):
    planted = tmp_path / "handler.py"
    planted.write_text(source)
    assert len(infra_imports(planted)) == 1


def test_a_planted_import_in_a_procedure_body_is_found(tmp_path):
    planted = tmp_path / "proc.sql"
    planted.write_text("CREATE PROCEDURE P() RETURNS INT LANGUAGE PYTHON AS $$\nfrom infra.local import x\n$$;\n")
    assert len(infra_imports(planted)) == 1


def test_the_product_opens_no_session_of_its_own():
    """Handlers get their session from the CALL, the dashboard from get_active_session(): a session builder in the
    product would be a local stand-in (infra/local/dashboard_session.py opens the local dashboard's)."""
    builders = [
        f"{path}:{node.lineno}"
        for path in _product_files()
        if path.suffix == ".py"
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.Attribute) and node.attr == "builder"
    ]
    assert builders == []
