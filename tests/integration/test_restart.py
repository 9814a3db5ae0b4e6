"""`whoop local down && whoop local up` loses nothing: every object kind, staged file and row survives.

The real stack as a user runs it (the `whoop` CLI, the warehouse and sandbox as background processes under
WHOOP_HOME): deploy, authorize, run, import an export (stage, file format, staged files), run again; then an
inventory of everything (infra/local/inventory.py) must be identical before and after a restart, and after
the warehouse is killed (a reboot's unclean stop); the pipeline and a re-import must work after it. The
processes run with TMPDIR pointing at an empty folder, which must stay empty: nothing is stored outside
WHOOP_HOME (fakesnow kept staged files in a temp folder).
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from infra.local import inventory, pipeline, stack
from infra.local import settings as local_settings
from infra.local.cli import main
from infra.local.sandbox.export import write_export
from infra.local.settings import Settings
from tests.conftest import free_port

MEMBER = "alice"  # one of the sandbox's default members
CHECK_TABLE = "RESTART_CHECK.LOADS.JOURNAL"  # a table outside the app that COPY loads from the export stage
# what the deploy, auth, runs and import create, so that "identical after the restart" is not about nothing
CREATED_SHOWN = (
    "SHOW SCHEMAS IN ACCOUNT", "SHOW TABLES IN ACCOUNT", "SHOW VIEWS IN ACCOUNT", "SHOW DYNAMIC TABLES",
    "SHOW STREAMS", "SHOW TASKS", "SHOW SECRETS", "SHOW STAGES IN DATABASE WHOOP",
    "SHOW FILE FORMATS IN DATABASE WHOOP", "SHOW ALERTS", "SHOW NETWORK RULES", "SHOW MASKING POLICIES IN ACCOUNT",
    "SHOW TAGS", "SHOW INTEGRATIONS", "SHOW ROLES", "SHOW APPLICATION ROLES IN APPLICATION WHOOP",
    "SHOW GRANTS TO APPLICATION WHOOP", "SHOW SPECIFICATIONS IN APPLICATION WHOOP",
    "WHOOP_LOCAL.CATALOG.GRANTS", "WHOOP_LOCAL.CATALOG.POLICY_REFERENCES", "WHOOP_LOCAL.CATALOG.PROCEDURES",
    "WHOOP load history", "WHOOP.CONFIG.SETTINGS",
)  # fmt: skip
CREATED_KINDS = {
    "APPLICATION", "APPLICATION ROLE", "SECRET", "NETWORK RULE", "EXTERNAL ACCESS INTEGRATION",
    "NOTIFICATION INTEGRATION", "ALERT", "ROW ACCESS POLICY", "MASKING POLICY", "STREAMLIT", "TAG", "WAREHOUSE", "ROLE",
}  # fmt: skip


def _whoop(*argv: str) -> None:
    code = main(list(argv))
    assert code == 0, f"whoop {' '.join(argv)} exited {code}"


def _query(settings: Settings, sql: str) -> list[tuple]:
    conn = pipeline.connect(settings)
    try:
        cur = conn.cursor()
        cur.execute(sql)
        return cur.fetchall() if cur.description else []
    finally:
        conn.close()


def _copy_journal(settings: Settings, staged: str) -> tuple[str, int]:
    """COPY one staged export file into the check table; its load status and the table's rows after it."""
    rows = _query(
        settings,
        f"COPY INTO {CHECK_TABLE} FROM @{staged} FILE_FORMAT = (FORMAT_NAME = 'WHOOP.BRONZE.WHOOP_EXPORT_CSV')",
    )
    (count,) = _query(settings, f"SELECT COUNT(*) FROM {CHECK_TABLE}")[0]
    return rows[0][1], int(count)


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Settings]:
    """WHOOP_HOME and free ports for the CLI, TMPDIR an empty folder for every process it starts."""
    monkeypatch.setenv("WHOOP_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("WHOOP_WAREHOUSE_PORT", str(free_port()))
    monkeypatch.setenv("WHOOP_SANDBOX_PORT", str(free_port()))
    monkeypatch.setenv("WHOOP_SEED", "7")
    (tmp_path / "tmp").mkdir()
    monkeypatch.setenv("TMPDIR", str(tmp_path / "tmp"))
    settings = local_settings.load()
    yield settings
    stack.down(settings)


def test_local_down_up_keeps_every_object_staged_file_and_row(home: Settings, tmp_path: Path) -> None:
    settings = home
    _whoop("local", "up")
    _whoop("deploy", "--local")
    _whoop("auth", "--member", MEMBER)
    _whoop("run")
    truth = requests.get(f"{settings.sandbox_url}/_sandbox/truth/{MEMBER}", timeout=60)
    truth.raise_for_status()
    export = tmp_path / "export"
    write_export(truth.json(), export)
    _whoop("import-export", str(export), "--member", MEMBER)  # and on to Silver and Gold (one run)

    # COPY's load metadata: a file loaded into a table is skipped by the next COPY of it, across a restart too
    _query(settings, "CREATE DATABASE IF NOT EXISTS RESTART_CHECK")
    _query(settings, "CREATE SCHEMA IF NOT EXISTS RESTART_CHECK.LOADS")
    _query(
        settings, f"CREATE TABLE {CHECK_TABLE} (C1 VARCHAR, C2 VARCHAR, C3 VARCHAR, C4 VARCHAR, C5 VARCHAR, C6 VARCHAR)"
    )
    (journal,) = [r[0] for r in _query(settings, "LIST @WHOOP.BRONZE.EXPORT_STAGE") if "journal_entries" in r[0]]
    staged = "WHOOP.BRONZE.EXPORT_STAGE/" + journal.split("/", 1)[1]
    status, loaded = _copy_journal(settings, staged)
    assert status == "LOADED" and loaded > 0

    before = inventory.of_stack(settings)
    files = before["staged files"]["WHOOP.BRONZE.EXPORT_STAGE"]
    assert isinstance(files, list) and len(files) == 4, files
    for key in CREATED_SHOWN:
        assert before[key] and not isinstance(before[key], str), f"{key}: {before[key]}"
    kinds = {row[0] for row in before["WHOOP_LOCAL.CATALOG.OBJECTS"]}
    assert kinds >= CREATED_KINDS, f"not created by the deploy: {sorted(CREATED_KINDS - kinds)}"

    _whoop("local", "down")
    assert not any(s.running for s in stack.status(settings))
    _whoop("local", "up")

    after = inventory.of_stack(settings)
    differences = [key for key in before if before[key] != after.get(key)]
    assert not differences, "changed by local down/up: " + "; ".join(
        f"{key}: {str(before[key])[:300]} -> {str(after.get(key))[:300]}" for key in differences[:5]
    )
    lost = {
        t: (n, after["row counts"].get(t)) for t, n in before["row counts"].items() if after["row counts"].get(t) != n
    }
    assert not lost, f"rows lost or changed by local down/up: {lost}"

    # a reboot stops the warehouse without a clean shutdown: SIGKILL it, then `up` again
    pid = int((settings.run_dir / "warehouse.pid").read_text())
    os.killpg(pid, signal.SIGKILL)
    deadline = time.monotonic() + 10
    while stack.status(settings)[0].state != "stale" and time.monotonic() < deadline:
        time.sleep(0.1)  # gone (and reaped) once its pid file names no live warehouse
    while not stack._port_free(settings.host, settings.warehouse_port) and time.monotonic() < deadline + 20:
        time.sleep(0.2)  # the killed server's sockets close with the process, its clients' a little later
    sockets = subprocess.run(["ss", "-tanpo"], capture_output=True, text=True).stdout.splitlines()
    assert stack._port_free(settings.host, settings.warehouse_port), "\n".join(
        line for line in sockets if f":{settings.warehouse_port} " in line
    )
    _whoop("local", "up")
    assert inventory.of_stack(settings) == after, "changed by a warehouse killed and started again"

    # the staged files are under WHOOP_HOME, and nothing was written to the system temp folder
    stages_dir = settings.warehouse_dir / "stages"
    for name, *_ in files:
        assert (stages_dir / "WHOOP" / "BRONZE" / "EXPORT_STAGE" / name.split("/", 1)[1]).is_file(), name
    assert sorted(p.name for p in (tmp_path / "tmp").iterdir()) == []

    # the load metadata still skips the file already loaded
    assert _copy_journal(settings, staged) == ("LOAD_SKIPPED", loaded)

    # the pipeline runs on (the member's refresh token survived with its secret), and a re-import adds nothing
    _whoop("run")
    ((status,),) = _query(
        settings, f"SELECT MAX_BY(STATUS, FINISHED_AT) FROM WHOOP.OPS.INGEST_RUNS WHERE MEMBER_NAME = '{MEMBER}'"
    )
    assert status == "SUCCEEDED"
    bronze = {t: n for t, n in after["row counts"].items() if t.startswith("WHOOP.BRONZE.RAW_EXPORT_")}
    _whoop("import-export", str(export), "--member", MEMBER)
    counts = inventory.of_stack(settings)["row counts"]
    assert {t: counts[t] for t in bronze} == bronze
    shrunk = {
        t: (n, counts.get(t))
        for t, n in after["row counts"].items()
        if t.split(".")[1] in pipeline.LAYERS
        and isinstance(n, int)
        and not (isinstance(counts.get(t), int) and counts[t] >= n)
    }
    assert not shrunk, f"tables with fewer rows after a run following the restart: {shrunk}"
    assert len(_query(settings, "LIST @WHOOP.BRONZE.EXPORT_STAGE")) == 8  # the re-import's files are kept too
