"""Which statements the local layer handles, in the order the engine tries them (first match wins).

Explicit, so the engine knows no handler module and no handler module knows the engine's construction. Each
module named here has a `register(engine)` that routes its statement patterns (Engine.on).
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from infra.local.warehouse.engine import Engine

# oauth_flow and notifications before procedures: `CALL SYSTEM$START_OAUTH_FLOW(…)` and
# `CALL SYSTEM$SEND_EMAIL(…)` are not procedure calls
MODULES = tuple(
    import_module(f"infra.local.warehouse.{name}")
    for name in (
        "streams",
        "tasks",
        "dynamic_tables",
        "oauth_flow",
        "notifications",
        "procedures",
        "application",
        "stage_files",  # checks a GRANT on a stage, then lets grants record it
        # account and governance objects, recorded
        "session_params",
        "account_objects",
        "policies",
        "grants",
        "show",
        "alerts",
        "stages",
    )
)


def register_all(engine: Engine) -> None:
    for module in MODULES:
        module.register(engine)
