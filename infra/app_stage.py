"""The app package's stage, laid out locally: what `snow app bundle` writes to output/deploy/.

The layout comes from the `artifacts` (src -> dest) of snowflake.yml's application package entity, read
here, so the paths are written once. Rules the Snowflake CLI follows (checked against the real bundler by
tests/static/test_native_app.py::test_snow_app_bundle_lays_out_every_referenced_file):

- a directory keeps its tree under dest;
- a glob puts each match directly in dest (a matched directory keeps its tree under dest/<name>/);
- a single file lands at dest, or inside it when dest ends with '/'.

`build_stage` makes a directory of symlinks (as the CLI does) that the local warehouse reads as the
application's stage: `EXECUTE IMMEDIATE FROM '/sql/…'` in the setup script resolves against its root.
`snow app bundle` itself takes about 3 s and writes into the repository (shared by concurrent test runs),
so `whoop deploy --local` builds its own copy under WHOOP_HOME instead.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent


def package_entity(root: Path = ROOT) -> dict[str, Any]:
    """snowflake.yml's (only) application package entity."""
    project = yaml.safe_load((root / "snowflake.yml").read_text())
    found = [e for e in project["entities"].values() if e.get("type") == "application package"]
    if len(found) != 1:
        raise ValueError(f"{root / 'snowflake.yml'} must define exactly one application package entity")
    return found[0]


def _artifacts(entity: dict[str, Any]) -> list[tuple[str, str]]:
    out = []
    for art in entity["artifacts"]:
        if isinstance(art, str):
            out.append((art, art))
        else:
            out.append((art["src"], art.get("dest", art["src"])))
    return out


def stage_files(root: Path = ROOT, entity: dict[str, Any] | None = None) -> dict[str, Path]:
    """Stage path (no leading '/') -> source file, for every file of the bundle."""
    out: dict[str, Path] = {}
    for src, dest in _artifacts(entity or package_entity(root)):
        dest = dest.removeprefix("./")
        if any(ch in src for ch in "*?["):
            base = dest.rstrip("/") + "/" if dest.strip("/") else ""
            for match in sorted(root.glob(src)):
                _add(out, match, base + match.name)
        else:
            path = root / src
            if not path.exists():
                raise FileNotFoundError(f"snowflake.yml artifact {src!r} does not exist")
            if path.is_dir():
                _add(out, path, dest.rstrip("/"))
            else:
                _add(out, path, dest + path.name if dest.endswith("/") else dest)
    return out


def _add(out: dict[str, Path], path: Path, key: str) -> None:
    if "__pycache__" in path.parts:
        return
    if path.is_dir():
        for p in sorted(path.rglob("*")):
            if p.is_file() and "__pycache__" not in p.parts:
                out[f"{key}/{p.relative_to(path).as_posix()}".lstrip("/")] = p
    elif path.is_file():
        out[key.lstrip("/")] = path


def build_stage(dest: Path, root: Path = ROOT) -> Path:
    """Lay the bundle out in `dest` (replaced) as symlinks to the sources; returns `dest`."""
    files = stage_files(root)
    tmp = dest.with_name(dest.name + f".tmp{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    for key, src in files.items():
        link = tmp / key
        link.parent.mkdir(parents=True, exist_ok=True)
        link.symlink_to(src.resolve())
    old = dest.with_name(dest.name + f".old{os.getpid()}")
    if dest.exists():
        dest.rename(old)
    tmp.rename(dest)
    shutil.rmtree(old, ignore_errors=True)
    return dest
