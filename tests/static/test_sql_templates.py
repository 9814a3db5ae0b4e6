"""The SQL templates that declare a pattern once (sql/gold/30_agg_member_periods.sql, …) render to the statements
the project relies on: the same objects, the same output columns, the same grain. Read with sqlglot (Snowflake
dialect) from the rendering OPS.BUILD_GOLD runs (snowpark_procs/app_warehouse.py), so a template change that alters
what a statement produces fails here, before any warehouse runs it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import sqlglot
from sqlglot import exp

from infra.local import migrations
from snowpark_procs import sql_templates

ROOT = Path(__file__).resolve().parents[2]

_BASE = [
    "MEMBER_KEY", "DAYS_WITH_RECOVERY", "AVG_RECOVERY_SCORE", "AVG_HRV_RMSSD_MS", "AVG_RESTING_HEART_RATE_BPM",
    "DAYS_WITH_STRAIN", "AVG_DAY_STRAIN_SCORE", "TOTAL_CALORIES_BURNED", "NIGHTS_WITH_SLEEP", "AVG_SLEEP_MINUTES",
    "AVG_SLEEP_PERFORMANCE_PCT", "WORKOUTS", "WORKOUT_MINUTES",
]  # fmt: skip
ZONES = [f"ZONE_{z}_MINUTES" for z in range(6)]


def _statements(relpath: str) -> list[exp.Expression]:
    text = sql_templates.render_file(ROOT / relpath, "WHOOP_WH")
    return [sqlglot.parse_one(s, read="snowflake") for s in sql_templates.statements(text)]


def _outputs(select: exp.Select) -> list[str]:
    return [e.alias_or_name.upper() for e in select.expressions]


def _id(unit: str) -> str:
    return f"MD5('{unit}|' || MEMBER_KEY || '|' || TO_CHAR(PERIOD_START))"  # sqlglot writes TO_VARCHAR as TO_CHAR


def test_period_aggregates_differ_only_in_grain():
    """Weekly and monthly: one dynamic table each, truncating to their unit, keyed by an id hashed with the
    unit's name, with the weekly table alone carrying the zone minutes (as before the template)."""
    found = {}
    for statement in _statements("sql/gold/30_agg_member_periods.sql"):
        name = statement.this.sql("snowflake").upper()
        select = statement.expression
        trunc = select.find_all(exp.DateTrunc, exp.TimestampTrunc)
        units = {t.args["unit"].sql("snowflake").strip("'").upper() for t in trunc}
        (md5,) = [m for m in select.find_all(exp.MD5)]
        found[name] = (_outputs(select), units, md5.sql("snowflake"), select.args["group"].sql())
    week = ["WEEK_ID", "MEMBER_KEY", "WEEK_START_DATE_KEY", *_BASE[1:], *ZONES]
    month = ["MONTH_ID", "MEMBER_KEY", "MONTH_START_DATE_KEY", *_BASE[1:]]
    assert found == {
        "GOLD.AGG_MEMBER_WEEKLY": (week, {"WEEK"}, _id("week"), "GROUP BY MEMBER_KEY, PERIOD_START"),
        "GOLD.AGG_MEMBER_MONTHLY": (month, {"MONTH"}, _id("month"), "GROUP BY MEMBER_KEY, PERIOD_START"),
    }


# --- Silver: one shape (sql/silver/_entity.sql), one file per entity -----------------------------------------------

# entity -> (Bronze source, natural key, which version wins, the column that identifies a Bronze version)
SILVER = {
    "CYCLE": ("BRONZE.RAW_CYCLE", ["CYCLE_ID"], "updated", "PAYLOAD_HASH"),
    "RECOVERY": ("BRONZE.RAW_RECOVERY", ["CYCLE_ID"], "updated", "PAYLOAD_HASH"),
    "SLEEP": ("BRONZE.RAW_SLEEP", ["SLEEP_ID"], "updated", "PAYLOAD_HASH"),
    "WORKOUT": ("BRONZE.RAW_WORKOUT", ["WORKOUT_ID"], "updated", "PAYLOAD_HASH"),
    "MEMBER_PROFILE": ("BRONZE.RAW_PROFILE", ["MEMBER_ID"], "loaded", "PAYLOAD_HASH"),
    "BODY_MEASUREMENT": ("BRONZE.RAW_BODY", ["MEMBER_ID", "MEASURED_AT"], "history", "PAYLOAD_HASH"),
    "EXPORT_CYCLE": ("BRONZE.RAW_EXPORT_CYCLE", ["MEMBER_NAME", "CYCLE_START_UTC"], "loaded", "ROW_HASH"),
    "EXPORT_SLEEP": ("BRONZE.RAW_EXPORT_SLEEP", ["MEMBER_NAME", "SLEEP_START_UTC"], "loaded", "ROW_HASH"),
    "EXPORT_WORKOUT": ("BRONZE.RAW_EXPORT_WORKOUT", ["MEMBER_NAME", "WORKOUT_START_UTC"], "loaded", "ROW_HASH"),
    "JOURNAL_ENTRY": (
        "BRONZE.RAW_EXPORT_JOURNAL",
        ["MEMBER_NAME", "CYCLE_START_UTC", "QUESTION_TEXT"],
        "loaded",
        "ROW_HASH",
    ),
}
PENDING_EXTRA = ["INGEST_BATCH_ID", "RECORD_KEY", "FAILED_RULE", "FAILED_DETAIL", "PAYLOAD"]
ORDER = {
    "updated": ["UPDATED_AT DESC", "BRONZE_LOADED_AT DESC"],
    "loaded": ["BRONZE_LOADED_AT DESC"],
}


def _silver(name: str) -> dict[str, object]:
    """The statements one sql/silver/ entity renders to, as OPS.CREATE_FROM_TEMPLATES runs them, read with sqlglot."""
    (path,) = [p for p in (ROOT / "sql" / "silver").glob("[0-9]*.sql") if f'entity("{name}"' in p.read_text()]
    out: dict[str, object] = {}
    for text in sql_templates.statements(sql_templates.render_file(path)):
        if text.startswith("CREATE OR REPLACE TASK"):
            out["task"] = " ".join(text.split())
            continue
        statement = sqlglot.parse_one(text, read="snowflake")
        if isinstance(statement, exp.Create) and statement.kind == "TABLE":
            schema = statement.this
            out[schema.this.sql("snowflake").upper()] = [c.name for c in schema.expressions]
        elif isinstance(statement, exp.Create) and statement.kind == "PROCEDURE":
            body = text[text.index("$$") + 2 : text.rindex("$$")].strip().removeprefix("BEGIN").removesuffix("END;")
            *steps, returned = sql_templates.statements(body)
            assert returned == f"RETURN 'SILVER.{name} built';"
            out["procedure"] = [sqlglot.parse_one(s, read="snowflake") for s in steps]
    return out


def test_every_silver_entity_file_declares_one_of_the_known_entities():
    files = sorted(p.name for p in (ROOT / "sql" / "silver").glob("[0-9]*.sql") if "entity(" in p.read_text())
    assert len(files) == len(SILVER) == 10, files


@pytest.mark.parametrize("name", sorted(SILVER))
def test_silver_entity_renders_the_shared_shape(name):
    """Per entity: PENDING is the table's columns plus the run's; the transform fills PENDING with exactly those
    columns, quarantines once per version and rule, MERGEs the newest passing version per key (or inserts history),
    counts the run and empties PENDING; the task runs it when the stream has data."""
    source, key, version, hash_column = SILVER[name]
    target, pending = f"SILVER.{name}", f"SILVER.PENDING_{name}"
    got = _silver(name)
    columns = got[target]
    assert isinstance(columns, list) and set(key) <= set(columns) and hash_column in columns
    assert got[pending] == [*columns, *PENDING_EXTRA]
    fill, quarantine, merge, runs, empty = got["procedure"]  # type: ignore[misc]

    # 1. the typed, checked SELECT produces PENDING's columns, in order
    assert [c.name for c in fill.this.expressions] == got[pending]
    assert _outputs(fill.expression) == got[pending]

    # 2. rule breakers to OPS.QUARANTINE, named by source and target, once per Bronze version and rule
    assert quarantine.this.this.sql() == "OPS.QUARANTINE"
    values = [e.sql("snowflake") for e in quarantine.expression.expressions]
    assert values[2:4] == [f"'{source}'", f"'{target}'"] and values[9] == f"p.{hash_column}"
    guard = quarantine.expression.args["where"].sql("snowflake")
    assert f"q.SOURCE_TABLE = '{source}' AND q.PAYLOAD_HASH = p.{hash_column}" in guard
    assert ("q.MEMBER_REF IS NOT DISTINCT FROM p.MEMBER_NAME" in guard) == (hash_column == "ROW_HASH")

    # 3. the MERGE: every column, matched on the key, the newest version winning
    assert merge.this.sql() == f"{target} AS tgt"
    source_select = merge.args["using"].this
    assert _outputs(source_select) == columns
    on = {(eq.this.sql(), eq.expression.sql()) for eq in merge.args["on"].find_all(exp.EQ)}
    assert on == {(f"tgt.{k}", f"src.{k}") for k in key}
    whens = merge.args["whens"].expressions
    inserted = [w for w in whens if not w.args.get("matched")]
    assert [c.name for c in inserted[0].args["then"].this.expressions] == columns
    qualify = source_select.args.get("qualify")
    if version == "history":
        assert qualify is None and len(whens) == 1
    else:
        window = qualify.find(exp.Window)
        assert [p.name for p in window.args["partition_by"]] == key
        assert [o.sql("snowflake") for o in window.args["order"].expressions] == [
            *ORDER[version],
            f"{hash_column} DESC",
        ]
        (updated,) = [w for w in whens if w.args.get("matched")]
        assert sorted(e.this.name for e in updated.args["then"].expressions) == sorted(set(columns) - set(key))
        condition = updated.args["condition"].sql()
        assert ("src.UPDATED_AT > tgt.UPDATED_AT" in condition) == (version == "updated")

    # 4. the run counted, PENDING emptied; 5. the task
    assert runs.this.this.sql() == "OPS.TRANSFORM_RUNS" and f"'{target}'" in runs.expression.sql()
    assert empty.sql() == f"DELETE FROM {pending}"
    assert f"WHEN SYSTEM$STREAM_HAS_DATA('{source}_STREAM') AS CALL OPS.BUILD_SILVER_{name}()" in got["task"]


# --- REPORTING views: one macro (migrations/modules/reporting.sql) --------------------------------------------------


def _reporting_statements() -> list[str]:
    (change,) = [c for c in migrations.changes() if c.script == "R__10_reporting_views.sql"]
    text = migrations.render(change, {**migrations.local_vars("WHOOP"), "reporting_database": "WHOOP_REPORTING"})
    return [" ".join(re.sub(r"--[^\n]*", "", s).split()).rstrip(";") for s in migrations.statements(change, text)]


def test_every_reporting_view_is_granted_and_filtered_as_its_rows_need():
    """Each view is followed by the BI role's grant; a view of member rows (a MEMBER_KEY column) by its row access
    policy on MEMBER_KEY, re-attached after CREATE OR REPLACE dropped it; V_MEMBER's PII columns by the mask.
    Nothing else is granted or altered."""
    views: dict[str, list[str]] = {}
    current = ""
    for s in _reporting_statements():
        m = re.match(r"CREATE OR REPLACE SECURE VIEW WHOOP_REPORTING\.REPORTING\.(\w+) \((.*?)\) COMMENT", s)
        if m:
            current = m.group(1)
            views[current] = [f"columns {' '.join(c.strip() for c in m.group(2).split(','))}"]
        else:
            views[current].append(s.replace(f"WHOOP_REPORTING.REPORTING.{current}", "V"))
    assert len(views) >= 19
    for name, (columns, *after) in views.items():
        expected = ["GRANT SELECT ON VIEW V TO ROLE WHOOP_BI"]
        if " MEMBER_KEY" in columns:
            expected += [
                "ALTER VIEW V DROP ALL ROW ACCESS POLICIES",
                "ALTER VIEW V ADD ROW ACCESS POLICY WHOOP_REPORTING.GOVERNANCE.MEMBER_ROW_ACCESS ON (MEMBER_KEY)",
            ]
        if name == "V_MEMBER":
            expected += [
                f"ALTER VIEW V MODIFY COLUMN {c} SET MASKING POLICY WHOOP_REPORTING.GOVERNANCE.PII_STRING_MASK FORCE"
                for c in ("EMAIL", "FIRST_NAME", "LAST_NAME")
            ]
        assert after == expected, name


# --- Data quality: single-table checks as rows (sql/quality/10_run_data_quality.sql) --------------------------------


def _quality_inserts() -> list[exp.Insert]:
    text = sql_templates.render_file(ROOT / "sql" / "quality" / "10_run_data_quality.sql")
    (procedure,) = sql_templates.statements(text)
    body = procedure[procedure.index("$$") + 2 : procedure.rindex("$$")].strip().removeprefix("BEGIN")
    statements = sql_templates.statements(body.removesuffix("END;"))
    parsed = [sqlglot.parse_one(s, read="snowflake") for s in statements if s.startswith("INSERT INTO OPS.DQ_RESULTS")]
    return [p for p in parsed if isinstance(p, exp.Insert)]


def _single_table_checks(insert: exp.Insert) -> list[tuple[str, str, str]]:
    """(table named, check, table read) for every SELECT of one check over one table the INSERT's CTEs union."""
    out = []
    for select in insert.find_all(exp.Select):
        first = select.expressions[0] if select.expressions else None
        source = select.args.get("from_")
        if not (isinstance(first, (exp.Literal, exp.Alias)) and source and not select.args.get("joins")):
            continue
        named = first.this if isinstance(first, exp.Alias) else first
        if isinstance(named, exp.Literal) and named.is_string and "." in named.this:
            check = select.expressions[1]
            check = check.this if isinstance(check, exp.Alias) else check
            if isinstance(check, exp.Literal) and check.is_string:
                out.append((named.this, check.this, source.this.sql()))
    return out


def test_quality_checks_rendered_from_rows_read_the_table_they_name():
    """Nine result INSERTs of twelve columns each; every single-table check reads the table it reports on, and the
    check lists render to the checks the results have always had (30 Silver, 15 Gold key, 11 Gold value checks)."""
    inserts = _quality_inserts()
    assert len(inserts) == 9
    for insert in inserts:
        assert len(insert.this.expressions) == 12 and len(insert.expression.expressions) == 12
    checks = [c for insert in inserts for c in _single_table_checks(insert)]
    assert [(named, check) for named, check, read in checks if named != read] == []
    per_layer = {layer: sorted({(t, c) for t, c, _ in checks if t.startswith(layer)}) for layer in ("SILVER.", "GOLD.")}
    assert len(per_layer["SILVER."]) == 30
    assert len([c for c in per_layer["SILVER."] if c[1] == "pending_empty"]) == 10
    assert len(per_layer["GOLD."]) == 15 + 11


# --- Gold inner tables: one reconciliation (sql/gold/_gold.sql `reconciled`), one call per entity -------------------

# table -> (the start both sources meet on, the output columns, in order, that the facts and the VIEWER views read)
INNER = {
    "INT_CYCLE": ("CYCLE_START_UTC", [
        "CYCLE_KEY", "MEMBER_KEY", "MEMBER_NAME", "CYCLE_START_UTC", "CYCLE_ID", "CYCLE_END_UTC", "OFFSET_MINUTES",
        "CYCLE_DATE", "SCORE_STATE", "DAY_STRAIN", "ENERGY_KCAL", "AVERAGE_HEART_RATE", "MAX_HEART_RATE",
        "BRONZE_LOADED_AT", "SOURCE",
    ]),
    "INT_SLEEP": ("SLEEP_START_UTC", [
        "SLEEP_KEY", "MEMBER_KEY", "MEMBER_NAME", "SLEEP_START_UTC", "WHOOP_SLEEP_ID", "SLEEP_END_UTC",
        "SLEEP_START_LOCAL", "SLEEP_END_LOCAL", "WAKE_DATE", "IS_NAP", "SCORE_STATE", "IN_BED_MINUTES",
        "ASLEEP_MINUTES",
        "LIGHT_SLEEP_MINUTES", "DEEP_SLEEP_MINUTES", "REM_SLEEP_MINUTES", "AWAKE_MINUTES", "SLEEP_EFFICIENCY_PCT",
        "SLEEP_PERFORMANCE_PCT", "RESPIRATORY_RATE", "SLEEP_NEEDED_MINUTES", "SLEEP_DEBT_MINUTES", "BRONZE_LOADED_AT",
        "SOURCE", "IS_MAIN_SLEEP",
    ]),
    "INT_RECOVERY": ("CYCLE_START_UTC", [
        "RECOVERY_KEY", "MEMBER_KEY", "MEMBER_NAME", "CYCLE_START_UTC", "CYCLE_ID", "RECOVERY_DATE", "ASLEEP_MINUTES",
        "SCORE_STATE", "RECOVERY_SCORE", "HRV_RMSSD_MS", "RESTING_HEART_RATE", "SPO2_PERCENTAGE", "SKIN_TEMP_CELSIUS",
        "BRONZE_LOADED_AT", "SOURCE", "IS_DAY_RECOVERY",
    ]),
    "INT_WORKOUT": ("WORKOUT_START_UTC", [
        "WORKOUT_KEY", "MEMBER_KEY", "ACTIVITY_TYPE_KEY", "MEMBER_NAME", "WORKOUT_START_UTC", "WHOOP_WORKOUT_ID",
        "WORKOUT_END_UTC", "WORKOUT_START_LOCAL", "WORKOUT_END_LOCAL", "WORKOUT_DATE", "SPORT_NAME", "SCORE_STATE",
        "DURATION_MINUTES", "STRAIN", "AVERAGE_HEART_RATE", "MAX_HEART_RATE", "ENERGY_KCAL", "DISTANCE_METERS",
        "ALTITUDE_GAIN_METERS", "ZONE_DURATION_MINUTES", *[f"ZONE_{z}_MINUTES" for z in range(6)], "BRONZE_LOADED_AT",
        "SOURCE",
    ]),
}  # fmt: skip


@pytest.mark.parametrize("table", sorted(INNER))
def test_gold_inner_table_takes_the_api_first_and_the_export_only_where_the_api_has_nothing(table):
    """Each inner table: the API side and the export side produce the same columns in the same order; the export
    side keeps only rows no API row meets on (member, start); both are unioned with their SOURCE; the table's columns
    are the entity key, the member key, the columns the Gold facts read and SOURCE; DOWNSTREAM and incremental."""
    path = next((ROOT / "sql" / "gold").glob(f"1?_{table.lower()}.sql"))
    (statement,) = _statements(path.relative_to(ROOT).as_posix())
    start, outputs = INNER[table]
    assert statement.this.sql("snowflake").upper() == f"GOLD.{table}"
    header = " ".join(p.sql("snowflake") for p in statement.args["properties"].expressions).upper()
    assert "TARGET_LAG=DOWNSTREAM" in header.replace(" ", "") and "REFRESH_MODE=INCREMENTAL" in header.replace(" ", "")
    select = statement.expression
    ctes = {c.alias: c.this for c in select.args["with_"].expressions}
    api, export = _outputs(ctes["api"]), _outputs(ctes["export_only"])
    assert api == export and api[:2] == ["MEMBER_NAME", start]
    anti = ctes["export_only"].args["joins"][0]
    assert anti.side == "LEFT"
    assert anti.args["on"].sql() == f"a.MEMBER_NAME = e.MEMBER_NAME AND a.{start} = e.{start}"
    assert ctes["export_only"].args["where"].sql() == "WHERE a.MEMBER_NAME IS NULL"
    union = ctes["unified"]
    assert [_outputs(s) for s in (union.this, union.expression)] == [[*api, "SOURCE"]] * 2
    assert [s.args["from_"].this.name for s in (union.this, union.expression)] == ["api", "export_only"]
    assert _outputs(select) == outputs
