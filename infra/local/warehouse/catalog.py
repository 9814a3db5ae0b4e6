"""The local catalog: what the emulation layer knows about objects fakesnow cannot hold.

It is an ordinary database, `WHOOP_LOCAL.CATALOG`, so tests and operators query it with the same
connector as everything else (`SELECT * FROM WHOOP_LOCAL.CATALOG.GRANTS`). Each write runs on its own
DuckDB cursor in its own transaction.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

import duckdb

CATALOG_DB = "WHOOP_LOCAL"
CATALOG_SCHEMA = "CATALOG"
PREFIX = f"{CATALOG_DB}.{CATALOG_SCHEMA}"

_TABLES = {
    "OBJECTS": """
        KIND VARCHAR NOT NULL, NAME VARCHAR NOT NULL, PROPERTIES VARCHAR, DEFINITION VARCHAR,
        CREATED_ON TIMESTAMPTZ NOT NULL, PRIMARY KEY (KIND, NAME)""",
    "GRANTS": """
        PRIVILEGE VARCHAR NOT NULL, GRANTED_ON VARCHAR NOT NULL, OBJECT_NAME VARCHAR NOT NULL,
        GRANTEE_KIND VARCHAR NOT NULL, GRANTEE_NAME VARCHAR NOT NULL, WITH_GRANT_OPTION BOOLEAN NOT NULL,
        CREATED_ON TIMESTAMPTZ NOT NULL,
        PRIMARY KEY (PRIVILEGE, GRANTED_ON, OBJECT_NAME, GRANTEE_KIND, GRANTEE_NAME)""",
    "POLICY_REFERENCES": """
        POLICY_KIND VARCHAR NOT NULL, POLICY_NAME VARCHAR NOT NULL, REF_OBJECT VARCHAR NOT NULL,
        REF_COLUMNS VARCHAR NOT NULL, CREATED_ON TIMESTAMPTZ NOT NULL,
        PRIMARY KEY (POLICY_KIND, REF_OBJECT, REF_COLUMNS)""",
    "TAG_REFERENCES": """
        TAG_NAME VARCHAR NOT NULL, TAG_VALUE VARCHAR, OBJECT_KIND VARCHAR NOT NULL, OBJECT_NAME VARCHAR NOT NULL,
        COLUMN_NAME VARCHAR NOT NULL, CREATED_ON TIMESTAMPTZ NOT NULL,
        PRIMARY KEY (TAG_NAME, OBJECT_NAME, COLUMN_NAME)""",
    "SESSION_PARAMETERS": """
        SESSION_ID VARCHAR NOT NULL, NAME VARCHAR NOT NULL, VALUE VARCHAR, SET_ON TIMESTAMPTZ NOT NULL,
        PRIMARY KEY (SESSION_ID, NAME)""",
    "ALERT_HISTORY": """
        NAME VARCHAR NOT NULL, STATE VARCHAR NOT NULL, CONDITION_RESULT BOOLEAN, ACTION_RAN BOOLEAN NOT NULL,
        ERROR VARCHAR, SCHEDULED_TIME TIMESTAMPTZ NOT NULL, COMPLETED_TIME TIMESTAMPTZ NOT NULL""",
    "STREAMS": """
        NAME VARCHAR PRIMARY KEY, SOURCE_TABLE VARCHAR NOT NULL, MODE VARCHAR NOT NULL,
        OFFSET_ROWID BIGINT NOT NULL, CREATED_ON TIMESTAMPTZ NOT NULL""",
    "TASKS": """
        NAME VARCHAR PRIMARY KEY, WAREHOUSE VARCHAR, SCHEDULE VARCHAR, PREDECESSORS VARCHAR NOT NULL,
        CONDITION VARCHAR, DEFINITION VARCHAR NOT NULL, STATE VARCHAR NOT NULL, CREATED_ON TIMESTAMPTZ NOT NULL,
        FINALIZE VARCHAR""",
    "TASK_HISTORY": """
        RUN_ID VARCHAR NOT NULL, ROOT_TASK VARCHAR NOT NULL, NAME VARCHAR NOT NULL, STATE VARCHAR NOT NULL,
        ERROR_MESSAGE VARCHAR, RETURN_VALUE VARCHAR, QUERY_START_TIME TIMESTAMPTZ NOT NULL,
        COMPLETED_TIME TIMESTAMPTZ NOT NULL""",
    "DYNAMIC_TABLES": """
        NAME VARCHAR PRIMARY KEY, TARGET_LAG VARCHAR NOT NULL, REFRESH_MODE VARCHAR NOT NULL, WAREHOUSE VARCHAR,
        QUERY_TEXT VARCHAR NOT NULL, DEPENDS_ON VARCHAR NOT NULL, CREATED_ON TIMESTAMPTZ NOT NULL,
        LAST_REFRESHED_ON TIMESTAMPTZ""",
    "DYNAMIC_TABLE_REFRESH_HISTORY": """
        NAME VARCHAR NOT NULL, REFRESH_ACTION VARCHAR NOT NULL, STATE VARCHAR NOT NULL, ROWS_AFTER BIGINT,
        ERROR_MESSAGE VARCHAR, REFRESH_START_TIME TIMESTAMPTZ NOT NULL, REFRESH_END_TIME TIMESTAMPTZ NOT NULL""",
    "PROCEDURES": """
        NAME VARCHAR NOT NULL, ARG_TYPES VARCHAR NOT NULL, ARG_NAMES VARCHAR NOT NULL, RETURNS VARCHAR NOT NULL,
        RUNTIME_VERSION VARCHAR, HANDLER VARCHAR NOT NULL, PACKAGES VARCHAR, IMPORTS VARCHAR,
        EXTERNAL_ACCESS_INTEGRATIONS VARCHAR, SECRETS VARCHAR, EXECUTE_AS VARCHAR, BODY VARCHAR,
        CREATED_ON TIMESTAMPTZ NOT NULL, PRIMARY KEY (NAME, ARG_TYPES)""",
    "SPECIFICATIONS": """
        APPLICATION VARCHAR NOT NULL, NAME VARCHAR NOT NULL, TYPE VARCHAR NOT NULL, SEQUENCE_NUMBER BIGINT NOT NULL,
        STATUS VARCHAR NOT NULL, LABEL VARCHAR NOT NULL, DESCRIPTION VARCHAR, DEFINITION VARCHAR NOT NULL,
        CREATED_ON TIMESTAMPTZ NOT NULL, UPDATED_ON TIMESTAMPTZ NOT NULL, PRIMARY KEY (APPLICATION, NAME)""",
    "PROCEDURE_CALLS": """
        NAME VARCHAR NOT NULL, STATE VARCHAR NOT NULL, ERROR_MESSAGE VARCHAR, START_TIME TIMESTAMPTZ NOT NULL,
        END_TIME TIMESTAMPTZ NOT NULL""",
}


def now() -> datetime:
    return datetime.now(UTC)


class Catalog:
    """Typed access to the catalog tables; one lock so concurrent requests write in turn."""

    def __init__(self, duck: duckdb.DuckDBPyConnection) -> None:
        self._duck = duck
        self.lock = threading.RLock()
        for table, columns in _TABLES.items():
            self.query(f"CREATE TABLE IF NOT EXISTS {PREFIX}.{table} ({columns})")
        # catalogs written before finalizer tasks were emulated lack the column
        self.query(f"ALTER TABLE {PREFIX}.TASKS ADD COLUMN IF NOT EXISTS FINALIZE VARCHAR")

    def query(self, sql: str, params: Iterable[Any] | None = None) -> list[tuple[Any, ...]]:
        with self.lock:
            cur = self._duck.cursor()
            try:
                cur.execute(sql, list(params) if params is not None else None)
                return cur.fetchall() if cur.description else []
            finally:
                cur.close()

    # generic objects -------------------------------------------------------------------------
    def put_object(self, kind: str, name: str, properties: dict[str, Any], definition: str) -> None:
        self.query(
            f"INSERT OR REPLACE INTO {PREFIX}.OBJECTS VALUES (?, ?, ?, ?, ?)",
            [kind, name, json.dumps(properties, sort_keys=True, default=str), definition, now()],
        )

    def get_object(self, kind: str, name: str) -> dict[str, Any] | None:
        rows = self.query(f"SELECT PROPERTIES FROM {PREFIX}.OBJECTS WHERE KIND = ? AND NAME = ?", [kind, name])
        return json.loads(rows[0][0]) if rows else None

    def drop_object(self, kind: str, name: str) -> int:
        rows = self.query(f"DELETE FROM {PREFIX}.OBJECTS WHERE KIND = ? AND NAME = ? RETURNING NAME", [kind, name])
        return len(rows)
