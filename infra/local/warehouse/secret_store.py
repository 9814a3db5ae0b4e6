"""Sensitive values of account objects (secret strings, passwords, OAuth tokens, private keys).

They never reach the catalog (which shows them as '***'): they live in `<data dir>/secrets.json`, mode 0600,
written atomically, keyed `KIND:NAME` (or in memory only, without a data directory). The procedure runtime
reads them through `account_catalog.secret_value`.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
import threading
from pathlib import Path
from typing import Any

_SENSITIVE = re.compile(
    r"^(?:SECRET_STRING|PASSWORD|OAUTH_CLIENT_SECRET|OAUTH_REFRESH_TOKEN|OAUTH_ACCESS_TOKEN|\w*PRIVATE_KEY\w*"
    r"|\w*PASSPHRASE|\w*SECRET_KEY|\w*CLIENT_SECRET|\w*SAS_TOKEN|\w*_SECRET)$",
    re.I,
)
REDACTED = "***"


def is_sensitive(key: str) -> bool:
    return bool(_SENSITIVE.match(key))


class SecretStore:
    """Sensitive values by `KIND:NAME`, in a 0600 JSON file written atomically (or in memory only)."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self.lock = threading.RLock()
        self.values: dict[str, dict[str, Any]] = {}
        if path is not None and path.exists():
            self.values = json.loads(path.read_text())

    def get(self, key: str) -> dict[str, Any]:
        with self.lock:
            return dict(self.values.get(key, {}))

    def put(self, key: str, fields: dict[str, Any] | None) -> None:
        with self.lock:
            if fields:
                self.values[key] = fields
            else:
                self.values.pop(key, None)
            self._save()

    def _save(self) -> None:
        if self.path is None:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".secrets.", suffix=".tmp")
        try:
            os.fchmod(fd, 0o600)
            with os.fdopen(fd, "w") as f:
                json.dump(self.values, f, indent=1, sort_keys=True)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, self.path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise


class NamedLocks:
    """One lock per name, made on first use (a stream's offset, an OAuth secret's refresh)."""

    def __init__(self) -> None:
        self._guard = threading.Lock()
        self._locks: dict[str, threading.Lock] = {}

    def __call__(self, name: str) -> threading.Lock:
        with self._guard:
            return self._locks.setdefault(name, threading.Lock())
