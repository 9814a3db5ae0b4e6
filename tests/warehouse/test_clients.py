"""The real client tools reach the local warehouse over HTTP: Snowpark, the Snowflake CLI, schemachange."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from snowflake.snowpark import Session

from tests.conftest import connect

BIN = Path(sys.executable).parent


def test_snowpark_session_runs_sql(warehouse):
    session = Session.builder.configs(
        {k: v for k, v in warehouse.items() if not k.startswith("_")} | {"database": "CLIENTS_DB", "schema": "S"}
    ).create()
    try:
        session.sql("CREATE OR REPLACE TABLE T (ID INT, NAME VARCHAR)").collect()
        session.sql("INSERT INTO T VALUES (?, ?)", params=[1, "one"]).collect()
        assert [tuple(r) for r in session.sql("SELECT ID, NAME FROM T").collect()] == [(1, "one")]
        assert session.table("T").count() == 1
    finally:
        session.close()


def test_snowflake_cli_sql(warehouse, tmp_path):
    config = tmp_path / "config.toml"
    config.write_text(
        "[connections.local]\n"
        'account = "local"\nuser = "whoop"\npassword = "local"\nhost = "127.0.0.1"\n'
        f'port = {warehouse["port"]}\nprotocol = "http"\ndatabase = "CLIENTS_DB"\nschema = "S"\n'
    )
    config.chmod(0o600)
    result = subprocess.run(
        [str(BIN / "snow"), "--config-file", str(config), "sql", "-c", "local", "-q", "SELECT 40 + 2 AS ANSWER"],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "HOME": str(tmp_path)},
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert "42" in result.stdout


def test_schemachange_deploy_applies_versioned_scripts_once(warehouse, tmp_path):
    scripts = tmp_path / "migrations"
    scripts.mkdir()
    (scripts / "V1.0.0__create.sql").write_text(
        "CREATE SCHEMA IF NOT EXISTS CLIENTS_DB.MIG;\nCREATE TABLE IF NOT EXISTS CLIENTS_DB.MIG.T (ID INT);\n"
    )
    (scripts / "V1.1.0__seed.sql").write_text("INSERT INTO CLIENTS_DB.MIG.T VALUES (1);\n")
    env = {
        **os.environ,
        "SNOWFLAKE_HOST": "127.0.0.1",
        "SNOWFLAKE_PORT": str(warehouse["port"]),
        "SNOWFLAKE_PROTOCOL": "http",
        "SNOWFLAKE_ACCOUNT": "local",
        "SNOWFLAKE_USER": "whoop",
        "SNOWFLAKE_PASSWORD": "local",
        "SNOWFLAKE_DATABASE": "CLIENTS_DB",
        "HOME": str(tmp_path),
    }
    command = [
        str(BIN / "schemachange"),
        "deploy",
        "-f",
        str(scripts),
        "-c",
        "CLIENTS_DB.SCHEMACHANGE.CHANGE_HISTORY",
        "--create-change-history-table",
    ]
    for _ in range(2):  # the second deploy finds both scripts applied and runs nothing
        result = subprocess.run(command, capture_output=True, text=True, timeout=120, env=env)
        assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    cur = connect(warehouse, database="CLIENTS_DB", schema="MIG").cursor()
    cur.execute("SELECT COUNT(*) FROM T")
    assert cur.fetchall() == [(1,)]
    cur.execute("SELECT VERSION, STATUS FROM CLIENTS_DB.SCHEMACHANGE.CHANGE_HISTORY ORDER BY VERSION")
    assert cur.fetchall() == [("1.0.0", "Success"), ("1.1.0", "Success")]
