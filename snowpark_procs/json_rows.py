"""Rows written as one JSON array: `INSERT INTO t (cols) SELECT r.value[i]::TYPE, … FROM TABLE(FLATTEN(PARSE_JSON(?)))`.

Why one statement per batch: the rows travel as one bound JSON text, so the statement's text is the same whatever
the number of rows (the warehouse reuses its plan), a VARIANT column receives the parsed value (never a JSON
string), and a condition against the rows already stored can be part of the same INSERT. Bronze's ingest and the ML
layer's writes both go through here.
FLATTEN of an array yields one row per element in VALUE
(https://docs.snowflake.com/en/sql-reference/functions/flatten); `value[i]::TYPE` casts the element's i-th item.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from snowflake.snowpark import Session


def json_value(value: Any) -> Any:
    """A value JSON can carry: NaN and ±inf (no JSON literal) become null."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def rows_json(rows: Sequence[Sequence[Any]]) -> str:
    """The rows as one canonical JSON array (keys sorted, no spaces: a payload's text is the one it is hashed as)."""
    cleaned = [[json_value(v) for v in row] for row in rows]
    return json.dumps(cleaned, sort_keys=True, separators=(",", ":"), default=str)


def flattened(types: Sequence[str | None], names: Sequence[str] | None = None) -> str:
    """`SELECT r.value[0]::TYPE [AS name], … FROM TABLE(FLATTEN(INPUT => PARSE_JSON(?))) AS r`: the rows of one bound
    JSON array (rows_json) as a relation, for an INSERT, or the USING of a DELETE or MERGE."""
    items = [f"r.value[{i}]" + (f"::{t}" if t else "") for i, t in enumerate(types)]
    if names is not None:
        items = [f"{item} AS {name}" for item, name in zip(items, names, strict=True)]
    return f"SELECT {', '.join(items)} FROM TABLE(FLATTEN(INPUT => PARSE_JSON(?))) AS r"


def insert_json_rows(
    session: Session,
    table: str,
    columns: Sequence[str],
    types: Sequence[str | None],
    rows: Sequence[Sequence[Any]],
    where: str | None = None,
) -> int:
    """INSERT `rows` (lists in `columns` order) into `table`; returns how many rows the warehouse inserted.

    `types[i]` is the SQL type item i is cast to (None: stored as the VARIANT it is); `where` an optional
    condition over `r` (the flattened row), e.g. `NOT EXISTS (… r.value[7]::STRING …)`, to skip rows already there.
    """
    if len(columns) != len(types):
        raise ValueError(f"{len(columns)} columns but {len(types)} types")
    if not rows:
        return 0
    sql = f"INSERT INTO {table} ({', '.join(columns)}) {flattened(types)}"
    if where:
        sql += f" WHERE {where}"
    inserted = session.sql(sql, params=[rows_json(rows)]).collect()
    return int(inserted[0][0]) if inserted else 0
