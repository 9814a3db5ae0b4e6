"""`whoop preflight [PROJECT_DIR] [--json]`: one line per rule, one per finding, exit 0/1/2."""

from __future__ import annotations

import json
import subprocess
import sys

from infra.local import cli
from infra.local.settings import REPO_ROOT


def test_clean_project_exits_0_and_prints_every_rule(app, capsys):
    assert cli.main(["preflight", str(app.root)]) == 0
    out = capsys.readouterr().out.splitlines()
    rules = [line for line in out if line.startswith(("PASS ", "FAIL "))]
    assert len(rules) == 6 and all(line.startswith("PASS ") for line in rules)
    assert all("(https://docs.snowflake.com/" in line for line in rules)


def test_finding_exits_1_and_names_file_line_rule_and_doc(app, capsys):
    line = app.add("app/setup_script.sql", "CREATE WAREHOUSE IF NOT EXISTS fixed_wh;\n")
    assert cli.main(["preflight", str(app.root)]) == 1
    out = capsys.readouterr().out
    assert "FAIL account-level-names" in out
    assert (
        f"app/setup_script.sql:{line}: account-level-names: CREATE WAREHOUSE fixed_wh: a fixed name" in out
        and "(https://docs.snowflake.com/en/developer-guide/native-apps/requesting-about)" in out
    )


def test_json(app, capsys):
    app.add("app/setup_script.sql", "CREATE WAREHOUSE IF NOT EXISTS fixed_wh;\n")
    assert cli.main(["preflight", str(app.root), "--json"]) == 1
    data = json.loads(capsys.readouterr().out)
    assert data["ok"] is False
    (f,) = data["findings"]
    assert (f["rule"], f["path"], f["line"]) == ("account-level-names", "app/setup_script.sql", 5)


def test_missing_project_is_one_line_and_exit_2(tmp_path, capsys):
    assert cli.main(["preflight", str(tmp_path / "nope")]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.count("\n") == 1 and captured.err.startswith("whoop: preflight: not a project folder")


def test_folder_without_manifest_is_exit_2(tmp_path, capsys):
    assert cli.main(["preflight", str(tmp_path)]) == 2
    assert "no Native App manifest" in capsys.readouterr().err


def test_console_script_error_is_one_line_without_warnings(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "infra.local.cli", "preflight", str(tmp_path / "nope")],
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
        env={"WHOOP_HOME": str(tmp_path / "home"), "PATH": ""},
    )
    assert result.returncode == 2
    assert result.stderr.splitlines() == [f"whoop: preflight: not a project folder: {tmp_path / 'nope'}"]
