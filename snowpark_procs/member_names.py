"""The one rule for member names: a name becomes part of secret identifiers and SQL text, so only plain
identifier characters pass. Kept free of heavy imports: the `whoop` CLI checks names with it before anything runs."""

from __future__ import annotations

import re

MEMBER_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,63}$")
RULE = "a letter, then up to 63 letters, digits or underscores"


def check(member: str) -> str:
    """The name, or ValueError saying the rule."""
    if not MEMBER_NAME.match(member):
        raise ValueError(f"member name {member!r} must be {RULE}")
    return member
