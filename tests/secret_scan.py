"""A pytest plugin that fails the run when a secret the sandbox issued shows up in captured test output.

Secrets reach output through careless prints, log records and assertion messages (pytest renders
the values of a failed `assert token == …`). The sandbox's client secret and every access and refresh
token it issues in this process are recorded as they are created (the sandbox is observed, not
changed); each test report's captured stdout, stderr, log records and failure text are scanned for
them; the session fails at the end with the test and section of each hit, never the value.

Under pytest-xdist (`make test`) each worker issues and scans its own tokens and hands its findings to the
controller in its worker output, which fails the run as above.

Loaded by tests/conftest.py; `python -m pytest -p tests.secret_scan` loads it alone.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field

import pytest

_CANDIDATE = re.compile(r"[A-Za-z0-9_\-]{12,}")  # tokens are URL-safe base64, the client secret hex


@dataclass
class Registry:
    """Known secret values with a label each (the label is what a report shows)."""

    values: dict[str, str] = field(default_factory=dict)
    findings: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, value: str | None, label: str) -> None:
        if value and len(value) >= 12:
            with self.lock:
                self.values.setdefault(value, label)

    def scan(self, text: str) -> list[str]:
        """Labels of the known values in `text`, by whole URL-safe words (how tokens appear in output)."""
        with self.lock:
            return sorted({self.values[w] for w in _CANDIDATE.findall(text) if w in self.values})

    def check_report(self, report: pytest.TestReport) -> list[str]:
        """Scan one report's captured sections and failure text; remember and return the findings."""
        parts = list(report.sections)
        if report.longrepr is not None:
            parts.append(("failure", report.longreprtext))
        found = [f"{report.nodeid} [{name}]: {label}" for name, text in parts for label in self.scan(str(text))]
        with self.lock:
            self.findings.extend(found)
        return found


REGISTRY = Registry()
_FINDINGS_KEY = "secret_scan_findings"  # in an xdist worker's output to the controller


def instrument() -> None:
    """Record the sandbox's client secret and the tokens it issues (idempotent)."""
    from infra.local.sandbox import config, oauth

    issue = oauth.TokenStore._issue
    if getattr(issue, "_secret_scan", False):
        return

    def recorded_issue(self: oauth.TokenStore, grant_id: str) -> dict:
        body = issue(self, grant_id)
        REGISTRY.add(body.get("access_token"), "a sandbox access token")
        REGISTRY.add(body.get("refresh_token"), "a sandbox refresh token")
        return body

    recorded_issue._secret_scan = True  # type: ignore[attr-defined]
    oauth.TokenStore._issue = recorded_issue  # type: ignore[method-assign]
    secret = config.SandboxConfig.secret

    def recorded_secret(self: config.SandboxConfig) -> str:
        value = secret.fget(self)  # type: ignore[misc]
        REGISTRY.add(value, "the sandbox client secret")
        return value

    config.SandboxConfig.secret = property(recorded_secret)  # type: ignore[method-assign, assignment]
    for seed in (0, 3, 7, 42):  # the seeds tests and the CLI use, also when a sandbox runs in a subprocess
        recorded_secret(config.SandboxConfig(seed=seed))


def pytest_sessionstart(session: pytest.Session) -> None:
    instrument()


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    REGISTRY.check_report(report)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    workeroutput = getattr(session.config, "workeroutput", None)
    if workeroutput is not None:
        # a pytest-xdist worker: the tokens were issued in this process, so it scans; the controller reports
        workeroutput[_FINDINGS_KEY] = list(REGISTRY.findings)
        return
    if not REGISTRY.findings:
        return
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    lines = [f"secret scan: {len(REGISTRY.findings)} secret value(s) in captured test output:"]
    lines += [f"  {f}" for f in REGISTRY.findings[:50]]
    if reporter is not None:
        reporter.write_line("")
        for line in lines:
            reporter.write_line(line, red=True)
    session.exitstatus = pytest.ExitCode.TESTS_FAILED


@pytest.hookimpl(optionalhook=True)  # a pytest-xdist hook: defined only when xdist is loaded
def pytest_testnodedown(node: object, error: object) -> None:
    """The findings of a worker that finished, added to the controller's (which fails the session with them)."""
    found = getattr(node, "workeroutput", {}).get(_FINDINGS_KEY, [])
    with REGISTRY.lock:
        REGISTRY.findings.extend(f for f in found if f not in REGISTRY.findings)
