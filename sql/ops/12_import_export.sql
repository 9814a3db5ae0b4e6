-- The WHOOP app's CSV export into the installed app (snowpark_procs/export_import.py says how). No consumer role may
-- write the Bronze tables of an installed app, so the consumer's admin writes the export's files to the app's own
-- internal stage @BRONZE.EXPORT_STAGE (sql/bronze/02_raw_export.sql; a non-versioned schema, so the archive outlives
-- upgrades), under <member>/<batch>/, and calls this procedure, which reads them (session.file.get), checks
-- every file's headers and records before anything is written, loads Bronze in one transaction and starts the
-- pipeline. The setup script grants app_admin READ and WRITE on that stage (an internal stage takes READ and WRITE,
-- https://docs.snowflake.com/en/sql-reference/sql/grant-privilege-application-role and
-- https://docs.snowflake.com/en/user-guide/security-access-control-privileges#stage-privileges) and USAGE on this
-- procedure. A stage in the consumer's account cannot be handed over instead: references have no STAGE object type
-- (https://docs.snowflake.com/en/sql-reference/functions/system_reference,
-- https://docs.snowflake.com/en/developer-guide/native-apps/requesting-refs).
CREATE OR REPLACE PROCEDURE OPS.IMPORT_EXPORT(MEMBER VARCHAR, STAGE_PATH VARCHAR, NEW_MEMBER BOOLEAN DEFAULT FALSE)
    RETURNS VARIANT
    LANGUAGE PYTHON
    RUNTIME_VERSION = '3.11'
    PACKAGES = ('snowflake-snowpark-python')
    IMPORTS = ('/python/snowpark_procs.zip')
    HANDLER = 'snowpark_procs.export_import.main'
    COMMENT = 'Imports a WHOOP app CSV export staged under @BRONZE.EXPORT_STAGE/<member>/<batch>/, all or nothing'
    EXECUTE AS OWNER;
