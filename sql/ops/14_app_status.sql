-- What a client outside the app may ask of it (snowpark_procs/app_status.py), granted to app_admin in
-- app/setup_script.sql: the `whoop` CLI on a Snowflake connection calls these instead of reading the app's tables.
-- OPS.APP_STATUS(): pipeline state, members (status, last ingest, newest cycle), the newest graph run
-- (OPS.RUN_STATUS) and the newest data quality run's failed checks.
CREATE OR REPLACE PROCEDURE OPS.APP_STATUS()
    RETURNS VARIANT
    LANGUAGE PYTHON
    RUNTIME_VERSION = '3.11'
    PACKAGES = ('snowflake-snowpark-python')
    IMPORTS = ('/python/snowpark_procs.zip')
    HANDLER = 'snowpark_procs.app_status.status'
    EXECUTE AS OWNER;

-- OPS.RUN_PIPELINE(): fire the ingest task graph once (EXECUTE TASK on its root, which the app owns); follow the
-- run with OPS.RUN_STATUS().
CREATE OR REPLACE PROCEDURE OPS.RUN_PIPELINE()
    RETURNS VARIANT
    LANGUAGE PYTHON
    RUNTIME_VERSION = '3.11'
    PACKAGES = ('snowflake-snowpark-python')
    IMPORTS = ('/python/snowpark_procs.zip')
    HANDLER = 'snowpark_procs.app_status.run_pipeline'
    EXECUTE AS OWNER;

-- OPS.BACKTEST_ML(MEMBER): the walk-forward backtest of one member's next-day recovery model vs the baselines,
-- without writing anything (what `whoop ml backtest` prints).
CREATE OR REPLACE PROCEDURE OPS.BACKTEST_ML(MEMBER VARCHAR)
    RETURNS VARIANT
    LANGUAGE PYTHON
    RUNTIME_VERSION = '3.11'
    PACKAGES = ('snowflake-snowpark-python', 'snowflake-ml-python', 'scikit-learn', 'pandas', 'numpy')
    IMPORTS = ('/python/snowpark_procs.zip')
    HANDLER = 'snowpark_procs.ml_backtest.backtest'
    EXECUTE AS OWNER;
