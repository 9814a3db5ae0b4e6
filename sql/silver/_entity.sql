{#- The one shape every Silver table is built in, declared once (the files beside this one declare an entity each:
its columns (as DDL lines, comments included), key, version rule and the typed, checked SELECT of its Bronze stream). For entity X it makes:

  SILVER.X           the typed table (columns as declared, with their comments)
  SILVER.PENDING_X   the same columns, nullable, plus the batch, record key, the first rule broken and the raw payload
  OPS.BUILD_SILVER_X the transform: the stream's rows are typed and checked into PENDING in one statement (that
                     consumes the stream), rows that break a rule go to OPS.QUARANTINE (once per version and rule),
                     the newest passing version per key is MERGEd, the run is counted in OPS.TRANSFORM_RUNS and
                     PENDING is emptied. A run that fails part-way leaves its rows in PENDING; the next run processes
                     them again, and every step is idempotent, so nothing is lost or doubled.
  OPS.SILVER_X_TASK  runs it after the pipeline root when the stream has data

version says which row wins for a key: 'updated' (API records: the latest UPDATED_AT, then the latest load), 'loaded'
(the latest Bronze load) or 'history' (every key once: rows are only inserted). An export entity (export=true) is
identified by its Bronze ROW_HASH, which is unique only within a member, so its quarantine check names the member.

Rendered by OPS.CREATE_FROM_TEMPLATES (snowpark_procs/sql_templates.py) at install and upgrade, as OPS.BUILD_GOLD renders Gold.
-#}
{%- macro _list(names, prefix="", indent="        ") -%}
{%- for n in names %}{{ prefix }}{{ n }}{{ ", " if not loop.last }}{% endfor -%}
{%- endmacro -%}

{%- macro entity(name, source, key, columns, version, comment, export=false) -%}
{%- set target = "SILVER." ~ name -%}
{%- set pending = "SILVER.PENDING_" ~ name -%}
{%- set hash = "ROW_HASH" if export else "PAYLOAD_HASH" -%}
{%- set lines = [] -%}
{%- for line in columns.strip().split("\n") if line.strip() -%}{%- set _ = lines.append(line.strip().rstrip(",")) -%}{%- endfor -%}
{%- set names = [] -%}
{%- for line in lines -%}{%- set _ = names.append(line.split()[0]) -%}{%- endfor -%}
{%- set pending_names = names + ["INGEST_BATCH_ID", "RECORD_KEY", "FAILED_RULE", "FAILED_DETAIL", "PAYLOAD"] -%}
CREATE SCHEMA IF NOT EXISTS SILVER;

CREATE TABLE IF NOT EXISTS {{ target }} (
{%- for line in lines %}
    {{ line }}{{ "," if not loop.last }}
{%- endfor %}
) COMMENT = '{{ comment }}';

CREATE TABLE IF NOT EXISTS {{ pending }} (
{%- for line in lines %}
    {{ line.split(" COMMENT ")[0] | replace(" NOT NULL", "") }},
{%- endfor %}
    INGEST_BATCH_ID VARCHAR,
    RECORD_KEY VARCHAR,
    FAILED_RULE VARCHAR COMMENT 'NULL when the row passed every rule',
    FAILED_DETAIL VARCHAR COMMENT 'The field that broke FAILED_RULE, for rules about many fields',
    PAYLOAD VARIANT
) COMMENT = 'Bronze {{ source.removeprefix("BRONZE.RAW_").lower().replace("_", " ") }} rows taken from the stream and checked, waiting for promotion (empty between runs)';
-- Added with missing_required_field and truncated_row (IF NOT EXISTS: the setup script also runs on upgrade)
ALTER TABLE {{ pending }} ADD COLUMN IF NOT EXISTS FAILED_DETAIL VARCHAR;

CREATE OR REPLACE PROCEDURE OPS.BUILD_SILVER_{{ name }}()
    RETURNS VARCHAR
    LANGUAGE SQL
    EXECUTE AS OWNER
AS
$$
BEGIN
    INSERT INTO {{ pending }} ({{ _list(pending_names) }}){{ caller() }};

    INSERT INTO OPS.QUARANTINE (
        QUARANTINED_AT, LAYER, SOURCE_TABLE, TARGET_TABLE, RULE_NAME, RULE_DETAIL, MEMBER_REF, RECORD_KEY,
        INGEST_BATCH_ID, PAYLOAD_HASH, PAYLOAD
    )
    SELECT
        SYSDATE(), 'SILVER', '{{ source }}', '{{ target }}', p.FAILED_RULE, p.FAILED_DETAIL,
        {{ "p.MEMBER_NAME" if export else "TO_VARCHAR(p.MEMBER_ID)" }}, p.RECORD_KEY, p.INGEST_BATCH_ID, p.{{ hash }},
        p.PAYLOAD
    FROM {{ pending }} AS p
    WHERE p.FAILED_RULE IS NOT NULL
        AND NOT EXISTS (
            SELECT 1 FROM OPS.QUARANTINE AS q
            WHERE q.SOURCE_TABLE = '{{ source }}' AND q.PAYLOAD_HASH = p.{{ hash }}
                AND q.RULE_NAME = p.FAILED_RULE
                {%- if export %} AND q.MEMBER_REF IS NOT DISTINCT FROM p.MEMBER_NAME{% endif %}
        );

    MERGE INTO {{ target }} AS tgt
    USING (
        SELECT {{ _list(names) }}
        FROM {{ pending }}
        WHERE FAILED_RULE IS NULL
        {%- if version == "updated" %}
        QUALIFY ROW_NUMBER() OVER (
            PARTITION BY {{ _list(key) }} ORDER BY UPDATED_AT DESC, BRONZE_LOADED_AT DESC, {{ hash }} DESC
        ) = 1
        {%- elif version == "loaded" %}
        QUALIFY ROW_NUMBER() OVER (PARTITION BY {{ _list(key) }} ORDER BY BRONZE_LOADED_AT DESC, {{ hash }} DESC) = 1
        {%- endif %}
    ) AS src
    ON {% for k in key %}tgt.{{ k }} = src.{{ k }}{{ " AND " if not loop.last }}{% endfor %}
    {%- if version == "updated" %}
    WHEN MATCHED AND (src.UPDATED_AT > tgt.UPDATED_AT
        OR (src.UPDATED_AT = tgt.UPDATED_AT AND src.BRONZE_LOADED_AT >= tgt.BRONZE_LOADED_AT)) THEN UPDATE SET
    {%- elif version == "loaded" %}
    WHEN MATCHED AND src.BRONZE_LOADED_AT >= tgt.BRONZE_LOADED_AT THEN UPDATE SET
    {%- endif %}
    {%- if version != "history" %}
        {% for n in names if n not in key %}{{ n }} = src.{{ n }}{{ ", " if not loop.last }}{% endfor %}
    {%- endif %}
    WHEN NOT MATCHED THEN INSERT ({{ _list(names) }})
    VALUES ({{ _list(names, "src.") }});

    INSERT INTO OPS.TRANSFORM_RUNS (RUN_AT, TARGET_TABLE, ROWS_READ, ROWS_PROMOTED, ROWS_QUARANTINED)
    SELECT SYSDATE(), '{{ target }}', COUNT(*), COUNT_IF(FAILED_RULE IS NULL), COUNT_IF(FAILED_RULE IS NOT NULL)
    FROM {{ pending }};

    DELETE FROM {{ pending }};

    RETURN '{{ target }} built';
END;
$$;

CREATE OR REPLACE TASK OPS.SILVER_{{ name }}_TASK
    USER_TASK_MANAGED_INITIAL_WAREHOUSE_SIZE = 'XSMALL'
    AFTER OPS.WHOOP_PIPELINE_ROOT
    WHEN SYSTEM$STREAM_HAS_DATA('{{ source }}_STREAM')
AS
CALL OPS.BUILD_SILVER_{{ name }}();
{%- endmacro %}

{#- Pieces of the typed SELECTs that several entities share. -#}

{#- API: the member's offset (+hh:mm, -hh:mm or Z, the v2 contract's TZD) as minutes east of UTC; NULL if malformed. -#}
{% macro api_offset_minutes(offset) -%}
IFF(
                REGEXP_LIKE({{ offset }}, '^[+-][0-9]{2}:[0-9]{2}$'),
                IFF(LEFT({{ offset }}, 1) = '-', -1, 1)
                * (TO_NUMBER(SUBSTR({{ offset }}, 2, 2)) * 60
                   + TO_NUMBER(SUBSTR({{ offset }}, 5, 2))),
                IFF({{ offset }} = 'Z', 0, NULL)
            ) AS OFFSET_MINUTES
{%- endmacro %}

{#- Export: the cycle's timezone (UTC+hh:mm) as +hh:mm and as minutes east of UTC; NULL if malformed. -#}
{% macro export_offset(timezone) -%}
IFF(REGEXP_LIKE({{ timezone }}, '^UTC[+-][0-9]{2}:[0-5][0-9]$'), SUBSTR({{ timezone }}, 4), NULL)
                AS TIMEZONE_OFFSET,
            IFF(
                REGEXP_LIKE({{ timezone }}, '^UTC[+-][0-9]{2}:[0-5][0-9]$'),
                IFF(SUBSTR({{ timezone }}, 4, 1) = '-', -1, 1)
                * (TRY_TO_NUMBER(SUBSTR({{ timezone }}, 5, 2)) * 60 + TRY_TO_NUMBER(SUBSTR({{ timezone }}, 8, 2))),
                NULL
            ) AS OFFSET_MINUTES
{%- endmacro %}

{#- API: the first field the v2 contract marks required that is absent or JSON null (STRIP_NULL_VALUE turns a JSON
    null into SQL NULL, an absent path is SQL NULL already:
    https://docs.snowflake.com/en/sql-reference/functions/strip_null_value). `scored` fields are required only of a
    SCORED record that has a score (a SCORED record without any is missing_score). -#}
{% macro missing_field(payload, required, scored=[]) -%}
CASE
{%- for f in required %}
                WHEN STRIP_NULL_VALUE({{ payload }}:{{ f }}) IS NULL THEN '{{ f }}'
{%- endfor %}
{%- if scored %}
                WHEN {{ payload }}:score_state::VARCHAR <> 'SCORED' OR STRIP_NULL_VALUE({{ payload }}:score) IS NULL
                    THEN NULL
{%- for f in scored %}
                WHEN STRIP_NULL_VALUE({{ payload }}:{{ f }}) IS NULL THEN '{{ f }}'
{%- endfor %}
{%- endif %}
            END AS MISSING_FIELD
{%- endmacro %}

{#- Export: numeric text typed (source column, TRY_TO_ function, name), and BAD_NUMBERS, how many of them are not
    blank and do not parse (blank is NULL, which is allowed). -#}
{% macro export_numbers(fields) -%}
{%- for source, kind, name in fields -%}
TRY_TO_{{ kind }}(r.{{ source }}) AS {{ name }},
            {% endfor -%}
{%- for source, kind, name in fields -%}
{{ "+ " if not loop.first }}IFF(r.{{ source }} IS NOT NULL AND TRY_TO_{{ kind }}(r.{{ source }}) IS NULL, 1, 0)
            {% endfor %}    AS BAD_NUMBERS
{%- endmacro %}

{#- API: the stream's rows (WITH raw) and the start of the typed CTE (the member id the row was loaded for and the
    member's name); and, closing the typed CTE, the record's creation and change at WHOOP, the lineage columns every
    API entity carries and the join that names the member (unknown_member when it is not registered). -#}
{% macro api_typed(stream) -%}
WITH raw AS (
        SELECT s.MEMBER_ID, s.LOADED_AT, s.PAYLOAD_HASH, s.INGEST_BATCH_ID, s.RECORD_KEY, s.PAYLOAD
        FROM {{ stream }} AS s
    ),
    typed AS (
        SELECT
            raw.MEMBER_ID,
            m.MEMBER_NAME
{%- endmacro %}
{% macro api_lineage() -%}
TRY_TO_TIMESTAMP_NTZ(raw.PAYLOAD:created_at::VARCHAR) AS CREATED_AT,
            TRY_TO_TIMESTAMP_NTZ(raw.PAYLOAD:updated_at::VARCHAR) AS UPDATED_AT,
            raw.LOADED_AT AS BRONZE_LOADED_AT,
            raw.PAYLOAD_HASH,
            raw.INGEST_BATCH_ID,
            raw.RECORD_KEY,
            raw.PAYLOAD
        FROM raw
        LEFT JOIN CONFIG.MEMBERS AS m ON m.WHOOP_USER_ID = raw.MEMBER_ID
{%- endmacro %}

{#- API: the columns of a record with a span (start and end, in UTC and the member's local time, and the offset), the
    comments naming its start and end; and the lineage columns every API entity ends with. -#}
{% macro api_span_columns(start, end) -%}
START_UTC TIMESTAMP_NTZ NOT NULL COMMENT '{{ start }}, UTC',
    END_UTC TIMESTAMP_NTZ NOT NULL COMMENT '{{ end }}, UTC',
    TIMEZONE_OFFSET VARCHAR NOT NULL COMMENT 'The member''s offset for this record: +hh:mm, -hh:mm or Z',
    OFFSET_MINUTES NUMBER(38, 0) NOT NULL COMMENT 'TIMEZONE_OFFSET as minutes east of UTC',
    START_LOCAL TIMESTAMP_NTZ NOT NULL COMMENT '{{ start }}, member''s local time',
    END_LOCAL TIMESTAMP_NTZ NOT NULL COMMENT '{{ end }}, member''s local time'
{%- endmacro %}
{% macro api_lineage_columns(loaded="When this version reached Bronze") -%}
CREATED_AT TIMESTAMP_NTZ NOT NULL COMMENT 'Record creation at WHOOP, UTC',
    UPDATED_AT TIMESTAMP_NTZ NOT NULL COMMENT 'Last change at WHOOP, UTC; the newest version wins',
    BRONZE_LOADED_AT TIMESTAMP_NTZ NOT NULL COMMENT '{{ loaded }}',
    PAYLOAD_HASH VARCHAR NOT NULL COMMENT 'Bronze version this row was built from'
{%- endmacro %}

{#- API: a record's span as sent (start and end, UTC) with the member's offset for it, and its local start and end. -#}
{% macro api_span() -%}
TRY_TO_TIMESTAMP_NTZ(raw.PAYLOAD:start::VARCHAR) AS START_UTC,
            TRY_TO_TIMESTAMP_NTZ(raw.PAYLOAD:end::VARCHAR) AS END_UTC,
            raw.PAYLOAD:timezone_offset::VARCHAR AS TIMEZONE_OFFSET,
            {{ api_offset_minutes("raw.PAYLOAD:timezone_offset::VARCHAR") }}
{%- endmacro %}
{% macro api_local() -%}
DATEADD(MINUTE, OFFSET_MINUTES, START_UTC) AS START_LOCAL,
            DATEADD(MINUTE, OFFSET_MINUTES, END_UTC) AS END_LOCAL
{%- endmacro %}

{#- API: durations WHOOP sends in milliseconds, as minutes: each (field under `path`, name). -#}
{% macro api_minutes(path, fields) -%}
{%- for field, name in fields -%}
TRY_TO_DOUBLE(raw.PAYLOAD:{{ path }}.{{ field }}::VARCHAR) / 60000 AS {{ name }}{{ ",\n            " if not loop.last }}
{%- endfor -%}
{%- endmacro %}

{#- API: the first rules every API record is checked by, in this order (sql/silver/00_quarantine.sql): its key and
    member id, the member, the fields the contract requires; and the detail that names the missing field. -#}
{% macro api_checks(key) -%}
WHEN {{ key }} IS NULL OR MEMBER_ID IS NULL THEN 'missing_key'
            WHEN MEMBER_NAME IS NULL THEN 'unknown_member'
            WHEN MISSING_FIELD IS NOT NULL THEN 'missing_required_field'
{%- endmacro %}
{#- API: the rules of a strain score (a cycle's day strain, a workout's strain), in this order: present, 0-21, energy
    not negative, heart rates 20-250 with the average at most the maximum (bounds: sql/silver/00_quarantine.sql). -#}
{% macro api_strain_checks(strain) -%}
WHEN SCORE_STATE = 'SCORED' AND ({{ strain }} IS NULL OR ENERGY_KILOJOULE IS NULL) THEN 'missing_score'
            WHEN SCORE_STATE = 'SCORED' AND ({{ strain }} < 0 OR {{ strain }} > 21) THEN 'strain_out_of_range'
            WHEN SCORE_STATE = 'SCORED' AND ENERGY_KILOJOULE < 0 THEN 'negative_energy'
            WHEN SCORE_STATE = 'SCORED' AND (AVERAGE_HEART_RATE NOT BETWEEN 20 AND 250
                OR MAX_HEART_RATE NOT BETWEEN 20 AND 250 OR AVERAGE_HEART_RATE > MAX_HEART_RATE)
                THEN 'heart_rate_out_of_range'
{%- endmacro %}
{% macro api_detail(key) -%}
IFF({{ key }} IS NULL OR MEMBER_ID IS NULL OR MEMBER_NAME IS NULL, NULL, MISSING_FIELD) AS FAILED_DETAIL
{%- endmacro %}

{#- Scores are NULL unless the record is SCORED. -#}
{% macro scored_only(names) -%}
{%- for n in names -%}
IFF(SCORE_STATE = 'SCORED', {{ n }}, NULL) AS {{ n }}{{ ",\n        " if not loop.last }}
{%- endfor -%}
{%- endmacro %}

{#- Export: the columns every export file starts with (the load's lineage and the cycle the row belongs to); the stream's
    rows (WITH raw) and the start of the typed CTE: the member, the local times (`times`, as export_times takes them)
    and the offset; and, closing the typed CTE, the lineage every export entity carries: the row's
    load, hash, batch and key, and its whole Bronze row as the payload. `fields` are the file's own columns. -#}
{%- set export_header = [
    "INGEST_BATCH_ID", "LOADED_AT", "MEMBER_NAME", "SOURCE_FILE", "STAGED_FILE", "FILE_ROW_NUMBER", "ROW_HASH",
    "CYCLE_START_TIME", "CYCLE_END_TIME", "CYCLE_TIMEZONE",
] %}
{% macro export_typed(stream, fields, times) -%}
WITH raw AS (
        SELECT {{ _list(export_header + fields, "s.") }}
        FROM {{ stream }} AS s
    ),
    typed AS (
        SELECT
            r.MEMBER_NAME,
            {{ export_times(times) }},
            {{ export_offset("r.CYCLE_TIMEZONE") }}
{%- endmacro %}
{% macro export_lineage(record_key, fields) -%}
r.LOADED_AT AS BRONZE_LOADED_AT,
            r.ROW_HASH,
            r.INGEST_BATCH_ID,
            r.{{ record_key }} AS RECORD_KEY,
            OBJECT_CONSTRUCT(
                {% for n in export_header + fields if n != "LOADED_AT" %}'{{ n }}', r.{{ n }}{{ ", " if not loop.last }}{% endfor %}
            ) AS PAYLOAD
        FROM raw AS r
{%- endmacro %}

{#- Export: local times as exported (`YYYY-MM-DD HH:MM:SS`), for each (source column, name) its text as <name>_TEXT
    and its value as <name>_LOCAL (NULL when it does not parse). -#}
{% macro export_times(fields) -%}
{%- for source, name in fields %}r.{{ source }} AS {{ name }}_TEXT,
            {% endfor -%}
{%- for source, name in fields -%}
TRY_TO_TIMESTAMP_NTZ(r.{{ source }}, 'YYYY-MM-DD HH24:MI:SS') AS {{ name }}_LOCAL{{ ",\n            " if not loop.last }}
{%- endfor -%}
{%- endmacro %}

{#- Export: the first rules every export row is checked by, in this order (sql/silver/00_quarantine.sql): the member,
    a cut row, the record's key (`key_missing`), every local time in `times` that is there but does not parse, the
    offset, numeric text that does not parse (where the row has numbers) and an end before its start (`times` in
    (start, end) pairs). -#}
{% macro export_checks(times, key_missing="START_TEXT IS NULL", numbers=true) -%}
WHEN MEMBER_NAME IS NULL OR TRIM(MEMBER_NAME) = '' THEN 'missing_key'
            WHEN TRUNCATED_AT IS NOT NULL THEN 'truncated_row'
            WHEN {{ key_missing }} THEN 'missing_key'
            WHEN START_LOCAL IS NULL
                {%- for _, name in times[1:] %} OR ({{ name }}_TEXT IS NOT NULL AND {{ name }}_LOCAL IS NULL){% endfor %}
                THEN 'unparseable_timestamp'
            WHEN OFFSET_MINUTES IS NULL OR ABS(OFFSET_MINUTES) > 14 * 60 THEN 'invalid_timezone_offset'
            {%- if numbers %}
            WHEN BAD_NUMBERS > 0 THEN 'unparseable_number'
            {%- endif %}
            WHEN {% for (_, start), (_, end) in times | batch(2) %}{{ end }}_LOCAL < {{ start }}_LOCAL{{ " OR " if not loop.last }}{% endfor %}
                THEN 'negative_duration'
{%- endmacro %}

{#- Export: a record's span in UTC (local - offset) and local time, its columns named after the record. -#}
{% macro export_span(record) -%}
DATEADD(MINUTE, -OFFSET_MINUTES, START_LOCAL) AS {{ record }}_START_UTC,
        DATEADD(MINUTE, -OFFSET_MINUTES, END_LOCAL) AS {{ record }}_END_UTC,
        TIMEZONE_OFFSET, OFFSET_MINUTES,
        START_LOCAL AS {{ record }}_START_LOCAL,
        END_LOCAL AS {{ record }}_END_LOCAL
{%- endmacro %}

{#- Export: a true/false column typed (NULL when it is neither). -#}
{% macro export_boolean(source, name) -%}
IFF(LOWER(TRIM(r.{{ source }})) IN ('true', 'false'), LOWER(TRIM(r.{{ source }})) = 'true', NULL) AS {{ name }}
{%- endmacro %}

{#- Export: the sleep fields, written the same in physiological_cycles.csv (the cycle's main sleep) and sleeps.csv:
    their numbers (source column, TRY_TO_ function, name), every source column, the names they are typed as, and their
    Silver columns. -#}
{%- set export_sleep_numbers = [
    ("SLEEP_PERFORMANCE_PCT", "DOUBLE", "SLEEP_PERFORMANCE_PCT"),
    ("RESPIRATORY_RATE_RPM", "DOUBLE", "RESPIRATORY_RATE"),
    ("ASLEEP_DURATION_MIN", "DOUBLE", "ASLEEP_MINUTES"),
    ("IN_BED_DURATION_MIN", "DOUBLE", "IN_BED_MINUTES"),
    ("LIGHT_SLEEP_DURATION_MIN", "DOUBLE", "LIGHT_SLEEP_MINUTES"),
    ("DEEP_SWS_DURATION_MIN", "DOUBLE", "DEEP_SLEEP_MINUTES"),
    ("REM_DURATION_MIN", "DOUBLE", "REM_SLEEP_MINUTES"),
    ("AWAKE_DURATION_MIN", "DOUBLE", "AWAKE_MINUTES"),
    ("SLEEP_NEED_MIN", "DOUBLE", "SLEEP_NEEDED_MINUTES"),
    ("SLEEP_DEBT_MIN", "DOUBLE", "SLEEP_DEBT_MINUTES"),
    ("SLEEP_EFFICIENCY_PCT", "DOUBLE", "SLEEP_EFFICIENCY_PCT"),
    ("SLEEP_CONSISTENCY_PCT", "DOUBLE", "SLEEP_CONSISTENCY_PCT"),
] %}
{%- set export_sleep_fields = ["SLEEP_ONSET", "WAKE_ONSET"] %}
{%- set export_sleep_names = [] %}
{%- for source, _, name in export_sleep_numbers %}{% set _ = export_sleep_fields.append(source) %}{% set _ = export_sleep_names.append(name) %}{% endfor %}
{%- set export_sleep_columns %}
    SLEEP_PERFORMANCE_PCT FLOAT COMMENT 'Sleep performance, %, 0-100',
    RESPIRATORY_RATE FLOAT COMMENT 'Respiratory rate during sleep, breaths per minute (1 decimal)',
    ASLEEP_MINUTES FLOAT COMMENT 'Time asleep, minutes = light + deep + REM (each rounded, so within 3 min)',
    IN_BED_MINUTES FLOAT COMMENT 'Time in bed, minutes (>= asleep + awake, within 3 min of rounding)',
    LIGHT_SLEEP_MINUTES FLOAT COMMENT 'Light sleep, minutes',
    DEEP_SLEEP_MINUTES FLOAT COMMENT 'Deep (slow wave) sleep, minutes',
    REM_SLEEP_MINUTES FLOAT COMMENT 'REM sleep, minutes',
    AWAKE_MINUTES FLOAT COMMENT 'Time awake in bed, minutes',
    SLEEP_NEEDED_MINUTES FLOAT COMMENT 'Sleep need, minutes (baseline + debt + strain + nap credit)',
    SLEEP_DEBT_MINUTES FLOAT COMMENT 'Sleep need from sleep debt, minutes',
    SLEEP_EFFICIENCY_PCT FLOAT COMMENT 'Sleep efficiency, % (asleep / in bed), 0-100',
    SLEEP_CONSISTENCY_PCT FLOAT COMMENT 'Sleep consistency, %, 0-100',
{%- endset %}
{#- Export: the lineage columns every export entity ends with. -#}
{%- set export_lineage_columns %}
    BRONZE_LOADED_AT TIMESTAMP_NTZ NOT NULL COMMENT 'When this row reached Bronze; the row loaded latest wins',
    ROW_HASH VARCHAR NOT NULL COMMENT 'Bronze ROW_HASH of the export row this version was built from'
{%- endset %}
