"""Append-only streams on tables.

Local meaning: a stream is a DuckDB view over its source table that shows the rows appended after
the stream's offset, with Snowflake's METADATA$ columns. The offset is a DuckDB `rowid` (rows of an
append-only table get increasing row ids). A DML statement that reads a stream first pins the view
to the rows that exist now, runs, and in the same transaction moves the offset past them, so rows
appended meanwhile stay for the next reader and a failed or rolled-back statement consumes nothing.

Differences from Snowflake: only APPEND_ONLY streams on tables (standard streams would need change
tracking of updates and deletes); a stream whose source table is replaced is not marked stale; when
the DML writes to another database than the stream's, the offset moves in a second transaction
right after the first commits (at-least-once instead of exactly-once).
"""

from __future__ import annotations

import contextlib
import functools
import re
from typing import TYPE_CHECKING

import duckdb
import sqlglot
from sqlglot import exp

from infra.local.warehouse import routines
from infra.local.warehouse.base import LocalSession, Outcome, ok
from infra.local.warehouse.catalog import PREFIX, now
from infra.local.warehouse.errors import LocalSqlError
from infra.local.warehouse.routines import STREAM
from infra.local.warehouse.sqltext import QNAME, ObjectName, qualify

if TYPE_CHECKING:
    from infra.local.warehouse.engine import Engine


def register(engine: Engine) -> None:
    routines.register(engine, STREAM, _create, dropped=_drop_view)
    engine.on(r"^SELECT\b.*SYSTEM\$STREAM_HAS_DATA\s*\(.*$", _has_data_rewrite)
    for (name,) in engine.catalog.query(f"SELECT NAME FROM {PREFIX}.STREAMS"):
        engine.watch_stream(name.rsplit(".", 1)[-1])


def _quoted(fqn: str) -> str:
    return ObjectName(*fqn.split(".")).sql()


def _view_sql(stream: str, source: str, offset: int, pin: int | None = None) -> str:
    """The stream's view over `source` (fully qualified names): the rows after `offset`, up to `pin` if pinned."""
    upper = f" AND src.rowid <= {pin}" if pin is not None else ""
    return (
        f"CREATE OR REPLACE VIEW {_quoted(stream)} AS SELECT src.*, 'INSERT' AS \"METADATA$ACTION\", "
        f'FALSE AS "METADATA$ISUPDATE", CAST(src.rowid AS VARCHAR) AS "METADATA$ROW_ID" '
        f"FROM {_quoted(source)} AS src WHERE src.rowid > {offset}{upper}"
    )


def _high(duck: duckdb.DuckDBPyConnection, source: str) -> int:
    """The source table's highest row id as this transaction sees it (-1 when empty)."""
    return duck.execute(f"SELECT COALESCE(MAX(rowid), -1) FROM {_quoted(source)}").fetchone()[0]


def _create(engine: Engine, session: LocalSession, text: str, m: re.Match[str]) -> Outcome:
    name = qualify(m["name"], session.database, session.schema)
    on = re.match(rf"ON\s+TABLE\s+(?P<source>{QNAME})\s+.*\bAPPEND_ONLY\s*=\s*TRUE\b", m["rest"], re.I | re.S)
    if on is None:
        raise LocalSqlError("The local warehouse emulates only APPEND_ONLY = TRUE streams on tables", errno=2000)
    source = qualify(on["source"], session.database, session.schema).fqn
    if (over := routines.create_over(engine, STREAM, name, m)) is not None:
        return over
    with contextlib.closing(engine.fs.duck_conn.cursor()) as duck:
        try:
            high = _high(duck, source)
        except Exception as e:
            raise LocalSqlError(f"Table '{source}' does not exist or not authorized.", errno=2003) from e
        duck.execute(_view_sql(name.fqn, source, high))
    engine.catalog.query(
        f"INSERT OR REPLACE INTO {PREFIX}.STREAMS VALUES (?, ?, 'APPEND_ONLY', ?, ?)", [name.fqn, source, high, now()]
    )
    engine.watch_stream(name.name)
    return ok(f"Stream {name.name} successfully created.")


def _drop_view(engine: Engine, session: LocalSession, name: ObjectName) -> None:
    with contextlib.closing(engine.fs.duck_conn.cursor()) as duck:
        duck.execute(f"DROP VIEW IF EXISTS {name.sql()}")


_HAS_DATA = re.compile(r"SYSTEM\$STREAM_HAS_DATA\s*\(\s*'([^']+)'\s*\)", re.I)


def _has_data_rewrite(engine: Engine, session: LocalSession, text: str, m: re.Match[str]) -> Outcome:
    """SYSTEM$STREAM_HAS_DATA('s') becomes EXISTS over the stream's view; the view is the truth."""

    def replace(match: re.Match[str]) -> str:
        name = qualify(match.group(1), session.database, session.schema)
        if not routines.exists(engine, STREAM, name.fqn):
            raise routines.not_found(STREAM, name.fqn)
        return f"(EXISTS (SELECT 1 FROM {name.sql()}))"

    return Outcome(sql=_HAS_DATA.sub(replace, text))


_DML = (exp.Insert, exp.Merge, exp.Update, exp.Delete, exp.Create)
# one DuckDB statement each (fakesnow's MERGE too), so the offset can move in the statement's transaction
_SINGLE_STATEMENT = (exp.Insert, exp.Merge, exp.Update, exp.Delete)


@functools.lru_cache(maxsize=1024)
def _analyse(text: str, database: str | None, schema: str | None) -> tuple[bool, str | None, tuple[str, ...]] | None:
    """(single statement?, target database, every other table it names) of a DML statement, else None.

    Cached by text: the pipeline runs the same few statements on every run, and parsing them is the
    costly part of reading a stream."""
    try:
        tree = sqlglot.parse_one(text, read="snowflake")
    except sqlglot.errors.ParseError:
        return None
    if not isinstance(tree, _DML) or (isinstance(tree, exp.Create) and not tree.expression):
        return None
    target = tree.this.find(exp.Table) if tree.this else None
    target_db = (target.catalog.upper() if target is not None and target.catalog else None) or database
    names = []
    for table in tree.find_all(exp.Table):
        if table is target:
            continue
        parts = [p for p in (table.catalog, table.db, table.name) if p]
        try:
            names.append(qualify(".".join(parts), database, schema).fqn)
        except LocalSqlError:
            continue
    return isinstance(tree, _SINGLE_STATEMENT), target_db, tuple(dict.fromkeys(names))


def consuming_outcome(engine: Engine, session: LocalSession, sql: str, text: str) -> Outcome | None:
    """Wrap a DML statement that reads streams so their offsets advance exactly when it commits.

    Pin each stream's view to the rows its source holds now (its highest row id as this transaction sees
    it), run the statement unchanged, then move each offset to that pin, in the same transaction where
    DuckDB allows it. Rows appended meanwhile stay in the stream; a failed statement consumes nothing.
    The statement's text never changes, so its translation is reused from run to run.
    """
    analysis = _analyse(text, session.database, session.schema)
    if analysis is None:
        return None
    single, target_db, names = analysis
    rows = {
        fqn: engine.catalog.query(f"SELECT SOURCE_TABLE FROM {PREFIX}.STREAMS WHERE NAME = ?", [fqn]) for fqn in names
    }
    read = {fqn: found[0][0] for fqn, found in rows.items() if found}
    if not read:
        return None

    duck = session.conn._duck_conn
    # CREATE … AS runs as several statements in fakesnow: those advance the offset right after they
    # commit (at-least-once; the pipeline's statements are idempotent)
    atomic = not session.explicit_transaction and single
    held = contextlib.ExitStack()  # the streams' locks, from before the pins until the offsets have moved
    began = False
    pins: dict[str, int] = {}
    offsets: dict[str, int] = {}

    def before() -> None:
        nonlocal began
        for fqn in sorted(read):
            held.enter_context(engine.locks(f"stream:{fqn}"))
        if atomic:
            duck.begin()
            began = True
        for fqn, source in read.items():
            pins[fqn], offsets[fqn] = _high(duck, source), _offset(duck, fqn)
            duck.execute(_view_sql(fqn, source, offsets[fqn], pins[fqn]))

    def after(succeeded: bool) -> None:
        with held:
            if succeeded:
                in_txn = began or session.explicit_transaction
                same_db = [f for f in read if f.split(".")[0] == target_db] if in_txn else []
                for fqn in same_db:
                    duck.execute(_view_sql(fqn, read[fqn], pins[fqn]))
                if began:
                    duck.commit()
                with contextlib.closing(engine.fs.duck_conn.cursor()) as side:
                    for fqn in read:
                        if fqn not in same_db:
                            side.execute(_view_sql(fqn, read[fqn], pins[fqn]))
                        engine.catalog.query(
                            f"UPDATE {PREFIX}.STREAMS SET OFFSET_ROWID = ? WHERE NAME = ?", [pins[fqn], fqn]
                        )
            elif began:
                duck.rollback()  # the pins go with it
            else:
                # unpin: each pinned stream shows everything after its unchanged offset again
                with contextlib.closing(engine.fs.duck_conn.cursor()) as side:
                    for fqn in pins:
                        side.execute(_view_sql(fqn, read[fqn], offsets[fqn]))

    return Outcome(sql=sql, before=before, after=after)


_OFFSET = re.compile(r"rowid\s*>\s*\(?(-?\d+)", re.I)


def _offset(duck: duckdb.DuckDBPyConnection, fqn: str) -> int:
    """The stream's offset as the view holds it in this transaction (the catalog's copy is for SHOW and
    may run ahead of a transaction that is later rolled back)."""
    row = duck.execute(
        "SELECT sql FROM duckdb_views() WHERE database_name = ? AND schema_name = ? AND view_name = ?", fqn.split(".")
    ).fetchone()
    m = _OFFSET.search(row[0]) if row else None
    if m is None:
        raise LocalSqlError(f"Stream '{fqn}' has lost its view; recreate the stream", errno=2000)
    return int(m.group(1))
