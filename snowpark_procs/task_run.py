"""Where a procedure learns that a task runs it, and which graph run: SYSTEM$TASK_RUNTIME_INFO, which fails outside a
task run (https://docs.snowflake.com/en/sql-reference/functions/system_task_runtime_info)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from snowflake.snowpark import Session


def graph_run_id(session: Session) -> str | None:
    """The task graph run this call belongs to (CURRENT_TASK_GRAPH_RUN_GROUP_ID), or None outside a task run."""
    try:
        rows = session.sql("SELECT SYSTEM$TASK_RUNTIME_INFO('CURRENT_TASK_GRAPH_RUN_GROUP_ID')").collect()
    except Exception:  # Snowflake documents only that the call fails outside a task, not the error type
        return None
    return str(rows[0][0]) if rows and rows[0][0] else None
