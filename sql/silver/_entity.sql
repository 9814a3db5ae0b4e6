{#- The one shape every Silver table is built in, declared once (the files beside this one declare an entity each:
its columns, key, version rule and the typed, checked SELECT of its Bronze stream). For entity X it makes:

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

{%- macro entity(name, source, key, columns, version, comment, pending_comment, export=false) -%}
{%- set target = "SILVER." ~ name -%}
{%- set pending = "SILVER.PENDING_" ~ name -%}
{%- set hash = "ROW_HASH" if export else "PAYLOAD_HASH" -%}
{%- set names = columns | map(attribute=0) | list -%}
{%- set pending_names = names + ["INGEST_BATCH_ID", "RECORD_KEY", "FAILED_RULE", "FAILED_DETAIL", "PAYLOAD"] -%}
CREATE SCHEMA IF NOT EXISTS SILVER;

CREATE TABLE IF NOT EXISTS {{ target }} (
{%- for c in columns %}
    {{ c[0] }} {{ c[1] }}{% if c[2] %} COMMENT '{{ c[2] }}'{% endif %}{{ "," if not loop.last }}
{%- endfor %}
) COMMENT = '{{ comment }}';

CREATE TABLE IF NOT EXISTS {{ pending }} (
{%- for c in columns %}
    {{ c[0] }} {{ c[1] | replace(" NOT NULL", "") }},
{%- endfor %}
    INGEST_BATCH_ID VARCHAR,
    RECORD_KEY VARCHAR,
    FAILED_RULE VARCHAR COMMENT 'NULL when the row passed every rule',
    FAILED_DETAIL VARCHAR COMMENT 'The field that broke FAILED_RULE, for rules about many fields',
    PAYLOAD VARIANT
) COMMENT = '{{ pending_comment }}';
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
