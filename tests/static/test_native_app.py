"""Static checks of the Native App artifacts: they run offline and need no Snowflake account.

What a live install would reject late (a missing stage file, an unknown snowflake.yml key, a SQL file
nobody added to the setup script, a package a handler imports but its procedure's PACKAGES clause does not
declare) fails here first.
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
from snowpark_procs import sql_templates
from tests.static import procedures as procs

ROOT = Path(__file__).resolve().parents[2]
LAYERS = ("config", "bronze", "silver", "gold", "quality", "ml", "reporting", "ops")
SNOW = shutil.which("snow") or str(Path(sys.executable).with_name("snow"))
GENERATED = ("build/",)  # produced by infra/native_app_zip.py before bundling, not committed
GENERATED_STAGE = "python/"  # the handler zip on the stage (built by infra/native_app_zip.py)


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
    # SQL templates a procedure imports and runs (OPS.BUILD_GOLD: sql/gold/; the data-quality alert) count as listed
    imported = {strip_stage_prefix(i) for proc in procs.python_procedures() for i in proc.imports if i.endswith(".sql")}
    # sql/reporting/snowsight/ holds the queries behind a Snowsight dashboard (run by a person in Snowsight, over the
    # account's REPORTING views), not app objects: the setup script must not run them
    on_disk = sorted(
        p.relative_to(ROOT).as_posix()
        for p in (ROOT / "sql").rglob("*.sql")
        if not p.relative_to(ROOT).as_posix().startswith("sql/reporting/snowsight/")
    )
    missing = sorted(set(on_disk) - set(listed) - imported)
    assert not missing, "add to app/setup_script.sql (EXECUTE IMMEDIATE FROM lines): " + ", ".join(missing)
    assert not set(listed) & imported, "a template is both run by the setup script and imported by a procedure"
    layer_rank = [LAYERS.index(p.split("/")[1]) for p in listed]
    assert layer_rank == sorted(layer_rank), f"files must run in layer order {LAYERS}: {listed}"


def test_imports_and_streamlit_resolve_in_stage(package, setup_sql):
    staged = stage_files(package)
    for proc in procs.python_procedures():
        for path in proc.imports:
            key = strip_stage_prefix(path)
            assert key in staged or key.startswith(GENERATED_STAGE), f"{proc.name}: import {path} is not on the stage"
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
    # the rule is created (or altered) by OPS.CONFIGURE_EGRESS from members.WHOOP_HOSTS, never CREATE OR REPLACE
    # in SQL: that would replace a rule the external access integration uses on every upgrade
    from snowpark_procs.members import WHOOP_HOSTS

    spec = re.search(r"ALTER APPLICATION SET SPECIFICATION[^;]*HOST_PORTS\s*=\s*\(([^)]*)\)", setup_sql, re.I)
    assert spec
    assert sorted(re.findall(r"'([^']+)'", spec.group(1))) == sorted(WHOOP_HOSTS) == ["api.prod.whoop.com"]
    for path in (ROOT / "sql").rglob("*.sql"):
        assert not re.search(r"CREATE\s+OR\s+REPLACE\s+NETWORK\s+RULE", path.read_text(), re.I), path


def test_application_roles_exist(setup_sql):
    for role in ("app_admin", "app_viewer", "app_reporting"):
        assert re.search(rf"CREATE APPLICATION ROLE IF NOT EXISTS {role};", setup_sql)
    assert "CREATE OR ALTER VERSIONED SCHEMA core;" in setup_sql


# --- Python packaging ----------------------------------------------------------------------------------
# Inside Snowflake a procedure gets the packages of its own PACKAGES clause and nothing else: no file of the
# repository (environment.yml included) is read. So each procedure's clause is checked against what its
# handler imports (tests/static/procedures.py follows the imports transitively inside snowpark_procs/).
# https://docs.snowflake.com/en/sql-reference/sql/create-procedure (PACKAGES)


@pytest.fixture(scope="module")
def procedures() -> list[procs.Procedure]:
    return procs.python_procedures()


def test_python_procedures_are_found(procedures):
    names = {p.name for p in procedures}
    assert {"OPS.INGEST_WHOOP", "OPS.TRAIN_ML", "OPS.SCORE_ML"} <= names, names  # the parser still sees them
    for p in procedures:
        assert p.handler.startswith("snowpark_procs."), f"{p.name} ({p.file}): handler {p.handler!r}"
        assert p.runtime, f"{p.name} ({p.file}): set RUNTIME_VERSION"


def test_every_procedure_declares_the_packages_its_handler_imports(procedures):
    """Per procedure: the third-party packages reachable from its HANDLER module (module-level and lazy
    imports, followed through snowpark_procs/) are all in its PACKAGES clause, and so is the Snowpark
    package, which a Python procedure always needs (create-procedure, PACKAGES)."""
    short = {}
    for p in procedures:
        needed = procs.third_party_packages(p.module)
        needed.setdefault("snowflake-snowpark-python", {"(every Python procedure)"})
        missing = {dist: sorted(by) for dist, by in needed.items() if dist not in p.packages}
        if missing:
            short[f"{p.file}: {p.name}"] = missing
    assert not short, "add to the PACKAGES clause (package: imported by): " + json.dumps(short, indent=1)


def test_procedure_parser_reads_packages_and_versions():
    stmt = (
        "CREATE OR REPLACE PROCEDURE OPS.P(X VARCHAR) RETURNS VARCHAR LANGUAGE PYTHON RUNTIME_VERSION = '3.11' "
        "PACKAGES = ('snowflake-snowpark-python==1.56.0', 'Scikit-Learn>=1.5', 'numpy') "
        "IMPORTS = ('/python/snowpark_procs.zip') HANDLER = 'snowpark_procs.ingest.main'"
    )
    p = procs.parse_procedure(stmt)
    assert p and p.name == "OPS.P" and p.handler == "snowpark_procs.ingest.main" and p.runtime == "3.11"
    assert set(p.packages) == {"snowflake-snowpark-python", "scikit-learn", "numpy"}
    assert procs.parse_procedure(stmt.replace("LANGUAGE PYTHON", "LANGUAGE SQL")) is None
    assert procs.parse_procedure("CREATE OR REPLACE TABLE T (PACKAGES VARCHAR)") is None
    assert procs.distribution("snowflake.ml.registry.Registry") == "snowflake-ml-python"
    assert procs.distribution("sklearn.ensemble") == "scikit-learn"
    assert procs.distribution("json") is procs.distribution("_snowflake") is None


def test_import_walk_follows_lazy_relative_and_submodule_imports(tmp_path):
    """A planted package: the handler reaches numpy through a relative import, requests through a lazy import
    in a function, and pandas through `from pkg import submodule`; a TYPE_CHECKING import does not count."""
    pkg = tmp_path / "snowpark_procs"
    (pkg / "sub").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "sub" / "__init__.py").write_text("import yaml\n")
    (pkg / "handler.py").write_text(
        "from typing import TYPE_CHECKING\nfrom . import helper\nfrom snowpark_procs.sub import leaf\n"
        "if TYPE_CHECKING:\n    import polars\n"
        "def main(session):\n    import requests\n    return helper.f()\n"
    )
    (pkg / "helper.py").write_text("import json\nimport numpy as np\nimport _snowflake\n")
    (pkg / "sub" / "leaf.py").write_text("import pandas\nfrom sklearn.ensemble import IsolationForest\n")
    (pkg / "unused.py").write_text("import torch\n")
    found = procs.third_party_packages("snowpark_procs.handler", root=tmp_path)
    assert set(found) == {"numpy", "requests", "pandas", "scikit-learn", "pyyaml"}
    assert found["numpy"] == {"snowpark_procs.helper"}


def test_missing_package_in_a_clause_fails(tmp_path):
    """The check above, on a planted procedure whose clause lacks what the ML handler imports."""
    sql = tmp_path / "p.sql"
    sql.write_text(
        "CREATE OR REPLACE PROCEDURE OPS.SCORE_ML() RETURNS VARIANT LANGUAGE PYTHON RUNTIME_VERSION = '3.11'\n"
        "    PACKAGES = ('snowflake-snowpark-python')\n    IMPORTS = ('/python/snowpark_procs.zip')\n"
        "    HANDLER = 'snowpark_procs.ml.procs.score';\n"
    )
    (p,) = procs.python_procedures([sql])
    missing = set(procs.third_party_packages(p.module)) - set(p.packages)
    assert {"numpy", "pandas", "snowflake-ml-python"} <= missing


def test_environment_yml_documents_the_union_of_packages_clauses(procedures):
    """environment.yml is documentation for the provider only (Snowflake never reads it): it must list
    exactly the packages of the PACKAGES clauses, and the procedures' runtime as its python."""
    text = (ROOT / "environment.yml").read_text()
    header = text.split("\nname:", 1)[0].lower()
    assert "not read by snowflake" in header and "packages" in header and "test_native_app.py" in header
    env = yaml.safe_load(text)
    assert "snowflake" in env["channels"]
    deps = [d for d in env["dependencies"] if isinstance(d, str)]
    declared = {procs.package_name(d) for d in deps if not d.startswith("python")}
    clauses = set().union(*(p.packages for p in procedures))
    assert declared == clauses, (
        f"environment.yml lists no clause uses: {sorted(declared - clauses)}; "
        f"clauses use, environment.yml lacks: {sorted(clauses - declared)}"
    )
    python = [d.split("=", 1)[1] for d in deps if re.match(r"python\s*=", d)]
    assert python == sorted({p.runtime for p in procedures}), "python= must be the procedures' RUNTIME_VERSION"


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
        text = sql_templates.render_file(path, "WHOOP_WH")  # templates (sql/gold/) as OPS.BUILD_GOLD runs them
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


def test_snowflake_managed_oauth_is_requested_as_an_app_may():
    """The handlers create an API_AUTHENTICATION security integration (Snowflake-managed members): an app needs the
    manifest's CREATE SECURITY INTEGRATION and a SECURITY_INTEGRATION app specification for that
    (https://docs.snowflake.com/en/developer-guide/native-apps/requesting-app-specs-sec-integ)."""
    code = "\n".join(p.read_text() for p in (ROOT / "snowpark_procs").rglob("*.py"))
    if "CREATE SECURITY INTEGRATION" not in code:
        return
    requested = {next(iter(p)) for p in load_yaml("app/manifest.yml")["privileges"]}
    assert "CREATE SECURITY INTEGRATION" in requested
    setup = (ROOT / "app/setup_script.sql").read_text()
    spec = re.search(r"SET SPECIFICATION \w+\s+TYPE = SECURITY_INTEGRATION(?P<body>.*?);", setup, re.S)
    assert spec, "no SECURITY_INTEGRATION app specification in the setup script"
    assert "OAUTH_TYPE = 'AUTHORIZATION_CODE'" in spec["body"] and "OAUTH_TOKEN_ENDPOINT" in spec["body"]
