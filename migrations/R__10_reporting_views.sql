-- REPORTING secure views over the app's Gold layer: the stable contract Power BI reads. Explicit column lists
-- (a Gold column added later does not leak into a report), one view per Gold table that reports need, each
-- followed by its grants and policies because CREATE OR REPLACE drops a view's grants and policy attachments.
-- FACT_JOURNAL (free-text notes) is deliberately not exposed. Views are owned by the deploying role
-- (WHOOP_ADMIN), which reads Gold through the app's app_viewer role (R__20_grants.sql). Each view is declared with
-- modules/reporting.sql: its columns (named once, in the view and its SELECT), comment, grant and row access policy.
{% import 'modules/reporting.sql' as reporting with context %}


{{ reporting.table_view("V_DAILY_RECOVERY", "GOLD.FACT_DAILY_RECOVERY", "One row per member and physiological day: recovery score, HRV, resting HR, SpO2, skin temperature", [
    "RECOVERY_ID", "MEMBER_KEY", "DATE_KEY", "RECOVERY_SCORE", "HRV_RMSSD_MS", "RESTING_HEART_RATE_BPM",
    "SPO2_PERCENTAGE", "SKIN_TEMP_CELSIUS", "CYCLE_ID", "CYCLE_START_TIMESTAMP", "SOURCE", "LOAD_TIMESTAMP"
]) }}

{{ reporting.table_view("V_SLEEP", "GOLD.FACT_SLEEP", "One row per sleep (naps flagged), keyed to the wake-up date", [
    "SLEEP_ID", "MEMBER_KEY", "DATE_KEY", "SLEEP_START_TIMESTAMP", "SLEEP_END_TIMESTAMP", "SLEEP_START_LOCAL",
    "SLEEP_END_LOCAL", "TOTAL_SLEEP_MINUTES", "LIGHT_SLEEP_MINUTES", "DEEP_SLEEP_MINUTES", "REM_SLEEP_MINUTES",
    "AWAKE_MINUTES", "IN_BED_MINUTES", "SLEEP_EFFICIENCY_PCT", "SLEEP_PERFORMANCE_PCT", "RESPIRATORY_RATE",
    "SLEEP_NEEDED_MINUTES", "SLEEP_DEBT_MINUTES", "IS_NAP", "IS_MAIN_SLEEP", "WHOOP_SLEEP_ID", "SOURCE",
    "LOAD_TIMESTAMP"
]) }}

{{ reporting.table_view("V_SLEEP_STAGE", "GOLD.FACT_SLEEP_STAGE", "Minutes per sleep stage per sleep", [
    "SLEEP_STAGE_FACT_ID", "SLEEP_ID", "SLEEP_STAGE_KEY", "MEMBER_KEY", "DATE_KEY", "STAGE_MINUTES",
    "PCT_OF_TIME_IN_BED", "IS_NAP", "IS_MAIN_SLEEP", "LOAD_TIMESTAMP"
]) }}

{{ reporting.table_view("V_STRAIN", "GOLD.FACT_STRAIN", "One row per member and physiological day: day strain, calories (kcal), heart rate", [
    "STRAIN_ID", "MEMBER_KEY", "DATE_KEY", "DAY_STRAIN_SCORE", "CALORIES_BURNED", "AVG_HEART_RATE_BPM",
    "MAX_HEART_RATE_BPM", "CYCLE_ID", "CYCLE_START_TIMESTAMP", "SOURCE", "LOAD_TIMESTAMP"
]) }}

{{ reporting.table_view("V_WORKOUTS", "GOLD.FACT_WORKOUTS", "One row per workout: activity, duration, strain, heart rate, calories, distance, minutes per heart-rate zone", [
    "WORKOUT_ID", "MEMBER_KEY", "DATE_KEY", "ACTIVITY_TYPE_KEY", "WORKOUT_START_TIMESTAMP", "WORKOUT_END_TIMESTAMP",
    "WORKOUT_START_LOCAL", "DURATION_MINUTES", "STRAIN_SCORE", "AVG_HEART_RATE_BPM", "MAX_HEART_RATE_BPM",
    "CALORIES_BURNED", "DISTANCE_METERS", "ALTITUDE_GAIN_METERS", "ZONE_DURATION_MINUTES", "ZONE_0_MINUTES",
    "ZONE_1_MINUTES", "ZONE_2_MINUTES", "ZONE_3_MINUTES", "ZONE_4_MINUTES", "ZONE_5_MINUTES", "WHOOP_WORKOUT_ID",
    "SOURCE", "LOAD_TIMESTAMP"
]) }}

{{ reporting.table_view("V_MEMBER", "GOLD.DIM_MEMBER", "One row per member; EMAIL, FIRST_NAME and LAST_NAME are masked unless WHOOP_PII_READER is in the session", [
    "MEMBER_KEY", "MEMBER_NAME", "WHOOP_USER_ID", "EMAIL", "FIRST_NAME", "LAST_NAME", "HEIGHT_METERS",
    "WEIGHT_KILOGRAMS", "MAX_HEART_RATE_BPM", "BODY_MEASURED_AT", "MEMBER_STATUS", "AUTHORIZED_AT"
], masked=["EMAIL", "FIRST_NAME", "LAST_NAME"]) }}

{{ reporting.table_view("V_MEMBER_WEEKLY", "GOLD.AGG_MEMBER_WEEKLY", "Weekly averages and totals per member", [
    "WEEK_ID", "MEMBER_KEY", "WEEK_START_DATE_KEY", "DAYS_WITH_RECOVERY", "AVG_RECOVERY_SCORE", "AVG_HRV_RMSSD_MS",
    "AVG_RESTING_HEART_RATE_BPM", "DAYS_WITH_STRAIN", "AVG_DAY_STRAIN_SCORE", "TOTAL_CALORIES_BURNED",
    "NIGHTS_WITH_SLEEP", "AVG_SLEEP_MINUTES", "AVG_SLEEP_PERFORMANCE_PCT", "WORKOUTS", "WORKOUT_MINUTES"
]) }}

{{ reporting.table_view("V_MEMBER_MONTHLY", "GOLD.AGG_MEMBER_MONTHLY", "Monthly averages and totals per member", [
    "MONTH_ID", "MEMBER_KEY", "MONTH_START_DATE_KEY", "DAYS_WITH_RECOVERY", "AVG_RECOVERY_SCORE",
    "AVG_HRV_RMSSD_MS", "AVG_RESTING_HEART_RATE_BPM", "DAYS_WITH_STRAIN", "AVG_DAY_STRAIN_SCORE",
    "TOTAL_CALORIES_BURNED", "NIGHTS_WITH_SLEEP", "AVG_SLEEP_MINUTES", "AVG_SLEEP_PERFORMANCE_PCT", "WORKOUTS",
    "WORKOUT_MINUTES"
]) }}

{{ reporting.table_view("V_DATE", "GOLD.DIM_DATE", "Calendar dimension (DATE_KEY = YYYYMMDD)", [
    "DATE_KEY", "FULL_DATE", "YEAR", "QUARTER", "MONTH", "DAY", "DAY_OF_WEEK", "DAY_NAME", "WEEK_OF_YEAR",
    "ISO_YEAR", "IS_WEEKEND", "IS_HOLIDAY", "HOLIDAY_NAME"
], member_rows=false) }}

{{ reporting.table_view("V_ACTIVITY_TYPE", "GOLD.DIM_ACTIVITY_TYPE", "Workout activity types (WHOOP sport catalogue)", [
    "ACTIVITY_TYPE_KEY", "ACTIVITY_TYPE_ID", "ACTIVITY_NAME", "ACTIVITY_CATEGORY", "SPORT_NAME"
], member_rows=false) }}

{{ reporting.table_view("V_SLEEP_STAGE_TYPE", "GOLD.DIM_SLEEP_STAGE", "Sleep stages (light, deep, REM, awake)", [
    "SLEEP_STAGE_KEY", "SLEEP_STAGE_NAME", "SLEEP_STAGE_DESCRIPTION"
], member_rows=false) }}

-- The squad at a glance (Power BI's squad page; the dashboard's Squad page runs the same statement,
-- app/streamlit/queries.py squad()): one row per member the viewer may see. DATE_KEY is the member's newest day
-- with a recovery, strain or sleep; recovery and main sleep are that day's (sleep keyed to the wake-up date, so
-- last night's), strain the day before's; the baseline is the mean recovery of the previous 28 recorded days;
-- OPEN_ANOMALIES counts nights flagged in the 7 days up to DATE_KEY; LAST_DATA_AT is when the newest record
-- version reached the warehouse. Zones are WHOOP's: green >= 67, yellow 34-66, red <= 33. The CTEs sit in a
-- derived table so the view's own SELECT names each column once (Snowflake allows WITH in a subquery:
-- https://docs.snowflake.com/en/sql-reference/constructs/with).
{% call reporting.view("SQUAD_READINESS", "One row per member: newest day, recovery and zone vs the 28-day baseline, last night sleep vs need, yesterday strain, open anomaly flags, freshness, re-authorization", [
    "MEMBER_KEY", "MEMBER_NAME", "DATE_KEY", "RECOVERY_SCORE", "RECOVERY_ZONE", "RECOVERY_BASELINE_28D",
    "RECOVERY_VS_BASELINE", "SLEEP_HOURS", "SLEEP_NEED_HOURS", "STRAIN_YESTERDAY", "OPEN_ANOMALIES", "LAST_DATA_AT",
    "NEEDS_REAUTHORIZATION"
], "q") %}
FROM (
    WITH member_days AS (
        SELECT x.MEMBER_KEY, MAX(x.DATE_KEY) AS DATE_KEY, MAX(x.LOAD_TIMESTAMP) AS LAST_DATA_AT
        FROM (
            SELECT r.MEMBER_KEY, r.DATE_KEY, r.LOAD_TIMESTAMP FROM {{ app_database }}.GOLD.FACT_DAILY_RECOVERY AS r
            UNION ALL
            SELECT s.MEMBER_KEY, s.DATE_KEY, s.LOAD_TIMESTAMP FROM {{ app_database }}.GOLD.FACT_STRAIN AS s
            UNION ALL
            SELECT p.MEMBER_KEY, p.DATE_KEY, p.LOAD_TIMESTAMP FROM {{ app_database }}.GOLD.FACT_SLEEP AS p
        ) AS x
        GROUP BY x.MEMBER_KEY
    ),
    newest AS (
        SELECT md.MEMBER_KEY, md.DATE_KEY, md.LAST_DATA_AT, d.FULL_DATE, y.DATE_KEY AS YESTERDAY_KEY
        FROM member_days AS md
        INNER JOIN {{ app_database }}.GOLD.DIM_DATE AS d ON d.DATE_KEY = md.DATE_KEY
        LEFT JOIN {{ app_database }}.GOLD.DIM_DATE AS y ON y.FULL_DATE = DATEADD(DAY, -1, d.FULL_DATE)
    ),
    baseline AS (
        SELECT b.MEMBER_KEY, AVG(b.RECOVERY_SCORE) AS RECOVERY_BASELINE
        FROM (
            SELECT
                r.MEMBER_KEY,
                r.RECOVERY_SCORE,
                ROW_NUMBER() OVER (PARTITION BY r.MEMBER_KEY ORDER BY r.DATE_KEY DESC) AS RN
            FROM {{ app_database }}.GOLD.FACT_DAILY_RECOVERY AS r
            INNER JOIN newest AS n ON n.MEMBER_KEY = r.MEMBER_KEY AND r.DATE_KEY < n.DATE_KEY
        ) AS b
        WHERE b.RN <= 28
        GROUP BY b.MEMBER_KEY
    ),
    last_night AS (
        SELECT s.MEMBER_KEY, s.TOTAL_SLEEP_MINUTES, s.SLEEP_NEEDED_MINUTES
        FROM {{ app_database }}.GOLD.FACT_SLEEP AS s
        INNER JOIN newest AS n ON n.MEMBER_KEY = s.MEMBER_KEY AND s.DATE_KEY = n.DATE_KEY
        WHERE s.IS_MAIN_SLEEP
        QUALIFY ROW_NUMBER() OVER (PARTITION BY s.MEMBER_KEY ORDER BY s.SLEEP_END_TIMESTAMP DESC) = 1
    ),
    open_anomalies AS (
        SELECT a.MEMBER_KEY, COUNT(a.DATE_KEY) AS OPEN_ANOMALIES
        FROM {{ app_database }}.ML.FACT_ANOMALIES AS a
        INNER JOIN {{ app_database }}.GOLD.DIM_DATE AS d ON d.DATE_KEY = a.DATE_KEY
        INNER JOIN newest AS n ON n.MEMBER_KEY = a.MEMBER_KEY
        WHERE a.DATE_KEY <= n.DATE_KEY AND d.FULL_DATE > DATEADD(DAY, -7, n.FULL_DATE)
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
    FROM {{ app_database }}.GOLD.DIM_MEMBER AS m
    LEFT JOIN newest AS n ON n.MEMBER_KEY = m.MEMBER_KEY
    LEFT JOIN {{ app_database }}.GOLD.FACT_DAILY_RECOVERY AS r ON r.MEMBER_KEY = n.MEMBER_KEY AND r.DATE_KEY = n.DATE_KEY
    LEFT JOIN baseline AS b ON b.MEMBER_KEY = m.MEMBER_KEY
    LEFT JOIN last_night AS l ON l.MEMBER_KEY = m.MEMBER_KEY
    LEFT JOIN {{ app_database }}.GOLD.FACT_STRAIN AS st ON st.MEMBER_KEY = n.MEMBER_KEY AND st.DATE_KEY = n.YESTERDAY_KEY
    LEFT JOIN open_anomalies AS o ON o.MEMBER_KEY = m.MEMBER_KEY
) AS q
{% endcall %}

-- Next-day recovery forecasts with the recovery that happened (NULL until the day is scored), so BI can show
-- the prediction error; SERVED_BY says whether a model or a naive baseline was served for the member.
{% call reporting.view("V_PREDICTIONS", "Next-day recovery forecasts (model or baseline served), with the actual recovery once it is scored; other models are not here", [
    "MEMBER_KEY", "TARGET_DATE_KEY", "MODEL_NAME", "MODEL_VERSION", "SERVED_BY", "PREDICTION", "INTERVAL_LOW",
    "INTERVAL_HIGH", "PREDICTED_AT", "ACTUAL_RECOVERY_SCORE", "ABSOLUTE_ERROR"
], "p", derived={"ACTUAL_RECOVERY_SCORE": "r.RECOVERY_SCORE", "ABSOLUTE_ERROR": "ABS(p.PREDICTION - r.RECOVERY_SCORE)"}) %}
FROM {{ app_database }}.ML.FACT_PREDICTIONS AS p
LEFT JOIN {{ app_database }}.GOLD.FACT_DAILY_RECOVERY AS r
    ON r.MEMBER_KEY = p.MEMBER_KEY AND r.DATE_KEY = p.TARGET_DATE_KEY
WHERE p.MODEL_NAME = 'NEXT_DAY_RECOVERY'
    -- a day a forecast was scored for shows that; other days the walk-forward history OPS.TRAIN_ML kept (KIND)
    AND (p.KIND = 'FORECAST' OR NOT EXISTS (
        SELECT 1 FROM {{ app_database }}.ML.FACT_PREDICTIONS AS f
        WHERE f.MEMBER_KEY = p.MEMBER_KEY AND f.TARGET_DATE_KEY = p.TARGET_DATE_KEY
            AND f.MODEL_NAME = p.MODEL_NAME AND f.KIND = 'FORECAST'
    ))
{% endcall %}

-- The views below serve the Power BI report's Predictive Insights and Data Quality pages (powerbi/README.md).
-- Like V_PREDICTIONS they read the app's ML and OPS tables, which WHOOP_ADMIN reads through app_admin (ML via
-- app_viewer, OPS directly; app/setup_script.sql). Each keeps the file's one-SELECT shape (checked by
-- tests/static/test_migrations.py): what a CTE would compute is a derived table joined after FROM.

-- What drove each member's explained recovery (OPS.SCORE_ML writes ML.FACT_RECOVERY_DRIVERS): one row per
-- member, day and driver; IS_NEWEST marks the member's newest explained day, the one the report charts.
{% call reporting.view("V_RECOVERY_DRIVERS", "Recovery points each driver (HRV, resting HR, sleep, respiratory rate) added or took away on each explained day of a member; IS_NEWEST marks the newest day", [
    "MEMBER_KEY", "DATE_KEY", "DRIVER", "DRIVER_VALUE", "DRIVER_USUAL", "Z_SCORE", "CONTRIBUTION_POINTS",
    "RECOVERY_SCORE", "BASELINE_RECOVERY", "INTERCEPT_POINTS", "EXPLAINED_RECOVERY", "MODEL_NAME", "MODEL_VERSION",
    "COMPUTED_AT", "IS_NEWEST"
], "d", derived={"IS_NEWEST": "(d.DATE_KEY = n.NEWEST_DATE_KEY)"}) %}
FROM {{ app_database }}.ML.FACT_RECOVERY_DRIVERS AS d
INNER JOIN (
    SELECT x.MEMBER_KEY, MAX(x.DATE_KEY) AS NEWEST_DATE_KEY
    FROM {{ app_database }}.ML.FACT_RECOVERY_DRIVERS AS x
    GROUP BY x.MEMBER_KEY
) AS n ON n.MEMBER_KEY = d.MEMBER_KEY
{% endcall %}

-- The newest walk-forward evaluation of each member's models against the naive baselines (ML.EVALUATIONS keeps
-- every retrain; the report shows what is served now and why).
{% call reporting.view("V_MODEL_EVALUATIONS", "Newest evaluation per member: MAE, RMSE and skill of each model and baseline, and which one scoring serves", [
    "MEMBER_KEY", "MODEL_NAME", "MODEL_VERSION", "PREDICTOR", "MAE", "RMSE", "N_PREDICTIONS", "SKILL",
    "IS_BEST_BASELINE", "IS_SERVED", "SERVING_REASON", "EVALUATED_AT"
], "e") %}
FROM {{ app_database }}.ML.EVALUATIONS AS e
INNER JOIN (
    SELECT x.MEMBER_KEY, MAX(x.EVALUATED_AT) AS EVALUATED_AT
    FROM {{ app_database }}.ML.EVALUATIONS AS x
    GROUP BY x.MEMBER_KEY
) AS n ON n.MEMBER_KEY = e.MEMBER_KEY AND n.EVALUATED_AT = e.EVALUATED_AT
{% endcall %}

-- Nights flagged as illness-like (ML.FACT_ANOMALIES, OPS.DETECT_ANOMALIES_ML): the signals out of the member's
-- own baseline, their robust z-scores and why the night was flagged.
{% call reporting.view("V_ANOMALIES", "Flagged nights per member (wake-up date): signals out of the personal baseline, robust z-scores, reason", [
    "MEMBER_KEY", "DATE_KEY", "SIGNALS", "Z_HRV_DOWN", "Z_RHR_UP", "Z_RESP_UP", "Z_SKIN_TEMP_UP", "IF_SCORE",
    "REASON", "DETECTED_AT"
], "a") %}
FROM {{ app_database }}.ML.FACT_ANOMALIES AS a
{% endcall %}

-- Journal behaviours against next-day recovery (ML.BEHAVIOUR_EFFECTS, replaced per member by OPS.TRAIN_ML). Only
-- the question text and the fitted effect: the journal's free-text notes stay out of REPORTING (see the top).
{% call reporting.view("V_JOURNAL_EFFECTS", "Effect of answering yes to a journal question on next-day recovery per member (points, 95 % CI, yes/no days, p, BH q, SIGNIFICANT at q <= 0.1); STATUS TOO_FEW_ANSWERS: counts only", [
    "MEMBER_KEY", "QUESTION_TEXT", "STATUS", "EFFECT_POINTS", "CI_LOW", "CI_HIGH", "N_YES", "N_NO", "P_VALUE",
    "Q_VALUE", "ADJUSTED_FOR", "SIGNIFICANT", "COMPUTED_AT"
], "b") %}
FROM {{ app_database }}.ML.BEHAVIOUR_EFFECTS AS b
{% endcall %}

-- Data quality checks on whole tables (OPS.DQ_RESULTS rows without a member) of the last 90 days of runs, with
-- IS_LATEST_RUN for the newest run (OPS.DQ_RUNS) and the day of the run as a DATE_KEY. No MEMBER_KEY, so no row access policy: a table's check
-- result says nothing about one member. The per-member checks are V_DQ_MEMBER_CHECKS.
{#- The two data quality views differ only in whether they hold the per-member results (and MEMBER_KEY). -#}
{% macro dq_view(name, comment, per_member) -%}
{%- set columns = ["RUN_ID", "CHECKED_AT", "CHECK_DATE_KEY"] + (["MEMBER_KEY"] if per_member else []) + [
    "LAYER", "TABLE_NAME", "CHECK_NAME", "CHECK_KIND", "SEVERITY", "ROWS_TESTED", "FAILURES", "PASSED", "DETAIL",
    "IS_LATEST_RUN"] -%}
{%- call reporting.view(name, comment, columns, "q",
    derived={"CHECK_DATE_KEY": "c.DATE_KEY", "IS_LATEST_RUN": "(q.RUN_ID = l.RUN_ID)"}, member_rows=per_member) -%}
FROM {{ app_database }}.OPS.DQ_RESULTS AS q
CROSS JOIN (
    SELECT MAX_BY(r.RUN_ID, r.STARTED_AT) AS RUN_ID
    FROM {{ app_database }}.OPS.DQ_RUNS AS r
) AS l
LEFT JOIN {{ app_database }}.GOLD.DIM_DATE AS c ON c.FULL_DATE = q.CHECKED_AT::DATE
WHERE q.MEMBER_KEY IS {{ "NOT NULL" if per_member else "NULL" }}
    AND q.CHECKED_AT >= DATEADD(DAY, -90, CURRENT_DATE())
{%- endcall %}
{%- endmacro %}
{{ dq_view("V_DQ_CHECKS", "Table-level data quality results of the last 90 days (severity error alerts, warn is recorded), IS_LATEST_RUN marks the newest run", false) }}

-- Per-member data quality checks (data freshness, days without a recovery) of the last 90 days of runs.
{{ dq_view("V_DQ_MEMBER_CHECKS", "Per-member data quality results of the last 90 days (freshness, days without a recovery), IS_LATEST_RUN marks the newest run", true) }}