-- Silver, and the data-quality procedure, are built by a procedure, not by EXECUTE IMMEDIATE FROM: each is a pattern
-- declared once as Jinja and data. Every Silver table has the same shape (typed table, PENDING table, transform
-- procedure, task), written by one macro (sql/silver/_entity.sql); each Silver file declares one entity with it
-- (columns, key, version rule, its typed and checked SELECT). OPS.RUN_DATA_QUALITY's single-table checks are rows of
-- a list (sql/quality/10_run_data_quality.sql). A setup script cannot render a template, so CREATE_FROM_TEMPLATES
-- renders and runs the files it imports, in file-name order (snowpark_procs/sql_templates.py says why this, and
-- not files rendered at build time). The setup script calls it right after this file; it creates the same tables,
-- procedures (OPS.BUILD_SILVER_<ENTITY>, OPS.RUN_DATA_QUALITY) and tasks as before.
CREATE OR REPLACE PROCEDURE OPS.CREATE_FROM_TEMPLATES()
    RETURNS VARIANT
    LANGUAGE PYTHON
    RUNTIME_VERSION = '3.11'
    PACKAGES = ('snowflake-snowpark-python', 'snowflake-connector-python', 'jinja2')
    IMPORTS = (
        '/python/snowpark_procs.zip',
        '/sql/silver/_entity.sql',
        '/sql/silver/01_cycle.sql',
        '/sql/silver/02_recovery.sql',
        '/sql/silver/03_sleep.sql',
        '/sql/silver/04_workout.sql',
        '/sql/silver/05_member_profile.sql',
        '/sql/silver/06_body_measurement.sql',
        '/sql/silver/11_export_cycle.sql',
        '/sql/silver/12_export_sleep.sql',
        '/sql/silver/13_export_workout.sql',
        '/sql/silver/14_journal_entry.sql',
        '/sql/quality/10_run_data_quality.sql'
    )
    HANDLER = 'snowpark_procs.sql_templates.create_from_templates'
    EXECUTE AS OWNER;
