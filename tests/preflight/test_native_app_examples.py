"""No false alarms on Snowflake's own example apps (snowflakedb/native-apps-examples).

The examples are never committed here: the test reads a checkout named by WHOOP_NATIVE_APP_EXAMPLES, or
the git mirror at /work/.mirror/snowflakedb+native-apps-examples (exported with `git archive` into a
temporary folder), and is skipped when neither is present.
"""

from __future__ import annotations

import os
import subprocess
import tarfile
from pathlib import Path

import pytest

from infra.preflight.runner import run

MIRROR = Path("/work/.mirror/snowflakedb+native-apps-examples/repo")

EXAMPLES = (
    "account-privileges",
    "custom-billing-events",
    "data-mapping",
    "external-access-integration",
    "hybrid-tables",
    "mailorder",
    "object-level-references",
    "reference-usage",
    "snowflake-cortex",
    "spcs-three-tier",
    "tasks-streams",
)
# Not Native App project folders preflight reads: declarative-sharing-native-apps-tutorial keeps one
# manifest per version (app/V1, app/V2, …); snowflake-manifest-from-share-library has no manifest.yml.

# (example, rule, file, line) -> why it is reported, and why that is right.
EXPECTED: dict[tuple[str, str, str, int], str] = {
    ("data-mapping", "streamlit-version", "app/ui/enricher_dash.py", 1): (
        "no environment.yml next to the main file: the app runs on the default Streamlit (1.22.0), which its "
        "pages work with; this project requires an explicit pin"
    ),
    ("snowflake-cortex", "streamlit-version", "src/ui/environment.yml", 7): (
        "streamlit=1.31.0 is not in streamlit_versions.SUPPORTED_NATIVE_APP_STREAMLIT_VERSIONS (the warehouse "
        "runtime list has 1.31.1): the example pins a version Snowflake no longer lists"
    ),
    ("spcs-three-tier", "account-level-names", "app/setup.sql", 107): (
        "CREATE COMPUTE POOL IF NOT EXISTS frontend_compute_pool: a fixed account-level name, so a second "
        "install in the same account reuses the first install's pool (a real collision in the example)"
    ),
    ("spcs-three-tier", "account-level-names", "app/setup.sql", 112): "backend_compute_pool, as above",
}


@pytest.fixture(scope="module")
def examples(tmp_path_factory) -> Path:
    given = os.environ.get("WHOOP_NATIVE_APP_EXAMPLES")
    if given:
        if not Path(given).is_dir():
            pytest.skip(f"WHOOP_NATIVE_APP_EXAMPLES={given} is not a folder")
        return Path(given)
    if not MIRROR.is_dir():
        pytest.skip("snowflakedb/native-apps-examples is not here (set WHOOP_NATIVE_APP_EXAMPLES to a checkout)")
    out = tmp_path_factory.mktemp("native-apps-examples")
    archive = out / "examples.tar"
    subprocess.run(["git", f"--git-dir={MIRROR}", "archive", "-o", str(archive), "HEAD"], check=True)
    with tarfile.open(archive) as tar:
        tar.extractall(out, filter="data")
    return out


@pytest.mark.parametrize("name", EXAMPLES)
def test_example_has_no_findings_but_the_listed_ones(examples, name):
    root = examples / name
    if not root.is_dir():
        pytest.skip(f"{name} is not in this checkout")
    report = run(root)
    got = {(name, f.rule, str(f.path.relative_to(root)), f.line) for f in report.findings}
    expected = {k for k in EXPECTED if k[0] == name}
    assert got == expected, [
        f for f in report.lines(root) if ": " in f and f.split(":")[0].endswith((".sql", ".py", ".yml"))
    ]
