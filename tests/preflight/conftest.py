"""A minimal Native App project written into tmp_path; each test plants one violation in it."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

MANIFEST = """\
manifest_version: 2
version:
  name: v1
artifacts:
  setup_script: setup_script.sql
  default_streamlit: core.ui
  extension_code: true
privileges:
  - CREATE WAREHOUSE:
      description: "own warehouse"
  - CREATE EXTERNAL ACCESS INTEGRATION:
      description: "egress"
  - EXECUTE TASK:
      description: "tasks"
"""

SETUP = """\
CREATE APPLICATION ROLE IF NOT EXISTS app_public;
CREATE OR ALTER VERSIONED SCHEMA core;
EXECUTE IMMEDIATE FROM '/sql/objects.sql';
CREATE OR REPLACE STREAMLIT core.ui FROM '/streamlit/' MAIN_FILE = 'app.py';
"""

OBJECTS = """\
CREATE SCHEMA IF NOT EXISTS data;
CREATE TABLE IF NOT EXISTS data.events (id NUMBER, loaded_at TIMESTAMP_LTZ, name VARCHAR);
"""

APP_PY = """\
import streamlit as st

st.title("Demo")
st.dataframe([{"a": 1}])
"""

ENVIRONMENT = """\
name: sf_env
channels:
  - snowflake
dependencies:
  - streamlit=1.26.0
"""


class App:
    """The project on disk; `add(file, sql)` appends SQL and returns the line it starts on."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.write(
            "snowflake.yml",
            """\
            definition_version: 2
            entities:
              pkg:
                type: application package
                identifier: demo_pkg
                artifacts:
                  - src: app/*
                    dest: ./
                  - src: sql
                    dest: sql
                  - src: ui/*
                    dest: streamlit/
            """,
        )
        self.write("app/manifest.yml", MANIFEST)
        self.write("app/setup_script.sql", SETUP)
        self.write("sql/objects.sql", OBJECTS)
        self.write("ui/app.py", APP_PY)
        self.write("ui/environment.yml", ENVIRONMENT)

    def write(self, rel: str, text: str) -> Path:
        path = self.root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
        return path

    def add(self, rel: str, sql: str) -> int:
        """Append `sql` to the file; returns the 1-based line of its first line."""
        path = self.root / rel
        old = path.read_text() if path.exists() else ""
        if old and not old.endswith("\n"):
            old += "\n"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(old + textwrap.dedent(sql))
        return old.count("\n") + 1

    def path(self, rel: str) -> Path:
        return self.root / rel


@pytest.fixture
def app(tmp_path: Path) -> App:
    return App(tmp_path / "proj")
