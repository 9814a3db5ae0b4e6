"""The ML procedures' model registry: Snowflake's Model Registry, in the app's schema ML.

`snowflake.ml.registry.Registry` logs the fitted Snowpark ML estimators with their metrics and loads the version an
evaluation serves (https://docs.snowflake.com/en/developer-guide/snowflake-ml/model-registry/overview). The local
warehouse puts a file-backed stand-in in its place (infra/local/ml_registry.py), as it does `_snowflake`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from snowflake.ml.registry import Registry
    from snowflake.snowpark import Session

SCHEMA = "ML"


def open_registry(session: Session) -> Registry:
    """The registry in the current database's schema ML (imported here: the runtime provides it)."""
    from snowflake.ml.registry import Registry

    return Registry(session=session, database_name=session.get_current_database(), schema_name=SCHEMA)
