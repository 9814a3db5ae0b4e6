"""Native App installs: the setup script runs whole, as the application, with the manifest's privileges.

`CREATE APPLICATION a [FROM APPLICATION PACKAGE p] USING 'file:///dir'` (and `ALTER APPLICATION a UPGRADE
[USING 'file:///dir']`) creates the app's database, then runs `EXECUTE IMMEDIATE FROM '/<manifest
artifacts.setup_script>'` in an *application context*: a session whose current database is the app's and
whose account privileges are those the app holds. `dir` is the app package's stage laid out locally
(infra/app_stage.py, as `snow app bundle` writes it); an application package itself is not emulated.

In the application context, before each statement runs, `infra.preflight.app_privileges.required_privileges`
(the one table `whoop preflight` uses too) says which global privileges it needs; the app holds those its
manifest requests that manifest v2 grants automatically, plus those the consumer granted with
`GRANT <privilege> ON ACCOUNT TO APPLICATION a` (GRANTS rows). A statement needing anything else fails as
the install would in Snowflake (docs: developer-guide/native-apps/requesting-privs, requesting-auto-privs).

Setup-script statements understood here (recorded in WHOOP_LOCAL.CATALOG; their shapes are the table _SHAPES):
- `EXECUTE IMMEDIATE FROM '/path'`: the file from the app stage, its statements run in order on the same
  session; a Jinja2 template (USING, or a `--!jinja` directive) is refused: Snowflake renders one in a session
  (sql-reference/sql/execute-immediate-from) but the Native App pages do not say a setup script may;
- `CREATE OR ALTER VERSIONED SCHEMA s`: a schema, OBJECTS row kind SCHEMA with VERSIONED = true (only in a
  setup script);
- `ALTER APPLICATION SET SPECIFICATION n TYPE = … ` (SPECIFICATIONS; docs: sql-reference/sql/
  alter-application-set-app-spec), `ALTER APPLICATION a APPROVE|DECLINE SPECIFICATION n SEQUENCE_NUMBER = k`
  (docs: sql-reference/sql/alter-application-sequence-number), `SHOW SPECIFICATIONS [IN APPLICATION a]`;
- `CREATE [OR REPLACE] STREAMLIT s FROM '/dir/' MAIN_FILE = 'f.py' …` (OBJECTS kind STREAMLIT; the folder and
  main file must be on the app stage).

What neither the product nor a test uses is not emulated (IF NOT EXISTS, DRY_RUN, DROP STREAMLIT).
"""

from __future__ import annotations

import io
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml
from snowflake.connector.util_text import split_statements

from infra.local.warehouse.base import LocalSession, Outcome, answer, ok
from infra.local.warehouse.catalog import PREFIX, now
from infra.local.warehouse.errors import LocalSqlError
from infra.local.warehouse.options import STRING, option_value, parse_properties
from infra.local.warehouse.show import show_select
from infra.local.warehouse.sqltext import IDENT, QNAME, qualify, split_name, sql_literal
from infra.preflight.app_privileges import AUTO_PRIVS, REQUESTABLE, REQUESTING_PRIVS, required_privileges

if TYPE_CHECKING:
    from infra.local.warehouse.engine import Engine

_DOCS = "https://docs.snowflake.com/en/"
EXECUTE_IMMEDIATE_FROM_DOC = _DOCS + "sql-reference/sql/execute-immediate-from"
VERSIONED_DOC = _DOCS + "developer-guide/native-apps/versioning"
SPEC_DOC = _DOCS + "sql-reference/sql/alter-application-set-app-spec"
APPROVE_DOC = _DOCS + "sql-reference/sql/alter-application-sequence-number"
STREAMLIT_DOC = _DOCS + "developer-guide/native-apps/adding-streamlit"
SPEC_TYPES = {"EXTERNAL_ACCESS": ("HOST_PORTS",), "SECURITY_INTEGRATION": ("OAUTH_TYPE", "OAUTH_TOKEN_ENDPOINT")}


@dataclass(frozen=True)
class AppContext:
    """The application a session runs as: its name (= its database) and its stage directory."""

    name: str
    stage: Path
    manifest: dict[str, Any]

    def requested(self) -> list[str]:
        privileges = self.manifest.get("privileges") or []
        return [" ".join(str(next(iter(p)) if isinstance(p, dict) else p).upper().split()) for p in privileges]


# privileges --------------------------------------------------------------------------------------
def check_privileges(engine: Engine, session: LocalSession, text: str) -> None:
    """Refuse a statement the application runs without a global privilege it needs: it holds the manifest's
    privileges granted automatically (manifest v2 only: requesting-auto-privs) plus the consumer's grants."""
    app: AppContext = session.app  # type: ignore[assignment]
    needs = required_privileges(text)
    if not needs:
        return
    auto = app.manifest.get("manifest_version") == 2
    held = {p for p in app.requested() if auto and p in REQUESTABLE and REQUESTABLE[p].auto_granted}
    grants = f"SELECT PRIVILEGE FROM {PREFIX}.GRANTS WHERE GRANTED_ON = 'ACCOUNT' AND GRANTEE_KIND = 'APPLICATION'"
    held |= {r[0] for r in engine.catalog.query(grants + " AND GRANTEE_NAME = ?", [app.name])}
    for need in (n for n in needs if n.privilege not in held):
        if not need.requestable:
            why = f"no application can hold it ({REQUESTING_PRIVS})"
        elif need.privilege not in app.requested():
            why = f"the manifest does not request it ({REQUESTING_PRIVS})"
        else:
            grant = f"GRANT {need.privilege} ON ACCOUNT TO APPLICATION {app.name}"
            why = f"the consumer has not granted it: {grant} ({AUTO_PRIVS})"
        raise LocalSqlError(
            f"SQL access control error: Insufficient privileges to operate on account. Application {app.name} "
            f"runs {need.what}, which needs {need.privilege} ({need.doc}); {why}",
            errno=3001,
            sqlstate="42501",
        )


def context_of(engine: Engine, database: str | None) -> AppContext | None:
    """The application whose database this is (its objects' later work runs as it), else None."""
    props = engine.catalog.get_object("APPLICATION", database) if database else None
    if props is None:
        return None
    stage = Path(props["STAGE"])
    return AppContext(database, stage, _load_manifest(stage))  # type: ignore[arg-type]


def _require_app(session: LocalSession, what: str, doc: str) -> AppContext:
    if session.app is None:
        raise LocalSqlError(f"{what} is only allowed in an application's setup script ({doc})", errno=3001)
    return session.app


def _refuse_app(session: LocalSession, what: str) -> None:
    if session.app is not None:
        raise LocalSqlError(f"An application cannot {what}", errno=3001, sqlstate="42501")


# install and upgrade -----------------------------------------------------------------------------
def _stage_dir(using: str | None, name: str) -> Path:
    if not using:
        raise LocalSqlError(
            f"CREATE APPLICATION {name}: locally an application installs from files: USING 'file:///<stage dir>' "
            "(application packages and versions are not emulated; see infra/local/README.md)",
            errno=2000,
        )
    raw = option_value(using)
    if not raw.startswith("file://"):
        raise LocalSqlError(f"USING {using}: the local warehouse installs from 'file:///<dir>' only", errno=2000)
    path = Path(raw.removeprefix("file://"))
    if not path.is_dir():
        raise LocalSqlError(f"USING {using}: no such directory", errno=2003)
    return path


def _load_manifest(stage: Path) -> dict[str, Any]:
    path = stage / "manifest.yml"
    if not path.is_file():
        raise LocalSqlError("The application stage has no manifest.yml", errno=93000)
    manifest = yaml.safe_load(path.read_text()) or {}
    for p in AppContext("", stage, manifest).requested():
        if p not in REQUESTABLE:
            raise LocalSqlError(
                f"manifest.yml requests {p}, which an application cannot hold ({REQUESTING_PRIVS})", errno=93000
            )
    return manifest


def _create_application(engine: Engine, session: LocalSession, text: str, m: re.Match[str]) -> Outcome:
    name = split_name(m["name"])[0]
    if m["rest"]:
        raise LocalSqlError(f"CREATE APPLICATION: unsupported clause {m['rest'][:60]}", errno=1003)
    if engine.catalog.get_object("APPLICATION", name) is not None:
        raise LocalSqlError(f"Object '{name}' already exists.", errno=2002)
    stage = _stage_dir(m["source"], name)
    try:
        _install(engine, session, name, stage, {"PACKAGE": split_name(m["pkg"])[0] if m["pkg"] else None})
    except Exception:
        # a failed install creates no application (what the setup script made so far stays in its database)
        engine.catalog.drop_object("APPLICATION", name)
        raise
    return ok(f"Application {name} successfully created.")


def _upgrade(engine: Engine, session: LocalSession, text: str, m: re.Match[str]) -> Outcome:
    name = split_name(m["name"])[0]
    props = engine.catalog.get_object("APPLICATION", name)
    if props is None:
        raise LocalSqlError(f"Application '{name}' does not exist or not authorized.", errno=2003)
    _install(engine, session, name, _stage_dir(m["source"], name) if m["source"] else Path(props["STAGE"]), props)
    return ok(f"Application {name} successfully upgraded.")


def _install(engine: Engine, caller: LocalSession, name: str, stage: Path, props: dict[str, Any]) -> None:
    _refuse_app(caller, "install or upgrade an application")
    manifest = _load_manifest(stage)
    script = (manifest.get("artifacts") or {}).get("setup_script")
    if not script:
        raise LocalSqlError("manifest.yml names no artifacts.setup_script", errno=93000)
    admin = engine.internal_session(None, None, f"install:{name}")
    try:
        engine.execute(admin, f"CREATE DATABASE IF NOT EXISTS {name}")
    finally:
        admin.conn.close()
    record = {**props, "STAGE": str(stage), "VERSION": (manifest.get("version") or {}).get("name")}
    engine.catalog.put_object("APPLICATION", name, record, f"CREATE APPLICATION {name} USING 'file://{stage}'")
    session = engine.internal_session(name, None, f"application:{name}")
    session.app, session.role = AppContext(name, stage, manifest), name
    try:
        engine.execute(session, f"EXECUTE IMMEDIATE FROM {sql_literal('/' + script.lstrip('/'))}")
    finally:
        session.conn.close()


# EXECUTE IMMEDIATE FROM ---------------------------------------------------------------------------
def _stage_file(app: AppContext, path: str) -> Path:
    """A path relative to the app stage root ('/sql/x.sql'); never outside the stage."""
    if not path.startswith("/"):
        raise LocalSqlError(
            f"EXECUTE IMMEDIATE FROM '{path}': the local warehouse resolves absolute paths on the application's stage "
            "('/dir/file.sql') only",
            errno=2000,
        )
    rel = os.path.normpath(path.lstrip("/"))
    if rel.startswith(".."):
        raise LocalSqlError(f"File '{path}' is outside the application stage", errno=2003)
    return app.stage / rel


def _execute_immediate_from(engine: Engine, session: LocalSession, text: str, m: re.Match[str]) -> Outcome:
    app = session.app
    if app is None or m["path"].startswith("@"):
        raise LocalSqlError(
            "The local warehouse runs EXECUTE IMMEDIATE FROM only in an application's setup script, with paths on "
            f"its stage ('/dir/file.sql'); named stages are not emulated ({EXECUTE_IMMEDIATE_FROM_DOC})",
            errno=2000,
        )
    path = option_value(m["path"])
    file = _stage_file(app, path)
    if not file.is_file():
        raise LocalSqlError(f"File '{path}' does not exist on the stage of application {app.name}", errno=2003)
    script = file.read_text()
    # EXECUTE IMMEDIATE FROM renders a Jinja2 file (USING, or the directive within the first 10 characters), but
    # the Native App pages do not say a setup script may: the app's templates are rendered by its procedures
    # (OPS.CREATE_FROM_TEMPLATES, OPS.BUILD_GOLD), so an install is safe whichever way Snowflake answers
    body = script.removeprefix("\ufeff")
    if m["using"] or (len(body) - len(body.lstrip()) <= 10 and body.lstrip().startswith(("--!jinja", "#!jinja"))):
        raise LocalSqlError(
            f"{path}: a Jinja2 template run by a setup script's EXECUTE IMMEDIATE FROM, which the Native App docs do "
            "not cover (developer-guide/native-apps/creating-setup-script): render it in a procedure, as "
            f"OPS.CREATE_FROM_TEMPLATES does ({EXECUTE_IMMEDIATE_FROM_DOC})",
            errno=2000,
        )
    statements = [s for s, _ in split_statements(io.StringIO(script), remove_comments=True) if s.strip()]
    for number, statement in enumerate(statements, start=1):
        words = " ".join(statement.split()).rstrip(";")
        where = f"{path} statement {number} ({words if len(words) <= 90 else words[:87] + '…'})"
        try:
            engine.execute(session, statement)
        except LocalSqlError as e:
            raise LocalSqlError(f"{where}: {e.message}", e.errno, e.sqlstate) from e
        except Exception as e:  # DuckDB and fakesnow errors carry their own message
            raise LocalSqlError(f"{where}: {e}", errno=100132) from e
    return ok(f"{path}: {len(statements)} statements executed.")


# versioned schema, specifications, Streamlit --------------------------------------------------------
def _versioned_schema(engine: Engine, session: LocalSession, text: str, m: re.Match[str]) -> Outcome:
    app = _require_app(session, "CREATE OR ALTER VERSIONED SCHEMA", VERSIONED_DOC)
    parts = split_name(m["name"])
    if len(parts) > 2 or (len(parts) == 2 and parts[0] != app.name):
        raise LocalSqlError(f"A versioned schema must be in the application's database: {m['name']}", errno=1003)
    engine.execute(session, f'CREATE SCHEMA IF NOT EXISTS "{app.name}"."{parts[-1]}" {m["rest"]}')
    fqn = f"{app.name}.{parts[-1]}"
    props = engine.catalog.get_object("SCHEMA", fqn) or {}
    engine.catalog.put_object("SCHEMA", fqn, {**props, "VERSIONED": True}, " ".join(text.split()))
    return ok(f"Schema {parts[-1]} successfully created.")


def _set_specification(engine: Engine, session: LocalSession, text: str, m: re.Match[str]) -> Outcome:
    app = _require_app(session, "ALTER APPLICATION SET SPECIFICATION", SPEC_DOC)
    spec, props = split_name(m["spec"])[0], parse_properties(m["rest"])
    kind, label, description = props.pop("TYPE", None), props.pop("LABEL", None), props.pop("DESCRIPTION", None)
    if kind not in SPEC_TYPES:
        raise LocalSqlError(f"Specification {spec}: TYPE must be one of {', '.join(SPEC_TYPES)} ({SPEC_DOC})", 1003)
    if not label:
        raise LocalSqlError(f"Specification {spec}: LABEL is required ({SPEC_DOC})", errno=1003)
    missing = [k for k in SPEC_TYPES[kind] if k not in props]
    if missing and not (kind == "EXTERNAL_ACCESS" and "PRIVATE_HOST_PORTS" in props):
        raise LocalSqlError(f"Specification {spec}: {', '.join(missing)} required for TYPE = {kind}", errno=1003)
    definition = json.dumps(props, sort_keys=True)
    table = f"{PREFIX}.SPECIFICATIONS"
    with engine.catalog.lock:
        clash = engine.catalog.query(
            f"SELECT NAME FROM {table} WHERE APPLICATION = ? AND LABEL = ? AND NAME <> ?", [app.name, label, spec]
        )
        if clash:
            raise LocalSqlError(f"Specification label '{label}' is already used by {clash[0][0]}", errno=1003)
        old = engine.catalog.query(
            f"SELECT TYPE, SEQUENCE_NUMBER, STATUS, CREATED_ON, DEFINITION FROM {table} "
            "WHERE APPLICATION = ? AND NAME = ?",
            [app.name, spec],
        )
        seq, status, created = 1, "PENDING", now()
        if old:
            old_type, seq, status, created, old_definition = old[0]
            if old_type != kind:
                raise LocalSqlError(f"Specification {spec}: TYPE cannot change ({old_type} to {kind})", errno=1003)
            if old_definition != definition:  # a LABEL or DESCRIPTION edit keeps the number and the decision
                seq, status = seq + 1, "PENDING"
        engine.catalog.query(
            f"INSERT OR REPLACE INTO {table} VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [app.name, spec, kind, seq, status, label, description, definition, created, now()],
        )
    return ok()


def _approve_specification(engine: Engine, session: LocalSession, text: str, m: re.Match[str]) -> Outcome:
    _refuse_app(session, f"approve its own specifications: MANAGE APPLICATION SPECIFICATIONS ({APPROVE_DOC})")
    name, spec, n = split_name(m["name"])[0], split_name(m["spec"])[0], int(m["n"])
    where = "WHERE APPLICATION = ? AND NAME = ?"
    with engine.catalog.lock:
        rows = engine.catalog.query(f"SELECT SEQUENCE_NUMBER FROM {PREFIX}.SPECIFICATIONS {where}", [name, spec])
        if not rows:
            raise LocalSqlError(f"Specification '{spec}' of application '{name}' does not exist", errno=2003)
        if rows[0][0] != n:
            raise LocalSqlError(
                f"Specification '{spec}' is at SEQUENCE_NUMBER {rows[0][0]}, not {n} (SHOW SPECIFICATIONS)", errno=1003
            )
        status = "APPROVED" if m["verb"].upper() == "APPROVE" else "DECLINED"
        engine.catalog.query(
            f"UPDATE {PREFIX}.SPECIFICATIONS SET STATUS = ?, UPDATED_ON = ? {where}", [status, now(), name, spec]
        )
    return ok()


_SPEC_COLUMNS = [
    ("name", "VARCHAR"), ("sequence_number", "NUMBER"), ("type", "VARCHAR"), ("status", "VARCHAR"),
    ("label", "VARCHAR"), ("description", "VARCHAR"), ("definition", "VARCHAR"), ("created_on", "TIMESTAMP_LTZ"),
    ("status_updated_on", "TIMESTAMP_LTZ"), ("application_name", "VARCHAR"),
]  # fmt: skip


def _show_specifications(engine: Engine, session: LocalSession, text: str, m: re.Match[str]) -> Outcome:
    if m["rest"]:
        raise LocalSqlError("SHOW SPECIFICATIONS [IN APPLICATION a] expected", errno=1003)
    app = split_name(m["app"])[0] if m["app"] else session.app.name if session.app else None
    where, params = ("WHERE APPLICATION = ?", [app]) if app else ("", [])
    rows = engine.catalog.query(
        "SELECT NAME, SEQUENCE_NUMBER, TYPE, STATUS, LABEL, DESCRIPTION, DEFINITION, CREATED_ON, UPDATED_ON, "
        f"APPLICATION FROM {PREFIX}.SPECIFICATIONS {where} ORDER BY NAME",
        params,
    )
    return answer(show_select(_SPEC_COLUMNS, [list(r) for r in rows]))


def _create_streamlit(engine: Engine, session: LocalSession, text: str, m: re.Match[str]) -> Outcome:
    app = _require_app(session, "CREATE STREAMLIT (from the application's stage)", STREAMLIT_DOC)
    fqn = qualify(m["name"], session.database, session.schema).fqn
    source = re.search(rf"\bFROM\s*(?P<v>{STRING})", m["rest"], re.I)
    props = parse_properties(m["rest"])
    main = props.get("MAIN_FILE")
    if not source or not main:
        raise LocalSqlError(f"CREATE STREAMLIT {fqn}: FROM '<stage dir>' and MAIN_FILE are required", errno=1003)
    folder = option_value(source["v"])
    directory = _stage_file(app, folder)
    if not directory.is_dir():
        raise LocalSqlError(f"CREATE STREAMLIT {fqn}: folder '{folder}' does not exist on the stage", errno=2003)
    if not (directory / str(main).lstrip("/")).is_file():
        raise LocalSqlError(
            f"CREATE STREAMLIT {fqn}: main file '{main}' does not exist in '{folder}' on the stage", errno=2003
        )
    if not m["or_replace"] and engine.catalog.get_object("STREAMLIT", fqn) is not None:
        raise LocalSqlError(f"Object '{fqn}' already exists.", errno=2002)
    engine.catalog.put_object("STREAMLIT", fqn, {**props, "ROOT_LOCATION": folder}, " ".join(text.split()))
    return ok(f"Streamlit {split_name(fqn)[-1]} successfully created.")


# the statements, one shape each: words match as words, `<g>` captures an object name (`<g:kind>` a _KINDS pattern
# or alternatives), `[…]` is optional and captured under its leading words (`[OR REPLACE]`: m["or_replace"])
_KINDS = {
    "name": rf"(?!IF\b){QNAME}",
    "app": rf"(?!ROLE\b|PACKAGE\b|IF\b){IDENT}",
    "str": STRING,
    "path": rf"{STRING}|@\S+",
    "any": ".*?",
}
_SHAPES = [
    ("CREATE APPLICATION <name:app> [FROM APPLICATION PACKAGE <pkg>] [USING <source:str>] <rest:any>",
     _create_application),
    ("ALTER APPLICATION <name:app> UPGRADE [USING <source:str>]", _upgrade),
    ("ALTER APPLICATION SET SPECIFICATION <spec> <rest:any>", _set_specification),
    ("ALTER APPLICATION <name> <verb:APPROVE|DECLINE> SPECIFICATION <spec> SEQUENCE_NUMBER = <n:\\d+>",
     _approve_specification),
    ("SHOW SPECIFICATIONS [IN APPLICATION <app>] <rest:any>", _show_specifications),
    ("EXECUTE IMMEDIATE FROM <path:path> [USING ( <vars:any> )]", _execute_immediate_from),
    ("CREATE OR ALTER VERSIONED SCHEMA <name> <rest:any>", _versioned_schema),
    ("CREATE [OR REPLACE] STREAMLIT <name> <rest:any>", _create_streamlit),
]  # fmt: skip


def _shape(shape: str) -> str:
    out = ""
    for part in re.findall(r"\[[^\]]*\]|<[^>]+>|[()=]|[^\s()=<\[]+", shape):
        if part[0] == "[":
            flag = "_".join(re.match(r"\[([A-Z_ ]+)", part)[1].split()).lower()  # type: ignore[index]
            out += rf"(?P<{flag}>{_shape(part[1:-1])})?"
        elif m := re.fullmatch(r"<(\w+)(?::(.+))?>", part):
            out += rf"\s*(?P<{m[1]}>{_KINDS.get(m[2] or 'name', m[2])})"
        else:
            out += r"\s*" + (r"\b" + part + r"\b" if part[0].isalpha() else re.escape(part))
    return out


def register(engine: Engine) -> None:
    for shape, handler in _SHAPES:
        engine.on(rf"^{_shape(shape)}\s*$", handler)
