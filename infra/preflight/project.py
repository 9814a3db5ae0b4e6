"""A Native App project as `whoop preflight` reads it: the manifest, the setup script, the SQL files the
setup script runs, and the Streamlit pages it creates, each statement with its file and line.

Discovery (any Native App project, not only this one):
- `snowflake.yml` definition v2 (`type: application package` entities) or v1 (`native_app:`): its
  `artifacts` map source paths to paths on the app stage (`src`/`dest`, or a bare string kept as is);
- else a `manifest.yml` in the project folder or in `app/` (the stage root is then the manifest's folder).
`artifacts.setup_script` of the manifest names the setup script (a stage path); `EXECUTE IMMEDIATE FROM
'<path>'` in it is followed (paths relative to the stage root, or to the running file without a leading
`/`), so every statement the app runs at install is read once, in order.

Statements are split with the Snowflake connector's own splitter (`snowflake.connector.util_text`), which
knows `$$` bodies and comments; a Snowflake Scripting block (`BEGIN … END;` outside `$$`) that the splitter
cuts at its inner semicolons is joined back by counting its BEGIN/END chunks. Words are read with sqlglot's
Snowflake tokenizer (`app_privileges.words`), never with regular expressions over raw text.
"""

from __future__ import annotations

import fnmatch
import io
import warnings
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

import jinja2
import sqlglot
import yaml
from sqlglot.tokens import Token, TokenType

from infra.preflight import app_privileges
from infra.preflight.sqlwords import STRINGS, name_parts, object_name_after

with warnings.catch_warnings():  # the connector's vendored requests warns about urllib3 versions on import
    warnings.simplefilter("ignore")
    from snowflake.connector.util_text import split_statements

MANIFEST_NAMES = ("manifest.yml", "manifest.yaml")


class ProjectError(Exception):
    """The folder is not a Native App project preflight can read (reported as one line, exit 2)."""


@dataclass(frozen=True)
class Finding:
    rule: str
    path: Path
    line: int
    message: str
    doc: str

    def to_dict(self, root: Path | None = None) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "path": display(self.path, root),
            "line": self.line,
            "message": self.message,
            "doc": self.doc,
        }


def display(path: Path, root: Path | None) -> str:
    if root is not None:
        try:
            return str(path.resolve().relative_to(root.resolve()))
        except ValueError:
            pass
    return str(path)


@dataclass
class Statement:
    """One SQL statement of a file: `line` is where its first keyword is (1-based, in `path`)."""

    path: Path
    line: int
    text: str
    in_procedure_body: bool = False  # inside CREATE PROCEDURE … AS $$…$$: runs when called, not at install
    _tokens: list[Token] | None = field(default=None, repr=False)

    @property
    def tokens(self) -> list[Token]:
        if self._tokens is None:
            self._tokens = tokenize(self.text)
        return self._tokens

    @property
    def words(self) -> list[str]:
        """Keywords and identifiers, upper case; string literals (also `$$` bodies) left out."""
        return [t.text.upper() for t in self.tokens if t.token_type not in _STRINGS]

    def line_of(self, token_line: int) -> int:
        """The file line of a line number counted inside this statement's text."""
        return self.line + token_line - self._first_token_line()

    def _first_token_line(self) -> int:
        return self.tokens[0].line if self.tokens else 1

    def bodies(self) -> list[tuple[Statement, bool]]:
        """SQL inside `$$`/quoted bodies: (statement, is procedure body). `EXECUTE IMMEDIATE $$…$$` runs now;
        a CREATE PROCEDURE/FUNCTION body with LANGUAGE SQL runs when called."""
        ws = self.words
        out: list[tuple[Statement, bool]] = []
        if ws[:1] in (["BEGIN"], ["DECLARE"]) and ws[-1:] == ["END"] and len(self.tokens) > 2:
            # a Snowflake Scripting block: the statements between its first keyword and its final END
            first, last = self.tokens[0], [t for t in self.tokens if t.text.upper() == "END"][-1]
            inner = self.text[first.end + 1 : last.start]
            for s in split_sql(inner, self.path, self.line_of(first.line)):
                s.in_procedure_body = self.in_procedure_body
                out.append((s, self.in_procedure_body))
            return out
        if ws[:2] == ["EXECUTE", "IMMEDIATE"] and "FROM" not in ws[:3]:
            proc = False
        elif _is_create(ws, ("PROCEDURE",)) or _is_create(ws, ("FUNCTION",)):
            if not _has_seq(ws, ("LANGUAGE", "SQL")) and "LANGUAGE" in ws:
                return []
            proc = True
        else:
            return []
        for t in self.tokens:
            if t.token_type in (TokenType.RAW_STRING, TokenType.STRING) and _looks_like_sql(t.text):
                # a string token's line is where it ends: count back to where its text starts
                start = self.line_of(t.line) - t.text.count("\n")
                for s in split_sql(t.text, self.path, start):
                    s.in_procedure_body = proc or self.in_procedure_body
                    out.append((s, proc))
                break  # one body per statement
        return out


_STRINGS = STRINGS


def tokenize(sql: str) -> list[Token]:
    try:
        return app_privileges.tokens(sql)
    except sqlglot.errors.TokenError:
        return []


def _looks_like_sql(text: str) -> bool:
    ws = [t.text.upper() for t in tokenize(text)[:3]]
    return bool(ws) and ws[0] in {
        "BEGIN",
        "DECLARE",
        "CREATE",
        "ALTER",
        "GRANT",
        "SELECT",
        "INSERT",
        "CALL",
        "EXECUTE",
        "LET",
        "MERGE",
        "USE",
        "DROP",
    }


def _is_create(ws: list[str], kind: tuple[str, ...]) -> bool:
    if not ws or ws[0] != "CREATE":
        return False
    rest = ws[1:]
    skip = {"OR", "REPLACE", "ALTER", "SECURE", "TEMPORARY", "TEMP", "TRANSIENT", "IF", "NOT", "EXISTS"}
    while rest and rest[0] in skip and tuple(rest[: len(kind)]) != kind:
        rest = rest[1:]
    return tuple(rest[: len(kind)]) == kind


def _has_seq(ws: list[str], seq: tuple[str, ...]) -> bool:
    n = len(seq)
    return any(tuple(ws[i : i + n]) == seq for i in range(len(ws) - n + 1))


def split_sql(text: str, path: Path, first_line: int = 1) -> list[Statement]:
    """The statements of `text` (a file, or a body starting at `first_line` of `path`)."""
    chunks: list[tuple[str, int]] = []  # (text, offset in `text`)
    cursor = 0
    for chunk, _ in split_statements(io.StringIO(text)):
        at = text.find(chunk, cursor)
        if at < 0:  # the splitter normalised something: fall back to the cursor
            at = cursor
        else:
            cursor = at + len(chunk)
        chunks.append((chunk, at))
    statements: list[Statement] = []
    block: list[tuple[str, int]] = []
    depth = 0
    for chunk, at in chunks:
        ws = [t.text.upper() for t in tokenize(chunk) if t.token_type not in _STRINGS]
        if not ws:
            continue
        opens = ws[0] == "DECLARE" or (ws[0] == "BEGIN" and ws[1:2] not in (["TRANSACTION"], ["WORK"], ["NAME"]))
        if depth == 0 and not opens:
            statements.append(_statement(text, chunk, at, path, first_line))
            continue
        block.append((chunk, at))
        if opens and not (ws[0] == "DECLARE" and depth > 0):
            depth += 1
        if ws in (["END"], ["END", "$$"]):
            depth -= 1
        if depth <= 0:
            start = block[0][1]
            end = block[-1][1] + len(block[-1][0])
            statements.append(_statement(text, text[start:end], start, path, first_line))
            block, depth = [], 0
    if block:
        start = block[0][1]
        statements.append(_statement(text, text[start:], start, path, first_line))
    return statements


def _statement(whole: str, chunk: str, at: int, path: Path, first_line: int) -> Statement:
    toks = tokenize(chunk)
    rel = toks[0].line if toks else 1
    line = first_line + whole[:at].count("\n") + rel - 1
    return Statement(path=path, line=line, text=chunk.strip().rstrip(";").strip(), _tokens=None)


@dataclass
class StreamlitApp:
    statement: Statement
    folder: Path | None  # the source folder the stage folder maps to
    main_file: str


@dataclass
class Project:
    root: Path
    manifest_path: Path
    manifest: dict[str, Any]
    setup_script: Path
    artifacts: list[tuple[str, str]]  # (src glob relative to root, dest on the stage)
    stage_root: Path  # fallback: stage paths resolve against the manifest's folder
    files: list[Path] = field(default_factory=list)
    statements: list[Statement] = field(default_factory=list)
    missing: list[tuple[Statement, str]] = field(default_factory=list)  # EXECUTE IMMEDIATE FROM without a file
    imported_by: dict[Path, str] = field(default_factory=dict)  # SQL template -> the procedure that imports it

    # -- stage paths -------------------------------------------------------------------------------

    def resolve(self, stage_path: str) -> Path | None:
        """The source file or folder for a path on the app stage (`/sql/x.sql`, `streamlit/`)."""
        want = PurePosixPath(stage_path.strip().lstrip("/").rstrip("/") or ".")
        for src, dest in self.artifacts:
            hit = _map_back(self.root, src, dest, want)
            if hit is not None:
                return hit
        direct = self.stage_root / want
        return direct if direct.exists() else None

    def all_statements(self) -> list[Statement]:
        """Every statement at install, then every statement inside bodies (procedure bodies flagged)."""
        out: list[Statement] = []
        for s in self.statements:
            out.append(s)
            out.extend(self._nested(s))
        return out

    def _nested(self, s: Statement) -> list[Statement]:
        out: list[Statement] = []
        for inner, _proc in s.bodies():
            out.append(inner)
            out.extend(self._nested(inner))
        return out

    def streamlit_apps(self) -> list[StreamlitApp]:
        apps = []
        for s in self.all_statements():
            ws = s.words
            if not _is_create(ws, ("STREAMLIT",)):
                continue
            strings = [t.text for t in s.tokens if t.token_type in _STRINGS]
            upper = [t.text.upper() for t in s.tokens]
            folder_path = main = None
            for i in range(len(s.tokens)):
                if upper[i] == "FROM" and i + 1 < len(s.tokens) and s.tokens[i + 1].token_type in _STRINGS:
                    folder_path = s.tokens[i + 1].text
                if upper[i] == "MAIN_FILE":
                    nxt = [x for x in s.tokens[i + 1 : i + 3] if x.token_type in _STRINGS]
                    main = nxt[0].text if nxt else None
                if upper[i] == "ROOT_LOCATION" and folder_path is None:
                    nxt = [x for x in s.tokens[i + 1 : i + 3] if x.token_type in _STRINGS]
                    folder_path = nxt[0].text if nxt else None
            if folder_path is None and strings:
                folder_path = strings[0]
            main = main or "streamlit_app.py"
            folder = None
            if folder_path is not None:
                # MAIN_FILE may carry a folder too ('/ui/app.py' relative to FROM)
                target = self.resolve(str(PurePosixPath(folder_path.lstrip("/")) / main.lstrip("/")))
                if target is not None and target.is_file():
                    folder = target.parent
                    main = target.name
            apps.append(StreamlitApp(statement=s, folder=folder, main_file=main))
        return apps


def _map_back(root: Path, src: str, dest: str, want: PurePosixPath) -> Path | None:
    """Which source path becomes stage path `want` under one artifact rule (the Snowflake CLI's layout:
    a glob's matches land inside `dest`; a plain path lands at `dest`, or at its own path when dest is unset)."""
    src = src.rstrip("/")
    dest = (dest or "").strip()
    at_root = dest in ("./", ".", "/")
    dest_p = PurePosixPath(".") if at_root else (PurePosixPath(dest.removeprefix("./").strip("/")) if dest else None)
    has_glob = any(c in src for c in "*?[")
    if has_glob:
        base_src = src.split("*")[0].rstrip("/")
        base = root / base_src if base_src else root
        dest_dir = dest_p or PurePosixPath(base_src)
        try:
            rel = want.relative_to(dest_dir) if str(dest_dir) not in ("", ".") else want
        except ValueError:
            return None
        if not rel.parts:
            return None
        first = rel.parts[0]
        if not base.is_dir():
            return None
        for cand in base.iterdir():
            if cand.name == first and fnmatch.fnmatch(
                str(PurePosixPath(base_src) / cand.name) if base_src else cand.name, src
            ):
                path = cand.joinpath(*rel.parts[1:])
                return path if path.exists() else None
        return None
    dest_dir = dest_p if dest_p is not None else PurePosixPath(src)
    if (root / src).is_file() and (at_root or dest.endswith("/")):
        dest_dir = dest_dir / PurePosixPath(src).name  # a file copied into a folder keeps its name
    try:
        rel = want.relative_to(dest_dir)
    except ValueError:
        return None
    path = (root / src).joinpath(*rel.parts)
    return path if path.exists() else None


# -- discovery -------------------------------------------------------------------------------------


def _load_yaml(path: Path) -> Any:
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as e:
        raise ProjectError(f"cannot read {path}: {' '.join(str(e).split())}") from None


def _artifacts(raw: Any) -> list[tuple[str, str]]:
    out = []
    for a in raw or []:
        if isinstance(a, str):
            out.append((a, ""))
        elif isinstance(a, dict) and "src" in a:
            out.append((str(a["src"]), str(a.get("dest", "") or "")))
    return out


def _definition_artifacts(root: Path) -> list[tuple[str, str]] | None:
    for name in ("snowflake.yml", "snowflake.yaml"):
        path = root / name
        if not path.is_file():
            continue
        data = _load_yaml(path) or {}
        if not isinstance(data, dict):
            continue
        if isinstance(data.get("native_app"), dict):  # definition_version 1
            return _artifacts(data["native_app"].get("artifacts"))
        for entity in (data.get("entities") or {}).values():  # definition_version 2
            if isinstance(entity, dict) and entity.get("type") == "application package":
                return _artifacts(entity.get("artifacts"))
    return None


def load(project_dir: Path | str) -> Project:
    root = Path(project_dir)
    if not root.is_dir():
        raise ProjectError(f"not a project folder: {root}")
    artifacts = _definition_artifacts(root) or []
    manifest_path = None
    probe = Project(root, root, {}, root, artifacts, root)
    for name in MANIFEST_NAMES:
        hit = probe.resolve(name) if artifacts else None
        if hit is not None and hit.is_file():
            manifest_path = hit
            break
    if manifest_path is None:
        for folder in (root, root / "app"):
            for name in MANIFEST_NAMES:
                if (folder / name).is_file():
                    manifest_path = folder / name
                    break
            if manifest_path:
                break
    if manifest_path is None:
        raise ProjectError(f"no Native App manifest (manifest.yml) in {root} or {root / 'app'}")
    manifest = _load_yaml(manifest_path)
    if not isinstance(manifest, dict):
        raise ProjectError(f"{manifest_path} is not a YAML mapping")
    setup_name = (
        ((manifest.get("artifacts") or {}).get("setup_script")) if isinstance(manifest.get("artifacts"), dict) else None
    )
    if not setup_name:
        raise ProjectError(f"{manifest_path} names no artifacts.setup_script")
    project = Project(root, manifest_path, manifest, manifest_path, artifacts, manifest_path.parent)
    setup = project.resolve(str(setup_name)) if artifacts else None
    if setup is None:
        setup = manifest_path.parent / str(setup_name)
    if not setup.is_file():
        raise ProjectError(f"setup script {setup_name} (from {manifest_path}) not found")
    project.setup_script = setup
    _read(project, setup, PurePosixPath("/" + str(setup_name).lstrip("/")).parent)
    # a template runs at install only when the setup script CALLs the procedure that imports it; else later
    called = {_called_name(s.words) for s in project.statements if s.words[:1] == ["CALL"] and not s.in_procedure_body}
    for s in project.statements:
        if s.path in project.imported_by and project.imported_by[s.path] not in called:
            s.in_procedure_body = True
    return project


def _procedure_name(tokens: list[Token]) -> str:
    found = object_name_after(tokens, ("PROCEDURE",))
    return name_parts(found[1])[-1] if found else ""


def _called_name(ws: list[str]) -> str:
    return "".join(ws[1 : ws.index("(")] if "(" in ws else ws[1:]).split(".")[-1]


class _NamedUndefined(jinja2.Undefined):
    """A template variable the project sets at run time renders as its own name, in upper case (an identifier)."""

    def __str__(self) -> str:
        return (self._undefined_name or "UNDEFINED").upper()


def _render_template(text: str, folder: Path) -> str:
    """A SQL template a procedure renders (Jinja2 `{{ … }}`, `{% … %}`) is checked rendered, each variable standing
    in as an identifier, its macro imports found in its own folder (as in the procedure's import directory)."""
    if "{{" not in text and "{%" not in text:
        return text
    try:
        env = jinja2.Environment(
            undefined=_NamedUndefined, keep_trailing_newline=True, loader=jinja2.FileSystemLoader(str(folder))
        )
        return env.from_string(text).render()
    except jinja2.TemplateError as e:
        raise ProjectError(f"not a valid Jinja2 template: {e}") from None


def _read(project: Project, path: Path, stage_dir: PurePosixPath, template: bool = False) -> None:
    if path in project.files:
        return
    project.files.append(path)
    try:
        text = path.read_text(encoding="utf-8")
        text = _render_template(text, path.parent) if template else text
    except OSError as e:
        raise ProjectError(f"cannot read {path}: {e.strerror}") from None
    for s in split_sql(text, path):
        project.statements.append(s)
        ws = s.words
        if ws[:1] == ["CREATE"] and "PROCEDURE" in ws[:6] and "IMPORTS" in ws:
            # SQL files a procedure imports are templates it renders and runs (e.g. a Gold builder): read them too
            for target in (t.text for t in s.tokens if t.token_type in _STRINGS and t.text.endswith(".sql")):
                stage_path = PurePosixPath(target) if target.startswith("/") else stage_dir / target
                resolved = project.resolve(str(stage_path))
                if resolved is None or not resolved.is_file():
                    project.missing.append((s, target))
                    continue
                project.imported_by.setdefault(resolved, _procedure_name(s.tokens))
                _read(project, resolved, stage_path.parent, template=True)
        if ws[:3] == ["EXECUTE", "IMMEDIATE", "FROM"]:
            target = next((t.text for t in s.tokens if t.token_type in _STRINGS), None)
            if target is None:
                continue
            stage_path = PurePosixPath(target) if target.startswith("/") else stage_dir / target
            resolved = project.resolve(str(stage_path))
            if resolved is None or not resolved.is_file():
                project.missing.append((s, target))
                continue
            _read(project, resolved, stage_path.parent)
