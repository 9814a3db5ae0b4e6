"""Live tier: deploy the Native App for real, use it, tear it down.

With SNOWFLAKE_* credentials (tests/live/conftest.py) a module-scoped fixture builds the handler archive,
runs `snow app deploy` and `snow app run` under a unique suffix (`--env suffix=_ci_<random>`, snowflake.yml),
and removes package and app with `snow app teardown --force --cascade` afterwards, also when a step failed.
Nothing is approved: the WHOOP egress specification must still be PENDING, so only procedures without
external access are called. Then every query of the dashboard runs against the app, and the refresh mode
Snowflake chose for every dynamic table is checked.

Without credentials the live tests skip with the reason; the offline tests at the end still run: they check
that the `snow` commands the fixture builds are accepted by the installed Snowflake CLI.
"""

from __future__ import annotations

import importlib.util
import inspect
import os
import re
import secrets
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.live.conftest import connection_settings
from tests.static import procedures as procs
from tests.static.test_native_app import _dynamic_tables

ROOT = Path(__file__).resolve().parents[2]
SNOW = shutil.which("snow") or str(Path(sys.executable).with_name("snow"))
# A procedure the app's admin may call that needs no external access (so nothing has to be approved):
# anomaly detection over Gold, which on a fresh app finds no features and returns {"anomalies": 0}.
NO_EGRESS_PROCEDURE = "OPS.DETECT_ANOMALIES_ML"
APP_ROLE = "APP_ADMIN"  # includes APP_VIEWER, which reads Gold, ML and the dashboard
# Connector parameter -> Snowflake CLI connection flag. The password stays in the environment
# (SNOWFLAKE_PASSWORD, read by --temporary-connection), never on a command line.
CLI_FLAGS = {
    "account": "--account",
    "user": "--user",
    "role": "--role",
    "warehouse": "--warehouse",
    "authenticator": "--authenticator",
    "private_key_file": "--private-key-file",
}


# --- the commands ---------------------------------------------------------------------------------------


def app_name(suffix: str) -> str:
    """The application's identifier: snowflake.yml's concat_ids('whoop_platform', suffix), unquoted, so upper."""
    return f"WHOOP_PLATFORM{suffix}".upper()


def connection_flags(settings: dict[str, str]) -> list[str]:
    """`-x` (a temporary connection, no config file) plus one flag per setting."""
    flags = ["--temporary-connection"]
    for key, flag in CLI_FLAGS.items():
        if settings.get(key):
            flags += [flag, settings[key]]
    if settings.get("authenticator", "").upper() == "WORKLOAD_IDENTITY":
        flags += ["--workload-identity-provider", os.environ.get("SNOWFLAKE_WORKLOAD_IDENTITY_PROVIDER", "OIDC")]
    return flags


def commands(suffix: str, settings: dict[str, str]) -> dict[str, list[str]]:
    """The CLI commands of the fixture, by step. No --force on deploy/run: nothing is overwritten unasked;
    teardown drops the package and the app with the objects the app created (--cascade)."""
    env = ["--env", f"suffix={suffix}"]
    conn = connection_flags(settings)
    return {
        "build": [sys.executable, "-m", "infra.native_app_zip"],
        "deploy": [SNOW, "app", "deploy", "--no-interactive", *env, *conn],
        "run": [SNOW, "app", "run", "--no-interactive", *env, *conn],
        "teardown": [SNOW, "app", "teardown", "--force", "--cascade", "--no-interactive", *env, *conn],
    }


def cli_env(home: Path) -> dict[str, str]:
    """A private SNOWFLAKE_HOME: the CLI neither reads nor writes a developer's connections."""
    (home / ".snowflake").mkdir(parents=True, exist_ok=True)
    return {**os.environ, "HOME": str(home), "SNOWFLAKE_HOME": str(home / ".snowflake")}


def run_step(name: str, argv: list[str], env: dict[str, str]) -> str:
    out = subprocess.run(argv, cwd=ROOT, env=env, capture_output=True, text=True, timeout=1800)
    if out.returncode != 0:
        pytest.fail(
            f"{name} failed ({out.returncode}): {' '.join(argv[:3])}\n{out.stdout[-4000:]}\n{out.stderr[-4000:]}"
        )
    return out.stdout


# --- the dashboard's queries ----------------------------------------------------------------------------


def load_queries() -> Any:
    """app/streamlit/queries.py (not a package: Streamlit puts its folder on the path)."""
    path = ROOT / "app" / "streamlit" / "queries.py"
    spec = importlib.util.spec_from_file_location("whoop_dashboard_queries", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses resolve the module by name
    spec.loader.exec_module(module)
    return module


def dashboard_statements(queries: Any, member_key: str, start: date, end: date) -> dict[str, str]:
    """Every statement the dashboard runs, by 'function:name': each public *_sql function and each function
    returning {name: SQL} (PAGES and the admin page), called with the filters its signature asks for."""
    filters = queries.Filters(member_key=member_key, start=start, end=end)
    out: dict[str, str] = {}
    for name, fn in vars(queries).items():
        if name.startswith("_") or not inspect.isfunction(fn) or fn.__module__ != queries.__name__:
            continue
        params = list(inspect.signature(fn).parameters.values())
        args: list[Any] = []
        for p in params:
            ann = p.annotation if isinstance(p.annotation, str) else getattr(p.annotation, "__name__", "")
            if ann == "Filters":
                args.append(filters)
            elif p.name == "member_key":
                args.append(member_key)
            else:
                break
        else:
            result = fn(*args)
            if isinstance(result, str) and name.endswith("_sql"):
                out[name] = result
            elif isinstance(result, dict) and all(isinstance(v, str) for v in result.values()):
                out.update({f"{name}:{k}": v for k, v in result.items()})
    return out


# --- the fixture ----------------------------------------------------------------------------------------


@dataclass
class DeployedApp:
    name: str
    cursor: Any

    def rows(self, sql: str) -> list[dict[str, Any]]:
        self.cursor.execute(sql)
        cols = [c[0].lower() for c in self.cursor.description]
        return [dict(zip(cols, r, strict=True)) for r in self.cursor.fetchall()]


@pytest.fixture(scope="module")
def deployed_app(request: pytest.FixtureRequest, snowflake_conn, tmp_path_factory) -> Iterator[DeployedApp]:
    suffix = f"_ci_{secrets.token_hex(4)}"
    steps = commands(suffix, connection_settings())
    env = cli_env(tmp_path_factory.mktemp("snow_home"))

    def teardown() -> None:
        # registered before the first deploy step, so a half-finished deploy is removed too
        run_step("snow app teardown", steps["teardown"], env)

    request.addfinalizer(teardown)
    run_step("build the handler archive", steps["build"], env)
    run_step("snow app deploy", steps["deploy"], env)
    run_step("snow app run", steps["run"], env)
    name = app_name(suffix)
    cur = snowflake_conn.cursor()
    # the installing role owns the app and may grant its application roles (migrations/R__20_grants.sql does
    # the same for WHOOP_ADMIN in a deployment)
    cur.execute(f"GRANT APPLICATION ROLE {name}.{APP_ROLE} TO ROLE {connection_settings()['role']}")
    cur.execute(f"USE DATABASE {name}")
    yield DeployedApp(name, cur)


# --- live tests -----------------------------------------------------------------------------------------


@pytest.mark.live
def test_no_specification_was_approved(deployed_app):
    """The deploy approves nothing: the egress specification waits for the installer."""
    specs = deployed_app.rows(f"SHOW SPECIFICATIONS IN APPLICATION {deployed_app.name}")
    assert specs, "the setup script requests the WHOOP egress specification"
    assert {s["status"] for s in specs} == {"PENDING"}, specs


@pytest.mark.live
def test_a_procedure_without_egress_runs(deployed_app):
    deployed_app.cursor.execute(f"CALL {deployed_app.name}.{NO_EGRESS_PROCEDURE}()")
    (result,) = deployed_app.cursor.fetchone()
    assert result is not None and "anomalies" in str(result)


@pytest.mark.live
def test_every_dashboard_query_runs_on_the_app(deployed_app):
    today = date.today()
    statements = dashboard_statements(load_queries(), "0" * 32, today - timedelta(days=90), today)
    failed = {}
    for label, sql in statements.items():
        try:
            deployed_app.cursor.execute(sql)
            deployed_app.cursor.fetchall()
        except Exception as e:  # the connector's ProgrammingError: collect all, report together
            failed[label] = str(e)[:300]
    assert not failed, failed


@pytest.mark.live
def test_dynamic_tables_refresh_incrementally_except_the_full_by_design(deployed_app):
    try:
        shown = deployed_app.rows(f"SHOW DYNAMIC TABLES IN APPLICATION {deployed_app.name}")
    except Exception:  # SHOW … IN APPLICATION not accepted for this object type: the app is database-like
        shown = deployed_app.rows(f"SHOW DYNAMIC TABLES IN DATABASE {deployed_app.name}")
    modes = {f"{r['schema_name']}.{r['name']}": (r["refresh_mode"], r.get("refresh_mode_reason")) for r in shown}
    assert set(modes) == set(_dynamic_tables()), "every dynamic table of sql/ exists in the app"
    full = full_by_design()
    wrong = {n: m for n, m in modes.items() if (m[0] == "FULL") != (n in full)}
    assert not wrong, f"expected INCREMENTAL except {sorted(full)} (FULL); got (mode, reason): {wrong}"


def full_by_design() -> set[str]:
    return {name for name, t in _dynamic_tables().items() if t["mode"] == "FULL"}


# --- offline: what the live tests assume ----------------------------------------------------------------

FAKE = {
    "account": "myorg-myaccount",
    "user": "WHOOP_CI_DEPLOY_SVC",
    "role": "WHOOP_ADMIN",
    "warehouse": "WHOOP_TRANSFORM_WH",
    "authenticator": "WORKLOAD_IDENTITY",
    "private_key_file": "/nonexistent/key.p8",
}


@pytest.mark.parametrize("step", ["deploy", "run", "teardown"])
def test_fixture_commands_are_accepted_by_the_installed_cli(step, tmp_path):
    """Each `snow` command, exactly as the fixture builds it, with --help appended: the CLI parses every flag
    before it prints help, so an unknown or misspelt flag fails here (exit 2) without a connection."""
    if not Path(SNOW).exists():
        pytest.skip("snowflake-cli not installed (pip install -e '.[dev]')")
    env = cli_env(tmp_path)
    argv = commands("_ci_0123abcd", FAKE)[step]
    ok = subprocess.run([*argv, "--help"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert ok.returncode == 0, ok.stdout[-2000:] + ok.stderr[-2000:]
    bad = subprocess.run([*argv, "--no-such-flag", "--help"], cwd=ROOT, env=env, capture_output=True, text=True,
                         timeout=120)  # fmt: skip
    assert bad.returncode != 0, "the check would not notice a wrong flag"


def test_app_name_matches_the_project_definition():
    project = yaml.safe_load((ROOT / "snowflake.yml").read_text())
    (app,) = [e for e in project["entities"].values() if e["type"] == "application"]
    assert re.sub(r"\s", "", app["identifier"]) == "<%fn.concat_ids('whoop_platform',ctx.env.suffix)%>"
    assert app_name("_ci_0123abcd") == "WHOOP_PLATFORM_CI_0123ABCD"


def test_the_procedure_called_needs_no_egress_and_is_granted_to_the_admin():
    (proc,) = [p for p in procs.python_procedures() if p.name == NO_EGRESS_PROCEDURE]
    assert proc.external_access == (), f"{NO_EGRESS_PROCEDURE} must not need an approved specification"
    setup = (ROOT / "app/setup_script.sql").read_text()
    assert re.search(
        rf"GRANT USAGE ON PROCEDURE {NO_EGRESS_PROCEDURE}\(\)\s+TO APPLICATION ROLE {APP_ROLE}\b", setup, re.I
    ), f"{APP_ROLE} may call {NO_EGRESS_PROCEDURE}"


def test_only_dim_date_is_full_by_design():
    assert full_by_design() == {"GOLD.DIM_DATE"}


def test_dashboard_statements_cover_every_page():
    queries = load_queries()
    statements = dashboard_statements(queries, "0" * 32, date(2026, 1, 1), date(2026, 1, 31))
    functions = [fn.__name__ for fn in queries.PAGES.values()] + ["setup"]
    for fn in functions:
        assert any(label.startswith(f"{fn}:") for label in statements), f"no statement of {fn}()"
    assert {"tables_sql", "members_sql", "member_span_sql"} <= set(statements)
    assert all(re.match(r"\s*(SELECT|WITH)\b", sql, re.I) for sql in statements.values()), "read-only"
