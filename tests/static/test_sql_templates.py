"""The SQL templates that declare a pattern once (sql/gold/30_agg_member_periods.sql, …) render to the statements
the project relies on: the same objects, the same output columns, the same grain. Read with sqlglot (Snowflake
dialect) from the rendering OPS.BUILD_GOLD runs (snowpark_procs/app_warehouse.py), so a template change that alters
what a statement produces fails here, before any warehouse runs it."""

from __future__ import annotations

from pathlib import Path

import sqlglot
from sqlglot import exp

from snowpark_procs import app_warehouse

ROOT = Path(__file__).resolve().parents[2]

_BASE = [
    "MEMBER_KEY", "DAYS_WITH_RECOVERY", "AVG_RECOVERY_SCORE", "AVG_HRV_RMSSD_MS", "AVG_RESTING_HEART_RATE_BPM",
    "DAYS_WITH_STRAIN", "AVG_DAY_STRAIN_SCORE", "TOTAL_CALORIES_BURNED", "NIGHTS_WITH_SLEEP", "AVG_SLEEP_MINUTES",
    "AVG_SLEEP_PERFORMANCE_PCT", "WORKOUTS", "WORKOUT_MINUTES",
]  # fmt: skip
ZONES = [f"ZONE_{z}_MINUTES" for z in range(6)]


def _statements(relpath: str) -> list[exp.Expression]:
    text = app_warehouse.render_file(ROOT / relpath, "WHOOP_WH")
    return [sqlglot.parse_one(s, read="snowflake") for s in app_warehouse.statements(text)]


def _outputs(select: exp.Select) -> list[str]:
    return [e.alias_or_name.upper() for e in select.expressions]


def _id(unit: str) -> str:
    return f"MD5('{unit}|' || MEMBER_KEY || '|' || TO_CHAR(PERIOD_START))"  # sqlglot writes TO_VARCHAR as TO_CHAR


def test_period_aggregates_differ_only_in_grain():
    """Weekly and monthly: one dynamic table each, truncating to their unit, keyed by an id hashed with the
    unit's name, with the weekly table alone carrying the zone minutes (as before the template)."""
    found = {}
    for statement in _statements("sql/gold/30_agg_member_periods.sql"):
        name = statement.this.sql("snowflake").upper()
        select = statement.expression
        trunc = select.find_all(exp.DateTrunc, exp.TimestampTrunc)
        units = {t.args["unit"].sql("snowflake").strip("'").upper() for t in trunc}
        (md5,) = [m for m in select.find_all(exp.MD5)]
        found[name] = (_outputs(select), units, md5.sql("snowflake"), select.args["group"].sql())
    week = ["WEEK_ID", "MEMBER_KEY", "WEEK_START_DATE_KEY", *_BASE[1:], *ZONES]
    month = ["MONTH_ID", "MEMBER_KEY", "MONTH_START_DATE_KEY", *_BASE[1:]]
    assert found == {
        "GOLD.AGG_MEMBER_WEEKLY": (week, {"WEEK"}, _id("week"), "GROUP BY MEMBER_KEY, PERIOD_START"),
        "GOLD.AGG_MEMBER_MONTHLY": (month, {"MONTH"}, _id("month"), "GROUP BY MEMBER_KEY, PERIOD_START"),
    }
