"""Which tables changed: the local stand-in for the change tracking Snowflake keeps on a dynamic
table's sources.

Every statement passes `Engine.plan`; a statement that writes a table (INSERT, MERGE, UPDATE, DELETE,
TRUNCATE, COPY INTO, CREATE TABLE) bumps that table's version, and one that alters or drops a table, or
writes in a form not recognised here, bumps a global epoch that marks every table changed. A dynamic
table's refresh is skipped (recorded as NO_DATA, as Snowflake does) when none of its sources changed since
its last refresh. Versions live in memory: after a restart every dynamic table refreshes once.
"""

from __future__ import annotations

import re
import threading
from datetime import date

from infra.local.warehouse.sqltext import QNAME, qualify

_TARGET = re.compile(
    r"^(?:INSERT\s+(?:OVERWRITE\s+)?INTO|MERGE\s+INTO|UPDATE|DELETE\s+FROM|COPY\s+INTO"
    r"|TRUNCATE\s+(?:TABLE\s+)?(?:IF\s+EXISTS\s+)?"
    r"|CREATE\s+(?:OR\s+REPLACE\s+)?(?:(?:TRANSIENT|TEMPORARY|TEMP|LOCAL|GLOBAL)\s+)*TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?)"
    rf"\s*(?P<name>{QNAME})",
    re.I,
)
_ANY_WRITE = re.compile(r"^(?:INSERT|MERGE|UPDATE|DELETE|TRUNCATE|COPY|ALTER\s+TABLE|DROP\s+TABLE|UNDROP)\b", re.I)


class ChangeTracker:
    """Per-table write counters and a global epoch, shared by every session of one warehouse."""

    def __init__(self) -> None:
        self._versions: dict[str, int] = {}
        self._epoch = 0
        # dynamic table -> the signature of its sources at its last successful refresh
        self.refreshed: dict[str, tuple[object, ...]] = {}
        self._lock = threading.Lock()

    def note(self, text: str, database: str | None, schema: str | None) -> None:
        """Record the write `text` makes, if any (comments already stripped)."""
        m = _TARGET.match(text)
        if m:
            self.bump(qualify(m["name"], database, schema).fqn)
        elif _ANY_WRITE.match(text):
            with self._lock:
                self._epoch += 1

    def bump(self, fqn: str) -> None:
        with self._lock:
            self._versions[fqn] = self._versions.get(fqn, 0) + 1

    def signature(self, sources: list[str]) -> tuple[object, ...]:
        """What a refresh over `sources` saw; equal signatures mean nothing it reads has changed.
        Today's date is part of it: a definition may read CURRENT_DATE."""
        with self._lock:
            return (self._epoch, date.today(), tuple(self._versions.get(s, 0) for s in sources))
