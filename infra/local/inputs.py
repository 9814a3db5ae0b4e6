"""What a user can type or set, checked before use: one clear line (WhoopError, exit 1) instead of a traceback or
a confusing failure deep in the stack (issue 13: every CLI input is validated)."""

from __future__ import annotations

import zipfile
from pathlib import Path

from infra.local.errors import WhoopError
from snowpark_procs import member_names

MAX_SHOWN = 24  # characters of a bad value echoed back: enough to recognise it, never a wall of text


def shown(value: str) -> str:
    text = " ".join(str(value).split())
    return repr(text if len(text) <= MAX_SHOWN else text[:MAX_SHOWN] + "…")


def member_name(value: str) -> str:
    """A member name the app accepts: it becomes part of secret names and SQL (snowpark_procs.member_names)."""
    name = (value or "").strip()
    if not member_names.MEMBER_NAME.match(name):
        raise WhoopError(f"member name {shown(name)} is not valid: {member_names.RULE}")
    return name


def port(value: str | int, source: str) -> int:
    """A TCP port from `source` (an option or an environment variable), 1–65535."""
    try:
        number = int(str(value).strip())
    except ValueError:
        raise WhoopError(f"{source} {shown(str(value))} is not a port number (1-65535)") from None
    if not 1 <= number <= 65535:
        raise WhoopError(f"{source} {number} is not a port number (1-65535)")
    return number


def export_folder(path: Path) -> Path:
    """The WHOOP app export: the ZIP as WHOOP sends it, or the folder it unzips to."""
    if not path.exists():
        raise WhoopError(f"export not found: {path}")
    if not path.is_dir() and not zipfile.is_zipfile(path):
        raise WhoopError(f"{path} is not a ZIP or a folder: pass the WHOOP export's ZIP or the folder it unzips to")
    return path


def whoop_user_id(value: str) -> int:
    """A WHOOP user id: a positive whole number (the profile's `user_id`)."""
    text = (value or "").strip()
    if not text.isdigit() or int(text) <= 0:
        raise WhoopError(f"--user-id {shown(text)} is not a WHOOP user id (a positive whole number)")
    return int(text)
