"""Reuse fakesnow's per-statement work for statements that arrive again with the same text.

fakesnow parses every statement with sqlglot, runs ~80 tree transforms over it and, on the server
path, parses it a second time (for the statement type) and a third time wrapped in `DESCRIBE` (for
the result's row type). For a 25-row parameterised INSERT that is ~40 ms of Python per statement
before DuckDB sees it; for a MERGE ~20 ms. Clients repeat the same statement text (with other bound
values) all the time: the ingest writes every page with one INSERT text per table, dashboards re-run
their queries. This module keeps:

- the transformed statements of SELECT / INSERT / UPDATE / DELETE / MERGE texts, keyed by the text
  (after session variables are inlined) and the session's current database and schema, which is all
  fakesnow's transforms read for these statement kinds. Statements whose transforms depend on
  anything else (IDENTIFIER(?), stages, seeds, RESULT_SCAN, session-changing statements) are not
  kept. The kept trees are shared and only read afterwards (fakesnow's `_execute` does not modify
  them), and each renders its DuckDB SQL once;
- the parsed tree the server reads the statement type from (read-only there too);
- and it describes the last result with DuckDB's `DESCRIBE` directly instead of building that
  statement with sqlglot (same statement, same connection; falls back to fakesnow's way on error).

A MERGE is kept as one native DuckDB `MERGE … RETURNING merge_action` instead of fakesnow's four
statements (see `_native_merge`).

DuckDB still plans and runs every statement against the current catalog, so a table changed by DDL
is seen at once; only the SQL text translation is reused, and it does not depend on the catalog.

Measured (CPU seconds of tests/integration/test_slice.py, under load): 36-39 with all of it, 42 without
the kept translations of other statements than MERGE, 46 without the native MERGE, 48 with only the kept
translations, 50 without this module.
"""

from __future__ import annotations

import functools
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import duckdb
import fakesnow.server as fs_server
import snowflake.connector.errors
from fakesnow.cursor import FakeSnowflakeCursor
from fakesnow.dialect import parse_one
from fakesnow.transforms.merge import operations as merge_operations
from sqlglot import Expr, exp

MAX_ENTRIES = 1024
# statement kinds whose fakesnow transforms read nothing but the text, the current database and schema
_MERGE = re.compile(r"^\s*MERGE\b", re.I)
# CREATE OR REPLACE TABLE … AS is the dynamic-table refresh: the same text on every refresh
_CACHEABLE = re.compile(
    r"^\s*\(?\s*(SELECT|WITH|INSERT|UPDATE|DELETE|MERGE|CREATE\s+OR\s+REPLACE\s+TABLE\s+\S+\s+AS)\b", re.I
)
_UNCACHEABLE_TEXT = re.compile(r"\bIDENTIFIER\s*\(|@|\bRESULT_SCAN\b|\bSEED\b|\bSAMPLE\b", re.I)
# args fakesnow's transforms set when the statement's effect depends on more than its text (args such as
# table_comment are fine: fakesnow's _execute applies them from the kept tree on every run)
_STATEFUL_ARGS = (
    "seed",
    "result_scan_sfqid",
    "put_stage_data",
    "put_stage_name",
    "list_stage_name",
    "set_database",
    "set_schema",
    "set_autocommit",
    "create_db_name",
    "create_stage_name",
    "create_file_format_name",
)


def _cacheable_result(statements: list[Expr]) -> bool:
    return bool(statements) and not any(s.args.get(arg) for s in statements for arg in _STATEFUL_ARGS)


def _rendering_once(statement: Expr) -> Expr:
    """Make the kept tree render each dialect's SQL once (sqlglot copies the tree on every render)."""
    rendered: dict[str, str] = {}
    render = statement.sql

    def sql(dialect: Any = None, **opts: Any) -> str:
        if opts:
            return render(dialect, **opts)
        if (key := str(dialect)) not in rendered:
            rendered[key] = render(dialect)
        return rendered[key]

    statement.sql = sql  # type: ignore[method-assign]
    return statement


@dataclass(frozen=True)
class Plan:
    """What a statement text runs as: fakesnow's transformed statements, or one native DuckDB MERGE."""

    statements: list[tuple[Expr, bool]]  # (statement, has placeholders)
    merge_ops: tuple[str, ...] | None = None  # for a native MERGE: the count columns Snowflake reports


def _plan(statements: list[Expr], merge_ops: tuple[str, ...] | None = None) -> Plan:
    return Plan([(_rendering_once(s), s.find(exp.Placeholder) is not None) for s in statements], merge_ops)


# text, database, schema, database set, schema set -> Plan; the working set is far smaller than MAX_ENTRIES, so a
# full cache simply starts again
transformed_cache: dict[tuple[Any, ...], Plan] = {}

_original_execute: Callable[..., Any] | None = None


def _keep(key: tuple[Any, ...], plan: Plan | None) -> Plan | None:
    if plan is not None:
        if len(transformed_cache) >= MAX_ENTRIES:
            transformed_cache.clear()
        transformed_cache[key] = plan
    return plan


def _native_merge(cursor: FakeSnowflakeCursor, command: str) -> Plan | None:
    """A Snowflake MERGE as one DuckDB MERGE … RETURNING merge_action, or None to leave it to fakesnow.

    fakesnow runs a MERGE as four statements (a FULL OUTER JOIN of target and source into a temporary
    table, then UPDATE, INSERT and a count), which scans the whole target even for a 1 % upsert. DuckDB
    has MERGE itself; the same WHEN clauses run in one statement (so also atomically), and the actions
    it returns give Snowflake's per-operation counts. As with fakesnow, a target row matched by several
    source rows is not refused (Snowflake's ERROR_ON_NONDETERMINISTIC_MERGE).
    """
    try:
        tree = parse_one(command)
        if not isinstance(tree, exp.Merge):
            return None
        cursor.check_db_and_schema(tree)
        ops = tuple(op for op, indices in merge_operations(tree).items() if indices)
        for when in tree.find_all(exp.When):
            then = when.args.get("then")
            if isinstance(then, exp.Update):  # DuckDB wants bare column names after SET
                for assignment in then.expressions:
                    if isinstance(assignment.this, exp.Column):
                        assignment.set("this", exp.column(assignment.this.this))
        native = cursor._transform(tree, None)
    except Exception:  # fakesnow reports (or handles) what this cannot
        return None
    if not isinstance(native, exp.Merge) or not _cacheable_result([native]):
        return None
    native.set("returning", exp.Returning(expressions=[exp.column("merge_action")]))
    return _plan([native], ops)


def _counts(merge_ops: tuple[str, ...], actions: Counter[str]) -> Expr:
    """The one-row result Snowflake answers a MERGE with: rows inserted, updated, deleted."""
    counts = exp.select(
        *(
            exp.alias_(
                exp.cast(exp.Literal.number(actions.get(_ACTIONS[op], 0)), exp.DataType.Type.BIGINT),
                f"number of rows {op}",
                quoted=True,
            )
            for op in merge_ops
        )
    )
    counts.set("merge_counts", True)  # fakesnow then reports their sum as the rows affected
    return counts


_ACTIONS = {"inserted": "INSERT", "updated": "UPDATE", "deleted": "DELETE"}


def _run(cursor: FakeSnowflakeCursor, plan: Plan, bound: Any) -> None:
    for statement, has_placeholders in plan.statements:
        cursor._execute(statement, bound if has_placeholders else None)
    if plan.merge_ops is not None:
        returned = cursor._arrow_table
        actions: Counter[str] = Counter(returned.column(0).to_pylist()) if returned is not None else Counter()
        cursor._execute(_counts(plan.merge_ops, actions))


def _execute(self: FakeSnowflakeCursor, command: str, params: Any = None, *args: Any, **kwargs: Any) -> Any:
    assert _original_execute is not None
    conn = self._conn
    if params is not None or conn.nop_regexes or not _CACHEABLE.match(command) or _UNCACHEABLE_TEXT.search(command):
        return _original_execute(self, command, params, *args, **kwargs)
    try:
        inlined = self._inline_variables(command)
    except snowflake.connector.errors.ProgrammingError as e:
        self._sqlstate = e.sqlstate
        raise
    key = (inlined, conn.database, conn.schema, conn.database_set, conn.schema_set)
    plan = transformed_cache.get(key)
    if plan is None and _MERGE.match(inlined):
        plan = _keep(key, _native_merge(self, inlined))
    if plan is None:
        captured: list[Expr] = []
        transform = self._transform

        def capture(expression: Expr, bound: Any) -> Expr:
            captured.append(transform(expression, bound))
            return captured[-1]

        self._transform = capture  # type: ignore[method-assign]
        try:
            result = _original_execute(self, command, params, *args, **kwargs)
        finally:
            del self._transform
        if _cacheable_result(captured):
            _keep(key, _plan(captured))
        return result
    self._sqlstate = None
    bound = kwargs.get("binding_params") or None
    if bound is not None and not isinstance(bound, list | dict):
        bound = list(bound)
    try:
        _run(self, plan, bound)
    except snowflake.connector.errors.ProgrammingError as e:
        self._sqlstate = e.sqlstate
        raise
    return self


def _describe_last_sql(self: FakeSnowflakeCursor) -> list:
    """DESCRIBE the last statement on the cursor's DuckDB connection (as fakesnow does, minus sqlglot)."""
    try:
        return self._duck_conn.execute(f"DESCRIBE {self._last_sql}", self._last_params).fetchall()
    except duckdb.Error:
        return _original_describe_last_sql(self)


_original_describe_last_sql = FakeSnowflakeCursor._describe_last_sql


def apply() -> None:
    """Install the caches into fakesnow (idempotent)."""
    global _original_execute
    if _original_execute is None:
        _original_execute = FakeSnowflakeCursor.execute
        FakeSnowflakeCursor.execute = _execute  # type: ignore[method-assign]
        FakeSnowflakeCursor._describe_last_sql = _describe_last_sql  # type: ignore[method-assign]
        # the server reads the statement type from this tree and never modifies it, so one text shares one tree
        fs_server.parse_one = functools.lru_cache(maxsize=MAX_ENTRIES)(parse_one)
