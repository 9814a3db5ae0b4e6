-- Children are resumed before the root, as Snowflake requires.
ALTER TASK OPS.SILVER_CYCLE_TASK RESUME;
ALTER TASK OPS.WHOOP_PIPELINE_ROOT RESUME;
