"""Every query the dashboard runs, one function per page, each returning {name: SQL}.

Member data is read through the VIEWER schema only: one secure view per member table (Gold, ML, the per-member OPS
tables) that keeps the members the viewing user may see (CONFIG.MEMBER_VIEWERS; every member for app_admin), so who
sees whom is decided in the warehouse, never here (sql/ops/10_member_access.sql, snowpark_procs/access.py;
tests/governance/test_member_access.py fails on a query that names a member table outside VIEWER). Dimensions
without members (dates, sleep stages, activity types) and run-level tables stay where they are.

Filters are pushed down: every query names its columns, qualifies its tables and filters on the member and
the date range in SQL, so only the rows a chart shows leave the warehouse. Literals are validated before
they reach the text (a member key is an MD5 hex string, a date key an integer YYYYMMDD), which keeps the
statements identical for the result cache and free of injection. No Streamlit here: bench/dashboard.py
times these same statements.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

_MEMBER_KEY = re.compile(r"^[0-9a-f]{32}$")
BASELINE_DAYS = 28  # personal baseline: mean ± 1 SD of the previous 28 recorded days


@dataclass(frozen=True)
class Filters:
    member_key: str
    start: date
    end: date

    def __post_init__(self) -> None:
        if not _MEMBER_KEY.match(self.member_key):
            raise ValueError(f"not a member key: {self.member_key!r}")
        if self.start > self.end:
            raise ValueError("the date range starts after it ends")

    @property
    def member(self) -> str:
        return f"'{self.member_key}'"

    @property
    def start_key(self) -> int:
        return date_key(self.start)

    @property
    def end_key(self) -> int:
        return date_key(self.end)

    @property
    def baseline_start_key(self) -> int:
        """Start of the window the baseline of the first day in range needs (generous: calendar days x 2)."""
        return date_key(self.start - timedelta(days=2 * BASELINE_DAYS))


def date_key(d: date) -> int:
    return d.year * 10000 + d.month * 100 + d.day


# --- shared -----------------------------------------------------------------------------------------


def tables_sql() -> str:
    return (
        "SELECT t.TABLE_SCHEMA, t.TABLE_NAME FROM INFORMATION_SCHEMA.TABLES AS t "
        "WHERE t.TABLE_SCHEMA IN ('GOLD', 'ML', 'OPS', 'CONFIG', 'REPORTING')"
    )


def members_sql() -> str:
    """The members the viewer may see (all of them for an app admin)."""
    return "SELECT m.MEMBER_KEY, m.MEMBER_NAME, m.MEMBER_STATUS FROM VIEWER.DIM_MEMBER AS m ORDER BY m.MEMBER_NAME"


def member_span_sql(member_key: str) -> str:
    """First and last day with a recovery, strain or sleep for the member (the default date range)."""
    if not _MEMBER_KEY.match(member_key):
        raise ValueError(f"not a member key: {member_key!r}")
    k = f"'{member_key}'"
    return (
        "SELECT MIN(x.DATE_KEY) AS FIRST_KEY, MAX(x.DATE_KEY) AS LAST_KEY FROM ("
        f"SELECT r.DATE_KEY FROM VIEWER.FACT_DAILY_RECOVERY AS r WHERE r.MEMBER_KEY = {k} "
        f"UNION ALL SELECT s.DATE_KEY FROM VIEWER.FACT_STRAIN AS s WHERE s.MEMBER_KEY = {k} "
        f"UNION ALL SELECT p.DATE_KEY FROM VIEWER.FACT_SLEEP AS p WHERE p.MEMBER_KEY = {k}) AS x"
    )


# --- 0. Squad ---------------------------------------------------------------------------------------

OPEN_ANOMALY_DAYS = 7  # a flagged night counts as open for a week after it (up to the member's newest day)


def squad() -> dict[str, str]:
    """One row per member the viewer may see, every member in one statement (no per-member round trip).

    DATE_KEY is the member's newest day with a recovery, strain or sleep; the recovery and the main sleep are that
    day's (sleep is keyed to the wake-up date, so it is last night's), the strain is the day before's. The baseline
    is the mean recovery of the member's previous 28 recorded days, as on the Recovery Overview page. LAST_DATA_AT is
    when the newest record version reached the warehouse (LOAD_TIMESTAMP, what the quality freshness check reads).
    REPORTING.SQUAD_READINESS (migrations/R__10_reporting_views.sql) runs the same statement for Power BI.
    """
    return {
        "squad": f"""
WITH member_days AS (
    SELECT x.MEMBER_KEY, MAX(x.DATE_KEY) AS DATE_KEY, MAX(x.LOAD_TIMESTAMP) AS LAST_DATA_AT
    FROM (
        SELECT r.MEMBER_KEY, r.DATE_KEY, r.LOAD_TIMESTAMP FROM VIEWER.FACT_DAILY_RECOVERY AS r
        UNION ALL
        SELECT s.MEMBER_KEY, s.DATE_KEY, s.LOAD_TIMESTAMP FROM VIEWER.FACT_STRAIN AS s
        UNION ALL
        SELECT p.MEMBER_KEY, p.DATE_KEY, p.LOAD_TIMESTAMP FROM VIEWER.FACT_SLEEP AS p
    ) AS x
    GROUP BY x.MEMBER_KEY
),
newest AS (
    SELECT md.MEMBER_KEY, md.DATE_KEY, md.LAST_DATA_AT, d.FULL_DATE, y.DATE_KEY AS YESTERDAY_KEY
    FROM member_days AS md
    JOIN GOLD.DIM_DATE AS d ON d.DATE_KEY = md.DATE_KEY
    LEFT JOIN GOLD.DIM_DATE AS y ON y.FULL_DATE = DATEADD(DAY, -1, d.FULL_DATE)
),
baseline AS (
    SELECT b.MEMBER_KEY, AVG(b.RECOVERY_SCORE) AS RECOVERY_BASELINE
    FROM (
        SELECT r.MEMBER_KEY, r.RECOVERY_SCORE,
            ROW_NUMBER() OVER (PARTITION BY r.MEMBER_KEY ORDER BY r.DATE_KEY DESC) AS RN
        FROM VIEWER.FACT_DAILY_RECOVERY AS r
        JOIN newest AS n ON n.MEMBER_KEY = r.MEMBER_KEY AND r.DATE_KEY < n.DATE_KEY
    ) AS b
    WHERE b.RN <= {BASELINE_DAYS}
    GROUP BY b.MEMBER_KEY
),
last_night AS (
    SELECT s.MEMBER_KEY, s.TOTAL_SLEEP_MINUTES, s.SLEEP_NEEDED_MINUTES
    FROM VIEWER.FACT_SLEEP AS s
    JOIN newest AS n ON n.MEMBER_KEY = s.MEMBER_KEY AND s.DATE_KEY = n.DATE_KEY
    WHERE s.IS_MAIN_SLEEP
    QUALIFY ROW_NUMBER() OVER (PARTITION BY s.MEMBER_KEY ORDER BY s.SLEEP_END_TIMESTAMP DESC) = 1
),
open_anomalies AS (
    SELECT a.MEMBER_KEY, COUNT(a.DATE_KEY) AS OPEN_ANOMALIES
    FROM VIEWER.FACT_ANOMALIES AS a
    JOIN GOLD.DIM_DATE AS d ON d.DATE_KEY = a.DATE_KEY
    JOIN newest AS n ON n.MEMBER_KEY = a.MEMBER_KEY
    WHERE a.DATE_KEY <= n.DATE_KEY AND d.FULL_DATE > DATEADD(DAY, -{OPEN_ANOMALY_DAYS}, n.FULL_DATE)
    GROUP BY a.MEMBER_KEY
)
SELECT
    m.MEMBER_KEY,
    m.MEMBER_NAME,
    n.DATE_KEY,
    r.RECOVERY_SCORE,
    CASE
        WHEN r.RECOVERY_SCORE >= 67 THEN 'green'
        WHEN r.RECOVERY_SCORE >= 34 THEN 'yellow'
        WHEN r.RECOVERY_SCORE IS NOT NULL THEN 'red'
    END AS RECOVERY_ZONE,
    ROUND(b.RECOVERY_BASELINE, 1) AS RECOVERY_BASELINE_28D,
    ROUND(r.RECOVERY_SCORE - b.RECOVERY_BASELINE, 1) AS RECOVERY_VS_BASELINE,
    ROUND(l.TOTAL_SLEEP_MINUTES / 60, 2) AS SLEEP_HOURS,
    ROUND(l.SLEEP_NEEDED_MINUTES / 60, 2) AS SLEEP_NEED_HOURS,
    st.DAY_STRAIN_SCORE AS STRAIN_YESTERDAY,
    COALESCE(o.OPEN_ANOMALIES, 0) AS OPEN_ANOMALIES,
    n.LAST_DATA_AT,
    COALESCE(m.MEMBER_STATUS = 'NEEDS_REAUTHORIZATION', FALSE) AS NEEDS_REAUTHORIZATION
FROM VIEWER.DIM_MEMBER AS m
LEFT JOIN newest AS n ON n.MEMBER_KEY = m.MEMBER_KEY
LEFT JOIN VIEWER.FACT_DAILY_RECOVERY AS r ON r.MEMBER_KEY = n.MEMBER_KEY AND r.DATE_KEY = n.DATE_KEY
LEFT JOIN baseline AS b ON b.MEMBER_KEY = m.MEMBER_KEY
LEFT JOIN last_night AS l ON l.MEMBER_KEY = m.MEMBER_KEY
LEFT JOIN VIEWER.FACT_STRAIN AS st ON st.MEMBER_KEY = n.MEMBER_KEY AND st.DATE_KEY = n.YESTERDAY_KEY
LEFT JOIN open_anomalies AS o ON o.MEMBER_KEY = m.MEMBER_KEY
ORDER BY m.MEMBER_NAME""",
    }


# --- 1. Recovery overview ---------------------------------------------------------------------------


def recovery(f: Filters) -> dict[str, str]:
    window = f"ROWS BETWEEN {BASELINE_DAYS} PRECEDING AND 1 PRECEDING"
    return {
        "recovery": f"""
SELECT b.DATE_KEY, d.FULL_DATE, b.RECOVERY_SCORE, b.HRV_RMSSD_MS, b.RESTING_HEART_RATE_BPM,
    b.SPO2_PERCENTAGE, b.SKIN_TEMP_CELSIUS, b.HRV_BASELINE, b.HRV_SD, b.RHR_BASELINE, b.RHR_SD, b.BASELINE_DAYS
FROM (
    SELECT r.DATE_KEY, r.RECOVERY_SCORE, r.HRV_RMSSD_MS, r.RESTING_HEART_RATE_BPM, r.SPO2_PERCENTAGE,
        r.SKIN_TEMP_CELSIUS,
        AVG(r.HRV_RMSSD_MS) OVER (ORDER BY r.DATE_KEY {window}) AS HRV_BASELINE,
        STDDEV_SAMP(r.HRV_RMSSD_MS) OVER (ORDER BY r.DATE_KEY {window}) AS HRV_SD,
        AVG(r.RESTING_HEART_RATE_BPM) OVER (ORDER BY r.DATE_KEY {window}) AS RHR_BASELINE,
        STDDEV_SAMP(r.RESTING_HEART_RATE_BPM) OVER (ORDER BY r.DATE_KEY {window}) AS RHR_SD,
        COUNT(r.HRV_RMSSD_MS) OVER (ORDER BY r.DATE_KEY {window}) AS BASELINE_DAYS
    FROM VIEWER.FACT_DAILY_RECOVERY AS r
    WHERE r.MEMBER_KEY = {f.member} AND r.DATE_KEY BETWEEN {f.baseline_start_key} AND {f.end_key}
) AS b
JOIN GOLD.DIM_DATE AS d ON d.DATE_KEY = b.DATE_KEY
WHERE b.DATE_KEY BETWEEN {f.start_key} AND {f.end_key}
ORDER BY b.DATE_KEY""",
    }


# --- 2. Sleep analysis ------------------------------------------------------------------------------


def sleep(f: Filters) -> dict[str, str]:
    where = f"s.MEMBER_KEY = {f.member} AND s.DATE_KEY BETWEEN {f.start_key} AND {f.end_key}"
    return {
        "nights": f"""
SELECT s.DATE_KEY, d.FULL_DATE, d.DAY_NAME, d.DAY_OF_WEEK, s.SLEEP_START_LOCAL, s.SLEEP_END_LOCAL,
    s.TOTAL_SLEEP_MINUTES, s.IN_BED_MINUTES, s.AWAKE_MINUTES, s.SLEEP_NEEDED_MINUTES, s.SLEEP_DEBT_MINUTES,
    s.SLEEP_EFFICIENCY_PCT, s.SLEEP_PERFORMANCE_PCT, s.RESPIRATORY_RATE
FROM VIEWER.FACT_SLEEP AS s
JOIN GOLD.DIM_DATE AS d ON d.DATE_KEY = s.DATE_KEY
WHERE {where} AND s.IS_MAIN_SLEEP
ORDER BY s.DATE_KEY""",
        "stages": f"""
SELECT s.DATE_KEY, d.FULL_DATE, t.SLEEP_STAGE_NAME, s.STAGE_MINUTES, s.PCT_OF_TIME_IN_BED
FROM VIEWER.FACT_SLEEP_STAGE AS s
JOIN GOLD.DIM_SLEEP_STAGE AS t ON t.SLEEP_STAGE_KEY = s.SLEEP_STAGE_KEY
JOIN GOLD.DIM_DATE AS d ON d.DATE_KEY = s.DATE_KEY
WHERE {where} AND s.IS_MAIN_SLEEP
ORDER BY s.DATE_KEY, t.SLEEP_STAGE_NAME""",
        "naps": f"""
SELECT s.DATE_KEY, d.FULL_DATE, s.SLEEP_START_LOCAL, s.SLEEP_END_LOCAL, s.TOTAL_SLEEP_MINUTES,
    s.SLEEP_EFFICIENCY_PCT
FROM VIEWER.FACT_SLEEP AS s
JOIN GOLD.DIM_DATE AS d ON d.DATE_KEY = s.DATE_KEY
WHERE {where} AND s.IS_NAP
ORDER BY s.SLEEP_START_LOCAL""",
    }


# --- 3. Strain & performance ------------------------------------------------------------------------

HR_ZONES = range(6)  # WHOOP's heart-rate zones 0-5; Gold keeps ZONE_0_MINUTES .. ZONE_5_MINUTES per workout and week


def _zone_columns(alias: str) -> str:
    return ", ".join(f"{alias}.ZONE_{z}_MINUTES" for z in HR_ZONES)


def _zone_sums(alias: str) -> str:
    return ", ".join(f"SUM({alias}.ZONE_{z}_MINUTES) AS ZONE_{z}_MINUTES" for z in HR_ZONES)


def strain(f: Filters) -> dict[str, str]:
    return {
        "strain_recovery": f"""
SELECT s.DATE_KEY, d.FULL_DATE, s.DAY_STRAIN_SCORE, s.CALORIES_BURNED, s.AVG_HEART_RATE_BPM,
    r.RECOVERY_SCORE AS NEXT_DAY_RECOVERY
FROM VIEWER.FACT_STRAIN AS s
JOIN GOLD.DIM_DATE AS d ON d.DATE_KEY = s.DATE_KEY
LEFT JOIN GOLD.DIM_DATE AS n ON n.FULL_DATE = DATEADD(DAY, 1, d.FULL_DATE)
LEFT JOIN VIEWER.FACT_DAILY_RECOVERY AS r ON r.MEMBER_KEY = s.MEMBER_KEY AND r.DATE_KEY = n.DATE_KEY
WHERE s.MEMBER_KEY = {f.member} AND s.DATE_KEY BETWEEN {f.start_key} AND {f.end_key}
ORDER BY s.DATE_KEY""",
        "activities": f"""
SELECT a.ACTIVITY_NAME, a.ACTIVITY_CATEGORY, COUNT(w.WORKOUT_ID) AS WORKOUTS,
    SUM(w.DURATION_MINUTES) AS MINUTES, SUM(w.ZONE_DURATION_MINUTES) AS ZONE_MINUTES,
    AVG(w.STRAIN_SCORE) AS AVG_STRAIN, SUM(w.CALORIES_BURNED) AS CALORIES,
    {_zone_sums("w")}
FROM VIEWER.FACT_WORKOUTS AS w
JOIN GOLD.DIM_ACTIVITY_TYPE AS a ON a.ACTIVITY_TYPE_KEY = w.ACTIVITY_TYPE_KEY
WHERE w.MEMBER_KEY = {f.member} AND w.DATE_KEY BETWEEN {f.start_key} AND {f.end_key}
GROUP BY a.ACTIVITY_NAME, a.ACTIVITY_CATEGORY
ORDER BY WORKOUTS DESC, a.ACTIVITY_NAME""",
        "workouts": f"""
SELECT w.WORKOUT_ID, w.DATE_KEY, w.WORKOUT_START_LOCAL, a.ACTIVITY_NAME, w.DURATION_MINUTES, w.STRAIN_SCORE,
    {_zone_columns("w")}
FROM VIEWER.FACT_WORKOUTS AS w
JOIN GOLD.DIM_ACTIVITY_TYPE AS a ON a.ACTIVITY_TYPE_KEY = w.ACTIVITY_TYPE_KEY
WHERE w.MEMBER_KEY = {f.member} AND w.DATE_KEY BETWEEN {f.start_key} AND {f.end_key}
ORDER BY w.WORKOUT_START_LOCAL""",
        "weekly": f"""
SELECT w.WEEK_START_DATE_KEY, d.FULL_DATE AS WEEK_START, w.DAYS_WITH_STRAIN, w.AVG_DAY_STRAIN_SCORE,
    w.TOTAL_CALORIES_BURNED, w.WORKOUTS, w.WORKOUT_MINUTES, w.AVG_RECOVERY_SCORE,
    {_zone_columns("w")}
FROM VIEWER.AGG_MEMBER_WEEKLY AS w
JOIN GOLD.DIM_DATE AS d ON d.DATE_KEY = w.WEEK_START_DATE_KEY
WHERE w.MEMBER_KEY = {f.member} AND w.WEEK_START_DATE_KEY BETWEEN {date_key(f.start - timedelta(days=6))}
    AND {f.end_key}
ORDER BY w.WEEK_START_DATE_KEY""",
    }


# --- 4. Predictive insights -------------------------------------------------------------------------


def predictions(f: Filters) -> dict[str, str]:
    """Forecasts in range; a day no forecast was scored for shows the walk-forward history OPS.TRAIN_ML kept
    (KIND WALK_FORWARD: predicted from the days before it only), so the chart has history from the first training."""
    return {
        "predictions": f"""
SELECT p.TARGET_DATE_KEY, d.FULL_DATE, p.MODEL_NAME, p.MODEL_VERSION, p.SERVED_BY, p.PREDICTION,
    p.INTERVAL_LOW, p.INTERVAL_HIGH, p.PREDICTED_AT, p.KIND, r.RECOVERY_SCORE AS ACTUAL_RECOVERY
FROM VIEWER.FACT_PREDICTIONS AS p
JOIN GOLD.DIM_DATE AS d ON d.DATE_KEY = p.TARGET_DATE_KEY
LEFT JOIN VIEWER.FACT_DAILY_RECOVERY AS r ON r.MEMBER_KEY = p.MEMBER_KEY AND r.DATE_KEY = p.TARGET_DATE_KEY
WHERE p.MEMBER_KEY = {f.member} AND p.MODEL_NAME = 'NEXT_DAY_RECOVERY'
    AND p.TARGET_DATE_KEY BETWEEN {f.start_key} AND {date_key(f.end + timedelta(days=1))}
QUALIFY p.KIND = 'FORECAST'
    OR MAX(IFF(p.KIND = 'FORECAST', 1, 0)) OVER (PARTITION BY p.TARGET_DATE_KEY) = 0
ORDER BY p.TARGET_DATE_KEY, p.MODEL_NAME""",
        "sleep_tonight": f"""
SELECT p.TARGET_DATE_KEY, p.MODEL_NAME, p.MODEL_VERSION, p.SERVED_BY, p.PREDICTION, p.INTERVAL_LOW,
    p.INTERVAL_HIGH, p.PREDICTED_AT
FROM VIEWER.FACT_PREDICTIONS AS p
WHERE p.MEMBER_KEY = {f.member} AND p.MODEL_NAME = 'SLEEP_PERFORMANCE_TONIGHT' AND p.KIND = 'FORECAST'
ORDER BY p.TARGET_DATE_KEY DESC, p.PREDICTED_AT DESC
LIMIT 1""",
        "evaluations": f"""
SELECT e.MODEL_NAME, e.MODEL_VERSION, e.PREDICTOR, e.MAE, e.RMSE, e.N_PREDICTIONS, e.SKILL, e.IS_SERVED,
    e.IS_BEST_BASELINE, e.SERVING_REASON, e.EVALUATED_AT
FROM VIEWER.EVALUATIONS AS e
WHERE e.MEMBER_KEY = {f.member}
    AND e.EVALUATED_AT = (SELECT MAX(x.EVALUATED_AT) FROM VIEWER.EVALUATIONS AS x WHERE x.MEMBER_KEY = {f.member})
ORDER BY e.MODEL_NAME, e.PREDICTOR""",
        "anomalies": f"""
SELECT a.DATE_KEY, d.FULL_DATE, a.SIGNALS, a.REASON
FROM VIEWER.FACT_ANOMALIES AS a
JOIN GOLD.DIM_DATE AS d ON d.DATE_KEY = a.DATE_KEY
WHERE a.MEMBER_KEY = {f.member} AND a.DATE_KEY BETWEEN {f.start_key} AND {f.end_key}
ORDER BY a.DATE_KEY""",
    }


def recovery_drivers(f: Filters) -> dict[str, str]:
    """What drove the member's newest explained recovery in the range (ML.FACT_RECOVERY_DRIVERS), one row per driver."""
    return {
        "drivers": f"""
SELECT r.DATE_KEY, d.FULL_DATE, r.DRIVER, r.DRIVER_VALUE, r.DRIVER_USUAL, r.Z_SCORE, r.CONTRIBUTION_POINTS,
    r.RECOVERY_SCORE, r.BASELINE_RECOVERY, r.INTERCEPT_POINTS, r.EXPLAINED_RECOVERY, r.MODEL_NAME, r.MODEL_VERSION
FROM VIEWER.FACT_RECOVERY_DRIVERS AS r
JOIN GOLD.DIM_DATE AS d ON d.DATE_KEY = r.DATE_KEY
WHERE r.MEMBER_KEY = {f.member}
    AND r.DATE_KEY = (
        SELECT MAX(x.DATE_KEY) FROM VIEWER.FACT_RECOVERY_DRIVERS AS x
        WHERE x.MEMBER_KEY = {f.member} AND x.DATE_KEY BETWEEN {f.start_key} AND {f.end_key}
    )
ORDER BY r.CONTRIBUTION_POINTS DESC""",
    }


def habits(f: Filters) -> dict[str, str]:
    """The member's journal: how many answers reached Gold (GOLD.FACT_JOURNAL), and the effect of each behaviour on
    next-day recovery (ML.BEHAVIOUR_EFFECTS: estimated ones first, strongest first, then those with too few
    answers), both through their VIEWER views.

    Not limited to the date range: OPS.TRAIN_ML fits the effects on the member's whole journal, and a range would
    only hide answers the fit used."""
    return {
        "journal": f"""
SELECT COUNT(j.QUESTION_TEXT) AS ANSWERS, COUNT(DISTINCT j.DATE_KEY) AS DAYS, MAX(j.DATE_KEY) AS LAST_DATE_KEY
FROM VIEWER.FACT_JOURNAL AS j
WHERE j.MEMBER_KEY = {f.member} AND j.ANSWERED_YES IS NOT NULL""",
        "effects": f"""
SELECT b.QUESTION_TEXT, b.STATUS, b.EFFECT_POINTS, b.CI_LOW, b.CI_HIGH, b.N_YES, b.N_NO, b.Q_VALUE,
    b.SIGNIFICANT, b.ADJUSTED_FOR, b.COMPUTED_AT
FROM VIEWER.BEHAVIOUR_EFFECTS AS b
WHERE b.MEMBER_KEY = {f.member}
ORDER BY IFF(b.STATUS = 'TOO_FEW_ANSWERS', 1, 0), ABS(b.EFFECT_POINTS) DESC, b.QUESTION_TEXT""",
    }


# OPS.WHAT_IF_SLEEP(member name, planned hours) -> VARIANT: tomorrow's recovery from the served model with its sleep
# input set to the plan, and the served evaluation's 80 % interval (snowpark_procs/ml/procs.py what_if_sleep)
WHAT_IF_SLEEP = "CALL OPS.WHAT_IF_SLEEP(?, ?)"


def predictions_page(f: Filters) -> dict[str, str]:
    """Everything the predictive insights page runs (the drivers and the habits only where their tables exist)."""
    return {**recovery_drivers(f), **predictions(f), **habits(f)}


# --- 5. Data quality --------------------------------------------------------------------------------


def quality(f: Filters) -> dict[str, str]:
    return {
        "latest_checks": """
SELECT q.CHECKED_AT, q.LAYER, q.TABLE_NAME, q.CHECK_NAME, q.CHECK_KIND, q.SEVERITY, q.MEMBER_KEY,
    m.MEMBER_NAME, q.ROWS_TESTED, q.FAILURES, q.PASSED, q.DETAIL
FROM VIEWER.DQ_RESULTS AS q
LEFT JOIN VIEWER.DIM_MEMBER AS m ON m.MEMBER_KEY = q.MEMBER_KEY
WHERE q.RUN_ID = (SELECT MAX_BY(r.RUN_ID, r.STARTED_AT) FROM OPS.DQ_RUNS AS r)
ORDER BY q.PASSED, q.SEVERITY, q.LAYER, q.TABLE_NAME, q.CHECK_NAME""",
        "history": """
SELECT r.RUN_ID, r.STARTED_AT, COUNT(q.CHECK_NAME) AS CHECKS,
    COUNT_IF(NOT q.PASSED AND q.SEVERITY = 'error') AS FAILED_ERROR,
    COUNT_IF(NOT q.PASSED AND q.SEVERITY = 'warn') AS FAILED_WARN
FROM OPS.DQ_RUNS AS r
LEFT JOIN VIEWER.DQ_RESULTS AS q ON q.RUN_ID = r.RUN_ID
GROUP BY r.RUN_ID, r.STARTED_AT
ORDER BY r.STARTED_AT DESC
LIMIT 200""",
        "freshness": """
SELECT m.MEMBER_NAME, m.MEMBER_STATUS, m.AUTHORIZED_AT, x.LAST_DATE_KEY, x.LAST_LOADED_AT
FROM VIEWER.DIM_MEMBER AS m
LEFT JOIN (
    SELECT r.MEMBER_KEY, MAX(r.DATE_KEY) AS LAST_DATE_KEY, MAX(r.LOAD_TIMESTAMP) AS LAST_LOADED_AT
    FROM VIEWER.FACT_DAILY_RECOVERY AS r
    GROUP BY r.MEMBER_KEY
) AS x ON x.MEMBER_KEY = m.MEMBER_KEY
ORDER BY m.MEMBER_NAME""",
        "calendar": f"""
SELECT d.DATE_KEY, d.FULL_DATE, d.DAY_OF_WEEK, d.DAY_NAME,
    (r.RECOVERY_ID IS NOT NULL) AS HAS_RECOVERY, (s.STRAIN_ID IS NOT NULL) AS HAS_STRAIN,
    (p.SLEEP_ID IS NOT NULL) AS HAS_SLEEP
FROM GOLD.DIM_DATE AS d
LEFT JOIN VIEWER.FACT_DAILY_RECOVERY AS r ON r.DATE_KEY = d.DATE_KEY AND r.MEMBER_KEY = {f.member}
LEFT JOIN VIEWER.FACT_STRAIN AS s ON s.DATE_KEY = d.DATE_KEY AND s.MEMBER_KEY = {f.member}
LEFT JOIN VIEWER.FACT_SLEEP AS p ON p.DATE_KEY = d.DATE_KEY AND p.MEMBER_KEY = {f.member} AND p.IS_MAIN_SLEEP
WHERE d.DATE_KEY BETWEEN {f.start_key} AND {f.end_key}
ORDER BY d.DATE_KEY""",
        "quarantine": """
SELECT q.TARGET_TABLE, q.RULE_NAME, q.RULE_DETAIL, COUNT(q.PAYLOAD_HASH) AS ROWS_HELD,
    MAX(q.QUARANTINED_AT) AS LAST_AT
FROM OPS.QUARANTINE AS q
GROUP BY q.TARGET_TABLE, q.RULE_NAME, q.RULE_DETAIL
ORDER BY ROWS_HELD DESC, q.TARGET_TABLE, q.RULE_NAME, q.RULE_DETAIL""",
        "ingest_runs": """
SELECT i.STARTED_AT, i.FINISHED_AT, i.MEMBER_NAME, i.STATUS, i.RESOURCES, i.REQUESTS, i.PAGES, i.RECORDS,
    i.NEW_VERSIONS, i.RETRIES, i.WAITS, i.WAIT_SECONDS, i.ERROR_MESSAGE
FROM VIEWER.INGEST_RUNS AS i
ORDER BY i.STARTED_AT DESC
LIMIT 100""",
    }


# --- 6. Setup (admin) -------------------------------------------------------------------------------


def setup() -> dict[str, str]:
    return {
        "members": """
SELECT c.MEMBER_NAME, c.WHOOP_USER_ID, c.STATUS, c.AUTH_MODE, c.AUTHORIZED_AT, c.STATUS_REASON
FROM CONFIG.MEMBERS AS c
ORDER BY c.MEMBER_NAME""",
        "last_runs": """
SELECT i.MEMBER_NAME, MAX(i.STARTED_AT) AS LAST_RUN_AT, MAX_BY(i.STATUS, i.STARTED_AT) AS LAST_STATUS,
    MAX_BY(i.ERROR_MESSAGE, i.STARTED_AT) AS LAST_ERROR, COUNT(i.RUN_ID) AS RUNS
FROM VIEWER.INGEST_RUNS AS i
GROUP BY i.MEMBER_NAME
ORDER BY i.MEMBER_NAME""",
        "pipeline": """
SELECT COALESCE(MAX(s.SETTING_VALUE), 'STOPPED') AS PIPELINE_STATE
FROM CONFIG.SETTINGS AS s
WHERE s.SETTING_KEY = 'pipeline_state'""",
    }


PAGES = {
    "recovery": recovery,
    "sleep": sleep,
    "strain": strain,
    "predictions": predictions_page,
    "quality": quality,
}
