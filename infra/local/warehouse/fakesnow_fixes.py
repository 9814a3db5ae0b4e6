"""Fixes to fakesnow behaviour the local warehouse depends on, applied when the server starts.

Each one is a known difference between fakesnow 0.12.1 and Snowflake that would make the same SQL
return different results locally; remove a fix once fakesnow ships its own.
"""

from __future__ import annotations

import fakesnow.arrow as fs_arrow
import pyarrow as pa
import pyarrow.compute as pc

_original_timestamp_to_sf_struct = fs_arrow.timestamp_to_sf_struct


def _timestamp_struct_keeping_nulls(ts: pa.Array | pa.ChunkedArray) -> pa.Array:
    """fakesnow's server encodes a NULL TIMESTAMP as epoch 0 (1970-01-01); keep it NULL."""
    if isinstance(ts, pa.ChunkedArray):
        ts = ts.combine_chunks()
    encoded = _original_timestamp_to_sf_struct(ts)
    if ts.null_count == 0:
        return encoded
    children = [pc.fill_null(child, 0) for child in encoded.flatten()]
    return pa.StructArray.from_arrays(children, fields=list(encoded.type), mask=ts.is_null())


def apply() -> None:
    fs_arrow.timestamp_to_sf_struct = _timestamp_struct_keeping_nulls
