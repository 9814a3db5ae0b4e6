"""The running app's name, the stem of every account-level object it creates (warehouse, integrations): those
share the account's namespace, so two installs in one account must not use fixed names. Kept free of heavy
imports so every handler can use it without widening its PACKAGES."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from snowflake.snowpark import Session


def app_name(session: Session) -> str:
    """The application's name (the database the procedure runs in), as a plain upper-case identifier part."""
    rows = session.sql("SELECT CURRENT_DATABASE()").collect()
    name = str(rows[0][0] if rows and rows[0][0] else session.get_current_database() or "").strip('"')
    if not name:
        raise ValueError("no current database: run inside the application")
    return re.sub(r"[^A-Z0-9_]", "_", name.upper())
