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

import functools
import re
from typing import TYPE_CHECKING

import sqlglot
from sqlglot import exp

from infra.local.warehouse.base import LocalSession, Outcome
from infra.local.warehouse.catalog import PREFIX, now
from infra.local.warehouse.errors import LocalSqlError
from infra.local.warehouse.sqltext import QNAME, ObjectName, qualify, status_select

if TYPE_CHECKING:
    from infra.local.warehouse.engine import Engine


def register(engine: Engine) -> None:
    engine.on(
        rf"^CREATE\s+(?P<replace>OR\s+REPLACE\s+)?STREAM\s+(?P<ine>IF\s+NOT\s+EXISTS\s+)?(?P<name>{QNAME})\s+"
        rf"ON\s+TABLE\s+(?P<source>{QNAME})(?P<rest>.*)$",
        _create,
    )
    engine.on(rf"^DROP\s+STREAM\s+(?P<ie>IF\s+EXISTS\s+)?(?P<name>{QNAME})$", _drop)
    engine.on(r"^SHOW\s+STREAMS\b.*$", _show)
    engine.on(r"^SELECT\b.*SYSTEM\$STREAM_HAS_DATA\s*\(.*$", _has_data_rewrite)
    for (name,) in engine.catalog.query(f"SELECT NAME FROM {PREFIX}.STREAMS"):
        engine.watch_stream(name.rsplit(".", 1)[-1])


def _view_sql(stream: ObjectName, source: str, offset: int, pin: int | None) -> str:
    upper = f" AND src.rowid <= {pin}" if pin is not None else ""
    return (
        f"CREATE OR REPLACE VIEW {stream.sql()} AS SELECT src.*, 'INSERT' AS \"METADATA$ACTION\", "
        f'FALSE AS "METADATA$ISUPDATE", CAST(src.rowid AS VARCHAR) AS "METADATA$ROW_ID" '
        f"FROM {source} AS src WHERE src.rowid > {offset}{upper}"
    )


def _source_sql(fqn: str) -> str:
    return ".".join(f'"{p}"' for p in fqn.split("."))


def _create(engine: Engine, session: LocalSession, text: str, m: re.Match[str]) -> Outcome:
    name = qualify(m["name"], session.database, session.schema)
    source = qualify(m["source"], session.database, session.schema)
    rest = m["rest"]
    append_only = re.search(r"\bAPPEND_ONLY\s*=\s*TRUE\b", rest, re.I)
    if not append_only:
        raise LocalSqlError("The local warehouse emulates only APPEND_ONLY = TRUE streams on tables", errno=2000)
    existing = engine.catalog.query(f"SELECT 1 FROM {PREFIX}.STREAMS WHERE NAME = ?", [name.fqn])
    if existing and not m["replace"]:
        if m["ine"]:
            return Outcome(sql=status_select(f"{name.name} already exists, statement succeeded."))
        raise LocalSqlError(f"Object '{name.fqn}' already exists.", errno=2002)
    duck = engine.fs.duck_conn.cursor()
    try:
        try:
            (high,) = duck.execute(f"SELECT COALESCE(MAX(rowid), -1) FROM {source.sql()}").fetchone()
        except Exception as e:
            raise LocalSqlError(f"Table '{source.fqn}' does not exist or not authorized.", errno=2003) from e
        duck.execute(_view_sql(name, source.sql(), high, None))
    finally:
        duck.close()
    engine.catalog.query(
        f"INSERT OR REPLACE INTO {PREFIX}.STREAMS VALUES (?, ?, 'APPEND_ONLY', ?, ?)",
        [name.fqn, source.fqn, high, now()],
    )
    engine.watch_stream(name.name)
    return Outcome(sql=status_select(f"Stream {name.name} successfully created."))


def _drop(engine: Engine, session: LocalSession, text: str, m: re.Match[str]) -> Outcome:
    name = qualify(m["name"], session.database, session.schema)
    deleted = engine.catalog.query(f"DELETE FROM {PREFIX}.STREAMS WHERE NAME = ? RETURNING NAME", [name.fqn])
    if not deleted:
        if m["ie"]:
            return Outcome(sql=status_select(f"Drop statement executed successfully ({name.name} already dropped)."))
        raise LocalSqlError(f"Stream '{name.fqn}' does not exist or not authorized.", errno=2003)
    duck = engine.fs.duck_conn.cursor()
    try:
        duck.execute(f"DROP VIEW IF EXISTS {name.sql()}")
    finally:
        duck.close()
    return Outcome(sql=status_select(f"{name.name} successfully dropped."))


def _show(engine: Engine, session: LocalSession, text: str, m: re.Match[str]) -> Outcome:
    return Outcome(
        sql=(
            'SELECT CREATED_ON AS "created_on", SPLIT_PART(NAME, \'.\', 3) AS "name", '
            "SPLIT_PART(NAME, '.', 1) AS \"database_name\", SPLIT_PART(NAME, '.', 2) AS \"schema_name\", "
            'SOURCE_TABLE AS "table_name", MODE AS "mode", FALSE AS "stale" '
            f"FROM {PREFIX}.STREAMS ORDER BY NAME"
        ),
        keep_params=False,
    )


_HAS_DATA = re.compile(r"SYSTEM\$STREAM_HAS_DATA\s*\(\s*'([^']+)'\s*\)", re.I)


def _has_data_rewrite(engine: Engine, session: LocalSession, text: str, m: re.Match[str]) -> Outcome:
    """SYSTEM$STREAM_HAS_DATA('s') becomes EXISTS over the stream's view; the view is the truth."""

    def replace(match: re.Match[str]) -> str:
        name = qualify(match.group(1), session.database, session.schema)
        known = engine.catalog.query(f"SELECT 1 FROM {PREFIX}.STREAMS WHERE NAME = ?", [name.fqn])
        if not known:
            raise LocalSqlError(f"Stream '{name.fqn}' does not exist or not authorized.", errno=2003)
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
    read: dict[str, str] = {}
    for fqn in names:
        row = engine.catalog.query(f"SELECT SOURCE_TABLE FROM {PREFIX}.STREAMS WHERE NAME = ?", [fqn])
        if row:
            read[fqn] = row[0][0]
    if not read:
        return None

    locks = [engine.locks(f"stream:{fqn}") for fqn in sorted(read)]
    duck = session.conn._duck_conn
    # CREATE … AS runs as several statements in fakesnow: those advance the offset right after they
    # commit (at-least-once; the pipeline's statements are idempotent)
    atomic = not session.explicit_transaction and single
    state = {"began": False, "locked": 0, "pinned": False}
    pins: dict[str, int] = {}
    offsets: dict[str, int] = {}
    outcome = Outcome(sql=sql)

    def before() -> None:
        for lock in locks:
            lock.acquire()
            state["locked"] += 1
        if atomic:
            duck.begin()
            state["began"] = True
        for fqn, source in read.items():
            (high,) = duck.execute(f"SELECT COALESCE(MAX(rowid), -1) FROM {_source_sql(source)}").fetchone()
            pins[fqn] = high
            offsets[fqn] = _offset(duck, fqn)
            duck.execute(_view_sql(ObjectName(*fqn.split(".")), _source_sql(source), offsets[fqn], high))
        state["pinned"] = True

    def after(ok: bool) -> None:
        try:
            if ok:
                in_txn = state["began"] or session.explicit_transaction
                same_db = [f for f in read if f.split(".")[0] == target_db] if in_txn else []
                for fqn in same_db:
                    _advance(duck, fqn, read[fqn], pins[fqn])
                if state["began"]:
                    duck.commit()
                side = engine.fs.duck_conn.cursor()
                try:
                    for fqn in read:
                        if fqn not in same_db:
                            _advance(side, fqn, read[fqn], pins[fqn])
                        engine.catalog.query(
                            f"UPDATE {PREFIX}.STREAMS SET OFFSET_ROWID = ? WHERE NAME = ?", [pins[fqn], fqn]
                        )
                finally:
                    side.close()
            elif state["began"]:
                duck.rollback()  # the pins go with it
            elif state["pinned"]:
                side = engine.fs.duck_conn.cursor()
                try:  # unpin: the stream shows everything after its unchanged offset again
                    for fqn, source in read.items():
                        side.execute(_view_sql(ObjectName(*fqn.split(".")), _source_sql(source), offsets[fqn], None))
                finally:
                    side.close()
        finally:
            for lock in reversed(locks[: state["locked"]]):
                lock.release()

    outcome.before = before
    outcome.after = after
    return outcome


_OFFSET = re.compile(r"rowid\s*>\s*\(?(-?\d+)", re.I)


def _offset(duck: object, fqn: str) -> int:
    """The stream's offset as the view holds it in this transaction (the catalog's copy is for SHOW and
    may run ahead of a transaction that is later rolled back)."""
    database, schema, name = fqn.split(".")
    row = duck.execute(  # type: ignore[attr-defined]
        "SELECT sql FROM duckdb_views() WHERE database_name = ? AND schema_name = ? AND view_name = ?",
        [database, schema, name],
    ).fetchone()
    m = _OFFSET.search(row[0]) if row else None
    if m is None:
        raise LocalSqlError(f"Stream '{fqn}' has lost its view; recreate the stream", errno=2000)
    return int(m.group(1))


def _advance(duck: object, fqn: str, source: str, pin: int) -> None:
    duck.execute(_view_sql(ObjectName(*fqn.split(".")), _source_sql(source), pin, None))  # type: ignore[attr-defined]
