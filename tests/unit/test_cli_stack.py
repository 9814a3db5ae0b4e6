"""`whoop local up | down | status` against real server processes, and the CLI's one-line error contract."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import types
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from infra.local import settings as settings_mod
from infra.local import stack
from infra.local.cli import main
from infra.local.errors import WhoopError
from infra.local.settings import REPO_ROOT, Settings
from tests.conftest import free_port

WHOOP = Path(sys.executable).parent / "whoop"


@pytest.fixture
def local(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Settings]:
    """A private WHOOP_HOME on free ports; whatever a test starts is stopped afterwards."""
    monkeypatch.setenv("WHOOP_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("WHOOP_LOCAL_HOST", "127.0.0.1")
    monkeypatch.setenv("WHOOP_WAREHOUSE_PORT", str(free_port()))
    monkeypatch.setenv("WHOOP_SANDBOX_PORT", str(free_port()))
    settings = settings_mod.load()
    yield settings
    stack.down(settings)


def _alive(pid: int) -> bool:
    return stack._alive(pid)  # also reaps: the servers are children of this test process


def out_lines_contain(out: str, text: str, count: int) -> bool:
    return sum(text in line for line in out.splitlines()) == count


def _status_json(capsys: pytest.CaptureFixture[str]) -> dict[str, dict]:
    capsys.readouterr()
    assert main(["local", "status", "--json"]) == 0
    return {row["name"]: row for row in json.loads(capsys.readouterr().out)}


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_up_status_down_lifecycle(local: Settings, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["local", "up"]) == 0
    out = capsys.readouterr().out
    assert out.count("started (pid") == 2
    assert requests.get(f"{local.warehouse_url}/_local/health", timeout=1).json()["status"] == "ok"
    assert requests.get(f"{local.sandbox_url}/_sandbox/health", timeout=1).json()["status"] == "ok"

    rows = _status_json(capsys)
    assert rows["warehouse"]["running"] and rows["sandbox"]["running"]
    assert rows["warehouse"]["url"] == local.warehouse_url
    assert rows["sandbox"]["url"] == local.sandbox_url
    assert rows["sandbox"]["port"] == local.sandbox_port
    pids = [rows["warehouse"]["pid"], rows["sandbox"]["pid"]]
    assert all(_alive(pid) for pid in pids)
    assert (local.run_dir / "warehouse.pid").read_text().strip() == str(pids[0])
    info = json.loads((local.run_dir / "sandbox.json").read_text())
    assert info["port"] == local.sandbox_port and info["started_at"]
    assert Path(rows["warehouse"]["log_path"]) == local.logs_dir / "warehouse.log"

    assert main(["local", "status"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2
    assert "running" in lines[0] and local.warehouse_url in lines[0] and str(local.warehouse_port) in lines[0]

    assert main(["local", "up"]) == 0
    out = capsys.readouterr().out
    assert out.count("already running") == 2 and "started" not in out
    assert [r["pid"] for r in _status_json(capsys).values()] == pids

    assert main(["local", "down"]) == 0
    assert out_lines_contain(capsys.readouterr().out, "stopped (pid", 2)
    assert not any(_alive(pid) for pid in pids)
    assert not list(local.run_dir.glob("*.pid"))
    with pytest.raises(requests.ConnectionError):
        requests.get(f"{local.warehouse_url}/_local/health", timeout=1)

    assert main(["local", "down"]) == 0
    assert out_lines_contain(capsys.readouterr().out, "not running", 2)
    assert not any(r["running"] for r in _status_json(capsys).values())


def test_up_cleans_stale_pid_files(local: Settings, capsys: pytest.CaptureFixture[str]) -> None:
    local.run_dir.mkdir(parents=True)
    dead = _dead_pid()
    (local.run_dir / "warehouse.pid").write_text(f"{dead}\n")
    # a live process that is not the sandbox (this test runner): cleaned up, never signalled
    (local.run_dir / "sandbox.pid").write_text(f"{os.getpid()}\n")
    assert _status_json(capsys)["warehouse"]["state"] == "stale"

    assert main(["local", "up"]) == 0
    out = capsys.readouterr().out
    assert out_lines_contain(out, "removed stale pid file", 2)
    assert f"pid {dead}" in out
    rows = _status_json(capsys)
    assert rows["warehouse"]["running"] and rows["sandbox"]["running"]
    assert rows["warehouse"]["pid"] != dead and rows["sandbox"]["pid"] != os.getpid()


def test_busy_port_is_one_line_error(local: Settings, capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as blocker:
        blocker.bind(("127.0.0.1", local.warehouse_port))
        blocker.listen()
        assert main(["local", "up"]) == 1
    captured = capsys.readouterr()
    err = captured.err.strip()
    assert len(err.splitlines()) == 1
    assert err.startswith("whoop: ") and str(local.warehouse_port) in err and "WHOOP_WAREHOUSE_PORT" in err
    assert "Traceback" not in captured.err
    assert not list(local.run_dir.glob("*.pid"))  # nothing half-started


def test_non_loopback_host_is_refused(local: Settings, monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    monkeypatch.setenv("WHOOP_LOCAL_HOST", "0.0.0.0")
    assert main(["local", "up"]) == 1
    assert "loopback" in capsys.readouterr().err


def _run_whoop(*args: str, home: Path, **env_vars: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "WHOOP_HOME": str(home), **env_vars}
    return subprocess.run([str(WHOOP), *args], capture_output=True, text=True, env=env, cwd=REPO_ROOT, timeout=60)


@pytest.mark.parametrize(
    ("args", "code", "needle"),
    [
        (("bogus",), 2, "invalid choice"),
        (("local",), 2, "required"),
        (("import-export", "/no/such/export", "--member", "alice"), 1, "export not found"),
        (("deploy",), 1, "--local"),
        (("auth", "--client-id", "x"), 1, "together"),
    ],
)
def test_console_script_errors_are_one_line(tmp_path: Path, args: tuple[str, ...], code: int, needle: str) -> None:
    result = _run_whoop(*args, home=tmp_path)
    assert result.returncode == code
    assert len(result.stderr.strip().splitlines()) == 1
    assert needle in result.stderr and result.stderr.startswith("whoop")
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("args", "env", "needle"),
    [
        (("app", "--port", "99999"), {}, "--port 99999 is not a port number"),
        (("app", "--port", "http"), {}, "--port 'http' is not a port number"),
        (("local", "status"), {"WHOOP_WAREHOUSE_PORT": "70000"}, "WHOOP_WAREHOUSE_PORT 70000 is not a port number"),
        (("local", "status"), {"WHOOP_SANDBOX_PORT": "0"}, "WHOOP_SANDBOX_PORT 0 is not a port number"),
        (("local", "status"), {"WHOOP_SEED": "forty-two"}, "WHOOP_SEED='forty-two' is not a whole number"),
        (("import-export", ".", "--member", "x" * 5000), {}, "is not valid: a letter"),
        (("import-export", ".", "--member", "Robert'); DROP TABLE"), {}, "is not valid"),
        (("import-export", "README.md", "--member", "alice"), {}, "is not a ZIP or a folder: pass the WHOOP"),
        (("ml", "backtest", "--member", "9lives"), {}, "member name '9lives' is not valid"),
        (("auth", "--member", ""), {}, "member name '' is not valid"),
        (("auth", "--user-id", "1"), {}, "--user-id and --redirect-url sign a member in on a connection"),
    ],
)
def test_user_input_is_validated_in_one_line(tmp_path: Path, args: tuple[str, ...], env: dict, needle: str) -> None:
    """Anything a user can type or set fails before use with one short line and exit 1 (issue 13)."""
    result = _run_whoop(*args, home=tmp_path, **env)
    assert result.returncode == 1, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and needle in lines[0] and len(lines[0]) < 200
    assert "Traceback" not in result.stderr


def test_help_lists_every_command(tmp_path: Path) -> None:
    result = _run_whoop("--help", home=tmp_path)
    assert result.returncode == 0
    for command in ("local", "demo", "deploy", "run", "bench", "auth", "import-export", "ml"):
        assert any(line.split()[:1] == [command] and len(line.split()) > 1 for line in result.stdout.splitlines())


def _fake_pipeline(monkeypatch: pytest.MonkeyPatch, **funcs) -> None:
    module = types.ModuleType("infra.local.pipeline")
    for name, func in funcs.items():
        setattr(module, name, func)
    monkeypatch.setitem(sys.modules, "infra.local.pipeline", module)


def _raise(exc: BaseException):
    def func(*args, **kwargs):
        raise exc

    return func


def test_whoop_error_inside_a_command(local: Settings, monkeypatch, capsys) -> None:
    _fake_pipeline(monkeypatch, demo=_raise(WhoopError("the sandbox is not running")))
    assert main(["demo"]) == 1
    assert capsys.readouterr().err == "whoop: the sandbox is not running\n"


def test_unexpected_error_is_logged_not_shown(local: Settings, monkeypatch, capsys) -> None:
    _fake_pipeline(monkeypatch, run_once=_raise(ZeroDivisionError("division by zero")))
    assert main(["run"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("whoop: unexpected error: ZeroDivisionError: division by zero (details in ")
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    log = (local.logs_dir / "cli.log").read_text()
    assert "Traceback" in log and "ZeroDivisionError" in log


def test_keyboard_interrupt_exits_quietly(local: Settings, monkeypatch, capsys) -> None:
    _fake_pipeline(monkeypatch, bench=_raise(KeyboardInterrupt()))
    assert main(["bench"]) == 130
    assert capsys.readouterr().err == ""


def test_missing_pipeline_module_is_one_line(local: Settings, monkeypatch, capsys) -> None:
    monkeypatch.setitem(sys.modules, "infra.local.pipeline", None)  # makes the import fail as if absent
    assert main(["demo"]) == 1
    assert "infra.local.pipeline" in capsys.readouterr().err


def test_pipeline_commands_delegate_with_arguments(local: Settings, monkeypatch, tmp_path: Path) -> None:
    calls: list[tuple] = []
    export = tmp_path / "export"
    export.mkdir()
    zipped = tmp_path / "my_whoop_data.zip"  # the ZIP as WHOOP sends it is passed on as it is
    with zipfile.ZipFile(zipped, "w") as archive:
        archive.writestr("my_whoop_data/sleeps.csv", "Nap\r\n")
    deployed = {"app": "WHOOP", "files": [], "applied": [], "warehouse_url": "w", "reporting_database": "R"}
    backtest = {"metrics": {"model": {"n": 0, "mae": 1.0, "rmse": 1.0}}, "served_by": "model", "interval": {}}

    def _import(s, path, member, progress, **kw):
        calls.append(("import_export", path, member, kw))
        return {"files": {}}

    ran = {"members": [], "tasks": [], "dynamic_tables_refreshed": [], "data_quality": {"checks": 0}}
    _fake_pipeline(
        monkeypatch,
        deploy_local=lambda s: calls.append(("deploy_local", s)) or deployed,
        auth=lambda s, progress, **kw: calls.append(("auth", kw)) or [kw["member"]],
        import_export=_import,
        run_once=lambda target, progress: calls.append(("run_once", target.is_local)) or ran,
        ml_backtest=lambda target, member: calls.append(("ml_backtest", member, target.is_local)) or backtest,
        ml_train=lambda target, member: calls.append(("ml_train", member)) or {"version": "V1", "members": {}},
        ml_score=lambda target: calls.append(("ml_score",)) or {"predictions": 0, "driver_rows": 0, "anomalies": 0},
    )
    assert main(["deploy", "--local"]) == 0
    assert main(["auth", "--member", "alice"]) == 0
    assert main(["import-export", str(export), "--member", "bob"]) == 0
    assert main(["import-export", str(export), "--member", "dan", "--new-member", "--no-run"]) == 0
    assert main(["import-export", str(zipped), "--member", "eve"]) == 0
    assert main(["ml", "backtest", "--member", "carol", "--json"]) == 0
    assert main(["ml", "train"]) == 0
    assert main(["ml", "train", "--member", "carol", "--json"]) == 0
    assert main(["ml", "score"]) == 0
    assert calls == [
        ("deploy_local", local),
        ("auth", {"member": "alice"}),
        ("import_export", export, "bob", {}),
        ("run_once", True),  # the import carried through to Gold, as `whoop run`, scoring included
        ("ml_score",),
        ("import_export", export, "dan", {"new_member": True}),  # --no-run: Bronze only
        ("import_export", zipped, "eve", {}),
        ("run_once", True),
        ("ml_score",),
        ("ml_backtest", "carol", True),
        ("ml_train", None),  # every member, as the weekly task
        ("ml_train", "carol"),
        ("ml_score",),
    ]


def test_bench_passes_quick_and_only_to_the_benchmarks(local: Settings, monkeypatch) -> None:
    calls: list[dict] = []
    _fake_pipeline(monkeypatch, bench=lambda s, **kw: calls.append(kw) or 0)
    assert main(["bench", "--quick", "--only", "ml", "--only", "squad"]) == 0
    assert main(["bench"]) == 0
    assert calls == [{"quick": True, "only": ["ml", "squad"]}, {"quick": False, "only": None}]


def test_bench_with_an_unknown_benchmark_is_one_line(local: Settings) -> None:
    """Through the real `python -m bench.run` subprocess: nothing runs, one line names the known benchmarks."""
    import subprocess

    done = subprocess.run(
        [sys.executable, "-m", "infra.local.cli", "bench", "--only", "nothing"],
        capture_output=True,
        text=True,
        check=False,
        cwd=Path(__file__).resolve().parents[2],
    )
    assert done.returncode == 2
    err = [line for line in done.stderr.splitlines() if "Warning" not in line and "warnings.warn" not in line]
    assert err == [err[0]] and err[0].startswith("bench: no benchmark nothing; choose from ") and "ml" in err[0]
    assert "Traceback" not in done.stderr
