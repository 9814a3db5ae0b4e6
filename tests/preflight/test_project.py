"""Discovery: manifest, setup script, EXECUTE IMMEDIATE FROM, artifacts dest -> src, lines."""

from __future__ import annotations

import pytest

from infra.preflight.project import ProjectError, load
from infra.preflight.runner import RULES, run


def test_clean_project_passes_every_rule(app):
    report = run(app.root)
    assert report.ok, report.lines()
    assert [r.RULE for r, _ in report.results] == [r.RULE for r in RULES]
    assert len(report.project.files) == 2  # the setup script and the file it runs


def test_statements_carry_file_and_line(app):
    line = app.add("sql/objects.sql", "\n-- a comment\nCREATE VIEW data.v AS\n  SELECT 1 AS x;\n")
    project = load(app.root)
    view = next(s for s in project.statements if s.words[:2] == ["CREATE", "VIEW"])
    assert view.path == app.path("sql/objects.sql")
    assert view.line == line + 2


def test_manifest_without_snowflake_yml_uses_its_folder(app):
    app.path("snowflake.yml").unlink()
    app.write("app/sql/objects.sql", "CREATE SCHEMA s;\n")
    project = load(app.root)
    assert project.manifest_path == app.path("app/manifest.yml")
    assert app.path("app/sql/objects.sql") in project.files


def test_relative_execute_immediate_from_is_relative_to_the_running_file(app):
    app.add("sql/objects.sql", "EXECUTE IMMEDIATE FROM 'more/two.sql';\n")
    app.write("sql/more/two.sql", "CREATE SCHEMA two;\n")
    assert app.path("sql/more/two.sql") in load(app.root).files


def test_missing_file_is_a_finding(app):
    line = app.add("app/setup_script.sql", "EXECUTE IMMEDIATE FROM '/sql/nope.sql';\n")
    report = run(app.root)
    (f,) = report.findings
    assert (f.rule, f.path, f.line) == ("setup-script-files", app.path("app/setup_script.sql"), line)


def test_scripting_block_statements_are_read(app):
    line = app.add("app/setup_script.sql", "BEGIN\n  CREATE SCHEMA a;\n  CREATE SCHEMA b;\nEND;\n")
    project = load(app.root)
    inner = [s for s in project.all_statements() if s.words[:3] == ["CREATE", "SCHEMA", "B"]]
    assert [s.line for s in inner] == [line + 2]


@pytest.mark.parametrize("layout", ["missing", "no-manifest", "no-setup"])
def test_not_a_project(app, tmp_path, layout):
    if layout == "missing":
        target = tmp_path / "nope"
    elif layout == "no-manifest":
        target = tmp_path / "empty"
        target.mkdir()
    else:
        app.write("app/manifest.yml", "manifest_version: 2\nartifacts: {}\n")
        target = app.root
    with pytest.raises(ProjectError):
        load(target)


@pytest.mark.parametrize(
    ("src", "dest", "stage_path", "expected"),
    [
        ("app/*", "./", "setup_script.sql", "app/setup_script.sql"),
        ("app/manifest.yml", "./", "manifest.yml", "app/manifest.yml"),
        ("ui/*", "streamlit/", "streamlit/app.py", "ui/app.py"),
        ("sql", "sql", "sql/objects.sql", "sql/objects.sql"),
        ("sql", "code/sql/", "code/sql/objects.sql", "sql/objects.sql"),
    ],
)
def test_stage_paths_map_back_to_sources(app, src, dest, stage_path, expected):
    project = load(app.root)
    project.artifacts = [(src, dest)]
    project.stage_root = app.root / "elsewhere"  # no fallback: the artifact rule alone must find it
    assert project.resolve("/" + stage_path) == app.path(expected)


def test_sql_files_a_procedure_imports_are_read_rendered(app):
    """A procedure that imports SQL templates runs them (the Gold builder): they are checked, variables rendered."""
    app.add(
        "sql/objects.sql",
        "CREATE PROCEDURE s.build() RETURNS VARCHAR LANGUAGE PYTHON RUNTIME_VERSION = '3.11' "
        "PACKAGES = ('snowflake-snowpark-python') IMPORTS = ('/sql/gold/t.sql') HANDLER = 'm.f';\n",
    )
    app.write(
        "sql/gold/t.sql",
        "CREATE DYNAMIC TABLE g.t TARGET_LAG = '1 hour' WAREHOUSE = {{ app_warehouse }}\n"
        "  REFRESH_MODE = INCREMENTAL AS\nSELECT a.x FROM s.a AS a LEFT JOIN s.a AS b ON a.x = b.x;\n",
    )
    project = load(app.root)
    assert app.path("sql/gold/t.sql") in project.files
    table = next(s for s in project.statements if s.words[:3] == ["CREATE", "DYNAMIC", "TABLE"])
    assert "APP_WAREHOUSE" in table.words and table.line == 1
    findings = [f for f in run(app.root).findings if f.rule == "dynamic-table-incremental"]
    assert findings and findings[0].path == app.path("sql/gold/t.sql")


def test_a_missing_imported_sql_file_is_a_finding(app):
    app.add(
        "sql/objects.sql",
        "CREATE PROCEDURE s.build() RETURNS VARCHAR LANGUAGE PYTHON RUNTIME_VERSION = '3.11' "
        "PACKAGES = ('snowflake-snowpark-python') IMPORTS = ('/sql/gold/none.sql') HANDLER = 'm.f';\n",
    )
    assert [f.rule for f in run(app.root).findings] == ["setup-script-files"]


@pytest.mark.parametrize("called", [True, False])
def test_an_imported_template_runs_at_install_only_when_the_setup_script_calls_its_procedure(app, called):
    """EXECUTE ALERT is the consumer's grant: creating the alert from a procedure the consumer calls later is fine;
    from one the setup script CALLs at install it is not."""
    manifest = app.path("app/manifest.yml")
    manifest.write_text(manifest.read_text() + '  - EXECUTE ALERT:\n      description: "the alert"\n')
    app.add(
        "sql/objects.sql",
        "CREATE PROCEDURE data.make_alert() RETURNS VARCHAR LANGUAGE PYTHON RUNTIME_VERSION = '3.11' "
        "PACKAGES = ('snowflake-snowpark-python') IMPORTS = ('/sql/alert.sql') HANDLER = 'm.f';\n"
        + ("CALL data.make_alert();\n" if called else ""),
    )
    app.write("sql/alert.sql", "CREATE ALERT data.a WAREHOUSE = {{ wh }} SCHEDULE = '60 MINUTE' IF (EXISTS (SELECT 1))"
              " THEN SELECT 1;\n")  # fmt: skip
    findings = [f for f in run(app.root).findings if f.rule == "app-privileges"]
    assert [f.path for f in findings] == ([app.path("sql/alert.sql")] if called else [])
