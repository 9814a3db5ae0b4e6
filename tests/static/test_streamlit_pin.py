"""The dashboard runs on a Streamlit a Native App can get, and the tests run on that same Streamlit.

In Snowflake the app's Streamlit (warehouse runtime) is the version `app/streamlit/environment.yml` pins, from the
list Snowflake supports for apps (infra/preflight/streamlit_versions.py, with the doc URLs); the pages must not use
what that page lists as unsupported. Locally AppTest and the Chromium test use what pip installed, so the pin in
pyproject.toml must be the same version, or a green test says nothing about Snowflake.
"""

from __future__ import annotations

import ast
import re
from importlib.metadata import version
from pathlib import Path

import pytest
import yaml

from infra.preflight.streamlit_versions import (
    SUPPORTED_NATIVE_APP_STREAMLIT_VERSIONS,
    UNSUPPORTED_FEATURES,
    UNSUPPORTED_FILES,
    UNSUPPORTED_PAGE_CONFIG_ARGS,
)

ROOT = Path(__file__).resolve().parents[2]
APP_DIR = ROOT / "app" / "streamlit"
ENV_FILE = APP_DIR / "environment.yml"


def streamlit_pin(env: dict) -> str | None:
    """The version of `streamlit=<version>` (conda syntax, also `==`) in an environment.yml's dependencies."""
    for dep in env.get("dependencies") or []:
        m = re.fullmatch(r"streamlit\s*==?\s*([0-9][0-9A-Za-z.]*)", str(dep).strip())
        if m:
            return m.group(1)
    return None


def unsupported_uses(source: str) -> list[str]:
    """`st.<feature>` uses and unsupported st.set_page_config arguments in one page's source."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id == "st"
            and node.attr in UNSUPPORTED_FEATURES
        ):
            found.append(f"line {node.lineno}: st.{node.attr}")
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "set_page_config"
            and isinstance(node.func.value, ast.Name)
            and node.func.value.id == "st"
        ):
            found += [
                f"line {node.lineno}: st.set_page_config({kw.arg}=...)"
                for kw in node.keywords
                if kw.arg in UNSUPPORTED_PAGE_CONFIG_ARGS
            ]
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("streamlit.components"):
            found.append(f"line {node.lineno}: from {node.module} import ...")
        if isinstance(node, ast.Import):
            found += [f"line {node.lineno}: import {a.name}" for a in node.names if a.name.startswith("streamlit.comp")]
    return found


def _pages() -> list[Path]:
    return sorted(p for p in APP_DIR.rglob("*.py") if "__pycache__" not in p.parts)


def test_environment_file_sits_next_to_the_main_file():
    assert ENV_FILE.is_file(), "app/streamlit/environment.yml is missing: the app would get the default Streamlit"
    assert (APP_DIR / "streamlit_app.py").is_file()
    env = yaml.safe_load(ENV_FILE.read_text())
    assert env.get("name"), "environment.yml needs a name (adding-streamlit: name and channels are required)"
    assert env.get("channels") == ["snowflake"], "a warehouse runtime installs from the Snowflake channel only"


def test_environment_pins_a_version_supported_for_apps():
    pin = streamlit_pin(yaml.safe_load(ENV_FILE.read_text()))
    assert pin, "environment.yml must pin streamlit=<version>; without a pin a Native App gets 1.22.0"
    assert pin in SUPPORTED_NATIVE_APP_STREAMLIT_VERSIONS, (
        f"streamlit={pin} is not a version Snowflake supports for apps: {SUPPORTED_NATIVE_APP_STREAMLIT_VERSIONS}"
    )


def test_tests_run_on_the_pinned_streamlit():
    import streamlit

    pin = streamlit_pin(yaml.safe_load(ENV_FILE.read_text()))
    assert streamlit.__version__ == pin == version("streamlit"), (
        f"the test venv runs streamlit {streamlit.__version__}, the app pins {pin}: pin streamlit=={pin} in "
        "pyproject.toml and `make env`"
    )
    assert f'"streamlit=={pin}"' in (ROOT / "pyproject.toml").read_text()


@pytest.mark.parametrize("path", _pages(), ids=lambda p: p.relative_to(APP_DIR).as_posix())
def test_pages_use_no_feature_unsupported_in_apps(path: Path):
    assert not unsupported_uses(path.read_text()), unsupported_uses(path.read_text())


def test_no_streamlit_configuration_file_in_the_app():
    assert not [f for f in UNSUPPORTED_FILES if (APP_DIR / f).exists()]


# --- the checks can fail -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("deps", "pin", "supported"),
    [
        (["streamlit=1.52.2", "altair"], "1.52.2", True),
        (["streamlit==1.35.0"], "1.35.0", True),
        (["streamlit=1.67.0"], "1.67.0", False),  # the open-source current, not offered to apps
        (["streamlit=1.53.0"], "1.53.0", False),
        (["streamlit"], None, False),  # unpinned: the default 1.22.0, not what the tests ran
        (["altair", "pandas"], None, False),
    ],
)
def test_pin_check_rejects_unsupported_or_missing_pins(deps, pin, supported):
    found = streamlit_pin({"dependencies": deps})
    assert found == pin
    assert (found in SUPPORTED_NATIVE_APP_STREAMLIT_VERSIONS) is supported


def test_feature_check_finds_planted_violations():
    planted = (
        "import streamlit as st\n"
        "import streamlit.components.v1 as components\n"
        "st.set_page_config(page_title='x', layout='wide')\n"
        "@st.cache_data(ttl=60)\n"
        "def f():\n"
        "    return 1\n"
        "st.cache_resource.clear()\n"
    )
    found = unsupported_uses(planted)
    assert any("page_title" in f for f in found)
    assert any("st.cache_data" in f for f in found)
    assert any("st.cache_resource" in f for f in found)
    assert any("streamlit.components" in f for f in found)
    assert not unsupported_uses("import streamlit as st\nst.set_page_config(layout='wide')\nst.dataframe([])\n")
