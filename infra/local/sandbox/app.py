"""The Starlette application: WHOOP's API under /developer, OAuth under /oauth, admin under /_sandbox."""

from __future__ import annotations

from starlette.applications import Starlette

from infra.local.sandbox import admin, api, oauth_routes, partner
from infra.local.sandbox.config import SandboxConfig
from infra.local.sandbox.state import Sandbox


def create_app(config: SandboxConfig | None = None) -> Starlette:
    """Generate the members and return a ready app; `app.state.sandbox` exposes the live state."""
    sandbox = Sandbox.build(config or SandboxConfig())
    app = Starlette(routes=api.routes() + partner.routes() + oauth_routes.routes() + admin.routes())
    app.state.sandbox = sandbox
    return app
