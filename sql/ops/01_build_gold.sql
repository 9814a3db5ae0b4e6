-- Gold is built by a procedure, not by EXECUTE IMMEDIATE FROM: its dynamic tables must name the app's warehouse,
-- whose name is derived from the app's (two installs in one account must not share one), and a dynamic table's
-- WAREHOUSE takes a literal name. BUILD_GOLD creates the warehouse and runs the sql/gold/ templates it imports in
-- file-name order with that name (snowpark_procs/app_warehouse.py). The setup script calls it after this file.
CREATE OR REPLACE PROCEDURE OPS.BUILD_GOLD()
    RETURNS VARIANT
    LANGUAGE PYTHON
    RUNTIME_VERSION = '3.11'
    PACKAGES = ('snowflake-snowpark-python', 'snowflake-connector-python', 'jinja2')
    IMPORTS = (
        '/python/snowpark_procs.zip',
        '/sql/gold/_gold.sql',
        '/sql/gold/00_reference_data.sql',
        '/sql/gold/01_dim_date.sql',
        '/sql/gold/10_int_cycle.sql',
        '/sql/gold/11_int_sleep.sql',
        '/sql/gold/12_int_recovery.sql',
        '/sql/gold/13_int_workout.sql',
        '/sql/gold/14_dim_member.sql',
        '/sql/gold/15_dim_activity_type.sql',
        '/sql/gold/20_fact_daily_recovery.sql',
        '/sql/gold/21_fact_sleep.sql',
        '/sql/gold/22_fact_sleep_stage.sql',
        '/sql/gold/23_fact_strain.sql',
        '/sql/gold/24_fact_workouts.sql',
        '/sql/gold/25_fact_journal.sql',
        '/sql/gold/30_agg_member_periods.sql'
    )
    HANDLER = 'snowpark_procs.app_warehouse.build_gold'
    EXECUTE AS OWNER;
