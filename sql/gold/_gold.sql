{#- What the Gold files share, declared once: the dynamic-table header, the YYYYMMDD date key and the API-first
reconciliation of an entity that both the API and the CSV export deliver. The files beside this one import it
(`{% from '_gold.sql' import … with context %}`: the header names the app's warehouse); OPS.BUILD_GOLD imports it with
them and renders them (snowpark_procs/app_warehouse.py). Files whose names start with `_` hold macros only and are
not run. -#}

{#- A Gold dynamic table's header. WAREHOUSE takes a literal name, the app's, which only the running app knows
    (https://docs.snowflake.com/en/sql-reference/sql/create-dynamic-table; snowpark_procs/app_warehouse.py). A leaf
    table refreshes on a time lag (20 minutes: with the 30-minute ingest schedule a new record reaches Gold within
    about an hour, README "Freshness"); an inner one is DOWNSTREAM, refreshed when a table that reads it refreshes.
    REFRESH_MODE is explicit: under AUTO a table may stick to FULL. -#}
{% macro dynamic_table(name, comment, lag="'20 minutes'", refresh_mode="INCREMENTAL") -%}
CREATE OR REPLACE DYNAMIC TABLE GOLD.{{ name }}
    TARGET_LAG = {{ lag }}
    WAREHOUSE = {{ app_warehouse }}
    REFRESH_MODE = {{ refresh_mode }}
    COMMENT = '{{ comment }}'
AS
{%- endmacro %}

{#- GOLD.DIM_DATE's key of a date: YYYYMMDD as a number. -#}
{% macro date_key(day) -%}
YEAR({{ day }}) * 10000 + MONTH({{ day }}) * 100 + DAY({{ day }})
{%- endmacro %}

{#- One column of the reconciliation, as a SELECT target of the API side (`side` "api") or the export side. A column is
    its name (read under that name on both sides) or (name, API expression[, export expression]); an expression left
    out or none is the column of that name, and a target is aliased unless it is a column of that name. An export
    row's SCORE_STATE is SCORED when its `scored_by` column has a value (the export has no score state). -#}
{% macro _target(column, side, alias, scored_by=none) -%}
{%- set name = column if column is string else column[0] -%}
{%- set given = none if column is string or (side == "export" and column | length < 3)
    else column[1] if side == "api" else column[2] -%}
{%- if given is none and side == "export" and name == "SCORE_STATE" -%}
{%- set given = "IFF(e.%s IS NULL, 'PENDING_SCORE', 'SCORED')" % scored_by -%}
{%- endif -%}
{%- set expr = given if given is not none else alias ~ "." ~ name -%}
{{ expr }}{{ " AS " ~ name if expr.partition(".")[2] != name }}
{%- endmacro %}

{#- An inner Gold table: every record of an entity once, from the API or, when the API never had it, from the CSV
    export. The two sources meet on (member, start to the second): the export writes local times to the second, the
    API to the millisecond. API first: when both have a record, the API row is taken whole. DOWNSTREAM lag: refreshed
    when a table that reads it refreshes.
    `start` is (name, API column) of the start the sources meet on and `id` (name, API column) of WHOOP's id, which
    the export does not have; they follow MEMBER_NAME. `columns` lists the other columns of both sides in order (see
    _target), `api_from` is the API side's FROM (its first alias qualifies the plain columns). The table: the entity's
    key (MD5 of entity, member and start, like every surrogate key in Gold), the member's key, `keys` (more key
    expressions), the columns (those in `rounded` to two decimals), SOURCE (API or EXPORT) and `derived` (expressions
    over them, e.g. the record that counts for the day). -#}
{% macro reconciled(entity, comment, start, id, api_from, export_from, scored_by, columns, keys=[], rounded=[],
    derived=[]) -%}
{%- set alias = api_from.split()[2] -%}
{%- set columns = ["MEMBER_NAME", (start[0], "DATE_TRUNC('SECOND', %s)" % start[1]), (id[0], id[1], "NULL")]
    + columns -%}
{%- set names = [] -%}
{%- for c in columns -%}{%- set _ = names.append(c if c is string else c[0]) -%}{%- endfor -%}
{{ dynamic_table("INT_" ~ entity, comment, lag="DOWNSTREAM") }}
WITH api AS (
    SELECT
        {% for c in columns %}{{ _target(c, "api", alias) }}{{ ",\n        " if not loop.last }}{% endfor %}
    FROM {{ api_from }}
),
export_only AS (
    SELECT
        {% for c in columns %}{{ _target(c, "export", "e", scored_by) }}{{ ",\n        " if not loop.last }}{% endfor %}
    FROM {{ export_from }} AS e
    LEFT JOIN api AS a ON a.MEMBER_NAME = e.MEMBER_NAME AND a.{{ start[0] }} = e.{{ start[0] }}
    WHERE a.MEMBER_NAME IS NULL
),
unified AS (
{%- for source, cte in [("API", "api"), ("EXPORT", "export_only")] %}
    SELECT
        {{ (names + ["'%s' AS SOURCE" % source]) | join(", ") | wordwrap(110, wrapstring="\n        ") }}
    FROM {{ cte }}
    {{- "\n    UNION ALL" if loop.first }}
{%- endfor %}
)
SELECT
    MD5('{{ entity | lower }}|' || MEMBER_NAME || '|' || TO_VARCHAR(DATE_PART(EPOCH_SECOND, {{ start[0] }})))
        AS {{ entity }}_KEY,
    MD5('member|' || MEMBER_NAME) AS MEMBER_KEY,
    {%- for k in keys %}
    {{ k }},
    {%- endfor %}
    {%- for n in names %}
    {{ "ROUND(%s, 2)::NUMBER(10, 2) AS %s" % (n, n) if n in rounded else n }},
    {%- endfor %}
    SOURCE
    {%- for d in derived %},
    {{ d }}
    {%- endfor %}
FROM unified;
{%- endmacro %}
