"""Fixes to fakesnow behaviour the local warehouse depends on, applied when the server starts.

Each one is a known difference between fakesnow 0.12.1 and Snowflake that would make the same SQL
return different results locally; remove a fix once fakesnow ships its own.
"""

from __future__ import annotations

import fakesnow.arrow as fs_arrow
import fakesnow.info_schema as fs_info_schema
import fakesnow.transforms as fs_transforms
import pyarrow as pa
import pyarrow.compute as pc
from fakesnow.cursor import FakeSnowflakeCursor
from sqlglot import exp

_original_timestamp_to_sf_struct = fs_arrow.timestamp_to_sf_struct
_original_to_timestamp = fs_transforms.to_timestamp
_original_transform = FakeSnowflakeCursor._transform
_original_insert_table_comment_sql = fs_info_schema.insert_table_comment_sql


def _timestamp_struct_keeping_nulls(ts: pa.Array | pa.ChunkedArray) -> pa.Array:
    """fakesnow's server encodes a NULL TIMESTAMP as epoch 0 (1970-01-01); keep it NULL."""
    if isinstance(ts, pa.ChunkedArray):
        ts = ts.combine_chunks()
    encoded = _original_timestamp_to_sf_struct(ts)
    if ts.null_count == 0:
        return encoded
    children = [pc.fill_null(child, 0) for child in encoded.flatten()]
    return pa.StructArray.from_arrays(children, fields=list(encoded.type), mask=ts.is_null())


def _to_timestamp_keeping_try(expression: exp.Expression) -> exp.Expression:
    """fakesnow turns TRY_CAST(x AS TIMESTAMP_NTZ) into a cast that raises on bad text, and lacks
    one-argument TRY_TO_TIMESTAMP_NTZ(x); both must give NULL for unparseable text, as in Snowflake,
    because Silver sends such rows to quarantine instead of failing the whole MERGE."""
    timestamp_types = (exp.DataType.Type.TIMESTAMP, exp.DataType.Type.TIMESTAMPNTZ)
    if isinstance(expression, exp.TryCast) and expression.to.this in timestamp_types:
        return exp.TryCast(this=expression.this, to=exp.DataType.build("TIMESTAMP"))
    if (
        isinstance(expression, exp.Anonymous)
        and expression.name.upper() in {"TRY_TO_TIMESTAMP", "TRY_TO_TIMESTAMP_NTZ"}
        and len(expression.expressions) == 1
    ):
        return exp.TryCast(this=expression.expressions[0], to=exp.DataType.build("TIMESTAMP"))
    return _original_to_timestamp(expression)


def _count_if_zero_on_empty(expression: exp.Expression) -> exp.Expression:
    """DuckDB's COUNT_IF returns NULL over no rows; Snowflake's returns 0 (a run log of an empty batch counts 0)."""
    if isinstance(expression, exp.CountIf):
        condition = expression.this
        return exp.Count(this=exp.Case(ifs=[exp.If(this=condition, true=exp.Literal.number(1))]))
    return expression


def _insert_table_comment_quoted(catalog: str, schema: str, table: str, comment: str | None) -> str:
    """fakesnow pastes a table COMMENT into its catalog INSERT unescaped, so `COMMENT = 'a member''s'` failed."""
    quoted = comment.replace("'", "''") if isinstance(comment, str) else comment
    return _original_insert_table_comment_sql(catalog, schema, table, quoted)  # type: ignore[arg-type]


def _transform_with_fixes(self: FakeSnowflakeCursor, expression: exp.Expression, params: object) -> exp.Expression:
    return _original_transform(self, expression, params).transform(_count_if_zero_on_empty, copy=False)


def apply() -> None:
    fs_arrow.timestamp_to_sf_struct = _timestamp_struct_keeping_nulls
    fs_transforms.to_timestamp = _to_timestamp_keeping_try
    FakeSnowflakeCursor._transform = _transform_with_fixes  # type: ignore[method-assign]
    fs_info_schema.insert_table_comment_sql = _insert_table_comment_quoted
