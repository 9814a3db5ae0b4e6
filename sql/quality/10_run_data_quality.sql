-- OPS.RUN_DATA_QUALITY, rendered by OPS.CREATE_FROM_TEMPLATES (sql/silver/09_create_from_templates.sql) at
-- install and upgrade. The checks that read one table are rows of the lists below (table, check, kind, the failures it
-- counts, detail), written into the procedure's SQL by the loops further down; the checks across tables (Bronze
-- hashes, foreign keys, freshness, volume, missing days, ingest) are written out. What the results mean:
-- sql/quality/01_data_quality.sql.
{%- set silver_keys = [
    ("SILVER.CYCLE", "cycle_id_unique", "CYCLE_ID", "CYCLE_ID"),
    ("SILVER.RECOVERY", "cycle_id_unique", "CYCLE_ID", "CYCLE_ID (one recovery per cycle)"),
    ("SILVER.SLEEP", "sleep_id_unique", "SLEEP_ID", "SLEEP_ID"),
    ("SILVER.WORKOUT", "workout_id_unique", "WORKOUT_ID", "WORKOUT_ID"),
    ("SILVER.MEMBER_PROFILE", "member_id_unique", "MEMBER_ID", "MEMBER_ID"),
    ("SILVER.BODY_MEASUREMENT", "member_measured_at_unique", "MEMBER_ID, MEASURED_AT", "MEMBER_ID, MEASURED_AT"),
    (
        "SILVER.EXPORT_CYCLE",
        "member_cycle_start_unique",
        "MEMBER_NAME, CYCLE_START_UTC",
        "MEMBER_NAME, CYCLE_START_UTC",
    ),
    (
        "SILVER.EXPORT_SLEEP",
        "member_sleep_start_unique",
        "MEMBER_NAME, SLEEP_START_UTC",
        "MEMBER_NAME, SLEEP_START_UTC",
    ),
    (
        "SILVER.EXPORT_WORKOUT",
        "member_workout_start_unique",
        "MEMBER_NAME, WORKOUT_START_UTC",
        "MEMBER_NAME, WORKOUT_START_UTC",
    ),
    (
        "SILVER.JOURNAL_ENTRY",
        "member_cycle_question_unique",
        "MEMBER_NAME, CYCLE_START_UTC, QUESTION_TEXT",
        "MEMBER_NAME, CYCLE_START_UTC, QUESTION_TEXT",
    ),
] %}
{%- set silver_rows = [
    (
        "SILVER.CYCLE",
        "required_columns_not_null",
        "not_null",
        "COUNT_IF(CYCLE_ID IS NULL OR MEMBER_ID IS NULL OR START_UTC IS NULL OR CYCLE_DATE IS NULL OR (SCORE_STATE = 'SCORED' AND DAY_STRAIN IS NULL))",
        "CYCLE_ID, MEMBER_ID, START_UTC, CYCLE_DATE; DAY_STRAIN when SCORED",
    ),
    (
        "SILVER.RECOVERY",
        "required_columns_not_null",
        "not_null",
        "COUNT_IF(CYCLE_ID IS NULL OR MEMBER_ID IS NULL OR (SCORE_STATE = 'SCORED' AND RECOVERY_SCORE IS NULL))",
        "CYCLE_ID, MEMBER_ID; RECOVERY_SCORE when SCORED",
    ),
    (
        "SILVER.SLEEP",
        "required_columns_not_null",
        "not_null",
        "COUNT_IF(SLEEP_ID IS NULL OR MEMBER_ID IS NULL OR WAKE_DATE IS NULL OR (SCORE_STATE = 'SCORED' AND (ASLEEP_MINUTES IS NULL OR IN_BED_MINUTES IS NULL)))",
        "SLEEP_ID, MEMBER_ID, WAKE_DATE; ASLEEP_MINUTES, IN_BED_MINUTES when SCORED",
    ),
    (
        "SILVER.WORKOUT",
        "required_columns_not_null",
        "not_null",
        "COUNT_IF(WORKOUT_ID IS NULL OR MEMBER_ID IS NULL OR SPORT_NAME IS NULL OR WORKOUT_DATE IS NULL OR (SCORE_STATE = 'SCORED' AND STRAIN IS NULL))",
        "WORKOUT_ID, MEMBER_ID, SPORT_NAME, WORKOUT_DATE; STRAIN when SCORED",
    ),
    (
        "SILVER.RECOVERY",
        "recovery_score_0_100",
        "range",
        "COUNT_IF(RECOVERY_SCORE < 0 OR RECOVERY_SCORE > 100)",
        "RECOVERY_SCORE between 0 and 100",
    ),
    (
        "SILVER.CYCLE",
        "day_strain_0_21",
        "range",
        "COUNT_IF(DAY_STRAIN < 0 OR DAY_STRAIN > 21)",
        "DAY_STRAIN between 0 and 21",
    ),
    ("SILVER.WORKOUT", "strain_0_21", "range", "COUNT_IF(STRAIN < 0 OR STRAIN > 21)", "STRAIN between 0 and 21"),
    ("SILVER.CYCLE", "duration_not_negative", "range", "COUNT_IF(END_UTC < START_UTC)", "END_UTC >= START_UTC"),
    (
        "SILVER.SLEEP",
        "durations_not_negative",
        "range",
        "COUNT_IF(END_UTC < START_UTC OR IN_BED_MINUTES < 0 OR ASLEEP_MINUTES < 0 OR LIGHT_SLEEP_MINUTES < 0 OR DEEP_SLEEP_MINUTES < 0 OR REM_SLEEP_MINUTES < 0 OR AWAKE_MINUTES < 0)",
        "END_UTC >= START_UTC; in-bed, asleep and stage minutes >= 0",
    ),
    (
        "SILVER.WORKOUT",
        "duration_not_negative",
        "range",
        "COUNT_IF(END_UTC < START_UTC OR DURATION_MINUTES < 0)",
        "END_UTC >= START_UTC; DURATION_MINUTES >= 0",
    ),
] %}
{%- set pending_tables = ["CYCLE", "RECOVERY", "SLEEP", "WORKOUT", "MEMBER_PROFILE", "BODY_MEASUREMENT", "EXPORT_CYCLE", "EXPORT_SLEEP", "EXPORT_WORKOUT", "JOURNAL_ENTRY"] %}
{%- set gold_keys = [
    ("GOLD.DIM_DATE", "date_key_unique", "DATE_KEY", "", "DATE_KEY"),
    ("GOLD.DIM_MEMBER", "member_key_unique", "MEMBER_KEY", "", "MEMBER_KEY"),
    ("GOLD.DIM_ACTIVITY_TYPE", "activity_type_key_unique", "ACTIVITY_TYPE_KEY", "", "ACTIVITY_TYPE_KEY"),
    ("GOLD.DIM_SLEEP_STAGE", "sleep_stage_key_unique", "SLEEP_STAGE_KEY", "", "SLEEP_STAGE_KEY"),
    ("GOLD.FACT_DAILY_RECOVERY", "recovery_id_unique", "RECOVERY_ID", "", "RECOVERY_ID"),
    ("GOLD.FACT_DAILY_RECOVERY", "one_per_member_and_day", "MEMBER_KEY, DATE_KEY", "", "MEMBER_KEY, DATE_KEY"),
    ("GOLD.FACT_SLEEP", "sleep_id_unique", "SLEEP_ID", "", "SLEEP_ID"),
    (
        "GOLD.FACT_SLEEP",
        "one_main_sleep_per_member_and_day",
        "MEMBER_KEY, DATE_KEY",
        "IS_MAIN_SLEEP",
        "MEMBER_KEY, DATE_KEY where IS_MAIN_SLEEP",
    ),
    ("GOLD.FACT_SLEEP_STAGE", "sleep_stage_fact_id_unique", "SLEEP_STAGE_FACT_ID", "", "SLEEP_STAGE_FACT_ID"),
    ("GOLD.FACT_STRAIN", "strain_id_unique", "STRAIN_ID", "", "STRAIN_ID"),
    ("GOLD.FACT_STRAIN", "one_per_member_and_day", "MEMBER_KEY, DATE_KEY", "", "MEMBER_KEY, DATE_KEY"),
    ("GOLD.FACT_WORKOUTS", "workout_id_unique", "WORKOUT_ID", "", "WORKOUT_ID"),
    ("GOLD.FACT_JOURNAL", "journal_entry_id_unique", "JOURNAL_ENTRY_ID", "", "JOURNAL_ENTRY_ID"),
    ("GOLD.AGG_MEMBER_WEEKLY", "week_id_unique", "WEEK_ID", "", "WEEK_ID"),
    ("GOLD.AGG_MEMBER_MONTHLY", "month_id_unique", "MONTH_ID", "", "MONTH_ID"),
] %}
{%- set gold_rows = [
    (
        "GOLD.FACT_DAILY_RECOVERY",
        "recovery_score_0_100",
        "range",
        "COUNT_IF(RECOVERY_SCORE < 0 OR RECOVERY_SCORE > 100)",
        "RECOVERY_SCORE between 0 and 100",
    ),
    (
        "GOLD.FACT_STRAIN",
        "day_strain_0_21",
        "range",
        "COUNT_IF(DAY_STRAIN_SCORE < 0 OR DAY_STRAIN_SCORE > 21)",
        "DAY_STRAIN_SCORE between 0 and 21",
    ),
    (
        "GOLD.FACT_WORKOUTS",
        "strain_and_duration",
        "range",
        "COUNT_IF(STRAIN_SCORE < 0 OR STRAIN_SCORE > 21 OR DURATION_MINUTES < 0)",
        "STRAIN_SCORE between 0 and 21; DURATION_MINUTES >= 0",
    ),
    (
        "GOLD.FACT_SLEEP",
        "durations_not_negative",
        "range",
        "COUNT_IF(TOTAL_SLEEP_MINUTES < 0 OR IN_BED_MINUTES < 0 OR LIGHT_SLEEP_MINUTES < 0 OR DEEP_SLEEP_MINUTES < 0 OR REM_SLEEP_MINUTES < 0 OR AWAKE_MINUTES < 0 OR SLEEP_END_TIMESTAMP < SLEEP_START_TIMESTAMP)",
        "sleep, in-bed and stage minutes >= 0; end >= start",
    ),
    (
        "GOLD.FACT_SLEEP_STAGE",
        "stage_minutes_not_negative",
        "range",
        "COUNT_IF(STAGE_MINUTES < 0)",
        "STAGE_MINUTES >= 0",
    ),
    (
        "GOLD.FACT_DAILY_RECOVERY",
        "required_columns_not_null",
        "not_null",
        "COUNT_IF(RECOVERY_ID IS NULL OR MEMBER_KEY IS NULL OR DATE_KEY IS NULL OR RECOVERY_SCORE IS NULL OR LOAD_TIMESTAMP IS NULL)",
        "RECOVERY_ID, MEMBER_KEY, DATE_KEY, RECOVERY_SCORE, LOAD_TIMESTAMP",
    ),
    (
        "GOLD.FACT_STRAIN",
        "required_columns_not_null",
        "not_null",
        "COUNT_IF(STRAIN_ID IS NULL OR MEMBER_KEY IS NULL OR DATE_KEY IS NULL OR DAY_STRAIN_SCORE IS NULL OR LOAD_TIMESTAMP IS NULL)",
        "STRAIN_ID, MEMBER_KEY, DATE_KEY, DAY_STRAIN_SCORE, LOAD_TIMESTAMP",
    ),
    (
        "GOLD.FACT_SLEEP",
        "required_columns_not_null",
        "not_null",
        "COUNT_IF(SLEEP_ID IS NULL OR MEMBER_KEY IS NULL OR DATE_KEY IS NULL OR TOTAL_SLEEP_MINUTES IS NULL OR IS_MAIN_SLEEP IS NULL OR LOAD_TIMESTAMP IS NULL)",
        "SLEEP_ID, MEMBER_KEY, DATE_KEY, TOTAL_SLEEP_MINUTES, IS_MAIN_SLEEP, LOAD_TIMESTAMP",
    ),
    (
        "GOLD.FACT_SLEEP_STAGE",
        "required_columns_not_null",
        "not_null",
        "COUNT_IF(SLEEP_STAGE_FACT_ID IS NULL OR SLEEP_ID IS NULL OR SLEEP_STAGE_KEY IS NULL OR MEMBER_KEY IS NULL OR DATE_KEY IS NULL)",
        "SLEEP_STAGE_FACT_ID, SLEEP_ID, SLEEP_STAGE_KEY, MEMBER_KEY, DATE_KEY",
    ),
    (
        "GOLD.FACT_WORKOUTS",
        "required_columns_not_null",
        "not_null",
        "COUNT_IF(WORKOUT_ID IS NULL OR MEMBER_KEY IS NULL OR DATE_KEY IS NULL OR ACTIVITY_TYPE_KEY IS NULL OR STRAIN_SCORE IS NULL OR LOAD_TIMESTAMP IS NULL)",
        "WORKOUT_ID, MEMBER_KEY, DATE_KEY, ACTIVITY_TYPE_KEY, STRAIN_SCORE, LOAD_TIMESTAMP",
    ),
    (
        "GOLD.DIM_MEMBER",
        "required_columns_not_null",
        "not_null",
        "COUNT_IF(MEMBER_KEY IS NULL OR MEMBER_NAME IS NULL OR MEMBER_STATUS IS NULL)",
        "MEMBER_KEY, MEMBER_NAME, MEMBER_STATUS",
    ),
] %}
{#- the facts and aggregates whose date (which column) and member must be in GOLD.DIM_DATE and GOLD.DIM_MEMBER #}
{%- set gold_references = [
    ("GOLD.FACT_DAILY_RECOVERY", "DATE_KEY"), ("GOLD.FACT_SLEEP", "DATE_KEY"), ("GOLD.FACT_SLEEP_STAGE", "DATE_KEY"),
    ("GOLD.FACT_STRAIN", "DATE_KEY"), ("GOLD.FACT_WORKOUTS", "DATE_KEY"), ("GOLD.FACT_JOURNAL", "DATE_KEY"),
    ("GOLD.AGG_MEMBER_WEEKLY", "WEEK_START_DATE_KEY"), ("GOLD.AGG_MEMBER_MONTHLY", "MONTH_START_DATE_KEY"),
] %}
{%- macro results() -%}
    INSERT INTO OPS.DQ_RESULTS (
        CHECKED_AT, RUN_ID, LAYER, TABLE_NAME, CHECK_NAME, CHECK_KIND, SEVERITY, MEMBER_KEY, ROWS_TESTED, FAILURES,
        PASSED, DETAIL
    )
    WITH run AS (
        SELECT RUN_ID, STARTED_AT FROM OPS.DQ_RUNS WHERE RUN_ID = :run_id
    )
{%- endmacro %}
{%- macro checked(layer) -%}
    SELECT
        run.STARTED_AT, run.RUN_ID, '{{ layer }}', c.TABLE_NAME, c.CHECK_NAME, c.CHECK_KIND, 'error', NULL,
        c.ROWS_TESTED, c.FAILURES, c.FAILURES = 0, c.DETAIL
    FROM checks AS c
    CROSS JOIN run;
{%- endmacro %}
{#- Freshness: per member (`key`), the newest load (`loaded`) over the layer's member tables and how many rows. -#}
{%- set gold_loaded = ["GOLD.FACT_DAILY_RECOVERY", "GOLD.FACT_SLEEP", "GOLD.FACT_STRAIN", "GOLD.FACT_WORKOUTS"] %}
{%- set silver_loaded = ["SILVER.CYCLE", "SILVER.RECOVERY", "SILVER.SLEEP", "SILVER.WORKOUT"] %}
{%- macro latest_loads(layer, key, loaded, tables) -%}
    {{ layer }}_loads AS (
{%- for t in tables %}
        {{ "UNION ALL " if not loop.first }}SELECT {{ key }}, {{ loaded }} FROM {{ t }}
{%- endfor %}
    ),
    {{ layer }}_latest AS (
        SELECT {{ key }}, MAX({{ loaded }}) AS LATEST, COUNT(*) AS N FROM {{ layer }}_loads GROUP BY {{ key }}
    )
{%- endmacro %}
{%- macro key_values(cte, keys) -%}
    {{ cte }} AS (
        SELECT TABLE_NAME, CHECK_NAME, DETAIL FROM VALUES
{%- for k in keys %}
            ('{{ k[0] }}', '{{ k[1] }}', '{{ k[-1] }}'){{ "," if not loop.last }}
{%- endfor %}
        AS t (TABLE_NAME, CHECK_NAME, DETAIL)
    )
{%- endmacro %}
CREATE OR REPLACE PROCEDURE OPS.RUN_DATA_QUALITY()
    RETURNS VARCHAR
    LANGUAGE SQL
    EXECUTE AS OWNER
AS
$$
BEGIN
    -- This call's run id is a variable, so a manual CALL running beside the graph's finalizer never writes its
    -- results under the other run's id (reading back "the newest run" would mix them up).
    LET run_id VARCHAR := UUID_STRING();
    INSERT INTO OPS.DQ_RUNS (RUN_ID, STARTED_AT)
    SELECT :run_id, SYSDATE();

    -- Gold as of this run's Silver (see the header). Dimensions first, then the facts and aggregates.
    ALTER DYNAMIC TABLE GOLD.DIM_DATE REFRESH;
    ALTER DYNAMIC TABLE GOLD.DIM_MEMBER REFRESH;
    ALTER DYNAMIC TABLE GOLD.DIM_ACTIVITY_TYPE REFRESH;
    ALTER DYNAMIC TABLE GOLD.FACT_DAILY_RECOVERY REFRESH;
    ALTER DYNAMIC TABLE GOLD.FACT_SLEEP REFRESH;
    ALTER DYNAMIC TABLE GOLD.FACT_SLEEP_STAGE REFRESH;
    ALTER DYNAMIC TABLE GOLD.FACT_STRAIN REFRESH;
    ALTER DYNAMIC TABLE GOLD.FACT_WORKOUTS REFRESH;
    ALTER DYNAMIC TABLE GOLD.FACT_JOURNAL REFRESH;
    ALTER DYNAMIC TABLE GOLD.AGG_MEMBER_WEEKLY REFRESH;
    ALTER DYNAMIC TABLE GOLD.AGG_MEMBER_MONTHLY REFRESH;

    -- Bronze: a payload version is stored once per table (the ingest's NOT EXISTS on PAYLOAD_HASH; the
    -- export import's per-member ROW_HASH), and every API row names its member.
{{ results() }},
    api_rows AS (
        SELECT 'BRONZE.RAW_CYCLE' AS TABLE_NAME, PAYLOAD_HASH, MEMBER_ID FROM BRONZE.RAW_CYCLE
        UNION ALL SELECT 'BRONZE.RAW_RECOVERY', PAYLOAD_HASH, MEMBER_ID FROM BRONZE.RAW_RECOVERY
        UNION ALL SELECT 'BRONZE.RAW_SLEEP', PAYLOAD_HASH, MEMBER_ID FROM BRONZE.RAW_SLEEP
        UNION ALL SELECT 'BRONZE.RAW_WORKOUT', PAYLOAD_HASH, MEMBER_ID FROM BRONZE.RAW_WORKOUT
        UNION ALL SELECT 'BRONZE.RAW_PROFILE', PAYLOAD_HASH, MEMBER_ID FROM BRONZE.RAW_PROFILE
        UNION ALL SELECT 'BRONZE.RAW_BODY', PAYLOAD_HASH, MEMBER_ID FROM BRONZE.RAW_BODY
    ),
    api_tables AS (
        SELECT TABLE_NAME FROM VALUES ('BRONZE.RAW_CYCLE'), ('BRONZE.RAW_RECOVERY'), ('BRONZE.RAW_SLEEP'),
            ('BRONZE.RAW_WORKOUT'), ('BRONZE.RAW_PROFILE'), ('BRONZE.RAW_BODY') AS t (TABLE_NAME)
    ),
    api_hashes AS (
        SELECT TABLE_NAME, PAYLOAD_HASH, COUNT(*) AS N FROM api_rows GROUP BY TABLE_NAME, PAYLOAD_HASH
    ),
    export_hashes AS (
        SELECT 'BRONZE.RAW_EXPORT_CYCLE' AS TABLE_NAME, MEMBER_NAME, ROW_HASH, COUNT(*) AS N
        FROM BRONZE.RAW_EXPORT_CYCLE GROUP BY MEMBER_NAME, ROW_HASH
        UNION ALL SELECT 'BRONZE.RAW_EXPORT_SLEEP', MEMBER_NAME, ROW_HASH, COUNT(*)
        FROM BRONZE.RAW_EXPORT_SLEEP GROUP BY MEMBER_NAME, ROW_HASH
        UNION ALL SELECT 'BRONZE.RAW_EXPORT_WORKOUT', MEMBER_NAME, ROW_HASH, COUNT(*)
        FROM BRONZE.RAW_EXPORT_WORKOUT GROUP BY MEMBER_NAME, ROW_HASH
    ),
    export_tables AS (
        SELECT TABLE_NAME FROM VALUES ('BRONZE.RAW_EXPORT_CYCLE'), ('BRONZE.RAW_EXPORT_SLEEP'),
            ('BRONZE.RAW_EXPORT_WORKOUT') AS t (TABLE_NAME)
    ),
    checks AS (
        SELECT t.TABLE_NAME, 'payload_hash_unique' AS CHECK_NAME, 'unique' AS CHECK_KIND,
            COALESCE(SUM(h.N), 0) AS ROWS_TESTED, COALESCE(SUM(h.N - 1), 0) AS FAILURES,
            'PAYLOAD_HASH: each payload version once per table' AS DETAIL
        FROM api_tables AS t LEFT JOIN api_hashes AS h ON h.TABLE_NAME = t.TABLE_NAME
        GROUP BY t.TABLE_NAME
        UNION ALL
        -- a table without rows joins as one row of NULLs: that is no row missing its member
        SELECT t.TABLE_NAME, 'member_id_not_null', 'not_null', COUNT(r.TABLE_NAME),
            COUNT_IF(r.TABLE_NAME IS NOT NULL AND r.MEMBER_ID IS NULL), 'MEMBER_ID'
        FROM api_tables AS t LEFT JOIN api_rows AS r ON r.TABLE_NAME = t.TABLE_NAME
        GROUP BY t.TABLE_NAME
        UNION ALL
        SELECT t.TABLE_NAME, 'row_hash_unique_per_member', 'unique', COALESCE(SUM(h.N), 0),
            COALESCE(SUM(h.N - 1), 0), 'MEMBER_NAME, ROW_HASH: each export row once per member'
        FROM export_tables AS t LEFT JOIN export_hashes AS h ON h.TABLE_NAME = t.TABLE_NAME
        GROUP BY t.TABLE_NAME
    )
{{ checked("BRONZE") }}

    -- Silver: natural keys unique, required columns present (a SCORED row has its score), documented ranges,
    -- and every PENDING_* table empty (rows left there mean a transform failed part-way and will be retried).
{{ results() }},
    natural_keys AS (
{%- for t, name, key, detail in silver_keys %}
        {% if loop.first %}SELECT '{{ t }}' AS TABLE_NAME, '{{ name }}' AS CHECK_NAME, '{{ detail }}' AS DETAIL, COUNT(*) AS N
        {%- else %}UNION ALL SELECT '{{ t }}', '{{ name }}', '{{ detail }}', COUNT(*){% endif %}
        FROM {{ t }} GROUP BY {{ key }}
{%- endfor %}
    ),
{{ key_values("key_tables", silver_keys) }},
    checks AS (
        SELECT t.TABLE_NAME, t.CHECK_NAME, 'unique' AS CHECK_KIND, COALESCE(SUM(k.N), 0) AS ROWS_TESTED,
            COALESCE(SUM(k.N - 1), 0) AS FAILURES, t.DETAIL
        FROM key_tables AS t
        LEFT JOIN natural_keys AS k ON k.TABLE_NAME = t.TABLE_NAME AND k.CHECK_NAME = t.CHECK_NAME
        GROUP BY t.TABLE_NAME, t.CHECK_NAME, t.DETAIL
{%- for t, name, kind, failures, detail in silver_rows %}
        UNION ALL
        SELECT '{{ t }}', '{{ name }}', '{{ kind }}', COUNT(*), {{ failures }}, '{{ detail }}'
        FROM {{ t }}
{%- endfor %}
        -- staging tables are empty after a run
{%- for p in pending_tables %}
        UNION ALL
        SELECT 'SILVER.PENDING_{{ p }}', 'pending_empty', 'empty', COUNT(*), COUNT(*), 'rows left by a failed run'
        FROM SILVER.PENDING_{{ p }}
{%- endfor %}
    )
{{ checked("SILVER") }}

    -- Gold keys: every surrogate key unique, and the grain of the daily facts (one recovery and one strain per
    -- member and day, one main sleep per member and day).
{{ results() }},
    key_counts AS (
{%- for t, name, key, where, detail in gold_keys %}
        {% if loop.first %}SELECT '{{ t }}' AS TABLE_NAME, '{{ name }}' AS CHECK_NAME, COUNT(*) AS N
        {%- else %}UNION ALL SELECT '{{ t }}', '{{ name }}', COUNT(*){% endif %}
        FROM {{ t }}{% if where %} WHERE {{ where }}{% endif %} GROUP BY {{ key }}
{%- endfor %}
    ),
{{ key_values("key_checks", gold_keys) }}
    SELECT
        run.STARTED_AT, run.RUN_ID, 'GOLD', k.TABLE_NAME, k.CHECK_NAME, 'unique', 'error', NULL,
        COALESCE(SUM(c.N), 0), COALESCE(SUM(c.N - 1), 0), COALESCE(SUM(c.N - 1), 0) = 0, k.DETAIL
    FROM key_checks AS k
    LEFT JOIN key_counts AS c ON c.TABLE_NAME = k.TABLE_NAME AND c.CHECK_NAME = k.CHECK_NAME
    CROSS JOIN run
    GROUP BY run.STARTED_AT, run.RUN_ID, k.TABLE_NAME, k.CHECK_NAME, k.DETAIL;

    -- Gold foreign keys: every fact and aggregate row has its date, member, activity type and sleep stage.
{{ results() }},
{%- for cte, column in [("date_refs", "DATE_KEY"), ("member_refs", "MEMBER_KEY")] %}
    {{ cte }} AS (
{%- for t, date_key in gold_references %}
        {% if loop.first %}SELECT '{{ t }}' AS TABLE_NAME, {% else %}UNION ALL SELECT '{{ t }}', {% endif -%}
        {{ date_key if column == "DATE_KEY" else column }} FROM {{ t }}
{%- endfor %}
    ),
{%- endfor %}
    ref_tables AS (
        SELECT TABLE_NAME FROM VALUES
{%- for t, _ in gold_references %} ('{{ t }}'){{ "," if not loop.last }}{% endfor %}
        AS t (TABLE_NAME)
    ),
    checks AS (
        SELECT t.TABLE_NAME, 'date_key_in_dim_date' AS CHECK_NAME, COUNT(r.TABLE_NAME) AS ROWS_TESTED,
            COUNT_IF(r.TABLE_NAME IS NOT NULL AND d.DATE_KEY IS NULL) AS FAILURES,
            'DATE_KEY -> GOLD.DIM_DATE' AS DETAIL
        FROM ref_tables AS t
        LEFT JOIN date_refs AS r ON r.TABLE_NAME = t.TABLE_NAME
        LEFT JOIN GOLD.DIM_DATE AS d ON d.DATE_KEY = r.DATE_KEY
        GROUP BY t.TABLE_NAME
        UNION ALL
        SELECT t.TABLE_NAME, 'member_key_in_dim_member', COUNT(r.TABLE_NAME),
            COUNT_IF(r.TABLE_NAME IS NOT NULL AND m.MEMBER_KEY IS NULL), 'MEMBER_KEY -> GOLD.DIM_MEMBER'
        FROM ref_tables AS t
        LEFT JOIN member_refs AS r ON r.TABLE_NAME = t.TABLE_NAME
        LEFT JOIN GOLD.DIM_MEMBER AS m ON m.MEMBER_KEY = r.MEMBER_KEY
        GROUP BY t.TABLE_NAME
        UNION ALL
        SELECT 'GOLD.FACT_WORKOUTS', 'activity_type_key_in_dim_activity_type', COUNT(*),
            COUNT_IF(a.ACTIVITY_TYPE_KEY IS NULL), 'ACTIVITY_TYPE_KEY -> GOLD.DIM_ACTIVITY_TYPE'
        FROM GOLD.FACT_WORKOUTS AS w
        LEFT JOIN GOLD.DIM_ACTIVITY_TYPE AS a ON a.ACTIVITY_TYPE_KEY = w.ACTIVITY_TYPE_KEY
        UNION ALL
        SELECT 'GOLD.FACT_SLEEP_STAGE', 'sleep_stage_key_in_dim_sleep_stage', COUNT(*),
            COUNT_IF(d.SLEEP_STAGE_KEY IS NULL), 'SLEEP_STAGE_KEY -> GOLD.DIM_SLEEP_STAGE'
        FROM GOLD.FACT_SLEEP_STAGE AS s
        LEFT JOIN GOLD.DIM_SLEEP_STAGE AS d ON d.SLEEP_STAGE_KEY = s.SLEEP_STAGE_KEY
        UNION ALL
        SELECT 'GOLD.FACT_SLEEP_STAGE', 'sleep_id_in_fact_sleep', COUNT(*), COUNT_IF(f.SLEEP_ID IS NULL),
            'SLEEP_ID -> GOLD.FACT_SLEEP'
        FROM GOLD.FACT_SLEEP_STAGE AS s
        LEFT JOIN (SELECT DISTINCT SLEEP_ID FROM GOLD.FACT_SLEEP) AS f ON f.SLEEP_ID = s.SLEEP_ID
    )
    SELECT
        run.STARTED_AT, run.RUN_ID, 'GOLD', c.TABLE_NAME, c.CHECK_NAME, 'foreign_key', 'error', NULL,
        c.ROWS_TESTED, c.FAILURES, c.FAILURES = 0, c.DETAIL
    FROM checks AS c
    CROSS JOIN run;

    -- Gold values: ranges and required columns of the facts.
{{ results() }},
    checks AS (
{%- for t, name, kind, failures, detail in gold_rows %}
        {% if loop.first %}SELECT '{{ t }}' AS TABLE_NAME, '{{ name }}' AS CHECK_NAME, '{{ kind }}' AS CHECK_KIND,
            COUNT(*) AS ROWS_TESTED, {{ failures }} AS FAILURES, '{{ detail }}' AS DETAIL
        {%- else %}UNION ALL
        SELECT '{{ t }}', '{{ name }}', '{{ kind }}', COUNT(*), {{ failures }}, '{{ detail }}'{% endif %}
        FROM {{ t }}
{%- endfor %}
    )
{{ checked("GOLD") }}

    -- Freshness per member: hours since the newest record version reached Bronze, as Silver and Gold carry it
    -- (LOAD_TIMESTAMP / BRONZE_LOADED_AT), against CONFIG.SETTINGS dq_freshness_hours (default 36). A member
    -- the ingest cannot read any more (revoked token) or whose strap sends nothing goes stale here.
{{ results() }},
    threshold AS (
        SELECT COALESCE(MAX(IFF(SETTING_KEY = 'dq_freshness_hours', TRY_TO_DOUBLE(SETTING_VALUE), NULL)), 36) AS HOURS
        FROM CONFIG.SETTINGS
    ),
    members AS (
        SELECT MEMBER_NAME, MD5('member|' || MEMBER_NAME) AS MEMBER_KEY FROM CONFIG.MEMBERS
    ),
    {{ latest_loads("gold", "MEMBER_KEY", "LOAD_TIMESTAMP", gold_loaded) }},
    {{ latest_loads("silver", "MEMBER_NAME", "BRONZE_LOADED_AT", silver_loaded) }},
    latest AS (
        SELECT 'GOLD' AS LAYER, 'GOLD.FACT_*' AS TABLE_NAME, m.MEMBER_KEY, g.LATEST, COALESCE(g.N, 0) AS N
        FROM members AS m LEFT JOIN gold_latest AS g ON g.MEMBER_KEY = m.MEMBER_KEY
        UNION ALL
        SELECT 'SILVER', 'SILVER.CYCLE|RECOVERY|SLEEP|WORKOUT', m.MEMBER_KEY, s.LATEST, COALESCE(s.N, 0)
        FROM members AS m LEFT JOIN silver_latest AS s ON s.MEMBER_NAME = m.MEMBER_NAME
    )
    SELECT
        run.STARTED_AT, run.RUN_ID, l.LAYER, l.TABLE_NAME, 'member_data_fresh', 'freshness', 'error', l.MEMBER_KEY,
        l.N, IFF(l.LATEST IS NULL OR DATEDIFF(SECOND, l.LATEST, SYSDATE()) > t.HOURS * 3600, 1, 0),
        l.LATEST IS NOT NULL AND DATEDIFF(SECOND, l.LATEST, SYSDATE()) <= t.HOURS * 3600,
        'newest load ' || COALESCE(TO_VARCHAR(l.LATEST), 'never') || ' UTC; threshold '
            || TO_VARCHAR(t.HOURS) || ' h'
    FROM latest AS l
    CROSS JOIN threshold AS t
    CROSS JOIN run;

    -- Volume: rows loaded into each API Bronze table in the last 24 hours against the average of the 14
    -- 24-hour windows before it (only windows in which the ingest ran count, so days the platform was off do
    -- not pull the norm down). Judged only with dq_volume_min_history windows of history (default 7) and a
    -- norm of at least dq_volume_min_rows rows (default 5), because a 30-minute schedule and one record per
    -- member and day make small counts noise. A drop below 20 % is an error (the ingest is losing data); a
    -- spike above 5x is a warning (a new member's backfill does that).
{{ results() }},
    settings AS (
        SELECT
            COALESCE(MAX(IFF(SETTING_KEY = 'dq_volume_min_history', TRY_TO_NUMBER(SETTING_VALUE), NULL)), 7)
                AS MIN_HISTORY,
            COALESCE(MAX(IFF(SETTING_KEY = 'dq_volume_min_rows', TRY_TO_DOUBLE(SETTING_VALUE), NULL)), 5) AS MIN_ROWS,
            COALESCE(MAX(IFF(SETTING_KEY = 'dq_volume_drop_ratio', TRY_TO_DOUBLE(SETTING_VALUE), NULL)), 0.2)
                AS DROP_RATIO,
            COALESCE(MAX(IFF(SETTING_KEY = 'dq_volume_spike_ratio', TRY_TO_DOUBLE(SETTING_VALUE), NULL)), 5)
                AS SPIKE_RATIO
        FROM CONFIG.SETTINGS
    ),
    loaded AS (
        SELECT 'BRONZE.RAW_CYCLE' AS TABLE_NAME, LOADED_AT FROM BRONZE.RAW_CYCLE
        UNION ALL SELECT 'BRONZE.RAW_RECOVERY', LOADED_AT FROM BRONZE.RAW_RECOVERY
        UNION ALL SELECT 'BRONZE.RAW_SLEEP', LOADED_AT FROM BRONZE.RAW_SLEEP
        UNION ALL SELECT 'BRONZE.RAW_WORKOUT', LOADED_AT FROM BRONZE.RAW_WORKOUT
    ),
    windows AS (
        SELECT DISTINCT FLOOR(DATEDIFF(SECOND, STARTED_AT, SYSDATE()) / 86400) AS WINDOW_NO
        FROM OPS.INGEST_RUNS
        WHERE STARTED_AT > DATEADD(DAY, -15, SYSDATE())
    ),
    counts AS (
        SELECT TABLE_NAME, FLOOR(DATEDIFF(SECOND, LOADED_AT, SYSDATE()) / 86400) AS WINDOW_NO, COUNT(*) AS N
        FROM loaded
        WHERE LOADED_AT > DATEADD(DAY, -15, SYSDATE())
        GROUP BY TABLE_NAME, FLOOR(DATEDIFF(SECOND, LOADED_AT, SYSDATE()) / 86400)
    ),
    volume_tables AS (
        SELECT TABLE_NAME FROM VALUES ('BRONZE.RAW_CYCLE'), ('BRONZE.RAW_RECOVERY'), ('BRONZE.RAW_SLEEP'),
            ('BRONZE.RAW_WORKOUT') AS t (TABLE_NAME)
    ),
    grid AS (
        SELECT t.TABLE_NAME, w.WINDOW_NO, COALESCE(c.N, 0) AS N
        FROM volume_tables AS t
        CROSS JOIN windows AS w
        LEFT JOIN counts AS c ON c.TABLE_NAME = t.TABLE_NAME AND c.WINDOW_NO = w.WINDOW_NO
        WHERE w.WINDOW_NO BETWEEN 0 AND 14
    ),
    stats AS (
        SELECT
            t.TABLE_NAME,
            COALESCE(SUM(IFF(g.WINDOW_NO = 0, g.N, 0)), 0) AS CURRENT_ROWS,
            COUNT_IF(g.WINDOW_NO = 0) AS CURRENT_WINDOWS,
            COUNT_IF(g.WINDOW_NO >= 1) AS HISTORY_WINDOWS,
            AVG(IFF(g.WINDOW_NO >= 1, g.N, NULL)) AS NORM
        FROM volume_tables AS t
        LEFT JOIN grid AS g ON g.TABLE_NAME = t.TABLE_NAME
        GROUP BY t.TABLE_NAME
    ),
    judged AS (
        SELECT
            st.TABLE_NAME, st.CURRENT_ROWS, st.HISTORY_WINDOWS, st.NORM, s.DROP_RATIO, s.SPIKE_RATIO,
            st.CURRENT_WINDOWS > 0 AND st.HISTORY_WINDOWS >= s.MIN_HISTORY AND COALESCE(st.NORM, 0) >= s.MIN_ROWS
                AS IS_JUDGED
        FROM stats AS st
        CROSS JOIN settings AS s
    ),
    checks AS (
        SELECT TABLE_NAME, 'volume_drop' AS CHECK_NAME, 'error' AS SEVERITY, CURRENT_ROWS,
            IFF(IS_JUDGED AND CURRENT_ROWS < DROP_RATIO * NORM, 1, 0) AS FAILURES, IS_JUDGED, HISTORY_WINDOWS, NORM
        FROM judged
        UNION ALL
        SELECT TABLE_NAME, 'volume_spike', 'warn', CURRENT_ROWS,
            IFF(IS_JUDGED AND CURRENT_ROWS > SPIKE_RATIO * NORM, 1, 0), IS_JUDGED, HISTORY_WINDOWS, NORM
        FROM judged
    )
    SELECT
        run.STARTED_AT, run.RUN_ID, 'BRONZE', c.TABLE_NAME, c.CHECK_NAME, 'volume', c.SEVERITY, NULL,
        c.CURRENT_ROWS, c.FAILURES, c.FAILURES = 0,
        IFF(c.IS_JUDGED, '', 'not judged: ') || 'last 24 h ' || TO_VARCHAR(c.CURRENT_ROWS) || ' rows; norm '
            || COALESCE(TO_VARCHAR(ROUND(c.NORM, 1)), 'none') || ' over ' || TO_VARCHAR(c.HISTORY_WINDOWS)
            || ' earlier windows with ingest runs'
    FROM checks AS c
    CROSS JOIN run;

    -- Missing days (informational, severity warn): per member, the dates of the spine between the member's
    -- first and last daily recovery that have none. WHOOP data has real gaps (the strap was off), so this
    -- counts them for reports and never fires the alert.
{{ results() }},
    spans AS (
        SELECT MEMBER_KEY, MIN(DATE_KEY) AS FIRST_KEY, MAX(DATE_KEY) AS LAST_KEY
        FROM GOLD.FACT_DAILY_RECOVERY
        GROUP BY MEMBER_KEY
    ),
    member_days AS (
        SELECT s.MEMBER_KEY, d.DATE_KEY
        FROM spans AS s
        INNER JOIN GOLD.DIM_DATE AS d ON d.DATE_KEY BETWEEN s.FIRST_KEY AND s.LAST_KEY
    ),
    covered AS (
        SELECT DISTINCT MEMBER_KEY, DATE_KEY FROM GOLD.FACT_DAILY_RECOVERY
    ),
    counted AS (
        SELECT md.MEMBER_KEY, COUNT(*) AS DAYS, COUNT_IF(c.DATE_KEY IS NULL) AS MISSING,
            MIN(md.DATE_KEY) AS FIRST_KEY, MAX(md.DATE_KEY) AS LAST_KEY
        FROM member_days AS md
        LEFT JOIN covered AS c ON c.MEMBER_KEY = md.MEMBER_KEY AND c.DATE_KEY = md.DATE_KEY
        GROUP BY md.MEMBER_KEY
    )
    SELECT
        run.STARTED_AT, run.RUN_ID, 'GOLD', 'GOLD.FACT_DAILY_RECOVERY', 'days_without_recovery', 'missing_days',
        'warn', c.MEMBER_KEY, c.DAYS, c.MISSING, c.MISSING = 0,
        'dates of GOLD.DIM_DATE from ' || TO_VARCHAR(c.FIRST_KEY) || ' to ' || TO_VARCHAR(c.LAST_KEY)
            || ' without a recovery'
    FROM counted AS c
    CROSS JOIN run;

    -- Ingest: every member's part of the newest ingest run succeeded, one row per member of that run. A refused token
    -- or API reads that gave up are errors: the alert fires and the Data Quality page lists the member and why (the
    -- ingest itself keeps going for the other members, whose data still reaches Silver). DETAIL names neither the
    -- member nor the error text (it reaches REPORTING.V_DQ_MEMBER_CHECKS, where member names are masked PII): the
    -- member is MEMBER_KEY, the error is in OPS.INGEST_RUNS.
{{ results() }},
    newest AS (
        SELECT MAX_BY(RUN_ID, STARTED_AT) AS RUN_ID FROM OPS.INGEST_RUNS
    ),
    members AS (
        SELECT i.MEMBER_NAME, i.STATUS, i.FAILED_RESOURCE, i.STARTED_AT
        FROM OPS.INGEST_RUNS AS i
        INNER JOIN newest AS n ON n.RUN_ID = i.RUN_ID
    )
    SELECT
        run.STARTED_AT, run.RUN_ID, 'BRONZE', 'OPS.INGEST_RUNS', 'member_ingest_succeeded', 'ingest', 'error',
        MD5('member|' || m.MEMBER_NAME), 1, IFF(m.STATUS = 'SUCCEEDED', 0, 1), m.STATUS = 'SUCCEEDED',
        m.STATUS || COALESCE(' at ' || m.FAILED_RESOURCE, '') || '; ingest run of ' || TO_VARCHAR(m.STARTED_AT)
            || ' UTC' || IFF(m.STATUS = 'SUCCEEDED', '', ', the error is in OPS.INGEST_RUNS')
    FROM members AS m
    CROSS JOIN run;

    -- raise this run's failures now (the alert exists once the consumer granted EXECUTE ALERT; see its template)
    CALL OPS.EXECUTE_DATA_QUALITY_ALERT();

    RETURN 'OPS.DQ_RESULTS appended';
END;
$$;
