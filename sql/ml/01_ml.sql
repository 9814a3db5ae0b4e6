-- ML layer (issue 5): next-day recovery forecasts, their walk-forward evaluations, illness-like anomalies.
-- Tables are plain (written by the procedures below); the procedures read Gold through Snowpark.
-- Tasks: a separate root from the ingest graph, because ML runs on its own cadence (daily scoring,
-- weekly retraining) and must not hold up the half-hourly ingest. Both are CRON roots in UTC:
--   OPS.ML_DAILY_SCORE_TASK   06:30 daily  → OPS.SCORE_ML(), then OPS.ML_ANOMALY_TASK → DETECT_ANOMALIES_ML()
--   OPS.ML_WEEKLY_RETRAIN_TASK 05:00 Monday → OPS.TRAIN_ML(NULL) (evaluations + registry versions)
-- Models: NEXT_DAY_RECOVERY and SLEEP_PERFORMANCE_TONIGHT (both walk-forward vs baselines, same serving
-- rule); RECOVERY_DRIVERS (today's recovery from this morning's HRV, resting HR, sleep and respiratory rate,
-- evaluated on held-out later days vs baselines without them; SCORE_ML writes its explanation of each
-- member's newest recovery to ML.FACT_RECOVERY_DRIVERS). TRAIN_ML also replaces each member's
-- ML.BEHAVIOUR_EFFECTS (journal correlations).
-- OPS.WHAT_IF_SLEEP(member, hours): tomorrow's recovery with the served model's sleep input set to a plan.
-- Scoring serves the newest evaluation, so a retrain takes effect at the next daily run; it first trains the
-- members no retrain has reached (new, or just past their first two weeks), so they need not wait for Monday.
CREATE SCHEMA IF NOT EXISTS ML;

CREATE TABLE IF NOT EXISTS ML.EVALUATIONS (
    MEMBER_KEY VARCHAR NOT NULL COMMENT 'Member (MD5 of ''member|'' || name)',
    MODEL_NAME VARCHAR NOT NULL COMMENT 'Model evaluated: NEXT_DAY_RECOVERY, SLEEP_PERFORMANCE_TONIGHT or RECOVERY_DRIVERS',
    MODEL_VERSION VARCHAR NOT NULL COMMENT 'Version logged in the model registry',
    PREDICTOR VARCHAR NOT NULL COMMENT 'model, baseline_today, baseline_mean_7 or baseline_mean_28',
    MAE FLOAT COMMENT 'Mean absolute error of the walk-forward (RECOVERY_DRIVERS: held-out) predictions, in points',
    RMSE FLOAT COMMENT 'Root mean squared error, recovery points',
    N_PREDICTIONS NUMBER(38, 0) COMMENT 'Walk-forward (RECOVERY_DRIVERS: held-out) predictions scored',
    SKILL FLOAT COMMENT '1 - MAE / MAE of the best baseline (positive: better than the best baseline)',
    IS_BEST_BASELINE BOOLEAN COMMENT 'TRUE for the baseline with the lowest MAE for this member',
    IS_SERVED BOOLEAN COMMENT 'TRUE for what scoring serves: the model only where it beats the best baseline',
    SERVING_REASON VARCHAR COMMENT 'Why this predictor is or is not served',
    RESIDUAL_Q10 FLOAT COMMENT '10th percentile of the newest 180 walk-forward residuals (conformal order statistic; lower interval bound offset, NULL: unbounded)',
    RESIDUAL_Q90 FLOAT COMMENT '90th percentile of the newest 180 walk-forward residuals (conformal order statistic; upper interval bound offset, NULL: unbounded)',
    MIN_HISTORY_DAYS NUMBER(38, 0) COMMENT 'Days of history before the first walk-forward prediction (RECOVERY_DRIVERS: days the held-out model was fit on)',
    RETRAIN_EVERY_DAYS NUMBER(38, 0) COMMENT 'Days between refits in the walk-forward (NULL for RECOVERY_DRIVERS: one fit, then held-out days)',
    EVALUATED_AT TIMESTAMP_NTZ NOT NULL COMMENT 'UTC time of the evaluation',
    INTERVAL_COVERAGE FLOAT COMMENT 'Share of walk-forward (RECOVERY_DRIVERS: held-out) actuals inside the 80 % interval of this predictor, each interval from the residuals known before its prediction (newest 180, at least 30), clipped to 0-100; target 0.75-0.85',
    INTERVAL_N NUMBER(38, 0) COMMENT 'Predictions INTERVAL_COVERAGE is measured on (those with at least 30 earlier residuals)'
) COMMENT = 'Walk-forward evaluation per member, model version and predictor (model, baseline_today, baseline_mean_7, baseline_mean_28): MAE, RMSE, n, skill = 1 - MAE / MAE of the best baseline; IS_SERVED marks what scoring serves';
-- Added after the first release (issue 15): how often the served 80 % interval held the actual. An install
-- created before it gets the columns here; IF NOT EXISTS keeps this idempotent for the setup script, which
-- runs on install and on every upgrade.
-- https://docs.snowflake.com/en/sql-reference/sql/alter-table (ADD COLUMN [ IF NOT EXISTS ])
ALTER TABLE ML.EVALUATIONS ADD COLUMN IF NOT EXISTS INTERVAL_COVERAGE FLOAT
    COMMENT 'Share of walk-forward (RECOVERY_DRIVERS: held-out) actuals inside the 80 % interval of this predictor, each interval from the residuals known before its prediction (newest 180, at least 30), clipped to 0-100; target 0.75-0.85';
ALTER TABLE ML.EVALUATIONS ADD COLUMN IF NOT EXISTS INTERVAL_N NUMBER(38, 0)
    COMMENT 'Predictions INTERVAL_COVERAGE is measured on (those with at least 30 earlier residuals)';

CREATE TABLE IF NOT EXISTS ML.FACT_PREDICTIONS (
    MEMBER_KEY VARCHAR NOT NULL COMMENT 'Member (MD5 of ''member|'' || name)',
    TARGET_DATE_KEY NUMBER(38, 0) NOT NULL COMMENT 'Day predicted (YYYYMMDD): the next physiological day (for sleep, the wake date)',
    MODEL_NAME VARCHAR NOT NULL COMMENT 'Model the prediction is for',
    MODEL_VERSION VARCHAR NOT NULL COMMENT 'Registry version used (or of the model the baseline replaced)',
    SERVED_BY VARCHAR NOT NULL COMMENT 'model or baseline_<name>: what produced the served number',
    PREDICTION FLOAT COMMENT 'Predicted recovery (NEXT_DAY_RECOVERY) or sleep performance of the night ending on the target day (SLEEP_PERFORMANCE_TONIGHT), percent 0-100',
    INTERVAL_LOW FLOAT COMMENT 'Lower bound of the 80 % prediction interval',
    INTERVAL_HIGH FLOAT COMMENT 'Upper bound of the 80 % prediction interval',
    PREDICTED_AT TIMESTAMP_NTZ NOT NULL COMMENT 'UTC time the row was written: by scoring (KIND FORECAST, before the target day''s data existed) or by the training run (KIND WALK_FORWARD)',
    KIND VARCHAR COMMENT 'FORECAST: scored by OPS.SCORE_ML before the target day; WALK_FORWARD: history written by OPS.TRAIN_ML, each made by the served predictor from the data before the day predicted only (replaced by the next training)'
) COMMENT = 'Forecasts per member, model and target day: next-day recovery and sleep performance of the coming night (SLEEP_PERFORMANCE_TONIGHT), SERVED_BY is model or baseline_<name>; 80 % interval from walk-forward residual quantiles; KIND WALK_FORWARD rows are the served predictor''s out-of-sample history';
-- Added after the first release (issue 14): the walk-forward history kept by OPS.TRAIN_ML beside the scored
-- forecasts. Rows of an install from before it were all scored forecasts; both writers always set KIND.
-- https://docs.snowflake.com/en/sql-reference/sql/alter-table (ADD COLUMN [ IF NOT EXISTS ])
ALTER TABLE ML.FACT_PREDICTIONS ADD COLUMN IF NOT EXISTS KIND VARCHAR
    COMMENT 'FORECAST: scored by OPS.SCORE_ML before the target day; WALK_FORWARD: history written by OPS.TRAIN_ML, each made by the served predictor from the data before the day predicted only (replaced by the next training)';
UPDATE ML.FACT_PREDICTIONS SET KIND = 'FORECAST' WHERE KIND IS NULL;

CREATE TABLE IF NOT EXISTS ML.FACT_ANOMALIES (
    MEMBER_KEY VARCHAR NOT NULL COMMENT 'Member (MD5 of ''member|'' || name)',
    DATE_KEY NUMBER(38, 0) NOT NULL COMMENT 'Night flagged (wake-up date, YYYYMMDD)',
    SIGNALS VARCHAR COMMENT 'Signals out of the personal baseline, comma separated',
    Z_HRV_DOWN FLOAT COMMENT 'Robust z-score of the HRV drop against the previous 60 days',
    Z_RHR_UP FLOAT COMMENT 'Robust z-score of the resting heart rate rise',
    Z_RESP_UP FLOAT COMMENT 'Robust z-score of the respiratory rate rise',
    Z_SKIN_TEMP_UP FLOAT COMMENT 'Robust z-score of the skin temperature rise',
    IF_SCORE FLOAT COMMENT 'IsolationForest anomaly score (informative; it does not decide the flag)',
    REASON VARCHAR COMMENT 'Why the night was flagged (>= 2 signals, or one signal 2 nights running)',
    DETECTED_AT TIMESTAMP_NTZ NOT NULL COMMENT 'UTC time of detection'
) COMMENT = 'Flagged nights: robust z-scores (median/MAD of the previous 60 days) per signal, IsolationForest score, and why (>=2 signals agree or one signal 2 nights running)';

CREATE TABLE IF NOT EXISTS ML.BEHAVIOUR_EFFECTS (
    MEMBER_KEY VARCHAR NOT NULL COMMENT 'Member (MD5 of ''member|'' || name)',
    QUESTION_TEXT VARCHAR NOT NULL COMMENT 'Journal behaviour (question text, trimmed), e.g. Have any alcoholic drinks?',
    STATUS VARCHAR COMMENT 'ESTIMATED, or TOO_FEW_ANSWERS (fewer than 3 yes or 3 no days: counts only, no effect or test)',
    EFFECT_POINTS FLOAT COMMENT 'Adjusted effect of answering yes on day D on recovery on D+1, recovery points',
    CI_LOW FLOAT COMMENT 'Lower bound of the 95 % confidence interval of the effect, recovery points',
    CI_HIGH FLOAT COMMENT 'Upper bound of the 95 % confidence interval of the effect, recovery points',
    N_YES NUMBER(38, 0) COMMENT 'Days answered yes with a next-day recovery (the effect needs at least 3)',
    N_NO NUMBER(38, 0) COMMENT 'Days answered no with a next-day recovery (the effect needs at least 3)',
    P_VALUE FLOAT COMMENT 'Two-sided p-value of the effect (normal approximation)',
    Q_VALUE FLOAT COMMENT 'Benjamini-Hochberg adjusted p-value across the behaviours of the member',
    ADJUSTED_FOR VARCHAR COMMENT 'Covariates of the least-squares fit besides the answer',
    SIGNIFICANT BOOLEAN COMMENT 'TRUE where Q_VALUE <= 0.1 (false discovery rate 10 %); NULL where STATUS is TOO_FEW_ANSWERS',
    COMPUTED_AT TIMESTAMP_NTZ NOT NULL COMMENT 'UTC time of the OPS.TRAIN_ML run that computed the row'
) COMMENT = 'Journal behaviours vs next-day recovery per member: OLS effect adjusted for day of week and the strain of the day, 95 % CI, p and Benjamini-Hochberg q; replaced per member by OPS.TRAIN_ML; members without a journal have no rows, behaviours with too few answers a row with STATUS TOO_FEW_ANSWERS';
-- Installs from before STATUS existed (rows written then are all ESTIMATED: only those were kept).
ALTER TABLE ML.BEHAVIOUR_EFFECTS ADD COLUMN IF NOT EXISTS STATUS VARCHAR
    COMMENT 'ESTIMATED, or TOO_FEW_ANSWERS (fewer than 3 yes or 3 no days: counts only, no effect or test)';
UPDATE ML.BEHAVIOUR_EFFECTS SET STATUS = 'ESTIMATED' WHERE STATUS IS NULL;

CREATE TABLE IF NOT EXISTS ML.FACT_RECOVERY_DRIVERS (
    MEMBER_KEY VARCHAR NOT NULL COMMENT 'Member (MD5 of ''member|'' || name)',
    DATE_KEY NUMBER(38, 0) NOT NULL COMMENT 'Day explained (YYYYMMDD): the member''s newest day with a recovery score when scored',
    DRIVER VARCHAR NOT NULL COMMENT 'Gold column of the driver: HRV_RMSSD_MS, RESTING_HEART_RATE_BPM, TOTAL_SLEEP_MINUTES, SLEEP_PERFORMANCE_PCT or RESPIRATORY_RATE',
    DRIVER_VALUE FLOAT COMMENT 'The driver''s value that morning, in the Gold column''s unit (NULL when not recorded)',
    DRIVER_USUAL FLOAT COMMENT 'The member''s usual value before that day: mean of the 28 days before it (HRV: geometric mean)',
    Z_SCORE FLOAT COMMENT 'Deviation from DRIVER_USUAL (HRV: log ratio) over the SD of all earlier days, clipped to +-5; 0 when unknown',
    CONTRIBUTION_POINTS FLOAT COMMENT 'Recovery points the driver added (+) or took away (-): model coefficient x Z_SCORE',
    RECOVERY_SCORE FLOAT COMMENT 'Actual recovery of the day, percent (same on every driver row of the day)',
    BASELINE_RECOVERY FLOAT COMMENT 'Mean recovery of the member''s earlier days, percent (same on every driver row of the day)',
    INTERCEPT_POINTS FLOAT COMMENT 'Model intercept, recovery points (same on every driver row of the day)',
    EXPLAINED_RECOVERY FLOAT COMMENT 'Model recovery of the day: BASELINE_RECOVERY + INTERCEPT_POINTS + sum of CONTRIBUTION_POINTS, clipped to 0-100',
    MODEL_NAME VARCHAR NOT NULL COMMENT 'RECOVERY_DRIVERS',
    MODEL_VERSION VARCHAR NOT NULL COMMENT 'Registry version of the member''s drivers model that explained the day',
    COMPUTED_AT TIMESTAMP_NTZ NOT NULL COMMENT 'UTC time of the OPS.SCORE_ML run that wrote the rows'
) COMMENT = 'What drove the newest recovery of each member: one row per member, day and driver with its standardized deviation from the member''s 28-day baseline and its contribution in recovery points (Ridge on deviations from the member''s 28-day baselines, served only where it beats the naive baselines on held-out days); a re-run replaces the member-day';

CREATE OR REPLACE PROCEDURE OPS.TRAIN_ML(MEMBER VARCHAR DEFAULT NULL)
    RETURNS VARIANT
    LANGUAGE PYTHON
    RUNTIME_VERSION = '3.11'
    PACKAGES = ('snowflake-snowpark-python', 'snowflake-ml-python', 'scikit-learn', 'pandas', 'numpy')
    IMPORTS = ('/python/snowpark_procs.zip')
    HANDLER = 'snowpark_procs.ml.procs.train'
    EXECUTE AS OWNER;

CREATE OR REPLACE PROCEDURE OPS.SCORE_ML()
    RETURNS VARIANT
    LANGUAGE PYTHON
    RUNTIME_VERSION = '3.11'
    PACKAGES = ('snowflake-snowpark-python', 'snowflake-ml-python', 'scikit-learn', 'pandas', 'numpy')
    IMPORTS = ('/python/snowpark_procs.zip')
    HANDLER = 'snowpark_procs.ml.procs.score'
    EXECUTE AS OWNER;

CREATE OR REPLACE PROCEDURE OPS.WHAT_IF_SLEEP(MEMBER VARCHAR, PLANNED_SLEEP_HOURS FLOAT)
    RETURNS VARIANT
    LANGUAGE PYTHON
    RUNTIME_VERSION = '3.11'
    PACKAGES = ('snowflake-snowpark-python', 'snowflake-ml-python', 'scikit-learn', 'pandas', 'numpy')
    IMPORTS = ('/python/snowpark_procs.zip')
    HANDLER = 'snowpark_procs.ml.procs.what_if_sleep'
    EXECUTE AS OWNER;

CREATE OR REPLACE PROCEDURE OPS.DETECT_ANOMALIES_ML()
    RETURNS VARIANT
    LANGUAGE PYTHON
    RUNTIME_VERSION = '3.11'
    PACKAGES = ('snowflake-snowpark-python', 'snowflake-ml-python', 'scikit-learn', 'pandas', 'numpy')
    IMPORTS = ('/python/snowpark_procs.zip')
    HANDLER = 'snowpark_procs.ml.procs.detect_anomalies'
    EXECUTE AS OWNER;

CREATE OR REPLACE TASK OPS.ML_DAILY_SCORE_TASK
    USER_TASK_MANAGED_INITIAL_WAREHOUSE_SIZE = 'XSMALL'
    SCHEDULE = 'USING CRON 30 6 * * * UTC'
AS
CALL OPS.SCORE_ML();

CREATE OR REPLACE TASK OPS.ML_ANOMALY_TASK
    USER_TASK_MANAGED_INITIAL_WAREHOUSE_SIZE = 'XSMALL'
    AFTER OPS.ML_DAILY_SCORE_TASK
AS
CALL OPS.DETECT_ANOMALIES_ML();

CREATE OR REPLACE TASK OPS.ML_WEEKLY_RETRAIN_TASK
    USER_TASK_MANAGED_INITIAL_WAREHOUSE_SIZE = 'XSMALL'
    SCHEDULE = 'USING CRON 0 5 * * 1 UTC'
AS
CALL OPS.TRAIN_ML(NULL);
