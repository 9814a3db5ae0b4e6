"""The CSV export into the installed app on a real account: `whoop import-export`'s code (PUT to the app's stage as
app_admin, CALL OPS.IMPORT_EXPORT) with a synthetic member's export, then the member is forgotten again.

What only an account shows: app_admin may PUT to the app's stage (READ, WRITE granted by the setup script), the
procedure reads the staged files with session.file.get_stream and COPYs them, the transaction holds, a re-import adds
nothing. Needs the app installed (WHOOP_APP_DATABASE) and the role of the connection granted its APP_ADMIN."""

from __future__ import annotations

import uuid
from datetime import date
from pathlib import Path

import pytest

from infra.local import export_import
from infra.local.sandbox.config import SandboxConfig
from infra.local.sandbox.export import write_export
from infra.local.sandbox.members import generate_member

pytestmark = pytest.mark.live


@pytest.fixture
def export(tmp_path: Path) -> Path:
    """A synthetic member's export, as the sandbox writes it (no real member's data)."""
    config = SandboxConfig(seed=11, members=["live"], days=20, today=date(2026, 11, 20), state_dir=tmp_path / "state")
    folder = tmp_path / "export"
    write_export(generate_member(config, "live"), folder)
    return folder


def test_an_export_imports_into_the_installed_app_and_again_adds_nothing(snowflake_conn, names, export: Path):
    member = f"live_export_{uuid.uuid4().hex[:8]}"
    cur = snowflake_conn.cursor()
    cur.execute(f"USE DATABASE {names['app']}")
    try:
        first = export_import.import_export(snowflake_conn, export, member, new_member=True)
        assert set(first["files"]) == {spec.name for spec in export_import.FILES if (export / spec.name).exists()}
        assert all(c["new"] == c["rows"] > 0 for c in first["files"].values()), first
        for spec in export_import.FILES:
            cur.execute(f"SELECT COUNT(*) FROM {spec.table} WHERE MEMBER_NAME = %s", (member,))
            assert cur.fetchone()[0] == first["files"].get(spec.name, {}).get("rows", 0), spec.table
        again = export_import.import_export(snowflake_conn, export, member)
        assert all(c["new"] == 0 for c in again["files"].values()), again
    finally:
        cur.execute("CALL OPS.FORGET_MEMBER(%s)", (member,))
