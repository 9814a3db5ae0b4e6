"""Static checks of the schemachange scripts in migrations/: they render with the real `schemachange render`
(the only offline check schemachange has, SNOWFLAKE.md §6), follow its naming rules, use only variables the
config defines, and keep the SQL conventions (explicit column lists, fully qualified names)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import jinja2
import jinja2.meta
import pytest
import yaml

from infra.local import migrations

ROOT = Path(__file__).resolve().parents[2]
MIGRATIONS = ROOT / "migrations"
SCHEMACHANGE = shutil.which("schemachange") or str(Path(sys.executable).with_name("schemachange"))
CONFIG = yaml.safe_load((MIGRATIONS / "schemachange-config.yml").read_text())
ENVS = {
    "dev": {"env": "dev", "app_database": "WHOOP_PLATFORM_DEV", "reporting_database": "WHOOP_REPORTING_DEV",
            "alert_recipients": "dev-alerts@example.com", "alert_warehouse": "WHOOP_TRANSFORM_WH"},
    "prod": {"env": "prod", "app_database": "WHOOP_PLATFORM", "reporting_database": "WHOOP_REPORTING",
             "alert_recipients": "alerts@example.com", "alert_warehouse": "WHOOP_TRANSFORM_WH"},
}  # fmt: skip
SCRIPTS = migrations.changes()


def test_scripts_follow_schemachange_naming():
    files = sorted(p.name for p in MIGRATIONS.rglob("*.sql") if "modules" not in p.parts)
    assert sorted(c.script for c in SCRIPTS) == files, "every .sql outside modules/ is a V__, R__ or A__ script"
    kinds = [c.kind for c in SCRIPTS]
    assert kinds == sorted(kinds, key="VRA".index), "versioned, then repeatable, then always"
    assert next(c.version for c in SCRIPTS if c.kind == "V") == "1.0.0"


def test_config_defines_every_variable_the_scripts_use():
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(MIGRATIONS))
    used: set[str] = set()
    for path in [*MIGRATIONS.glob("*.sql"), *MIGRATIONS.glob("modules/*.sql")]:
        used |= jinja2.meta.find_undeclared_variables(env.parse(path.read_text()))
    used -= {"policies"}  # the imported macro module
    defined = set(CONFIG["schemachange"]["vars"])
    assert used <= defined, f"variables not in schemachange-config.yml: {used - defined}"
    assert set(migrations.local_vars("WHOOP")) == defined, "the local deploy renders with the same variables"
    for values in ENVS.values():
        assert set(values) == defined


@pytest.mark.parametrize("script", [c.script for c in SCRIPTS])
def test_schemachange_render_renders_each_script(script, tmp_path):
    """The real CLI (schemachange==4.4.0) renders the script with the dev variables and the modules folder."""
    if not Path(SCHEMACHANGE).exists():
        pytest.skip("schemachange not installed (pip install -e '.[dev]')")
    out = subprocess.run(
        [SCHEMACHANGE, "render", "--config-folder", "migrations", "-f", "migrations", "-m", "migrations/modules",
         "--vars", json.dumps(ENVS["dev"]), f"migrations/{script}"],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert out.returncode == 0, out.stdout[-2000:] + out.stderr[-2000:]
    assert "Success" in out.stdout + out.stderr
    assert "WHOOP_REPORTING_DEV" in out.stdout + out.stderr or script.startswith("V1.0.2")


@pytest.mark.parametrize("env", sorted(ENVS))
def test_every_script_renders_per_environment_without_leftovers(env):
    for change in SCRIPTS:
        text = migrations.render(change, ENVS[env])
        assert "{{" not in text and "{%" not in text, change.script
        assert ENVS[env]["reporting_database"] in text or (change.kind == "V" and "NOTIFICATION" in text)


def _rendered() -> dict[str, str]:
    return {c.script: migrations.render(c, ENVS["prod"]) for c in SCRIPTS}


def test_views_have_explicit_column_lists_and_no_star():
    text = _rendered()["R__10_reporting_views.sql"]
    views = re.findall(
        r"CREATE OR REPLACE SECURE VIEW (\S+) \(([^)]*)\)\s*COMMENT = '[^']*'\s*AS\s*SELECT(.*?);", text, re.S
    )
    assert len(views) == text.count("CREATE OR REPLACE SECURE VIEW") >= 9
    names = {v[0].split(".")[-1] for v in views}
    assert {"V_DAILY_RECOVERY", "V_SLEEP", "V_STRAIN", "V_WORKOUTS", "V_MEMBER", "V_DATE"} <= names
    for name, cols, select in views:
        declared = [c.strip() for c in cols.split(",")]
        # a column is selected as itself (alias.COLUMN) or as an expression named with AS
        selected = [
            re.sub(r"^\w+\.", "", re.split(r"\s+AS\s+", c.strip())[-1]) for c in select.split("FROM")[0].split(",")
        ]
        assert declared == selected, name
        assert "*" not in select, name


_OBJECT = re.compile(
    r"^\s*(?:CREATE(?: OR REPLACE)?(?: SECURE)? (?:VIEW|TABLE|SCHEMA|MASKING POLICY|ROW ACCESS POLICY|ALERT)"
    r"(?: IF NOT EXISTS)?|ALTER (?:VIEW|MASKING POLICY|ROW ACCESS POLICY|ALERT)|INSERT INTO)\s+(?P<name>[\w.$]+)",
    re.M,
)


def test_schema_objects_are_fully_qualified():
    for script, text in _rendered().items():
        for m in _OBJECT.finditer(text):
            parts = m["name"].split(".")
            expected = 2 if re.search(r"\bSCHEMA\b", m.group(0)) else 3
            assert len(parts) == expected, f"{script}: {m.group(0).strip()} is not fully qualified"
