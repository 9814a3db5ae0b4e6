-- ML layer (issue 5): next-day recovery forecasts, their walk-forward evaluations, illness-like anomalies.
-- Tables are plain (written by the procedures below); the procedures read Gold through Snowpark.
-- Tasks: a separate root from the ingest graph, because ML runs on its own cadence (daily scoring,
-- weekly retraining) and must not hold up the half-hourly ingest. Both are CRON roots in UTC:
--   OPS.ML_DAILY_SCORE_TASK   06:30 daily  → OPS.SCORE_ML(), then OPS.ML_ANOMALY_TASK → DETECT_ANOMALIES_ML()
--   OPS.ML_WEEKLY_RETRAIN_TASK 05:00 Monday → OPS.TRAIN_ML(NULL) (evaluations + registry versions)
-- Scoring serves the newest evaluation, so a retrain takes effect at the next daily run.
CREATE SCHEMA IF NOT EXISTS ML;

CREATE TABLE IF NOT EXISTS ML.EVALUATIONS (
    MEMBER_KEY VARCHAR NOT NULL,
    MODEL_NAME VARCHAR NOT NULL,
    MODEL_VERSION VARCHAR NOT NULL,
    PREDICTOR VARCHAR NOT NULL,
    MAE FLOAT,
    RMSE FLOAT,
    N_PREDICTIONS NUMBER(38, 0),
    SKILL FLOAT,
    IS_BEST_BASELINE BOOLEAN,
    IS_SERVED BOOLEAN,
    SERVING_REASON VARCHAR,
    RESIDUAL_Q10 FLOAT,
    RESIDUAL_Q90 FLOAT,
    MIN_HISTORY_DAYS NUMBER(38, 0),
    RETRAIN_EVERY_DAYS NUMBER(38, 0),
    EVALUATED_AT TIMESTAMP_NTZ NOT NULL
) COMMENT = 'Walk-forward evaluation per member, model version and predictor (model, baseline_today, baseline_mean_7, baseline_mean_28): MAE, RMSE, n, skill = 1 - MAE / MAE of the best baseline; IS_SERVED marks what scoring serves';

CREATE TABLE IF NOT EXISTS ML.FACT_PREDICTIONS (
    MEMBER_KEY VARCHAR NOT NULL,
    TARGET_DATE_KEY NUMBER(38, 0) NOT NULL,
    MODEL_NAME VARCHAR NOT NULL,
    MODEL_VERSION VARCHAR NOT NULL,
    SERVED_BY VARCHAR NOT NULL,
    PREDICTION FLOAT,
    INTERVAL_LOW FLOAT,
    INTERVAL_HIGH FLOAT,
    PREDICTED_AT TIMESTAMP_NTZ NOT NULL
) COMMENT = 'Next-day recovery forecast per member and target day; SERVED_BY is model or baseline_<name>; 80 % interval from walk-forward residual quantiles';

CREATE TABLE IF NOT EXISTS ML.FACT_ANOMALIES (
    MEMBER_KEY VARCHAR NOT NULL,
    DATE_KEY NUMBER(38, 0) NOT NULL,
    SIGNALS VARCHAR,
    Z_HRV_DOWN FLOAT,
    Z_RHR_UP FLOAT,
    Z_RESP_UP FLOAT,
    Z_SKIN_TEMP_UP FLOAT,
    IF_SCORE FLOAT,
    REASON VARCHAR,
    DETECTED_AT TIMESTAMP_NTZ NOT NULL
) COMMENT = 'Flagged nights: robust z-scores (median/MAD of the previous 60 days) per signal, IsolationForest score, and why (>=2 signals agree or one signal 2 nights running)';

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

CREATE OR REPLACE PROCEDURE OPS.DETECT_ANOMALIES_ML()
    RETURNS VARIANT
    LANGUAGE PYTHON
    RUNTIME_VERSION = '3.11'
    PACKAGES = ('snowflake-snowpark-python', 'scikit-learn', 'pandas', 'numpy')
    IMPORTS = ('/python/snowpark_procs.zip')
    HANDLER = 'snowpark_procs.ml.procs.detect_anomalies'
    EXECUTE AS OWNER;

CREATE OR REPLACE TASK OPS.ML_DAILY_SCORE_TASK
    WAREHOUSE = WHOOP_PLATFORM_WH
    SCHEDULE = 'USING CRON 30 6 * * * UTC'
AS
CALL OPS.SCORE_ML();

CREATE OR REPLACE TASK OPS.ML_ANOMALY_TASK
    WAREHOUSE = WHOOP_PLATFORM_WH
    AFTER OPS.ML_DAILY_SCORE_TASK
AS
CALL OPS.DETECT_ANOMALIES_ML();

CREATE OR REPLACE TASK OPS.ML_WEEKLY_RETRAIN_TASK
    WAREHOUSE = WHOOP_PLATFORM_WH
    SCHEDULE = 'USING CRON 0 5 * * 1 UTC'
AS
CALL OPS.TRAIN_ML(NULL);
