"""Build the archive the Native App's Python procedures import.

A procedure's IMPORTS clause accepts single files (a .py lands flat in the import directory, losing its
package path) or archives; `snowpark_procs` is a package with relative imports, so it ships as
`python/snowpark_procs.zip` with `snowpark_procs/` at the archive root. The Snowflake CLI has no
zip step for application packages, so run this before `snow app bundle|deploy|run`:

    python -m infra.native_app_zip            # writes build/python/snowpark_procs.zip

The archive is deterministic (sorted entries, fixed timestamps) so an unchanged tree gives an
identical file and `snow app deploy` does not re-upload it.
"""

from __future__ import annotations

import os
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = "snowpark_procs"
DEFAULT_DEST = ROOT / "build" / "python" / f"{PACKAGE}.zip"
_EPOCH = (1980, 1, 1, 0, 0, 0)  # earliest timestamp a zip entry can carry


def package_files(root: Path = ROOT) -> list[Path]:
    """The package's Python sources, sorted, caches excluded."""
    return sorted(p for p in (root / PACKAGE).rglob("*.py") if "__pycache__" not in p.parts)


def build_zip(dest: Path = DEFAULT_DEST, root: Path = ROOT) -> Path:
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_suffix(f".zip.tmp{os.getpid()}")  # per process: parallel test workers build it at once
    with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as zf:
        for path in package_files(root):
            info = zipfile.ZipInfo(path.relative_to(root).as_posix(), date_time=_EPOCH)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            zf.writestr(info, path.read_bytes())
    tmp.replace(dest)  # atomic: a concurrent bundle never sees a half-written archive
    return dest


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    dest = Path(args[0]) if args else DEFAULT_DEST
    print(build_zip(dest))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
