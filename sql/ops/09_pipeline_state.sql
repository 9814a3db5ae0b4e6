-- The app's scheduled work starts and stops here (snowpark_procs/pipeline_state.py says why): an install is
-- STOPPED until the consumer has approved egress and registered a member, then calls OPS.START_PIPELINE()
-- (the Setup page's Start button). Upgrades keep the recorded state: the setup script re-creates tasks and
-- dynamic tables and ends with OPS.APPLY_PIPELINE_STATE().
MERGE INTO CONFIG.SETTINGS AS s
USING (SELECT 'pipeline_state' AS SETTING_KEY, 'STOPPED' AS SETTING_VALUE) AS d
ON s.SETTING_KEY = d.SETTING_KEY
WHEN NOT MATCHED THEN INSERT (SETTING_KEY, SETTING_VALUE, UPDATED_AT) VALUES (d.SETTING_KEY, d.SETTING_VALUE, SYSDATE());

CREATE OR REPLACE PROCEDURE OPS.START_PIPELINE()
    RETURNS VARIANT
    LANGUAGE PYTHON
    RUNTIME_VERSION = '3.11'
    PACKAGES = ('snowflake-snowpark-python')
    IMPORTS = ('/python/snowpark_procs.zip')
    HANDLER = 'snowpark_procs.pipeline_state.start'
    EXECUTE AS OWNER;

CREATE OR REPLACE PROCEDURE OPS.STOP_PIPELINE()
    RETURNS VARIANT
    LANGUAGE PYTHON
    RUNTIME_VERSION = '3.11'
    PACKAGES = ('snowflake-snowpark-python')
    IMPORTS = ('/python/snowpark_procs.zip')
    HANDLER = 'snowpark_procs.pipeline_state.stop'
    EXECUTE AS OWNER;

CREATE OR REPLACE PROCEDURE OPS.APPLY_PIPELINE_STATE()
    RETURNS VARIANT
    LANGUAGE PYTHON
    RUNTIME_VERSION = '3.11'
    PACKAGES = ('snowflake-snowpark-python')
    IMPORTS = ('/python/snowpark_procs.zip')
    HANDLER = 'snowpark_procs.pipeline_state.apply'
    EXECUTE AS OWNER;

-- The data-quality alert needs EXECUTE ALERT, which an app may request but the consumer must grant
-- (https://docs.snowflake.com/en/developer-guide/native-apps/requesting-privs): it cannot be created at install,
-- so OPS.START_PIPELINE creates it through this procedure when the grant is there. Its definition is the template
-- sql/quality/02_data_quality_alert.sql (it names the app's warehouse).
CREATE OR REPLACE PROCEDURE OPS.CREATE_DATA_QUALITY_ALERT()
    RETURNS VARCHAR
    LANGUAGE PYTHON
    RUNTIME_VERSION = '3.11'
    PACKAGES = ('snowflake-snowpark-python', 'snowflake-connector-python', 'jinja2')
    IMPORTS = ('/python/snowpark_procs.zip', '/sql/quality/02_data_quality_alert.sql')
    HANDLER = 'snowpark_procs.app_warehouse.create_alert'
    EXECUTE AS OWNER;

-- Called by OPS.RUN_DATA_QUALITY at the end of each quality run: EXECUTE ALERT when the alert exists and is started.
CREATE OR REPLACE PROCEDURE OPS.EXECUTE_DATA_QUALITY_ALERT()
    RETURNS VARCHAR
    LANGUAGE PYTHON
    RUNTIME_VERSION = '3.11'
    PACKAGES = ('snowflake-snowpark-python')
    IMPORTS = ('/python/snowpark_procs.zip')
    HANDLER = 'snowpark_procs.pipeline_state.execute_alert'
    EXECUTE AS OWNER;
