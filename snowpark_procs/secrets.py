"""Secret access for handlers: Snowflake's `_snowflake` module, which the local stack also provides.

Writing goes through SQL (`ALTER SECRET`), which only an owner's-rights procedure may run on the
app's own secrets. Values are never logged; errors name the secret, not its content.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from snowflake.snowpark import Session


def read_generic(alias: str) -> str:
    """The GENERIC_STRING secret bound to this procedure under `alias` (SECRETS clause)."""
    import _snowflake  # only inside a Snowflake (or local stack) procedure

    return _snowflake.get_generic_secret_string(alias)


def read_oauth(alias: str) -> str:
    """The access token of the OAUTH2 secret bound under `alias`; Snowflake refreshes it when needed."""
    import _snowflake

    return _snowflake.get_oauth_access_token(alias)


def write_generic(session: Session, secret_name: str, value: str) -> None:
    """Replace a GENERIC_STRING secret's value. The literal is escaped, never logged."""
    escaped = value.replace("\\", "\\\\").replace("'", "''")
    session.sql(f"ALTER SECRET {secret_name} SET SECRET_STRING = '{escaped}'").collect()
