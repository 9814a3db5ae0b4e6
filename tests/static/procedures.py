"""The Python procedures the setup script creates, and the third-party packages their handlers import.

Inside Snowflake a Python procedure gets exactly the packages of its own `PACKAGES` clause (plus what the
runtime provides); nothing reads the repository's `environment.yml`. So what matters is, per procedure:
the `HANDLER` module, every module it imports transitively inside `snowpark_procs/` (module level and lazy
imports in functions alike), and the Anaconda channel package behind each third-party import.
https://docs.snowflake.com/en/sql-reference/sql/create-procedure (PACKAGES, HANDLER, IMPORTS)
https://docs.snowflake.com/en/developer-guide/udf/python/udf-python-packages (Anaconda channel packages)
"""

from __future__ import annotations

import ast
import re
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGE_ROOT = "snowpark_procs"  # the handler archive (/python/snowpark_procs.zip) holds this package

# Import name (or dotted prefix; the longest prefix wins) -> Snowflake Anaconda channel package name.
DIST_NAMES = {
    "snowflake.snowpark": "snowflake-snowpark-python",
    "snowflake.ml": "snowflake-ml-python",
    "snowflake.connector": "snowflake-connector-python",
    "snowflake.core": "snowflake",
    "sklearn": "scikit-learn",
    "yaml": "pyyaml",
    "dateutil": "python-dateutil",
    "PIL": "pillow",
    "google.protobuf": "protobuf",
}
# Modules the Snowflake Python runtime provides without a package.
SERVER_MODULES = {"_snowflake"}


@dataclass(frozen=True)
class Procedure:
    name: str
    file: str  # repo-relative path of the SQL file
    handler: str
    runtime: str
    packages: dict[str, str]  # package name (lower case) -> its entry as written, e.g. 'numpy==1.26.4'
    external_access: tuple[str, ...] = ()  # EXTERNAL_ACCESS_INTEGRATIONS (a procedure without one has no egress)

    @property
    def module(self) -> str:
        return self.handler.rsplit(".", 1)[0]


# --- SQL -------------------------------------------------------------------------------------------------


def _statements(text: str) -> list[str]:
    """The statements of a SQL file, split by the Python connector's own splitter ($$ bodies, quotes and
    comments respected), comments removed."""
    from snowflake.connector.util_text import split_statements

    return [s for s, _ in split_statements(__import__("io").StringIO(text), remove_comments=True)]


_CREATE = re.compile(
    r"^\s*CREATE\s+(?:OR\s+REPLACE\s+)?(?:OR\s+ALTER\s+)?(?:(?:TEMP|TEMPORARY|SECURE)\s+)*PROCEDURE\s+"
    r"(?:IF\s+NOT\s+EXISTS\s+)?(?P<name>[\w.$\"]+)",
    re.I,
)


def package_name(entry: str) -> str:
    """'numpy' / 'numpy==1.26.4' / 'numpy>=2' / 'numpy==1.*' -> 'numpy' (Anaconda names are case-insensitive)."""
    return re.split(r"[<>=!~*\s]", entry.strip(), maxsplit=1)[0].lower()


def parse_procedure(statement: str, file: str = "") -> Procedure | None:
    """A CREATE PROCEDURE … LANGUAGE PYTHON statement -> Procedure; any other statement -> None. Only the part
    before an inline `AS $$…$$` body is read."""
    m = _CREATE.match(statement)
    if not m:
        return None
    header = re.split(r"\bAS\s*(?:\$\$|')", statement, maxsplit=1, flags=re.I)[0]
    if not re.search(r"\bLANGUAGE\s+PYTHON\b", header, re.I):
        return None
    handler = re.search(r"\bHANDLER\s*=\s*'([^']+)'", header, re.I)
    runtime = re.search(r"\bRUNTIME_VERSION\s*=\s*'([^']+)'", header, re.I)
    clause = re.search(r"\bPACKAGES\s*=\s*\(([^)]*)\)", header, re.I)
    entries = re.findall(r"'([^']+)'", clause.group(1)) if clause else []
    eai = re.search(r"\bEXTERNAL_ACCESS_INTEGRATIONS\s*=\s*\(([^)]*)\)", header, re.I)
    return Procedure(
        name=m["name"].upper(),
        file=file,
        handler=handler.group(1) if handler else "",
        runtime=runtime.group(1) if runtime else "",
        packages={package_name(e): e for e in entries},
        external_access=tuple(n.strip().upper() for n in eai.group(1).split(",") if n.strip()) if eai else (),
    )


def setup_sql_files(root: Path = ROOT) -> list[Path]:
    """The SQL the app's setup script runs: the script itself and every file it EXECUTE IMMEDIATE FROMs."""
    setup = root / "app" / "setup_script.sql"
    listed = re.findall(r"^\s*EXECUTE IMMEDIATE FROM '([^']+)'\s*;", setup.read_text(), re.M | re.I)
    return [setup, *(root / p.removeprefix("./").lstrip("/") for p in listed)]


def python_procedures(files: list[Path] | None = None, root: Path = ROOT) -> list[Procedure]:
    found = []
    for path in files if files is not None else setup_sql_files(root):
        rel = path.relative_to(root).as_posix() if path.is_relative_to(root) else str(path)
        for statement in _statements(path.read_text()):
            proc = parse_procedure(statement, rel)
            if proc:
                found.append(proc)
    return found


# --- Python ----------------------------------------------------------------------------------------------


def module_path(module: str, root: Path = ROOT) -> Path | None:
    """'snowpark_procs.ml.procs' -> its file (module.py or package/__init__.py), None if not in the repo."""
    base = root.joinpath(*module.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _import_nodes(tree: ast.AST) -> list[ast.Import | ast.ImportFrom]:
    """Every import statement, at any depth (functions, methods, try blocks), except under `if TYPE_CHECKING:`,
    which never runs."""
    out: list[ast.Import | ast.ImportFrom] = []

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, ast.Import | ast.ImportFrom):
            out.append(node)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return out


def _imported_modules(module: str, path: Path, root: Path) -> set[str]:
    """Dotted names the module imports (absolute; for `from X import y`, both X and X.y: y may be a submodule)."""
    is_package = path.name == "__init__.py"
    names: set[str] = set()
    for node in _import_nodes(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
            continue
        if node.level:
            parts = module.split(".") if is_package else module.split(".")[:-1]
            base_parts = parts[: len(parts) - (node.level - 1)]
            if node.level - 1 > len(parts) or not base_parts:
                raise ImportError(f"{path}: relative import beyond the top-level package")
            base = ".".join(base_parts + ([node.module] if node.module else []))
        else:
            base = node.module or ""
        names.add(base)
        names.update(f"{base}.{alias.name}" for alias in node.names if alias.name != "*")
    return names


def _with_parents(module: str) -> list[str]:
    """Importing a.b.c runs a/__init__.py and a/b/__init__.py first."""
    parts = module.split(".")
    return [".".join(parts[: i + 1]) for i in range(len(parts))]


def distribution(import_name: str) -> str | None:
    """Dotted import name -> Anaconda package name; None for the standard library and server-provided modules."""
    top = import_name.split(".")[0]
    if top in sys.stdlib_module_names or top in SERVER_MODULES or top == "__future__":
        return None
    for prefix in sorted(DIST_NAMES, key=len, reverse=True):
        if import_name == prefix or import_name.startswith(prefix + "."):
            return DIST_NAMES[prefix]
    if top == "snowflake":
        raise KeyError(f"no Anaconda package known for {import_name!r}: add it to DIST_NAMES")
    return top.lower().replace("_", "-")


def third_party_packages(handler_module: str, root: Path = ROOT) -> dict[str, set[str]]:
    """Anaconda package -> the repo modules that import it, over every module the handler module reaches
    inside snowpark_procs/. Raises if the handler module itself is not in the repo."""
    if module_path(handler_module, root) is None:
        raise FileNotFoundError(f"handler module {handler_module} is not in {root}")
    seen: set[str] = set()
    todo = _with_parents(handler_module)
    needed: dict[str, set[str]] = {}
    while todo:
        module = todo.pop()
        if module in seen:
            continue
        seen.add(module)
        path = module_path(module, root)
        if path is None:
            continue  # `from pkg import name` where name is not a submodule
        for name in _imported_modules(module, path, root):
            if name.split(".")[0] == PACKAGE_ROOT:
                todo.extend(m for m in _with_parents(name) if m not in seen)
            else:
                dist = distribution(name)
                if dist:
                    needed.setdefault(dist, set()).add(module)
    return needed
