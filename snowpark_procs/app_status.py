"""OPS.APP_STATUS and OPS.RUN_PIPELINE (OPS.BACKTEST_ML is in ml_backtest.py): what a client outside the app (the
`whoop` CLI with a Snowflake connection, an operator in Snowsight) may ask of an installed app, through procedures
granted to app_admin instead of reading its tables (a consumer's role sees only what the app grants:
https://docs.snowflake.com/en/developer-guide/native-apps/security-app-roles).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from snowpark_procs.export_import import EXPORTED_MEMBERS
from snowpark_procs.pipeline_state import STARTED, STATE_KEY, STOPPED
from snowpark_procs.run_status import ROOT_TASK
from snowpark_procs.run_status import status as run_status

if TYPE_CHECKING:
    from snowflake.snowpark import Session

FAILED_CHECKS_SHOWN = 20
EXPORT_ONLY = "EXPORT_ONLY"  # the status of a member known only from CSV exports (no WHOOP connection)


def status(session: Session) -> dict[str, Any]:
    """Handler of OPS.APP_STATUS(): the pipeline's state, each member (status, last ingest, newest cycle), the newest
    graph run (OPS.RUN_STATUS) and the newest data quality run's counts and failed checks."""
    state = session.sql(
        "SELECT MAX(SETTING_VALUE) FROM CONFIG.SETTINGS WHERE SETTING_KEY = ?", params=[STATE_KEY]
    ).collect()
    members = [
        {
            "member": r[0],
            "status": r[1],
            "auth_mode": r[2],
            "last_ingest_status": r[3],
            "last_ingest_at": _text(r[4]),
            "last_success_at": _text(r[5]),
            "newest_cycle_at": _text(r[6]),
        }
        for r in session.sql(
            # a member known only from CSV exports (export_import.EXPORTED_MEMBERS) is listed too, with the export's
            # newest cycle
            "WITH known AS ("
            " SELECT MEMBER_NAME, STATUS, AUTH_MODE FROM CONFIG.MEMBERS"
            f" UNION SELECT MEMBER_NAME, '{EXPORT_ONLY}', NULL FROM ({EXPORTED_MEMBERS}) AS e"
            " WHERE MEMBER_NAME NOT IN (SELECT MEMBER_NAME FROM CONFIG.MEMBERS)"
            "), last_run AS ("
            " SELECT MEMBER_NAME, STATUS, FINISHED_AT FROM OPS.INGEST_RUNS"
            " QUALIFY ROW_NUMBER() OVER (PARTITION BY MEMBER_NAME ORDER BY FINISHED_AT DESC) = 1"
            "), last_success AS ("
            " SELECT MEMBER_NAME, MAX(FINISHED_AT) AS FINISHED_AT FROM OPS.INGEST_RUNS WHERE STATUS = 'SUCCEEDED'"
            " GROUP BY MEMBER_NAME"
            "), newest_cycle AS ("
            " SELECT MEMBER_NAME, MAX(START_UTC) AS START_UTC FROM ("
            " SELECT MEMBER_NAME, START_UTC FROM SILVER.CYCLE"
            " UNION ALL SELECT MEMBER_NAME, CYCLE_START_UTC FROM SILVER.EXPORT_CYCLE"
            ") AS cycles GROUP BY MEMBER_NAME"
            ") "
            "SELECT m.MEMBER_NAME, m.STATUS, m.AUTH_MODE, r.STATUS, r.FINISHED_AT, s.FINISHED_AT, c.START_UTC "
            "FROM known AS m "
            "LEFT JOIN last_run AS r ON r.MEMBER_NAME = m.MEMBER_NAME "
            "LEFT JOIN last_success AS s ON s.MEMBER_NAME = m.MEMBER_NAME "
            "LEFT JOIN newest_cycle AS c ON c.MEMBER_NAME = m.MEMBER_NAME "
            "ORDER BY m.MEMBER_NAME"
        ).collect()
    ]
    return {
        "pipeline": (state[0][0] if state else None) or STOPPED,
        "members": members,
        "last_run": run_status(session),
        "quality": _quality(session),
    }


def _quality(session: Session) -> dict[str, Any]:
    """The newest data quality run (the graph's finalizer writes one per run): counts and the failed checks."""
    rows = session.sql(
        "WITH newest AS (SELECT MAX_BY(RUN_ID, STARTED_AT) AS RUN_ID, MAX(STARTED_AT) AS STARTED_AT FROM OPS.DQ_RUNS) "
        "SELECT n.STARTED_AT, r.LAYER, r.TABLE_NAME, r.CHECK_NAME, r.SEVERITY, r.MEMBER_KEY, r.FAILURES, r.PASSED, "
        "r.DETAIL FROM OPS.DQ_RESULTS AS r INNER JOIN newest AS n ON r.RUN_ID = n.RUN_ID "
        "ORDER BY r.PASSED, r.SEVERITY, r.TABLE_NAME, r.CHECK_NAME"
    ).collect()
    failed = [r for r in rows if not r[7]]
    return {
        "checked_at": _text(rows[0][0]) if rows else None,
        "checks": len(rows),
        "failed": len(failed),
        "failed_error": sum(r[4] == "error" for r in failed),
        "failed_warn": sum(r[4] == "warn" for r in failed),
        "failed_checks": [
            {"layer": r[1], "table": r[2], "check": r[3], "severity": r[4], "failures": int(r[6]), "detail": r[8]}
            for r in failed[:FAILED_CHECKS_SHOWN]
        ],
    }


def run_pipeline(session: Session) -> dict[str, Any]:
    """Handler of OPS.RUN_PIPELINE(): fire the task graph once (what the schedule does), if the pipeline is started.
    EXECUTE TASK needs OPERATE on the task, which the app owns (https://docs.snowflake.com/en/sql-reference/sql/execute-task);
    in Snowflake it queues the run and returns, so the caller follows it with OPS.RUN_STATUS."""
    state = session.sql(
        "SELECT MAX(SETTING_VALUE) FROM CONFIG.SETTINGS WHERE SETTING_KEY = ?", params=[STATE_KEY]
    ).collect()
    if not state or state[0][0] != STARTED:
        raise ValueError(
            "the pipeline is not started: register a member or import an export, or CALL OPS.START_PIPELINE()"
        )
    issued = datetime.now(UTC).isoformat(timespec="seconds")
    session.sql(f"EXECUTE TASK OPS.{ROOT_TASK}").collect()
    return {"task": f"OPS.{ROOT_TASK}", "issued_at": issued}


def _text(value: Any) -> str | None:
    return None if value is None else str(value)
