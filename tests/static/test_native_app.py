"""Static checks of the Native App artifacts: they run offline and need no Snowflake account.

What a live install would reject late (a missing stage file, an unknown snowflake.yml key, a SQL file
nobody added to the setup script, a package the handlers import but the app does not declare) fails
here first.
"""

from __future__ import annotations

import ast
import fnmatch
import json
import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import jsonschema
import pytest
import yaml

from infra import app_stage
from infra.native_app_zip import build_zip

ROOT = Path(__file__).resolve().parents[2]
LAYERS = ("config", "bronze", "silver", "gold", "quality", "ml", "reporting", "ops")
SNOW = shutil.which("snow") or str(Path(sys.executable).with_name("snow"))
GENERATED = ("build/",)  # produced by infra/native_app_zip.py before bundling, not committed

# Import name -> Snowflake Anaconda package name, where they differ.
DIST_NAMES = {"snowflake": "snowflake-snowpark-python", "yaml": "pyyaml", "sklearn": "scikit-learn"}
# Modules the Snowflake Python runtime provides without a package.
SERVER_MODULES = {"_snowflake"}


def load_yaml(rel: str) -> dict:
    return yaml.safe_load((ROOT / rel).read_text())


@pytest.fixture(scope="module")
def project() -> dict:
    return load_yaml("snowflake.yml")


@pytest.fixture(scope="module")
def package(project) -> dict:
    (entity,) = [e for e in project["entities"].values() if e["type"] == "application package"]
    return entity


@pytest.fixture(scope="module")
def setup_sql() -> str:
    return (ROOT / "app/setup_script.sql").read_text()


def stage_files(package: dict) -> dict[str, Path]:
    """Stage path -> repo file, laid out as the CLI bundles (infra/app_stage.py, checked against
    `snow app bundle` below)."""
    return app_stage.stage_files(ROOT, package)


def pipeline_paths(setup_sql: str) -> list[str]:
    return re.findall(r"^\s*EXECUTE IMMEDIATE FROM '([^']+)'\s*;", setup_sql, flags=re.MULTILINE | re.IGNORECASE)


def strip_stage_prefix(path: str) -> str:
    return path.removeprefix("./").lstrip("/")


# --- snowflake.yml -------------------------------------------------------------------------------------


def test_project_definition_is_v2_with_package_and_app(project):
    assert str(project["definition_version"]) == "2"
    types = {name: e["type"] for name, e in project["entities"].items()}
    assert sorted(types.values()) == ["application", "application package"]
    (app,) = [e for e in project["entities"].values() if e["type"] == "application"]
    assert app["from"]["target"] in types and types[app["from"]["target"]] == "application package"
    assert app["debug"] is True
    for entity in project["entities"].values():
        assert "ctx.env.suffix" in entity["identifier"], "identifiers carry the per-user suffix"


def test_project_definition_matches_cli_schema(project):
    """The CLI's own JSON Schema (generated offline) rejects unknown keys, as `snow` does."""
    if not Path(SNOW).exists():
        pytest.skip("snowflake-cli not installed (pip install -e '.[dev]')")
    out = subprocess.run(
        [SNOW, "helpers", "generate-project-schema", "--definition-version", "2"],
        capture_output=True,
        text=True,
        check=True,
        env=_snow_env(ROOT / ".pytest_cache" / "snow_home"),
    )
    jsonschema.validate(project, json.loads(out.stdout))


def test_every_artifact_source_exists(package):
    for art in package["artifacts"]:
        src = art["src"]
        if src.startswith(GENERATED):
            continue  # covered by test_handler_archive_contains_package
        if any(c in src for c in "*?["):
            assert [p for p in ROOT.glob(src) if p.is_file()], f"artifact {src!r} matches no file"
        else:
            assert (ROOT / src).exists(), f"artifact {src!r} does not exist"


# --- manifest ------------------------------------------------------------------------------------------


def test_manifest_artifacts_exist_in_stage(package, setup_sql):
    manifest = load_yaml("app/manifest.yml")
    assert manifest["manifest_version"] == 2
    staged = stage_files(package)
    assert "manifest.yml" in staged
    arts = manifest["artifacts"]
    for key in ("setup_script", "readme"):
        assert arts[key] in staged, f"manifest {key} {arts[key]!r} is not in the stage layout"
    assert arts["extension_code"] is True
    assert re.search(rf"CREATE OR REPLACE STREAMLIT {re.escape(arts['default_streamlit'])}\b", setup_sql, re.I)


def test_manifest_privileges_are_explained():
    privileges = load_yaml("app/manifest.yml")["privileges"]
    names = [next(iter(p)) for p in privileges]
    assert "CREATE EXTERNAL ACCESS INTEGRATION" in names
    for entry in privileges:
        (body,) = entry.values()
        assert len(body["description"]) > 40, f"{entry} needs a reason the installer can judge"


# --- setup script --------------------------------------------------------------------------------------


def test_pipeline_paths_resolve_to_sql_files(package, setup_sql):
    staged = stage_files(package)
    paths = pipeline_paths(setup_sql)
    for path in paths:
        key = strip_stage_prefix(path)
        assert key.startswith("sql/"), path
        assert key in staged and staged[key].is_file(), f"{path} is not a file in the bundle"
    assert len(paths) == len(set(paths)), "a file is executed twice"


def test_every_sql_file_is_listed_in_layer_order(setup_sql):
    listed = [strip_stage_prefix(p) for p in pipeline_paths(setup_sql)]
    # sql/reporting/snowsight/ holds the queries behind a Snowsight dashboard (run by a person in Snowsight, over the
    # account's REPORTING views), not app objects: the setup script must not run them
    on_disk = sorted(
        p.relative_to(ROOT).as_posix()
        for p in (ROOT / "sql").rglob("*.sql")
        if not p.relative_to(ROOT).as_posix().startswith("sql/reporting/snowsight/")
    )
    missing = sorted(set(on_disk) - set(listed))
    assert not missing, "add to app/setup_script.sql (EXECUTE IMMEDIATE FROM lines): " + ", ".join(missing)
    layer_rank = [LAYERS.index(p.split("/")[1]) for p in listed]
    assert layer_rank == sorted(layer_rank), f"files must run in layer order {LAYERS}: {listed}"


def test_imports_and_streamlit_resolve_in_stage(package, setup_sql):
    staged = stage_files(package)
    for block in re.findall(r"IMPORTS\s*=\s*\(([^)]*)\)", setup_sql, re.I):
        for path in re.findall(r"'([^']+)'", block):
            key = strip_stage_prefix(path)
            assert key in staged, f"import {path} is not in the stage layout"
    m = re.search(r"CREATE OR REPLACE STREAMLIT \S+\s+FROM '([^']+)'\s+MAIN_FILE\s*=\s*'([^']+)'", setup_sql, re.I)
    assert m, "default Streamlit missing"
    assert strip_stage_prefix(m.group(1)).rstrip("/") + "/" + m.group(2) in staged


def test_handler_is_in_the_package(setup_sql):
    for handler in re.findall(r"HANDLER\s*=\s*'([^']+)'", setup_sql, re.I):
        module = handler.rsplit(".", 1)[0]
        if not module.startswith("snowpark_procs."):
            continue
        # The ingest module is being written alongside; once it exists it must define the handler.
        path = ROOT / (module.replace(".", "/") + ".py")
        if path.exists():
            names = {n.name for n in ast.parse(path.read_text()).body if isinstance(n, ast.FunctionDef)}
            assert handler.rsplit(".", 1)[1] in names, f"{handler} not defined in {path}"


def test_egress_specification_matches_network_rule(setup_sql):
    procedures_sql = (ROOT / "sql" / "ops" / "02_procedures.sql").read_text()
    rule = re.search(r"CREATE OR REPLACE NETWORK RULE[^;]*VALUE_LIST\s*=\s*\(([^)]*)\)", procedures_sql, re.I)
    spec = re.search(r"ALTER APPLICATION SET SPECIFICATION[^;]*HOST_PORTS\s*=\s*\(([^)]*)\)", setup_sql, re.I)
    assert rule and spec
    hosts = lambda text: sorted(re.findall(r"'([^']+)'", text))  # noqa: E731
    assert hosts(rule.group(1)) == hosts(spec.group(1)) == ["api.prod.whoop.com"]


def test_application_roles_exist(setup_sql):
    for role in ("app_admin", "app_viewer", "app_reporting"):
        assert re.search(rf"CREATE APPLICATION ROLE IF NOT EXISTS {role};", setup_sql)
    assert "CREATE OR ALTER VERSIONED SCHEMA core;" in setup_sql


# --- Python packaging ----------------------------------------------------------------------------------


def third_party_imports(root: Path) -> set[str]:
    found: set[str] = set()
    for path in root.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                found.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                found.add(node.module.split(".")[0])
    return {m for m in found if m not in sys.stdlib_module_names and m not in SERVER_MODULES and m != root.name}


def test_environment_lists_every_imported_package():
    env = load_yaml("environment.yml")
    assert "snowflake" in env["channels"]
    declared = {re.split(r"[<>=!\s]", d, maxsplit=1)[0].lower() for d in env["dependencies"] if isinstance(d, str)}
    needed = {DIST_NAMES.get(m, m).lower().replace("_", "-") for m in third_party_imports(ROOT / "snowpark_procs")}
    assert needed <= declared, f"add to environment.yml: {sorted(needed - declared)}"


def test_handler_archive_contains_package(tmp_path):
    dest = build_zip(tmp_path / "snowpark_procs.zip")
    names = zipfile.ZipFile(dest).namelist()
    assert "snowpark_procs/__init__.py" in names
    expected = sorted(
        p.relative_to(ROOT).as_posix() for p in (ROOT / "snowpark_procs").rglob("*.py") if "__pycache__" not in p.parts
    )
    assert sorted(names) == expected
    assert build_zip(tmp_path / "again.zip").read_bytes() == dest.read_bytes(), "archive is not deterministic"


# --- the real bundler ----------------------------------------------------------------------------------


def _snow_env(home: Path) -> dict[str, str]:
    home.mkdir(parents=True, exist_ok=True)
    # A private HOME keeps the CLI from reading or writing a developer's connections.
    return {**os.environ, "HOME": str(home), "SNOWFLAKE_HOME": str(home / ".snowflake")}


def test_snow_app_bundle_lays_out_every_referenced_file(tmp_path, setup_sql):
    """`snow app bundle` (offline) on a copy of the project: every path the manifest and setup script
    name must exist in the deploy root it writes."""
    if not Path(SNOW).exists():
        pytest.skip("snowflake-cli not installed (pip install -e '.[dev]')")
    proj = tmp_path / "proj"
    for rel in ("app", "sql", "snowpark_procs"):
        shutil.copytree(ROOT / rel, proj / rel, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "snowflake.yml", proj / "snowflake.yml")
    build_zip(proj / "build/python/snowpark_procs.zip", root=proj)
    out = subprocess.run(
        [SNOW, "app", "bundle"], cwd=proj, capture_output=True, text=True, env=_snow_env(tmp_path / "home")
    )
    assert out.returncode == 0, out.stdout + out.stderr
    deploy = proj / "output" / "deploy"
    bundled = {p.relative_to(deploy).as_posix() for p in deploy.rglob("*") if p.resolve().is_file()}
    wanted = {
        "manifest.yml",
        "setup_script.sql",
        "README.md",
        "python/snowpark_procs.zip",
        "streamlit/streamlit_app.py",
    }
    # the dashboard's modules and pages keep their layout (pages/ must stay a folder for Streamlit's navigation)
    app_dir = ROOT / "app" / "streamlit"
    wanted |= {
        "streamlit/" + p.relative_to(app_dir).as_posix() for p in app_dir.rglob("*.py") if "__pycache__" not in p.parts
    }
    wanted |= {strip_stage_prefix(p) for p in pipeline_paths(setup_sql)}
    assert wanted <= bundled, f"missing from bundle: {sorted(wanted - bundled)}"
    # the local stage that `whoop deploy --local` installs from has the same layout as the real bundle
    assert set(app_stage.stage_files(proj)) == bundled
    assert not [p for p in bundled if fnmatch.fnmatch(p, "*__pycache__*")]


def _dynamic_tables() -> dict[str, dict[str, str]]:
    found = {}
    for path in sorted((ROOT / "sql").rglob("*.sql")):
        text = path.read_text()
        for m in re.finditer(
            r"CREATE\s+OR\s+REPLACE\s+DYNAMIC\s+TABLE\s+(?P<name>[\w.]+)\s+(?P<header>.*?)\bAS\s*\n(?P<query>.*?);",
            text,
            re.S | re.I,
        ):
            lag = re.search(r"TARGET_LAG\s*=\s*('[^']+'|DOWNSTREAM)", m["header"], re.I)
            mode = re.search(r"REFRESH_MODE\s*=\s*(\w+)", m["header"], re.I)
            found[m["name"].upper()] = {
                "lag": lag.group(1).upper() if lag else "",
                "mode": mode.group(1).upper() if mode else "",
                "query": m["query"].upper(),
                "file": text,
            }
    return found


def test_dynamic_table_lags_and_refresh_modes():
    tables = _dynamic_tables()
    assert len(tables) >= 15
    readers = {
        name: [o for o, t in tables.items() if o != name and re.search(rf"\b{name}\b", t["query"])] for name in tables
    }
    for name, t in tables.items():
        assert t["lag"], f"{name} has no TARGET_LAG"
        if not readers[name]:
            assert t["lag"] != "DOWNSTREAM", f"{name} is a leaf: it needs a time lag, or it never refreshes"
        if t["lag"] == "DOWNSTREAM":
            assert readers[name], f"{name} is DOWNSTREAM but nothing reads it"
        assert t["mode"] in {"INCREMENTAL", "FULL"}, f"{name}: set REFRESH_MODE explicitly (AUTO sticks to FULL)"
        if t["mode"] == "FULL":
            assert "FULL refresh:" in t["file"], f"{name}: say why it cannot refresh incrementally"
            assert not any(tables[r]["mode"] == "INCREMENTAL" for r in readers[name]), (
                f"{name}: an incremental dynamic table cannot read a FULL one"
            )
