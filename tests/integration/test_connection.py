"""The CLI on a Snowflake connection (issue 14 item 1): `whoop --connection NAME` reads connections.toml under
SNOWFLAKE_HOME through the connector, as `snow` does, and `whoop status` / `whoop run` go through the app's
procedures (OPS.APP_STATUS, OPS.RUN_PIPELINE, OPS.RUN_STATUS), the code a real account uses. The connection here
names the local stack (host, port, protocol http), so that path is exercised offline. `whoop` runs as its own
process: the connector reads SNOWFLAKE_HOME when it is imported."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from infra.local.sandbox.export import write_export
from infra.local.settings import REPO_ROOT, Settings
from tests.integration.conftest import local_stack, query, truth

MEMBERS = ["ann", "ben"]
NAME = "whoop_local"


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    with local_stack(tmp_path_factory.mktemp("whoop_connection"), MEMBERS, days=20, seed=3) as settings:
        yield settings


def _connection(settings: Settings, port: int | None = None) -> str:
    return (
        f'account = "local"\nuser = "whoop"\npassword = "local"\nhost = "{settings.host}"\n'
        f'port = {port or settings.warehouse_port}\nprotocol = "http"\n'
    )


@pytest.fixture
def snowflake_home(stack, tmp_path: Path) -> Path:
    """A SNOWFLAKE_HOME whose connections.toml names the local stack (owner-only, as the connector asks)."""
    home = tmp_path / "snowflake"
    home.mkdir()
    path = home / "connections.toml"
    path.write_text(f"[{NAME}]\n{_connection(stack)}")
    path.chmod(0o600)
    return home


def whoop(*args: str, home: Path, **env: str) -> subprocess.CompletedProcess:
    """`whoop` as a user runs it; WHOOP_* point nowhere useful, so only the connection can reach the warehouse."""
    base = {k: v for k, v in os.environ.items() if not k.startswith(("SNOWFLAKE_", "WHOOP_"))}
    base.update({"SNOWFLAKE_HOME": str(home), "WHOOP_HOME": str(home / "whoop"), "WHOOP_WAREHOUSE_PORT": "9"})
    return subprocess.run(
        [sys.executable, "-m", "infra.local.cli", *args],
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
        env={**base, **env},
        timeout=600,
    )


def newest_graph_run(settings: Settings) -> str | None:
    return json.loads(query(settings, "CALL OPS.RUN_STATUS()")[0][0]).get("graph_run_id")


def test_status_on_a_named_connection(stack, snowflake_home):
    result = whoop("--connection", NAME, "--app", "WHOOP", "status", home=snowflake_home)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == f"app WHOOP on connection {NAME}: pipeline started", lines
    assert "  members: 2" in lines
    for member in MEMBERS:
        assert any(line.split()[:2] == [member, "active"] for line in lines), lines
    assert result.stderr == ""
    body = json.loads(whoop("status", "--json", "-c", NAME, "--app", "WHOOP", home=snowflake_home).stdout)
    assert [m["member"] for m in body["members"]] == MEMBERS and body["pipeline"] == "STARTED"


def test_run_on_a_named_connection_goes_through_the_app(stack, snowflake_home):
    before = newest_graph_run(stack)
    result = whoop("-c", NAME, "--app", "WHOOP", "run", home=snowflake_home)
    assert result.returncode == 0, result.stderr
    out = result.stdout.splitlines()
    assert out[0].startswith("running the pipeline")
    for member in MEMBERS:
        assert any(line.strip().startswith(f"{member}: ") and "new versions" in line for line in out), out
    assert "  Gold: the dynamic tables refresh on their target lag" in out  # no local scheduler beat on an account
    after = newest_graph_run(stack)
    assert after and after != before  # OPS.RUN_PIPELINE fired a new graph run
    status = whoop("-c", NAME, "--app", "WHOOP", "status", home=snowflake_home)
    assert any(line.startswith("  last run: succeeded") for line in status.stdout.splitlines()), status.stdout
    assert any(line.startswith("  data quality at ") for line in status.stdout.splitlines()), status.stdout


def test_environment_variables_choose_and_override_the_connection(stack, tmp_path):
    """SNOWFLAKE_DEFAULT_CONNECTION_NAME picks the connection; SNOWFLAKE_CONNECTIONS_<NAME>_PORT overrides the file's
    (wrong) port, as `snow` does; WHOOP_APP names the app."""
    home = tmp_path / "snowflake"
    home.mkdir()
    (home / "connections.toml").write_text(f"[{NAME}]\n{_connection(stack, port=9)}")
    (home / "connections.toml").chmod(0o600)
    env = {"SNOWFLAKE_DEFAULT_CONNECTION_NAME": NAME, "WHOOP_APP": "WHOOP"}
    broken = whoop("status", home=home, **env)
    assert broken.returncode == 1 and broken.stderr.startswith(f"whoop: cannot connect with connection {NAME}")
    assert len(broken.stderr.strip().splitlines()) == 1, broken.stderr
    fixed = whoop("status", home=home, **env, SNOWFLAKE_CONNECTIONS_WHOOP_LOCAL_PORT=str(stack.warehouse_port))
    assert fixed.returncode == 0, fixed.stderr
    assert fixed.stdout.startswith(f"app WHOOP on connection {NAME}:")


def test_a_temporary_connection_from_snowflake_variables(stack, tmp_path):
    env = {
        "SNOWFLAKE_ACCOUNT": "local",
        "SNOWFLAKE_USER": "whoop",
        "SNOWFLAKE_PASSWORD": "local",
        "SNOWFLAKE_HOST": stack.host,
        "SNOWFLAKE_PORT": str(stack.warehouse_port),
        "SNOWFLAKE_PROTOCOL": "http",
    }
    result = whoop("-x", "--app", "WHOOP", "status", home=tmp_path, **env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("app WHOOP on the temporary connection (SNOWFLAKE_* variables):")
    assert "local" not in result.stderr  # the password is not echoed anywhere


def test_an_unknown_connection_is_one_line(snowflake_home):
    result = whoop("--connection", "nope", "status", home=snowflake_home)
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        f"whoop: no connection nope in {snowflake_home}/connections.toml or config.toml (known: {NAME})"
    ]


@pytest.mark.parametrize(
    "command",
    [("deploy", "--local"), ("demo",), ("local", "up")],
)
def test_a_local_only_command_on_a_connection_is_one_line(snowflake_home, command):
    result = whoop("-c", NAME, *command, home=snowflake_home)
    assert result.returncode == 1, result.stderr
    (line,) = result.stderr.splitlines()
    assert "works on the local stack only, not on connection whoop_local" in line, line
    assert result.stdout == ""


def test_import_export_on_a_named_connection_goes_through_the_app(stack, snowflake_home, tmp_path):
    """PUT to the app's stage and CALL OPS.IMPORT_EXPORT through the named connection: rows reach Bronze once."""
    folder = tmp_path / "export"
    write_export(truth(stack, "ann"), folder)
    counts = "SELECT COUNT(*) FROM BRONZE.RAW_EXPORT_SLEEP"
    before = query(stack, counts)[0][0]
    first = whoop(
        "-c", NAME, "--app", "WHOOP", "import-export", str(folder), "--member", "ann", "--no-run", home=snowflake_home
    )
    assert first.returncode == 0, first.stderr
    assert any(line.strip().startswith("sleeps.csv: ") for line in first.stdout.splitlines()), first.stdout
    loaded = query(stack, counts)[0][0]
    assert loaded > before
    again = whoop(
        "-c", NAME, "--app", "WHOOP", "import-export", str(folder), "--member", "ann", "--no-run", home=snowflake_home
    )
    assert again.returncode == 0, again.stderr
    assert query(stack, counts)[0][0] == loaded  # a re-import adds nothing
    bad = whoop("-c", NAME, "--app", "WHOOP", "import-export", str(folder), "--member", "nobody", home=snowflake_home)
    assert bad.returncode == 1 and len(bad.stderr.splitlines()) == 1, bad.stderr


def test_a_member_known_only_from_an_export_is_in_the_status(stack, snowflake_home, tmp_path):
    """An export imported for a new member (no WHOOP connection) carries through to Gold in the same command, and
    `whoop status` lists that member as export only, with the export's newest cycle (it listed registered members
    only: an export-only install showed "members: 0")."""
    folder = tmp_path / "export"
    write_export(truth(stack, "ann"), folder)
    imported = whoop(
        "-c", NAME, "--app", "WHOOP", "import-export", str(folder), "--member", "cara", "--new-member",
        home=snowflake_home,
    )  # fmt: skip
    assert imported.returncode == 0, imported.stderr
    assert query(stack, "SELECT COUNT(*) FROM GOLD.DIM_MEMBER WHERE MEMBER_NAME = 'cara'")[0][0] == 1
    body = json.loads(whoop("status", "--json", "-c", NAME, "--app", "WHOOP", home=snowflake_home).stdout)
    (cara,) = [m for m in body["members"] if m["member"] == "cara"]
    newest = query(stack, "SELECT MAX(CYCLE_START_UTC) FROM SILVER.EXPORT_CYCLE WHERE MEMBER_NAME = 'cara'")[0][0]
    assert cara["status"] == "EXPORT_ONLY" and cara["auth_mode"] is None and cara["newest_cycle_at"] == str(newest)
    assert [m["member"] for m in body["members"]] == sorted([*MEMBERS, "cara"])
    lines = whoop("-c", NAME, "--app", "WHOOP", "status", home=snowflake_home).stdout.splitlines()
    assert "  members: 3" in lines and any(line.split()[:2] == ["cara", "export_only"] for line in lines), lines


def test_ml_train_and_score_on_a_named_connection(stack, snowflake_home):
    """What the retrain and scoring tasks do, on demand through the app's procedures: a member's models evaluated and
    registered, then tomorrow's forecasts written (a local stack has no scheduler to fire those tasks)."""
    trained = whoop("-c", NAME, "--app", "WHOOP", "ml", "train", "--member", "ann", "--json", home=snowflake_home)
    assert trained.returncode == 0, trained.stderr
    result = json.loads(trained.stdout)
    assert set(result["members"]) == {"ann"} and result["members"]["ann"]["served_by"]
    evaluated = "SELECT COUNT(*) FROM ML.EVALUATIONS WHERE MODEL_VERSION = %s"
    assert query(stack, evaluated, (result["version"],))[0][0] > 0
    forecasts = "SELECT COUNT(*) FROM ML.FACT_PREDICTIONS WHERE KIND = 'FORECAST' AND MODEL_VERSION = %s"
    assert query(stack, forecasts, (result["version"],))[0][0] == 0
    # `whoop run` scores after the graph, as the daily scoring task would: the trained version's forecasts appear
    ran = whoop("-c", NAME, "--app", "WHOOP", "run", home=snowflake_home)
    assert ran.returncode == 0, ran.stderr
    assert any("forecast(s)" in line for line in ran.stdout.splitlines()), ran.stdout
    assert query(stack, forecasts, (result["version"],))[0][0] >= 1
    scored = whoop("-c", NAME, "--app", "WHOOP", "ml", "score", home=snowflake_home)
    assert scored.returncode == 0, scored.stderr
    lines = scored.stdout.splitlines()
    assert lines[0].startswith("scoring tomorrow's recovery") and "forecast(s)" in lines[1], lines
    text = whoop("-c", NAME, "--app", "WHOOP", "ml", "train", home=snowflake_home).stdout.splitlines()
    assert text[1].startswith("trained version V") and any(line.startswith("  ann: next-day recovery") for line in text)


def test_status_on_the_local_stack(stack, monkeypatch, capsys):
    """Without a connection, `whoop status` asks the local stack's app the same way."""
    from infra.local.cli import main

    for variable, value in (("WHOOP_HOME", str(stack.home)), ("WHOOP_WAREHOUSE_PORT", str(stack.warehouse_port)),
                            ("WHOOP_SANDBOX_PORT", str(stack.sandbox_port))):  # fmt: skip
        monkeypatch.setenv(variable, value)
    monkeypatch.delenv("SNOWFLAKE_DEFAULT_CONNECTION_NAME", raising=False)
    assert main(["status"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == f"app WHOOP on the local warehouse at {stack.warehouse_url}: pipeline started", lines


def test_a_failed_run_on_a_connection_names_the_member_and_status_lists_the_failed_check(stack, snowflake_home):
    import requests

    requests.post(f"{stack.sandbox_url}/_sandbox/revoke/ben", timeout=10).raise_for_status()
    result = whoop("-c", NAME, "--app", "WHOOP", "run", home=snowflake_home)
    assert result.returncode == 1
    (line,) = result.stderr.splitlines()
    assert line.startswith("whoop: the pipeline run failed: member ben needs re-authorization"), line
    assert "re-authorize with `whoop -c whoop_local --app WHOOP auth --member ben`" in line  # the same connection
    assert any(out.strip().startswith("ann: ") for out in result.stdout.splitlines()), result.stdout
    status = whoop("-c", NAME, "--app", "WHOOP", "status", home=snowflake_home).stdout.splitlines()
    assert any(s.split()[:2] == ["ben", "needs_reauthorization"] for s in status), status
    assert any(s.startswith("  last run: failed") and "ben" in s for s in status), status
    assert any(s.split()[:1] == ["error"] and "member_ingest_succeeded" in s for s in status), status
