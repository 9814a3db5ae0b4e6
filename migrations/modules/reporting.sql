{#- A REPORTING secure view, declared once: its explicit column list (a Gold column added later does not leak into a
    report), its comment, the BI role's grant and, for member rows, the row access policy, all re-applied after the
    view because CREATE OR REPLACE without COPY GRANTS drops a view's grants
    (https://docs.snowflake.com/en/sql-reference/sql/create-view; behaviour change 2026_08 makes copying the default,
    https://docs.snowflake.com/en/release-notes/bcr-bundles/2026_08/bcr-2433: re-granting stays correct either way)
    and its policy attachments. Masked columns get the PII mask.
    Imported `with context`, so reporting_database and app_database are the script's. -#}
{% macro secure_view(name, comment, columns, member_rows=true, masked=[]) -%}
{%- set view = reporting_database ~ ".REPORTING." ~ name -%}
CREATE OR REPLACE SECURE VIEW {{ view }} (
    {{ columns | join(",\n    ") }}
)
COMMENT = '{{ comment }}'
AS
{{ caller() | trim }};
GRANT SELECT ON VIEW {{ view }} TO ROLE WHOOP_BI;
{%- if member_rows %}
ALTER VIEW {{ view }} DROP ALL ROW ACCESS POLICIES;
ALTER VIEW {{ view }}
    ADD ROW ACCESS POLICY {{ reporting_database }}.GOVERNANCE.MEMBER_ROW_ACCESS ON (MEMBER_KEY);
{%- endif %}
{%- for column in masked %}
ALTER VIEW {{ view }} MODIFY COLUMN {{ column }}
    SET MASKING POLICY {{ reporting_database }}.GOVERNANCE.PII_STRING_MASK FORCE;
{%- endfor %}
{%- endmacro %}

{#- A view that names each column once: its SELECT reads every column from `alias` unless `derived` gives the
    column's expression; the call's body is what follows the SELECT list (FROM, joins, WHERE). -#}
{% macro view(name, comment, columns, alias, derived={}, member_rows=true, masked=[]) -%}
{%- set rest = caller() | trim -%}
{%- call secure_view(name, comment, columns, member_rows, masked) -%}
SELECT
    {% for c in columns %}{{ derived[c] ~ " AS " ~ c if c in derived else alias ~ "." ~ c }}
    {{- ",\n    " if not loop.last }}{% endfor %}
{{ rest }}
{%- endcall %}
{%- endmacro %}

{#- The common case: a view that passes a table of the app through, column for column. -#}
{% macro table_view(name, source, comment, columns, member_rows=true, masked=[]) -%}
{%- call view(name, comment, columns, "g", member_rows=member_rows, masked=masked) -%}
FROM {{ app_database }}.{{ source }} AS g
{%- endcall %}
{%- endmacro %}
