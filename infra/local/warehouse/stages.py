"""Loading staged CSV files: what fakesnow 0.12.1's COPY INTO lacks for the pipeline's loads.

fakesnow implements internal stages, `PUT` (the connector uploads to the server's `/fs_bucket`),
named file formats and `COPY INTO`, with load metadata (a file already loaded into a table is
skipped). `REMOVE @stage/path` (which fakesnow lacks) deletes staged files under the path. Three gaps
change results against Snowflake, and are closed here:

- a COPY transformation (`COPY INTO t (cols) FROM (SELECT $1, t.$2, METADATA$FILE_ROW_NUMBER FROM @stage/…)`)
  crashes fakesnow; positional columns are rewritten to DuckDB's `column<n-1>` and the record number to
  `ROW_NUMBER() OVER ()` (records in file order, 1 = the first record after the skipped header);
- DuckDB sniffs each CSV column's type, so `33.10` loaded into a VARCHAR column came back as `33.1`;
  Snowflake reads fields as text and converts them to the target column's type, so CSV fields are
  read as VARCHAR here too (`all_varchar`) and cast by the insert;
- DuckDB refuses a CSV record over 2 MB, where Snowflake loads a field up to the VARCHAR limit, so a long
  journal note failed locally only: records up to 128 MB are read.

Upstream: fakesnow's staged loading is tracked in tekumara/fakesnow#35 and #403/#408 (bulk-load pipeline: named
file formats, CSV options); none covers transformations or text-typed fields yet. fakesnow has no public hook for
either, so these patch `ReadCSV.read_expression` and `_inserts` (checked at start-up: fakesnow_fixes.PRIVATE).
"""

from __future__ import annotations

import os
import re
import shutil
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import fakesnow.copy_into as fs_copy
from sqlglot import exp, parse_one

from infra.local.warehouse import persistence
from infra.local.warehouse.base import LocalSession, Outcome, answer
from infra.local.warehouse.sqltext import sql_literal

if TYPE_CHECKING:
    from infra.local.warehouse.engine import Engine

# what a COPY transformation's text has rewritten: a positional column (`$2`, `t.$2`) to DuckDB's `column1`, the
# record number to ROW_NUMBER() OVER (), and the stage's alias away (fakesnow reads the stage as an unaliased table);
# a string matches first, so nothing inside one is rewritten
_TRANSFORM = re.compile(
    r"(?P<string>'(?:[^']|'')*')|(?:\b[A-Za-z_]\w*\s*\.\s*)?\$(?P<position>\d+)\b"
    r"|(?P<row>\bMETADATA\$FILE_ROW_NUMBER\b)"
    r"|(?P<stage>@[^\s)]+)\s+(?:AS\s+)?(?!FILE_FORMAT\b|FILES\b|PATTERN\b)[A-Za-z_]\w*(?=\s*\))",
    re.I,
)
_COLUMN = re.compile(r"^column(\d+)$", re.I)
MAX_RECORD_BYTES = 128 * 1024 * 1024
_original_read_expression = fs_copy.ReadCSV.read_expression
_original_inserts = fs_copy._inserts


def _read_csv_as_text(self: fs_copy.ReadCSV, url: str) -> exp.Expression:
    """Fields as text with the file format's delimiter and quote as given, never sniffed."""
    read = _original_read_expression(self, url)
    read.append("expressions", self.make_eq("all_varchar", True))
    if self.sep == ",":  # fakesnow leaves the default delimiter to DuckDB's sniffer, which can guess wrong
        read.append("expressions", self.make_eq("sep", ","))
    if self.quote:  # a doubled enclosing quote is a literal quote, as in Snowflake
        read.append("expressions", self.make_eq("escape", self.quote))
    # DuckDB refuses a record over 2 MB; Snowflake loads a VARCHAR field up to 128 MB
    # (https://docs.snowflake.com/en/sql-reference/data-types-text)
    read.append("expressions", self.make_eq("max_line_size", MAX_RECORD_BYTES))
    return read


@dataclass
class _TransformCSV(fs_copy.ReadCSV):
    """A COPY transformation's read: `width` positional fields, a short record padded with NULLs and extra
    fields ignored (Snowflake ignores ERROR_ON_COLUMN_COUNT_MISMATCH for transformations), read in file order
    on one thread so METADATA$FILE_ROW_NUMBER (ROW_NUMBER() OVER ()) numbers records as they are in the file."""

    width: int = 1

    def read_expression(self, url: str) -> exp.Expression:
        read = _read_csv_as_text(self, url)
        columns = ", ".join(f"'column{i}': 'VARCHAR'" for i in range(self.width))
        read.append("expressions", exp.EQ(this=exp.var("columns"), expression=parse_one(f"{{{columns}}}", "duckdb")))
        fixed = {"auto_detect": False, "null_padding": True, "parallel": False, "strict_mode": False}
        for name, value in fixed.items():
            read.append("expressions", self.make_eq(name, value))
        return read


def _inserts(expr: exp.Copy, params: fs_copy.CopyParams, urls: list[str], parquet_info: Any = None) -> list:
    source = expr.args["files"][0]
    if isinstance(source, exp.Subquery) and type(params.file_format) is fs_copy.ReadCSV:
        used = [int(m[1]) for c in source.find_all(exp.Column) if (m := _COLUMN.match(c.name))]
        params.file_format = _TransformCSV(**vars(params.file_format), width=max(used, default=0) + 1)
    return _original_inserts(expr, params, urls, parquet_info)


def register(engine: Engine) -> None:
    fs_copy.ReadCSV.read_expression = _read_csv_as_text  # type: ignore[method-assign]
    fs_copy._inserts = _inserts
    engine.on(r"^COPY\s+INTO\s+.+?\bFROM\s*\(\s*SELECT\b.*$", _copy_transformation)
    engine.on(r"^(?:REMOVE|RM)\s+@(?P<stage>[^\s/]+)(?P<path>/\S*)?$", _remove)
    persistence.register(engine)  # DROP STAGE / FILE FORMAT, and what a dropped schema held


def _remove(engine: Engine, session: LocalSession, text: str, m: re.Match[str]) -> Outcome:
    """REMOVE @stage[/path]: the staged files under the path go; one row per removed file, as Snowflake."""
    stage_name, root, target, removed = persistence.staged(session, m["stage"], m["path"])
    if os.path.realpath(target) == os.path.realpath(root):
        for f in removed:  # the whole stage: its files go, the stage stays
            os.remove(os.path.join(root, f))
    elif os.path.isdir(target):
        shutil.rmtree(target)
    elif removed:
        os.remove(target.rstrip("/"))
    if not removed:
        return answer('SELECT NULL AS "name", NULL AS "result" WHERE FALSE')
    rows = [f'SELECT {sql_literal(stage_name.lower() + "/" + f)} AS "name", \'removed\' AS "result"' for f in removed]
    return answer(" UNION ALL ".join(rows))


def _copy_transformation(engine: Engine, session: LocalSession, text: str, m: re.Match[str]) -> Outcome:
    def rewrite(part: re.Match[str]) -> str:
        if part["position"]:
            return f"column{int(part['position']) - 1}"
        return "ROW_NUMBER() OVER ()" if part["row"] else part["stage"] or part["string"]

    return Outcome(sql=_TRANSFORM.sub(rewrite, text))
