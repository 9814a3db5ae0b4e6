"""Where the local stack keeps its state and which ports it listens on.

Everything lives under WHOOP_HOME (default `.whoop/` in the repository, git-ignored) so that a
clean clone starts clean and `rm -rf .whoop` is a full reset.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[2]


def _under_home(folder: str) -> Any:
    """A Settings property: the folder of that name under WHOOP_HOME."""
    return property(lambda settings: settings.home / folder)


@dataclass(frozen=True)
class Settings:
    home: Path
    host: str
    warehouse_port: int
    sandbox_port: int
    seed: int

    warehouse_dir = _under_home("warehouse")
    sandbox_dir = _under_home("sandbox")
    run_dir = _under_home("run")
    logs_dir = _under_home("logs")

    @property
    def warehouse_url(self) -> str:
        return f"http://{self.host}:{self.warehouse_port}"

    @property
    def sandbox_url(self) -> str:
        return f"http://{self.host}:{self.sandbox_port}"


def _int(variable: str, default: str) -> int:
    raw = os.environ.get(variable, default)
    try:
        return int(raw.strip())
    except ValueError:
        from infra.local.inputs import shown

        raise ValueError(f"{variable}={shown(raw)} is not a whole number") from None


def load() -> Settings:
    home = Path(os.environ.get("WHOOP_HOME", REPO_ROOT / ".whoop")).resolve()
    return Settings(
        home=home,
        host=os.environ.get("WHOOP_LOCAL_HOST", "127.0.0.1"),
        warehouse_port=_int("WHOOP_WAREHOUSE_PORT", "8765"),
        sandbox_port=_int("WHOOP_SANDBOX_PORT", "8766"),
        seed=_int("WHOOP_SEED", "42"),
    )
