"""OPS.BACKTEST_ML(MEMBER): `whoop ml backtest` as an app procedure, so a client on an account (which cannot read
the app's Silver and Gold) gets the walk-forward backtest without the app's tables (snowpark_procs/app_status.py
has the other procedures such a client calls)."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from snowpark_procs.ml.procs import backtest as walk_forward

if TYPE_CHECKING:
    from snowflake.snowpark import Session


def backtest(session: Session, member: str) -> dict[str, Any]:
    """Handler of OPS.BACKTEST_ML(MEMBER): the walk-forward backtest of `whoop ml backtest` (no writes), as JSON
    (a NaN, e.g. an interval no prediction had enough history for, becomes null)."""
    return _json_safe(walk_forward(session, member))


def _json_safe(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(v) for v in value]
    if hasattr(value, "item") and not isinstance(value, str | bytes):  # numpy scalars
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value
