"""The error the local layer raises; the server returns it to clients as a Snowflake SQL error."""

from __future__ import annotations


class LocalSqlError(Exception):
    """A statement the local warehouse rejects, with a Snowflake-style error number."""

    def __init__(self, message: str, errno: int = 2003, sqlstate: str = "42000") -> None:
        super().__init__(message)
        self.message = message
        self.errno = errno
        self.sqlstate = sqlstate
