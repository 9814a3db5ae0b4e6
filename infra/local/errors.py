"""The one exception type the `whoop` CLI turns into a clean one-line error.

Modules raise `WhoopError` for failures the user can act on (a busy port, a missing module, bad input);
anything else reaching the CLI is treated as a bug and logged with its traceback.
"""

from __future__ import annotations


class WhoopError(Exception):
    """A user-facing failure: its message is printed as `whoop: <message>` and the CLI exits 1."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message
