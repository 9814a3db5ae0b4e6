"""`whoop status` and `whoop ml backtest|train|score`: the installed app's procedures (OPS.APP_STATUS, OPS.BACKTEST_ML,
OPS.TRAIN_ML, OPS.SCORE_ML, OPS.DETECT_ANOMALIES_ML; granted to app_admin), the same calls on the local stack and on an
account.
"""

from __future__ import annotations

import json
from typing import Any

import snowflake.connector

from infra.local.connection import Target
from infra.local.errors import WhoopError


def status(target: Target) -> dict[str, Any]:
    """CALL <app>.OPS.APP_STATUS(): pipeline state, members, the newest run, freshness and failed checks."""
    return {"app": target.app, "where": target.label, **_call(target, f"CALL {target.app}.OPS.APP_STATUS()")}


def ml_backtest(target: Target, member: str) -> dict[str, Any]:
    """CALL <app>.OPS.BACKTEST_ML(member): the walk-forward backtest of one member's next-day recovery model."""
    return _call(target, f"CALL {target.app}.OPS.BACKTEST_ML(?)", [member])


def ml_train(target: Target, member: str | None = None) -> dict[str, Any]:
    """CALL <app>.OPS.TRAIN_ML(member or NULL): what the weekly retrain task does, now (every member without one)."""
    return _call(target, f"CALL {target.app}.OPS.TRAIN_ML(?)", [member])


def ml_score(target: Target) -> dict[str, Any]:
    """CALL <app>.OPS.SCORE_ML(), then OPS.DETECT_ANOMALIES_ML(): what the daily scoring task and the anomaly task
    after it do, now."""
    scored = _call(target, f"CALL {target.app}.OPS.SCORE_ML()")
    return {**scored, **_call(target, f"CALL {target.app}.OPS.DETECT_ANOMALIES_ML()")}


def _call(target: Target, sql: str, params: list[Any] | None = None) -> dict[str, Any]:
    conn = target.connect(paramstyle="qmark")
    try:
        cur = conn.cursor()
        try:
            cur.execute(sql, params)
        except snowflake.connector.errors.ProgrammingError as e:
            raise WhoopError(_procedure_error(sql, str(e.msg))) from None
        return json.loads(cur.fetchone()[0])
    finally:
        conn.close()


def _procedure_error(sql: str, message: str) -> str:
    """The handler's own words when it raised (a Python procedure's error ends with `<Exception>: <message>`)."""
    one = " ".join(message.split())
    for marker in ("ValueError: ", "RuntimeError: "):
        if marker in one:
            return one.rsplit(marker, 1)[1][:300]
    return f"{sql.split('(')[0]}() failed: {one[:300]}"
