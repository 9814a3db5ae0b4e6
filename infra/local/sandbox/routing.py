"""Routes declared beside their endpoints: `@ROUTES.add("/path", "GET")` above each one, in place of a list."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from starlette.routing import Route


class Routes(list[Route]):
    """A module's routes under one base path, in the order its endpoints are defined."""

    def __init__(self, base: str) -> None:
        super().__init__()
        self.base = base

    def add(self, path: str, *methods: str) -> Callable[[Any], Any]:
        def register(endpoint: Any) -> Any:
            self.append(Route(self.base + path, endpoint, methods=list(methods)))
            return endpoint

        return register
