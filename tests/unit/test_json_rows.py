"""The one "insert these rows as JSON" helper Bronze ingest and the ML writes share (snowpark_procs/json_rows.py)."""

from __future__ import annotations

import json
import math

import pytest

from snowpark_procs.json_rows import flattened, insert_json_rows, rows_json


class Session:
    """Records the statement and its bind; answers as Snowflake does an INSERT (rows inserted)."""

    def __init__(self, inserted: int) -> None:
        self.inserted, self.sent = inserted, []

    def sql(self, text: str, params=None):
        self.sent.append((text, params))
        return self

    def collect(self):
        return [(self.inserted,)]


def test_one_statement_one_bind_and_the_warehouse_count():
    session = Session(inserted=1)
    rows = [["a", 1.5, {"k": [1]}], ["b", math.nan, None]]
    assert (
        insert_json_rows(session, "S.T", ["A", "B", "P"], ["STRING", "FLOAT", None], rows, where="r.value[0] = 'a'")
        == 1
    )
    ((text, params),) = session.sent
    assert text == (
        "INSERT INTO S.T (A, B, P) SELECT r.value[0]::STRING, r.value[1]::FLOAT, r.value[2] "
        "FROM TABLE(FLATTEN(INPUT => PARSE_JSON(?))) AS r WHERE r.value[0] = 'a'"
    )
    assert json.loads(params[0]) == [["a", 1.5, {"k": [1]}], ["b", None, None]]  # NaN has no JSON literal: null


def test_nothing_sent_for_no_rows_and_columns_must_match_types():
    session = Session(inserted=0)
    assert insert_json_rows(session, "S.T", ["A"], ["STRING"], []) == 0 and session.sent == []
    with pytest.raises(ValueError, match="2 columns but 1 types"):
        insert_json_rows(session, "S.T", ["A", "B"], ["STRING"], [["x", "y"]])


def test_named_relation_for_a_using_clause_and_canonical_payloads():
    assert flattened(["STRING", "NUMBER"], ["M", "T"]) == (
        "SELECT r.value[0]::STRING AS M, r.value[1]::NUMBER AS T FROM TABLE(FLATTEN(INPUT => PARSE_JSON(?))) AS r"
    )
    assert rows_json([[{"b": 1, "a": 2}]]) == '[[{"a":2,"b":1}]]'  # keys sorted, as ingest hashes payloads
