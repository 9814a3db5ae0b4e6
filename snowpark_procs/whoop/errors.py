"""Errors of the WHOOP client. Messages name the request, never a token or secret."""

from __future__ import annotations


class WhoopApiError(Exception):
    """The API answered with an error that retrying will not fix, or retries ran out."""

    def __init__(self, message: str, status: int | None = None, path: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.path = path


class ReauthorizationRequired(WhoopApiError):
    """The member's grant no longer works (refresh rejected or access still refused): re-authorize."""
