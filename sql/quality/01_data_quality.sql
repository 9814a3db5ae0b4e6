-- Data quality: checks on every layer, kept as history. OPS.RUN_DATA_QUALITY() appends one row per check
-- (and per member for the per-member checks) to OPS.DQ_RESULTS on every run; nothing is updated or deleted,
-- so a check's history is a query away. Checks are plain SQL (the same statements locally and in Snowflake);
-- the single-table checks are rows of a list (10_run_data_quality.sql), the cross-table ones written out there.
--
-- Severity: 'error' checks guard what must never happen (a duplicate key, a fact without its dimension row,
-- an out-of-range score, a member whose data stopped arriving); OPS.DATA_QUALITY_ALERT fires on them.
-- 'warn' checks record what real WHOOP data legitimately does: days without a recovery (the strap was not
-- worn) and volume spikes (a new member's backfill). They are kept for trend reports and never alert.
--
-- Where it runs: OPS.DATA_QUALITY_TASK is the finalizer of the ingest graph, so it runs after the ingest and
-- every Silver task of a firing have finished, whether they succeeded, failed or were SKIPPED (a Silver
-- task is skipped when its stream is empty; a plain AFTER child of skipped tasks would be skipped too, and a
-- sibling AFTER the root would race the Silver tasks). Gold is dynamic tables on their own 20-minute lag, so
-- the procedure first refreshes the Gold tables it checks (a manual REFRESH refreshes the upstream INT_*
-- tables first): the checks then see Gold as built from this run's Silver, not from the previous refresh.
--
-- The procedure itself is sql/quality/10_run_data_quality.sql: its single-table checks are rows of lists there,
-- rendered into its SQL at install (sql/silver/09_create_from_templates.sql).
CREATE SCHEMA IF NOT EXISTS OPS;

CREATE TABLE IF NOT EXISTS OPS.DQ_RUNS (
    RUN_ID VARCHAR NOT NULL COMMENT 'One data quality run; every result row of the run carries it',
    STARTED_AT TIMESTAMP_NTZ NOT NULL COMMENT 'UTC start of the run; the CHECKED_AT of its results'
) COMMENT = 'One row per OPS.RUN_DATA_QUALITY() call';

CREATE TABLE IF NOT EXISTS OPS.DQ_RESULTS (
    CHECKED_AT TIMESTAMP_NTZ NOT NULL COMMENT 'UTC start of the run that made the check',
    RUN_ID VARCHAR NOT NULL COMMENT 'The run (OPS.DQ_RUNS)',
    LAYER VARCHAR NOT NULL COMMENT 'BRONZE, SILVER or GOLD',
    TABLE_NAME VARCHAR NOT NULL COMMENT 'Table checked, schema-qualified',
    CHECK_NAME VARCHAR NOT NULL COMMENT 'What was checked, e.g. cycle_id_unique, fact_strain_date_in_dim_date',
    CHECK_KIND VARCHAR NOT NULL COMMENT 'unique, foreign_key, range, not_null, empty, freshness, volume, missing_days or ingest',
    SEVERITY VARCHAR NOT NULL COMMENT 'error: fires OPS.DATA_QUALITY_ALERT; warn: recorded only',
    MEMBER_KEY VARCHAR COMMENT 'GOLD member key for per-member checks, NULL otherwise',
    ROWS_TESTED NUMBER(38, 0) NOT NULL COMMENT 'Rows (or member-days, or loaded rows) the check looked at',
    FAILURES NUMBER(38, 0) NOT NULL COMMENT 'Rows that broke the check (excess duplicates, orphans, missing days, ...)',
    PASSED BOOLEAN NOT NULL COMMENT 'FAILURES = 0',
    DETAIL VARCHAR COMMENT 'Columns, bounds or measurements behind the result'
) COMMENT = 'History of every data quality check; appended by OPS.RUN_DATA_QUALITY(), never updated';

CREATE TABLE IF NOT EXISTS OPS.ALERT_EVENTS (
    RAISED_AT TIMESTAMP_NTZ NOT NULL COMMENT 'UTC time the alert fired',
    ALERT_NAME VARCHAR NOT NULL COMMENT 'The alert that fired',
    RUN_ID VARCHAR NOT NULL COMMENT 'The data quality run whose failures fired it (once per run)',
    FAILED_CHECKS NUMBER(38, 0) NOT NULL COMMENT 'Error-severity checks that failed in that run',
    DETAIL VARCHAR COMMENT 'The failed checks, table.check'
) COMMENT = 'What the alerts raised; a notification integration can forward these rows';

-- What the finalizer runs: the quality checks above, then the graph run's own verdict. The ingest keeps going when a
-- member fails (the other members' data still flows to Silver), so the root task succeeds; this procedure fails,
-- after the results are written, when a member of this graph run's ingest failed, so the graph run is FAILED in
-- TASK_HISTORY and COMPLETE_TASK_GRAPHS ("FAILED: one or more task runs in the graph failed",
-- https://docs.snowflake.com/en/sql-reference/account-usage/complete_task_graphs), naming the member and why.
CREATE OR REPLACE PROCEDURE OPS.FINISH_PIPELINE_RUN()
    RETURNS VARCHAR
    LANGUAGE PYTHON
    RUNTIME_VERSION = '3.11'
    PACKAGES = ('snowflake-snowpark-python')
    IMPORTS = ('/python/snowpark_procs.zip')
    HANDLER = 'snowpark_procs.run_status.finish'
    EXECUTE AS OWNER;

-- The ingest graph's finalizer (see the header for why not AFTER the Silver tasks). A finalizer runs once every
-- other task of the graph run has finished, whatever their states
-- (https://docs.snowflake.com/en/user-guide/tasks-graphs, "Finalizer task"). Created suspended, resumed by
-- OPS.START_PIPELINE (sql/ops/09_pipeline_state.sql); serverless, like every task of the app.
CREATE OR REPLACE TASK OPS.DATA_QUALITY_TASK
    USER_TASK_MANAGED_INITIAL_WAREHOUSE_SIZE = 'XSMALL'
    FINALIZE = OPS.WHOOP_PIPELINE_ROOT
AS
CALL OPS.FINISH_PIPELINE_RUN();
