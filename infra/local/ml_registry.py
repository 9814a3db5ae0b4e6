"""The local stand-in for Snowflake's Model Registry (`snowflake.ml.registry.Registry`), put in place by the local
warehouse the way it puts `_snowflake` in place (infra/local/warehouse/procedures.py).

Why: the Model Registry has no offline mode and the local warehouse cannot host it. The ML procedures
(snowpark_procs/ml/registry.py) call `Registry(session=…, database_name=…, schema_name="ML")` as in Snowflake; in
the local warehouse's process `snowflake.ml.registry` is this module's `registry_module()`, whose `Registry` keeps
models as pickles with JSON metadata under the path the local deploy writes to CONFIG.SETTINGS
(`ml_registry_path`, under WHOOP_HOME). It offers the subset the procedures use — `log_model(model, model_name,
version_name, metrics)`, `get_model(name).version(v)` / `.default` / `.versions()`, `.load()`, `show_metrics()`
and `show_models()`.

Differences from Snowflake: no model signatures, no SQL-callable model functions, no database objects (MODEL in
schema ML); the default version is the newest logged (Snowflake's is the first unless changed).
"""

from __future__ import annotations

import json
import pickle
import re
import sys
import types
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

MODULE = "snowflake.ml.registry"
SETTING = "ml_registry_path"

_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,254}$")


def _check(kind: str, value: str) -> str:
    if not _NAME.match(value):
        raise ValueError(f"{kind} {value!r} must be an identifier (letter, then letters, digits, underscores)")
    return value.upper()


class LocalModelVersion:
    def __init__(self, path: Path) -> None:
        self._path = path
        meta = json.loads((path / "meta.json").read_text())
        self.model_name: str = meta["model_name"]
        self.version_name: str = meta["version_name"]
        self.created_on: str = meta["created_on"]

    def load(self) -> Any:
        with (self._path / "model.pkl").open("rb") as fh:
            return pickle.load(fh)

    def show_metrics(self) -> dict[str, Any]:
        return dict(json.loads((self._path / "meta.json").read_text())["metrics"])

    def get_metric(self, name: str) -> Any:
        return self.show_metrics()[name]


class LocalModel:
    def __init__(self, path: Path) -> None:
        self._path = path
        self.name = path.name

    def versions(self) -> list[LocalModelVersion]:
        found = [LocalModelVersion(p) for p in self._path.iterdir() if (p / "meta.json").exists()]
        return sorted(found, key=lambda v: (v.created_on, v.version_name))

    def version(self, version_name: str) -> LocalModelVersion:
        path = self._path / _check("version name", version_name)
        if not (path / "meta.json").exists():
            raise KeyError(f"model {self.name} has no version {version_name}")
        return LocalModelVersion(path)

    @property
    def default(self) -> LocalModelVersion:
        """The newest version (Snowflake's default is the first logged unless changed; we log newest-wins)."""
        versions = self.versions()
        if not versions:
            raise KeyError(f"model {self.name} has no versions")
        return versions[-1]


class LocalRegistry:
    """Models as pickles with JSON metadata under `root/<MODEL>/<VERSION>/` (root is under WHOOP_HOME)."""

    def __init__(self, root: Path | str) -> None:
        self.root = Path(root)

    def log_model(
        self,
        model: Any,
        *,
        model_name: str,
        version_name: str,
        metrics: dict[str, Any] | None = None,
        comment: str | None = None,
        **_: Any,
    ) -> LocalModelVersion:
        path = self.root / _check("model name", model_name) / _check("version name", version_name)
        if path.exists():
            raise ValueError(f"model {model_name} already has a version {version_name}")
        path.mkdir(parents=True)
        with (path / "model.pkl").open("wb") as fh:
            pickle.dump(model, fh)
        meta = {
            "model_name": model_name.upper(),
            "version_name": version_name.upper(),
            "created_on": datetime.now(UTC).isoformat(),
            "metrics": metrics or {},
            "comment": comment,
        }
        (path / "meta.json").write_text(json.dumps(meta, default=str, indent=2))
        return LocalModelVersion(path)

    def get_model(self, model_name: str) -> LocalModel:
        path = self.root / _check("model name", model_name)
        if not path.is_dir():
            raise KeyError(f"no model {model_name} in the registry")
        return LocalModel(path)

    def show_models(self) -> pd.DataFrame:
        rows = []
        if self.root.is_dir():
            for path in sorted(p for p in self.root.iterdir() if p.is_dir()):
                versions = LocalModel(path).versions()
                if versions:
                    rows.append(
                        {
                            "name": path.name,
                            "versions": [v.version_name for v in versions],
                            "default_version_name": versions[-1].version_name,
                            "created_on": versions[0].created_on,
                        }
                    )
        return pd.DataFrame(rows, columns=["name", "versions", "default_version_name", "created_on"])


class Registry(LocalRegistry):
    """`snowflake.ml.registry.Registry` locally: the session's deployment names the folder (CONFIG.SETTINGS)."""

    def __init__(
        self,
        session: Any,
        *,
        database_name: str | None = None,
        schema_name: str | None = None,
        options: dict[str, Any] | None = None,
    ) -> None:
        rows = session.sql(
            f"SELECT s.SETTING_VALUE FROM CONFIG.SETTINGS AS s WHERE s.SETTING_KEY = '{SETTING}'"
        ).collect()
        if not rows or not rows[0][0]:
            raise RuntimeError(f"the local model registry needs CONFIG.SETTINGS {SETTING} (set by the local deploy)")
        super().__init__(rows[0][0])
        self.database_name, self.schema_name = database_name, schema_name


def registry_module() -> types.ModuleType:
    module = types.ModuleType(MODULE)
    module.__doc__ = "Local stand-in for snowflake.ml.registry (infra/local/ml_registry.py)."
    module.Registry = Registry  # type: ignore[attr-defined]
    return module


def install() -> None:
    """Make `from snowflake.ml.registry import Registry` give the local one in this process (idempotent)."""
    current = sys.modules.get(MODULE)
    if current is not None and getattr(current, "Registry", None) is Registry:
        return
    sys.modules[MODULE] = registry_module()
