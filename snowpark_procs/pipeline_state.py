"""Start and stop the app's scheduled work, and keep that choice across upgrades.

An install starts STOPPED: its tasks are created suspended (https://docs.snowflake.com/en/sql-reference/sql/create-task:
"newly created or cloned tasks are created suspended") and its dynamic tables are suspended, so until the consumer
has approved egress and registered a member nothing runs and the warehouse is never resumed. START_PIPELINE (the
Setup page's "Start" button, `whoop auth` locally) records STARTED and resumes everything; STOP_PIPELINE the reverse.
The setup script re-creates tasks and dynamic tables on every upgrade, so it ends with APPLY_PIPELINE_STATE, which
puts them back in the recorded state.

Suspended dynamic tables incur no refresh compute, and an unchanged source costs no warehouse time either
(https://docs.snowflake.com/en/user-guide/dynamic-tables-cost); DIM_DATE would still refresh daily (CURRENT_DATE),
which is why STOPPED suspends them all.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from snowflake.snowpark import Session

STATE_KEY = "pipeline_state"
STARTED, STOPPED = "STARTED", "STOPPED"

# Children before their roots when resuming (Snowflake requires it), roots first when suspending.
ROOT_TASKS = ("OPS.WHOOP_PIPELINE_ROOT", "OPS.ML_DAILY_SCORE_TASK", "OPS.ML_WEEKLY_RETRAIN_TASK")
CHILD_TASKS = (
    "OPS.SILVER_CYCLE_TASK",
    "OPS.SILVER_RECOVERY_TASK",
    "OPS.SILVER_SLEEP_TASK",
    "OPS.SILVER_WORKOUT_TASK",
    "OPS.SILVER_MEMBER_PROFILE_TASK",
    "OPS.SILVER_BODY_MEASUREMENT_TASK",
    "OPS.SILVER_EXPORT_CYCLE_TASK",
    "OPS.SILVER_EXPORT_SLEEP_TASK",
    "OPS.SILVER_EXPORT_WORKOUT_TASK",
    "OPS.SILVER_JOURNAL_ENTRY_TASK",
    "OPS.DATA_QUALITY_TASK",
    "OPS.ML_ANOMALY_TASK",
    "OPS.MEMBER_ALERTS_TASK",
)
ALERT = "OPS.DATA_QUALITY_ALERT"


def state(session: Session) -> str:
    rows = session.sql("SELECT SETTING_VALUE FROM CONFIG.SETTINGS WHERE SETTING_KEY = ?", params=[STATE_KEY]).collect()
    return str(rows[0][0]) if rows and rows[0][0] in (STARTED, STOPPED) else STOPPED


def start(session: Session) -> dict:
    """START_PIPELINE: refuse while there is nothing to ingest; otherwise record STARTED and resume the work."""
    members = session.sql("SELECT COUNT(*) FROM CONFIG.MEMBERS").collect()[0][0]
    exported = session.sql("SELECT COUNT(*) FROM BRONZE.RAW_EXPORT_CYCLE").collect()[0][0]
    if not members and not exported:
        raise ValueError(
            "no member yet: register a member (Setup page, or CALL OPS.REGISTER_MEMBER) or import an export first"
        )
    _record(session, STARTED)
    return apply(session)


def stop(session: Session) -> dict:
    """STOP_PIPELINE: record STOPPED and suspend the tasks, the alert and the dynamic tables."""
    _record(session, STOPPED)
    return apply(session)


def apply(session: Session) -> dict:
    """APPLY_PIPELINE_STATE: put tasks, the alert and the Gold dynamic tables in the recorded state."""
    current = state(session)
    dynamic_tables = _dynamic_tables(session)
    if current == STARTED:
        for name in dynamic_tables:
            session.sql(f"ALTER DYNAMIC TABLE {name} RESUME").collect()
        for task in (*CHILD_TASKS, *ROOT_TASKS):
            session.sql(f"ALTER TASK {task} RESUME").collect()
        alert = _start_alert(session)
    else:
        for task in (*ROOT_TASKS, *CHILD_TASKS):
            session.sql(f"ALTER TASK {task} SUSPEND").collect()
        session.sql(f"ALTER ALERT IF EXISTS {ALERT} SUSPEND").collect()
        for name in dynamic_tables:
            session.sql(f"ALTER DYNAMIC TABLE {name} SUSPEND").collect()
        alert = "suspended"
    return {"state": current, "tasks": len(ROOT_TASKS) + len(CHILD_TASKS), "dynamic_tables": len(dynamic_tables),
            "alert": alert}  # fmt: skip


def _start_alert(session: Session) -> str:
    """Create and resume the data-quality alert when the consumer has granted EXECUTE ALERT.

    EXECUTE ALERT is one an app may request but not one granted automatically
    (https://docs.snowflake.com/en/developer-guide/native-apps/requesting-privs), so it cannot be created at install.
    Without the grant the pipeline still runs; the quality results are kept and the answer says what is missing.
    """
    try:
        session.sql("CALL OPS.CREATE_DATA_QUALITY_ALERT()").collect()
        session.sql(f"ALTER ALERT {ALERT} RESUME").collect()
    except Exception as e:  # the privilege is the consumer's to grant: report, do not fail the start
        reason = " ".join(str(getattr(e, "message", e)).split())[:300]
        return f"not running: grant EXECUTE ALERT ON ACCOUNT TO APPLICATION to enable it ({reason})"
    return "resumed"


def execute_alert(session: Session) -> str:
    """EXECUTE_DATA_QUALITY_ALERT: run the alert now, right after a quality run, if the consumer enabled it.

    EXECUTE ALERT runs its condition (and action) at once (https://docs.snowflake.com/en/sql-reference/sql/execute-alert);
    without the alert (no EXECUTE ALERT grant) or while it is suspended (pipeline stopped) there is nothing to run.
    """
    rows = session.sql("SHOW ALERTS LIKE 'DATA_QUALITY_ALERT' IN SCHEMA OPS").collect()
    if not rows or str(rows[0]["state"]).lower() != "started":
        return "alert not running"
    session.sql(f"EXECUTE ALERT {ALERT}").collect()
    return "alert executed"


def _dynamic_tables(session: Session) -> list[str]:
    database = session.sql("SELECT CURRENT_DATABASE()").collect()[0][0]
    rows = session.sql("SHOW DYNAMIC TABLES IN SCHEMA GOLD").collect()
    return sorted(
        f"GOLD.{r['name']}" for r in rows if r["schema_name"] == "GOLD" and r["database_name"] in (database, None)
    )


def _record(session: Session, value: str) -> None:
    session.sql(
        "MERGE INTO CONFIG.SETTINGS AS s USING (SELECT ? AS SETTING_KEY, ? AS SETTING_VALUE) AS d "
        "ON s.SETTING_KEY = d.SETTING_KEY "
        "WHEN MATCHED THEN UPDATE SET SETTING_VALUE = d.SETTING_VALUE, UPDATED_AT = SYSDATE() "
        "WHEN NOT MATCHED THEN INSERT (SETTING_KEY, SETTING_VALUE, UPDATED_AT) "
        "VALUES (d.SETTING_KEY, d.SETTING_VALUE, SYSDATE())",
        params=[STATE_KEY, value],
    ).collect()
