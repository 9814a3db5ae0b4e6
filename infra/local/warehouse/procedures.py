from __future__ import annotations


def register(engine) -> None:
    return None
