"""SEQ1/2/4/8 may leave gaps (https://docs.snowflake.com/en/sql-reference/functions/seq1: "does not necessarily
produce a gap-free sequence … consider using the ROW_NUMBER window function"). A date spine built on SEQ4() would
miss dates, and the local warehouse (DuckDB) never shows the gaps, so this is checked on the SQL: a SEQ function is
only ever the ordering of a ROW_NUMBER()."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SEQ = re.compile(r"\bSEQ[1248]\s*\(\s*\d?\s*\)", re.I)
ORDERED = re.compile(r"ROW_NUMBER\s*\(\s*\)\s*OVER\s*\(\s*ORDER\s+BY\s+SEQ[1248]\s*\(\s*\d?\s*\)\s*\)", re.I)


def bare_sequences(sql: str) -> list[str]:
    text = re.sub(r"--[^\n]*", "", sql)
    text = ORDERED.sub("ROW_NUMBER_OVER_SEQ", text)
    return [m.group(0) for m in SEQ.finditer(text)]


@pytest.mark.parametrize("path", sorted((ROOT / "sql").rglob("*.sql")), ids=lambda p: str(p.relative_to(ROOT)))
def test_sequences_only_order_a_row_number(path):
    assert not bare_sequences(path.read_text()), f"{path}: number rows with ROW_NUMBER() OVER (ORDER BY SEQ4())"


def test_the_check_sees_a_bare_sequence():
    assert bare_sequences("SELECT DATEADD(DAY, SEQ4(), d) FROM TABLE(GENERATOR(ROWCOUNT => 9))") == ["SEQ4()"]
    assert bare_sequences("SELECT ROW_NUMBER() OVER (ORDER BY SEQ4()) - 1 FROM t") == []
