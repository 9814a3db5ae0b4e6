"""The walk-forward evaluates the forecasts members get: refit as often as the retrain task runs."""

from __future__ import annotations

import re
from pathlib import Path

from snowpark_procs.ml import procs

ML_SQL = Path(__file__).resolve().parents[2] / "sql" / "ml" / "01_ml.sql"


def _retrain_days() -> int:
    """Days between two runs of the task that calls OPS.TRAIN_ML, from its CRON schedule."""
    tasks = re.findall(r"CREATE OR REPLACE TASK (\S+)\s+(.*?)\nAS\n(.*?);", ML_SQL.read_text(), re.S)
    schedules = [re.search(r"USING CRON (\S+ \S+ \S+ \S+ \S+)", head) for _, head, body in tasks if "TRAIN_ML" in body]
    assert len(schedules) == 1 and schedules[0], "one scheduled task retrains the models"
    minute, hour, day_of_month, month, day_of_week = schedules[0][1].split()
    assert (day_of_month, month) == ("*", "*") and minute.isdigit() and hour.isdigit()
    return 1 if day_of_week == "*" else 7 // len(day_of_week.split(","))


def test_the_walk_forward_refits_as_often_as_the_retrain_task_runs():
    assert procs.RETRAIN_EVERY == _retrain_days() == 7
