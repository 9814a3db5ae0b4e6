"""Dependency order for the layer's graphs (task graphs, dynamic tables)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from infra.local.warehouse.errors import LocalSqlError


def dependency_order(depends_on: Mapping[str, Iterable[str]], cycle_message: str) -> list[str]:
    """Every node after the nodes it depends on (names outside the mapping are ignored); ties by name."""
    deps = {n: [d for d in ds if d in depends_on] for n, ds in depends_on.items()}
    ordered: list[str] = []
    done: set[str] = set()
    while len(done) < len(deps):
        ready = sorted(n for n in deps if n not in done and all(d in done for d in deps[n]))
        if not ready:
            raise LocalSqlError(cycle_message, errno=2000)
        ordered.extend(ready)
        done.update(ready)
    return ordered
