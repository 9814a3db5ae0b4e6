"""Next-day recovery features from Gold, one row per member and day D, as known by the evening of D.

Why SQL: the features are computed where the data lives (Snowpark pushes the query down), and only
the small per-member frame comes back with `to_pandas()` for modelling.

The rule that keeps the forecast honest: a row for day D uses only values dated D or earlier —
today's recovery/HRV/RHR (scored on waking on D), last night's sleep (woke on D) and its bedtime
(BEDTIME_MINUTES: local minutes after noon, 23:00 = 660), today's strain,
and trailing windows `ROWS BETWEEN n-1 PRECEDING AND CURRENT ROW` over a gap-free calendar spine
(so a window of 28 rows is 28 days, not 28 recordings). The target (recovery on D+1) is the only
forward-looking column. `AVAILABLE_AT` is when the row is complete: the end of the member's local
day D, in UTC (today's strain is taken as scored by then).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import pandas as pd

if TYPE_CHECKING:
    from snowflake.snowpark import Session


@dataclass(frozen=True)
class Sources:
    """The Gold relations the features read; tests point these at perturbed copies."""

    recovery: str = "GOLD.FACT_DAILY_RECOVERY"
    sleep: str = "GOLD.FACT_SLEEP"
    strain: str = "GOLD.FACT_STRAIN"
    dates: str = "GOLD.DIM_DATE"


# Per-day inputs the trailing windows summarise: (column alias, windows in days, with SD).
_WINDOWED = {
    "RECOVERY_SCORE": "REC",
    "HRV_RMSSD_MS": "HRV",
    "RESTING_HEART_RATE_BPM": "RHR",
    "DAY_STRAIN_SCORE": "STRAIN",
    "TOTAL_SLEEP_MINUTES": "SLEEP",
}
WINDOWS = (7, 28, 60)
# The last row a trailing window may read: today. The leakage test swaps in "1 FOLLOWING" to prove it can fail.
FRAME_END = "CURRENT ROW"

# Today's values (known by the evening of D).
TODAY_COLUMNS = (
    "RECOVERY_SCORE",
    "HRV_RMSSD_MS",
    "RESTING_HEART_RATE_BPM",
    "DAY_STRAIN_SCORE",
    "TOTAL_SLEEP_MINUTES",
    "SLEEP_PERFORMANCE_PCT",
    "SLEEP_EFFICIENCY_PCT",
    "RESPIRATORY_RATE",
    "SLEEP_DEBT_MINUTES",
    "SKIN_TEMP_CELSIUS",
    "BEDTIME_MINUTES",
)


def _window_columns(frame_end: str) -> list[str]:
    cols = []
    for source, prefix in _WINDOWED.items():
        for n in WINDOWS:
            rows = f"ROWS BETWEEN {n - 1} PRECEDING AND {frame_end}"
            frame = f"OVER (PARTITION BY b.MEMBER_KEY ORDER BY b.DATE_KEY {rows})"
            cols.append(f"AVG(b.{source}) {frame} AS {prefix}_MEAN_{n}")
            if n > 7:
                cols.append(f"STDDEV_SAMP(b.{source}) {frame} AS {prefix}_SD_{n}")
                cols.append(f"COUNT(b.{source}) {frame} AS {prefix}_N_{n}")
    return cols


def feature_columns() -> list[str]:
    """Every feature column the query returns (not the keys, times or target)."""
    cols = list(TODAY_COLUMNS)
    for prefix in _WINDOWED.values():
        for n in WINDOWS:
            cols.append(f"{prefix}_MEAN_{n}")
            if n > 7:
                cols += [f"{prefix}_SD_{n}", f"{prefix}_N_{n}"]
    return [*cols, "NEXT_DAY_OF_WEEK"]


def feature_sql(sources: Sources = Sources(), member_key: bool = False, frame_end: str = FRAME_END) -> str:
    """The feature query; with `member_key` it takes one bind parameter (the member key)."""
    member_filter = "WHERE r.MEMBER_KEY = ?" if member_key else ""
    today = ",\n        ".join(f"b.{c}" for c in TODAY_COLUMNS)
    windows = ",\n        ".join(_window_columns(frame_end))
    return f"""
WITH span AS (
    SELECT r.MEMBER_KEY, MIN(r.DATE_KEY) AS FIRST_KEY, MAX(r.DATE_KEY) AS LAST_KEY
    FROM {sources.recovery} AS r
    {member_filter}
    GROUP BY r.MEMBER_KEY
),
spine AS (
    SELECT s.MEMBER_KEY, d.DATE_KEY, d.FULL_DATE, d.DAY_OF_WEEK
    FROM span AS s
    JOIN {sources.dates} AS d ON d.DATE_KEY BETWEEN s.FIRST_KEY AND s.LAST_KEY
),
main_sleep AS (
    SELECT
        sl.MEMBER_KEY, sl.DATE_KEY, sl.TOTAL_SLEEP_MINUTES, sl.SLEEP_PERFORMANCE_PCT, sl.SLEEP_EFFICIENCY_PCT,
        sl.RESPIRATORY_RATE, sl.SLEEP_DEBT_MINUTES, sl.SLEEP_END_TIMESTAMP,
        DATEDIFF('minute', sl.SLEEP_END_TIMESTAMP, sl.SLEEP_END_LOCAL) AS OFFSET_MINUTES,
        MOD(HOUR(sl.SLEEP_START_LOCAL) * 60 + MINUTE(sl.SLEEP_START_LOCAL) + 720, 1440) AS BEDTIME_MINUTES
    FROM {sources.sleep} AS sl
    WHERE sl.IS_MAIN_SLEEP
),
base AS (
    SELECT
        sp.MEMBER_KEY, sp.DATE_KEY, sp.FULL_DATE, sp.DAY_OF_WEEK,
        r.RECOVERY_SCORE, r.HRV_RMSSD_MS, r.RESTING_HEART_RATE_BPM, r.SKIN_TEMP_CELSIUS,
        st.DAY_STRAIN_SCORE,
        ms.TOTAL_SLEEP_MINUTES, ms.SLEEP_PERFORMANCE_PCT, ms.SLEEP_EFFICIENCY_PCT, ms.RESPIRATORY_RATE,
        ms.SLEEP_DEBT_MINUTES, ms.BEDTIME_MINUTES,
        ms.SLEEP_END_TIMESTAMP, COALESCE(ms.OFFSET_MINUTES, 0) AS OFFSET_MINUTES
    FROM spine AS sp
    LEFT JOIN {sources.recovery} AS r ON r.MEMBER_KEY = sp.MEMBER_KEY AND r.DATE_KEY = sp.DATE_KEY
    LEFT JOIN {sources.strain} AS st ON st.MEMBER_KEY = sp.MEMBER_KEY AND st.DATE_KEY = sp.DATE_KEY
    LEFT JOIN main_sleep AS ms ON ms.MEMBER_KEY = sp.MEMBER_KEY AND ms.DATE_KEY = sp.DATE_KEY
)
SELECT
    b.MEMBER_KEY,
    b.DATE_KEY,
    YEAR(DATEADD('day', 1, b.FULL_DATE)) * 10000 + MONTH(DATEADD('day', 1, b.FULL_DATE)) * 100
        + DAY(DATEADD('day', 1, b.FULL_DATE)) AS TARGET_DATE_KEY,
    DATEADD('minute', 1440 - b.OFFSET_MINUTES, b.FULL_DATE::TIMESTAMP_NTZ) AS AVAILABLE_AT,
    b.SLEEP_END_TIMESTAMP AS MORNING_KNOWN_AT,
    {today},
    {windows},
    MOD(b.DAY_OF_WEEK, 7) + 1 AS NEXT_DAY_OF_WEEK,
    LEAD(b.RECOVERY_SCORE) OVER (PARTITION BY b.MEMBER_KEY ORDER BY b.DATE_KEY) AS TARGET_RECOVERY,
    LEAD(b.SLEEP_END_TIMESTAMP) OVER (PARTITION BY b.MEMBER_KEY ORDER BY b.DATE_KEY) AS TARGET_KNOWN_AT
FROM base AS b
ORDER BY b.MEMBER_KEY, b.DATE_KEY
"""


def load_features(session: Session, member_key: str | None = None, sources: Sources = Sources()) -> pd.DataFrame:
    """The feature frame (one member's, or everyone's), numeric columns as floats."""
    if member_key is None:
        frame = session.sql(feature_sql(sources)).to_pandas()
    else:
        frame = session.sql(feature_sql(sources, member_key=True), params=[member_key]).to_pandas()
    return _typed(frame)


def _typed(frame: pd.DataFrame) -> pd.DataFrame:
    frame.columns = [str(c).upper() for c in frame.columns]
    for col in [*feature_columns(), "TARGET_RECOVERY"]:
        frame[col] = pd.to_numeric(frame[col], errors="coerce").astype(float)
    frame["DATE_KEY"] = frame["DATE_KEY"].astype(int)
    frame["TARGET_DATE_KEY"] = frame["TARGET_DATE_KEY"].astype(int)
    return frame.reset_index(drop=True)


def member_key_for(session: Session, member: str) -> str | None:
    """The Gold member key of a member name, or None when Gold has no such member."""
    query = "SELECT m.MEMBER_KEY FROM GOLD.DIM_MEMBER AS m WHERE m.MEMBER_NAME = ?"
    rows = session.sql(query, params=[member]).collect()
    return str(rows[0][0]) if rows else None
