"""Fixes to fakesnow behaviour the local warehouse depends on, applied when the server starts.

Each one is a known difference between fakesnow 0.12.1 and Snowflake that would make the same SQL return different
results locally, named in PATCHES with the upstream issue where there is one (tests/warehouse/test_fakesnow_fixes.py
fails without each); remove a fix once fakesnow ships its own. fakesnow offers no public hook for any of them, nor
for the statement cache (statement_cache.py), the COPY fixes (stages.py) or the server wiring (server.py), so
`check_private` names every private fakesnow attribute the layer relies on and fails the start-up, naming them,
when an upgrade removed one (instead of the layer breaking silently on some later statement).
"""

from __future__ import annotations

from collections.abc import Callable
from importlib.metadata import version
from typing import Any

import fakesnow.arrow as fs_arrow
import fakesnow.copy_into as fs_copy
import fakesnow.info_schema as fs_info_schema
import fakesnow.server as fs_server
import fakesnow.transforms as fs_transforms
import fakesnow.transforms.stage as fs_stage
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


# (module or class, attribute, replacement, upstream issue or "none found")
PATCHES: tuple[tuple[object, str, Callable[..., Any], str], ...] = (
    (fs_arrow, "timestamp_to_sf_struct", _timestamp_struct_keeping_nulls, "none found"),
    (fs_transforms, "to_timestamp", _to_timestamp_keeping_try, "none found"),
    # COUNT_IF over no rows: tekumara/fakesnow#406 (fixed for MERGE counts only, by #410)
    (FakeSnowflakeCursor, "_transform", _transform_with_fixes, "tekumara/fakesnow#406"),
    (fs_info_schema, "insert_table_comment_sql", _insert_table_comment_quoted, "none found"),
)

# private fakesnow names the layer uses, for want of a public way (a live connection's `_duck_conn` is checked by
# check_private(conn)): the statement cache, the COPY fixes, the server's session table and query routes
PRIVATE: tuple[tuple[object, tuple[str, ...]], ...] = (
    (FakeSnowflakeCursor, ("_execute", "_transform", "_inline_variables", "_describe_last_sql")),
    (fs_copy, ("_inserts", "ReadCSV")),
    (fs_copy.ReadCSV, ("read_expression", "make_eq")),
    (fs_stage, ("LOCAL_BUCKET_PATH", "parts_from_var", "internal_dir")),
    (
        fs_server,
        ("shared_fs", "sessions", "routes", "parse_one", "query_request", "login_request", "session", "bucket_upload"),
    ),
)


def check_private(conn: object | None = None) -> None:
    """Fail at start-up, naming them, when the installed fakesnow lacks private names the layer relies on."""
    missing = [f"{getattr(o, '__name__', o)}.{n}" for o, names in PRIVATE for n in names if not hasattr(o, n)]
    if conn is not None and not hasattr(conn, "_duck_conn"):
        missing.append("FakeSnowflakeConnection._duck_conn")
    if missing:
        raise RuntimeError(
            f"fakesnow {version('fakesnow')} lacks {', '.join(missing)}, which the local warehouse patches or reads "
            "(written against fakesnow 0.12.1): see infra/local/warehouse/fakesnow_fixes.py"
        )


def apply() -> None:
    check_private()
    for owner, attribute, replacement, _ in PATCHES:
        setattr(owner, attribute, replacement)
