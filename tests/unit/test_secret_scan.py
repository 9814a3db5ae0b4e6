"""The secret scan of test output (tests/secret_scan.py) catches what it must and names no value."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.secret_scan import REGISTRY, Registry

REPO = Path(__file__).resolve().parents[2]


def report(*sections: tuple[str, str], longrepr: str | None = None) -> pytest.TestReport:
    return pytest.TestReport(
        "tests/x.py::test_x", ("x.py", 1, "test_x"), {}, "failed" if longrepr else "passed", longrepr, "call",
        sections=list(sections),
    )  # fmt: skip


def test_a_planted_secret_in_stdout_logs_or_a_failure_is_found() -> None:
    registry = Registry()
    registry.add("PlantedSecretValue_0123456789", "planted")
    registry.add("short", "too short to scan")
    assert registry.check_report(report(("Captured stdout call", "nothing here"))) == []
    found = registry.check_report(
        report(
            ("Captured log call", 'INFO token="PlantedSecretValue_0123456789"'),
            longrepr="assert 'Bearer PlantedSecretValue_0123456789' == ''",
        )
    )
    assert found == ["tests/x.py::test_x [Captured log call]: planted", "tests/x.py::test_x [failure]: planted"]
    assert all("PlantedSecretValue" not in f for f in registry.findings)


def test_sandbox_tokens_and_client_secret_are_registered() -> None:
    from infra.local.sandbox.config import SandboxConfig
    from infra.local.sandbox.oauth import TokenStore

    store = TokenStore(None, expires_in=60)
    code = store.issue_code("alice", ["offline", "read:profile"], "http://127.0.0.1/cb")
    body = store.exchange_code(code, "http://127.0.0.1/cb")
    assert REGISTRY.scan(f"{body['access_token']} {body['refresh_token']}") == [
        "a sandbox access token",
        "a sandbox refresh token",
    ]
    assert REGISTRY.scan(SandboxConfig(seed=12345).secret) == ["the sandbox client secret"]


def _run(tmp_path: Path, body: str, *options: str) -> subprocess.CompletedProcess[str]:
    test = tmp_path / "test_planted.py"
    test.write_text(body)
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "tests.secret_scan",
            "-p",
            "no:cacheprovider",
            *options,
            str(test),
        ],
        cwd=tmp_path,
        env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_a_whole_run_fails_when_a_passing_test_prints_a_sandbox_token(tmp_path: Path) -> None:
    leaking = (
        "from infra.local.sandbox.oauth import TokenStore\n"
        "def test_prints_a_token():\n"
        "    store = TokenStore(None, expires_in=60)\n"
        "    code = store.issue_code('alice', ['offline'], 'http://127.0.0.1/cb')\n"
        "    print('refresh:', store.exchange_code(code, None)['refresh_token'])\n"
    )
    result = _run(tmp_path, leaking)
    assert result.returncode == 1, result.stdout[-2000:]
    assert "1 passed" in result.stdout  # the test itself passed: the scan failed the run
    assert "test_prints_a_token [Captured stdout call]: a sandbox refresh token" in result.stdout
    clean = _run(tmp_path, "def test_quiet():\n    print('nothing secret')\n")
    assert clean.returncode == 0, clean.stdout[-2000:]


def test_a_leak_in_an_xdist_worker_fails_the_whole_run(tmp_path: Path) -> None:
    """`make test` runs the suite in pytest-xdist workers: the token is issued and printed in a worker, whose
    findings must still reach the controller and fail the run."""
    leaking = (
        "from infra.local.sandbox.oauth import TokenStore\n"
        "def test_prints_a_token():\n"
        "    store = TokenStore(None, expires_in=60)\n"
        "    code = store.issue_code('alice', ['offline'], 'http://127.0.0.1/cb')\n"
        "    print('access:', store.exchange_code(code, None)['access_token'])\n"
        "def test_quiet():\n"
        "    pass\n"
    )
    result = _run(tmp_path, leaking, "-n", "2")
    assert "2 passed" in result.stdout, result.stdout[-2000:]
    assert result.returncode == 1, result.stdout[-2000:]
    assert "test_prints_a_token [Captured stdout call]: a sandbox access token" in result.stdout
    assert _run(tmp_path, "def test_quiet():\n    print('nothing secret')\n", "-n", "2").returncode == 0
