"""Account and governance objects: accepted, recorded in the local catalog, never enforced.

Warehouses, roles, users, secrets, network rules, integrations, policies, alerts, resource monitors
and tags are rows of `WHOOP_LOCAL.CATALOG.OBJECTS` (KIND, normalised NAME, PROPERTIES as JSON, the
creating statement as DEFINITION). GRANT/REVOKE fill GRANTS; policy and tag attachments fill
POLICY_REFERENCES and TAG_REFERENCES; USE ROLE/WAREHOUSE/SECONDARY ROLES and ALTER SESSION fill
SESSION_PARAMETERS; EXECUTE ALERT evaluates an alert once and appends to ALERT_HISTORY. Data metric
functions attached with `ALTER TABLE … ADD DATA METRIC FUNCTION f ON (cols)` are OBJECTS rows of kind
DATA METRIC FUNCTION REFERENCE; a table's DATA_METRIC_SCHEDULE is a property of its TABLE row.

Secret values (SECRET_STRING, PASSWORD, OAuth tokens and client secrets, private keys) never reach the
catalog: they are shown as '***' there and kept in `<data dir>/secrets.json` (mode 0600), which the
procedure runtime reads through `secret_value`.

Differences from Snowflake: nothing is enforced (privileges, policies, network rules, monitors), only
recorded; see infra/local/README.md, "Account and governance objects".
"""

from __future__ import annotations

import contextlib
import json
import re
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from infra.local.warehouse import row_access, session_context
from infra.local.warehouse.base import LocalSession, Outcome
from infra.local.warehouse.catalog import PREFIX, now
from infra.local.warehouse.errors import LocalSqlError
from infra.local.warehouse.secret_store import REDACTED, is_sensitive
from infra.local.warehouse.sqltext import (
    IDENT,
    QNAME,
    closing_paren,
    normalise_ident,
    qualify,
    split_name,
    sql_literal,
    status_select,
)

if TYPE_CHECKING:
    from infra.local.warehouse.engine import Engine


# kinds ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Kind:
    name: str  # OBJECTS.KIND, as written in SQL
    scope: str  # account | database | schema
    label: str  # for messages
    grant_kind: str  # GRANTS.GRANTED_ON, TAG_REFERENCES.OBJECT_KIND (Snowflake's underscored spelling)


_INTEGRATION_TYPES = ("SECURITY", "EXTERNAL ACCESS", "NOTIFICATION", "API", "STORAGE")
KINDS: dict[str, Kind] = {
    k.name: k
    for k in [
        Kind("WAREHOUSE", "account", "Warehouse", "WAREHOUSE"),
        Kind("ROLE", "account", "Role", "ROLE"),
        Kind("DATABASE ROLE", "database", "Database role", "DATABASE_ROLE"),
        Kind("APPLICATION ROLE", "account", "Application role", "APPLICATION_ROLE"),
        Kind("USER", "account", "User", "USER"),
        Kind("SECRET", "schema", "Secret", "SECRET"),
        Kind("NETWORK RULE", "schema", "Network rule", "NETWORK_RULE"),
        *(Kind(f"{t} INTEGRATION", "account", "Integration", "INTEGRATION") for t in _INTEGRATION_TYPES),
        Kind("MASKING POLICY", "schema", "Masking policy", "MASKING_POLICY"),
        Kind("ROW ACCESS POLICY", "schema", "Row access policy", "ROW_ACCESS_POLICY"),
        Kind("ALERT", "schema", "Alert", "ALERT"),
        Kind("RESOURCE MONITOR", "account", "Resource monitor", "RESOURCE_MONITOR"),
        Kind("TAG", "schema", "Tag", "TAG"),
    ]
}
INTEGRATION_KINDS = tuple(k for k in KINDS if k.endswith("INTEGRATION"))
SYSTEM_ROLES = ("ACCOUNTADMIN", "ORGADMIN", "PUBLIC", "SECURITYADMIN", "SYSADMIN", "USERADMIN")

_KIND_RE = (
    r"(?P<kind>DATABASE\s+ROLE|APPLICATION\s+ROLE|ROLE|WAREHOUSE|USER|SECRET|NETWORK\s+RULE"
    r"|(?:SECURITY|EXTERNAL\s+ACCESS|NOTIFICATION|API|STORAGE)\s+INTEGRATION|INTEGRATION"
    r"|MASKING\s+POLICY|ROW\s+ACCESS\s+POLICY|ALERT|RESOURCE\s+MONITOR|TAG)"
)
_SIG = r"(?:\s*\([^)]*\))?"
# account-level and database-level kinds when they appear in GRANT targets and tag statements
_ACCOUNT_SCOPE = {
    "WAREHOUSE", "ROLE", "USER", "INTEGRATION", "RESOURCE MONITOR", "DATABASE", "APPLICATION",
    "APPLICATION PACKAGE", "SHARE", "COMPUTE POOL", "APPLICATION ROLE", "EXTERNAL VOLUME", "ACCOUNT",
    "FAILOVER GROUP", "REPLICATION GROUP", *INTEGRATION_KINDS,
}  # fmt: skip
_DATABASE_SCOPE = {"SCHEMA", "DATABASE ROLE"}


def _words(text: str) -> str:
    return " ".join(text.upper().split())


def _outcome(sql: str, **kw: Any) -> Outcome:
    return Outcome(sql=sql, keep_params=False, **kw)


def _ok(message: str = "Statement executed successfully.") -> Outcome:
    return _outcome(status_select(message))


def _missing(label: str, name: str) -> LocalSqlError:
    return LocalSqlError(f"{label} '{name}' does not exist or not authorized.", errno=2003)


def _fqn(text: str) -> str:
    parts = split_name(text)
    if len(parts) != 3:
        raise LocalSqlError(f"Secret name must be fully qualified (db.schema.name): {text}", errno=1003)
    return ".".join(parts)


def secret_value(engine: Engine, fqn: str) -> dict[str, str]:
    """The secret's type and fields (secret_string; username, password; oauth_* ...), lower-case keys."""
    name = _fqn(fqn)
    if _get(engine, "SECRET", name) is None:
        raise _missing("Secret", name)
    fields = engine.secrets.get(f"SECRET:{name}")
    return {k: ",".join(v) if isinstance(v, list) else str(v) for k, v in fields.items()}


def set_secret_value(engine: Engine, fqn: str, hidden: dict[str, str] | None = None, **fields: str | None) -> None:
    """Set (or, with None, remove) fields of a secret: set_secret_value(e, 'DB.S.X', secret_string='…').

    `hidden` fields (an OAUTH2 secret's cached access token and its expiry) are stored with the
    secret, in the same atomic write, but never shown in the catalog, as Snowflake never shows them.
    """
    name = _fqn(fqn)
    with engine.catalog.lock:
        found = _get(engine, "SECRET", name)
        if found is None:
            raise _missing("Secret", name)
        props, _ = found
        _apply_secret_fields(engine, name, props, {k.upper(): v for k, v in fields.items()}, hidden)
        _update(engine, "SECRET", name, props)


def _apply_secret_fields(
    engine: Engine, name: str, props: dict[str, Any], fields: dict[str, Any], hidden: dict[str, str] | None = None
) -> None:
    store = engine.secrets
    values = {**store.get(f"SECRET:{name}"), **{k.lower(): v for k, v in (hidden or {}).items()}}
    for key, value in fields.items():
        if value is None:
            values.pop(key.lower(), None)
            props.pop(key, None)
        else:
            values[key.lower()] = value
            props[key] = REDACTED if is_sensitive(key) else value
    store.put(f"SECRET:{name}", values)


# statement text ------------------------------------------------------------------------------
_STRING = r"'(?:[^']|'')*'"
_VALUE = rf"{_STRING}|\$\$.*?\$\$|\((?:[^()']|{_STRING})*\)|[^\s,()]+"
_PAIR = re.compile(rf"{_STRING}|\$\$.*?\$\$|\b(?P<key>[A-Za-z_][A-Za-z0-9_]*)\s*=\s*(?P<val>{_VALUE})", re.S)


def _value(raw: str) -> Any:
    raw = raw.strip()
    if raw.startswith("'"):
        return raw[1:-1].replace("''", "'")
    if raw.startswith("$$"):
        return raw[2:-2]
    if raw.startswith("("):
        return [_value(i) for i in re.findall(rf"{_STRING}|[^,\s()]+", raw[1:-1])]
    if re.fullmatch(QNAME, raw):
        return ".".join(split_name(raw))
    return raw.upper()


def parse_properties(text: str) -> dict[str, Any]:
    """`KEY = value` pairs (strings unquoted, lists as lists, bare words upper-cased), keys upper-case."""
    return {m["key"].upper(): _value(m["val"]) for m in _PAIR.finditer(text) if m["key"]}


def redact(text: str) -> str:
    """The statement with the values of sensitive keys replaced by '***'."""

    def sub(m: re.Match[str]) -> str:
        if m["key"] and is_sensitive(m["key"]):
            return m.group(0)[: m.start("val") - m.start()] + f"'{REDACTED}'"
        return m.group(0)

    return _PAIR.sub(sub, text)


def _split_sensitive(props: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    public = {k: (REDACTED if is_sensitive(k) else v) for k, v in props.items()}
    hidden = {k.lower(): v for k, v in props.items() if is_sensitive(k)}
    return public, hidden


def _like(rest: str) -> re.Pattern[str] | None:
    m = re.search(rf"\bLIKE\s+({_STRING})", rest, re.I)
    if not m:
        return None
    pattern = _value(m.group(1))
    regex = "".join(".*" if c == "%" else "." if c == "_" else re.escape(c) for c in pattern)
    return re.compile(regex, re.I | re.S)


# catalog access ------------------------------------------------------------------------------
def _get(engine: Engine, kind: str, name: str) -> tuple[dict[str, Any], str] | None:
    rows = engine.catalog.query(
        f"SELECT PROPERTIES, DEFINITION FROM {PREFIX}.OBJECTS WHERE KIND = ? AND NAME = ?", [kind, name]
    )
    return (json.loads(rows[0][0]), rows[0][1]) if rows else None


def _update(engine: Engine, kind: str, name: str, props: dict[str, Any]) -> None:
    engine.catalog.query(
        f"UPDATE {PREFIX}.OBJECTS SET PROPERTIES = ? WHERE KIND = ? AND NAME = ?",
        [json.dumps(props, sort_keys=True, default=str), kind, name],
    )


def _existing_kind(engine: Engine, kind: Kind, name: str) -> str | None:
    """The stored kind of `name` in kind's namespace (integrations share one), or None."""
    kinds = INTEGRATION_KINDS if kind.name in INTEGRATION_KINDS or kind.name == "INTEGRATION" else (kind.name,)
    marks = ", ".join("?" for _ in kinds)
    rows = engine.catalog.query(
        f"SELECT KIND FROM {PREFIX}.OBJECTS WHERE NAME = ? AND KIND IN ({marks})", [name, *kinds]
    )
    return rows[0][0] if rows else None


def _objects(engine: Engine, kinds: tuple[str, ...]) -> list[tuple[str, str, dict[str, Any], datetime]]:
    marks = ", ".join("?" for _ in kinds)
    rows = engine.catalog.query(
        f"SELECT KIND, NAME, PROPERTIES, CREATED_ON FROM {PREFIX}.OBJECTS WHERE KIND IN ({marks}) ORDER BY NAME",
        list(kinds),
    )
    return [(k, n, json.loads(p), c) for k, n, p, c in rows]


def _kind(text: str) -> Kind:
    words = _words(text)
    if words == "INTEGRATION":
        return Kind("INTEGRATION", "account", "Integration", "INTEGRATION")
    return KINDS[words]


def _name(kind: Kind, raw: str, session: LocalSession) -> str:
    """Normalised name: schema-level objects fully qualified, database roles db.role, others bare."""
    if kind.scope == "schema":
        return qualify(raw, session.database, session.schema).fqn
    parts = split_name(raw)
    if kind.scope == "database":
        if len(parts) == 1:
            if not session.database:
                raise LocalSqlError(f"Cannot resolve {raw}: no current database", errno=90105)
            parts = [session.database, parts[0]]
        if len(parts) != 2:
            raise LocalSqlError(f"Invalid {kind.label.lower()} name: {raw}", errno=1003)
        return ".".join(parts)
    if len(parts) != 1 and kind.name != "APPLICATION ROLE":
        raise LocalSqlError(f"Invalid {kind.label.lower()} name: {raw}", errno=1003)
    return ".".join(parts)


def _object_name(kind_words: str, raw: str, session: LocalSession) -> str:
    """Normalised name of any object named in GRANT and tag statements (procedures keep their signature)."""
    sig = ""
    if "(" in raw:
        raw, _, args = raw.partition("(")
        types = [" ".join(t.split()).upper() for t in args.rstrip(")").split(",") if t.strip()]
        sig = "(" + ", ".join(types) + ")"
    if kind_words in _ACCOUNT_SCOPE:
        return ".".join(split_name(raw)) + sig
    if kind_words in _DATABASE_SCOPE:
        return _name(Kind(kind_words, "database", kind_words.title(), ""), raw, session) + sig
    return qualify(raw, session.database, session.schema).fqn + sig


def _relation_exists(engine: Engine, fqn: str) -> list[str] | None:
    """Column names of a table or view, or None when it does not exist."""
    db, schema, name = fqn.split(".")
    rows = engine.catalog.query(
        "SELECT column_name FROM information_schema.columns WHERE table_catalog = ? AND table_schema = ? "
        "AND table_name = ? ORDER BY ordinal_position",
        [db, schema, name],
    )
    return [r[0] for r in rows] if rows else None


def _require_relation(engine: Engine, kind_words: str, fqn: str) -> list[str]:
    cols = _relation_exists(engine, fqn)
    if cols is None:
        raise _missing(kind_words.title(), fqn)
    return cols


def _require_role(engine: Engine, kind: str, name: str) -> None:
    if kind == "ROLE" and name in SYSTEM_ROLES:
        return
    if kind == "APPLICATION ROLE" and "." in name:
        return  # app_name.role: roles of an installed application, named from outside it
    if _get(engine, kind, name) is None:
        raise _missing(KINDS[kind].label, name)


# registration ----------------------------------------------------------------------------------
def register(engine: Engine) -> None:
    on = engine.on
    # session context
    on(rf"^USE\s+ROLE\s+(?P<name>{IDENT})$", _use_role)
    on(r"^USE\s+SECONDARY\s+ROLES\s+(?P<roles>.+)$", _use_secondary)
    on(rf"^USE\s+WAREHOUSE\s+(?P<name>{IDENT})$", _use_warehouse)
    on(r"^ALTER\s+SESSION\s+(?P<op>SET|UNSET)\s+(?P<rest>.+)$", _alter_session)
    # account and governance objects
    on(
        rf"^CREATE\s+(?P<replace>OR\s+REPLACE\s+)?{_KIND_RE}\s+(?P<ine>IF\s+NOT\s+EXISTS\s+)?"
        rf"(?P<name>{QNAME})(?P<rest>(?:\s.*|\(.*)?)$",
        _create,
    )
    on(rf"^ALTER\s+{_KIND_RE}\s+(?P<ie>IF\s+EXISTS\s+)?(?P<name>{QNAME})\s+(?P<rest>.+)$", _alter)
    on(rf"^DROP\s+{_KIND_RE}\s+(?P<ie>IF\s+EXISTS\s+)?(?P<name>{QNAME})(?:\s+(?:CASCADE|RESTRICT))?$", _drop)
    # the statement names one of these kinds but its syntax was not understood: say so, echoing no values
    on(rf"^(?P<verb>CREATE|ALTER|DROP)\s+(?:OR\s+REPLACE\s+)?{_KIND_RE}\b.*$", _unparsed)
    # attachments to tables and views (fakesnow cannot parse these ALTER TABLE forms)
    rel = r"(?P<okind>TABLE|VIEW|MATERIALIZED\s+VIEW|EXTERNAL\s+TABLE|DYNAMIC\s+TABLE|EVENT\s+TABLE)"
    on(
        rf"^ALTER\s+{rel}\s+(?P<ie>IF\s+EXISTS\s+)?(?P<name>{QNAME})\s+(?:MODIFY|ALTER)\s+"
        rf"(?P<rest>(?:COLUMN\s+)?{IDENT}\s+(?:SET|UNSET)\s+(?:MASKING\s+POLICY|TAG)\b.*)$",
        _alter_columns,
    )
    on(
        rf"^ALTER\s+{rel}\s+(?P<ie>IF\s+EXISTS\s+)?(?P<name>{QNAME})\s+"
        r"(?P<rest>(?:ADD|DROP)\s+(?:ALL\s+)?ROW\s+ACCESS\s+POLIC.*)$",
        _alter_row_access,
    )
    on(
        rf"^ALTER\s+(?P<okind>TABLE|VIEW|SCHEMA|DATABASE)\s+(?P<ie>IF\s+EXISTS\s+)?(?P<name>{QNAME})\s+"
        r"(?P<op>SET|UNSET)\s+(?P<rest>(?:CHANGE_TRACKING|DATA_RETENTION_TIME_IN_DAYS|MAX_DATA_EXTENSION_TIME_IN_DAYS"
        r"|DEFAULT_DDL_COLLATION|ENABLE_SCHEMA_EVOLUTION|DATA_METRIC_SCHEDULE)\b.*)$",
        _alter_relation_properties,
    )
    on(
        rf"^ALTER\s+(?P<okind>TABLE|VIEW)\s+(?P<ie>IF\s+EXISTS\s+)?(?P<name>{QNAME})\s+(?P<op>ADD|DROP)\s+DATA\s+METRIC\s+"
        rf"FUNCTION\s+(?P<dmf>{QNAME})\s+ON\s*\((?P<cols>[^)]*)\)$",
        _alter_data_metric_function,
    )
    on(
        rf"^ALTER\s+(?P<okind>[A-Z_]+(?:\s+[A-Z_]+)*?)\s+(?P<ie>IF\s+EXISTS\s+)?(?P<name>{QNAME}{_SIG})\s+"
        r"(?P<op>SET|UNSET)\s+TAG\s+(?P<tags>.+)$",
        _alter_object_tags,
    )
    # privileges
    grantee = (
        r"(?:(?P<gkind>DATABASE\s+ROLE|APPLICATION\s+ROLE|ROLE|SHARE|USER|APPLICATION)\s+)?"
        rf"(?P<gname>{QNAME})"
    )
    role = rf"(?P<rkind>DATABASE\s+ROLE|APPLICATION\s+ROLE|ROLE)\s+(?P<role>{QNAME})"
    on(rf"^GRANT\s+{role}\s+TO\s+{grantee}$", _grant_role)
    on(rf"^REVOKE\s+{role}\s+FROM\s+{grantee}$", _revoke_role)
    on(
        rf"^GRANT\s+(?P<privs>.+?)\s+ON\s+(?P<target>.+?)\s+TO\s+{grantee}"
        r"(?P<wgo>\s+WITH\s+GRANT\s+OPTION)?(?:\s+(?:COPY|REVOKE)\s+CURRENT\s+GRANTS)?$",
        _grant,
    )
    on(
        rf"^REVOKE\s+(?P<gof>GRANT\s+OPTION\s+FOR\s+)?(?P<privs>.+?)\s+ON\s+(?P<target>.+?)\s+FROM\s+{grantee}"
        r"(?:\s+(?:CASCADE|RESTRICT))?$",
        _revoke,
    )
    on(r"^(?P<verb>GRANT|REVOKE)\b.*$", _unsupported)
    # inspection and alerts
    on(
        r"^SHOW\s+(?P<what>WAREHOUSES|ROLES|USERS|DATABASE\s+ROLES|APPLICATION\s+ROLES|SECRETS|NETWORK\s+RULES"
        r"|(?:(?:SECURITY|EXTERNAL\s+ACCESS|NOTIFICATION|API|STORAGE)\s+)?INTEGRATIONS|MASKING\s+POLICIES"
        r"|ROW\s+ACCESS\s+POLICIES|ALERTS|RESOURCE\s+MONITORS|TAGS)\b(?P<rest>.*)$",
        _show,
    )
    on(r"^SHOW\s+(?P<future>FUTURE\s+)?GRANTS\b(?P<rest>.*)$", _show_grants)
    on(rf"^EXECUTE\s+ALERT\s+(?P<name>{QNAME})$", _execute_alert)


# session context -----------------------------------------------------------------------------
def _record_param(engine: Engine, session: LocalSession, name: str, value: str | None) -> None:
    if value is None:
        engine.catalog.query(
            f"DELETE FROM {PREFIX}.SESSION_PARAMETERS WHERE SESSION_ID = ? AND NAME = ?", [session.session_id, name]
        )
    else:
        engine.catalog.query(
            f"INSERT OR REPLACE INTO {PREFIX}.SESSION_PARAMETERS VALUES (?, ?, ?, ?)",
            [session.session_id, name, value, now()],
        )


def _use_role(engine: Engine, session: LocalSession, text: str, m: re.Match[str]) -> Outcome:
    name = normalise_ident(m["name"])
    _require_role(engine, "ROLE", name)
    session.role = name
    _record_param(engine, session, "ROLE", name)
    session_context.bind(engine, session)  # IS_ROLE_IN_SESSION and friends follow the new role
    return _outcome(text)  # fakesnow answers USE ROLE itself (a no-op there)


def _use_secondary(engine: Engine, session: LocalSession, text: str, m: re.Match[str]) -> Outcome:
    raw = m["roles"].strip()
    value = (
        _words(raw)
        if _words(raw) in {"ALL", "NONE"}
        else ",".join(normalise_ident(r) for r in raw.split(",") if r.strip())
    )
    session.parameters["SECONDARY_ROLES"] = value
    _record_param(engine, session, "SECONDARY_ROLES", value)
    return _ok()


def _use_warehouse(engine: Engine, session: LocalSession, text: str, m: re.Match[str]) -> Outcome:
    name = normalise_ident(m["name"])
    session.warehouse = name
    _record_param(engine, session, "WAREHOUSE", name)
    return _outcome(text)  # fakesnow answers USE WAREHOUSE itself (a no-op there)


_FAKESNOW_SESSION_PARAMS = {"AUTOCOMMIT", "QUOTED_IDENTIFIERS_IGNORE_CASE"}


def _alter_session(engine: Engine, session: LocalSession, text: str, m: re.Match[str]) -> Outcome:
    passthrough: str | None = None
    if _words(m["op"]) == "SET":
        props = parse_properties(m["rest"])
        if not props:
            raise LocalSqlError("ALTER SESSION SET needs <parameter> = <value>", errno=1003)
        for key, value in props.items():
            shown = ",".join(value) if isinstance(value, list) else str(value)
            session.parameters[key] = shown
            _record_param(engine, session, key, shown)
            if key in _FAKESNOW_SESSION_PARAMS:
                passthrough = f"ALTER SESSION SET {key} = {shown}"
    else:
        for key in (_words(k) for k in m["rest"].split(",") if k.strip()):
            session.parameters.pop(key, None)
            _record_param(engine, session, key, None)
            if key in _FAKESNOW_SESSION_PARAMS:
                passthrough = f"ALTER SESSION UNSET {key}"
    # fakesnow acts on AUTOCOMMIT and QUOTED_IDENTIFIERS_IGNORE_CASE; the rest is recorded only
    return _outcome(passthrough) if passthrough else _ok()


# create / alter / drop -----------------------------------------------------------------------
def _create(engine: Engine, session: LocalSession, text: str, m: re.Match[str]) -> Outcome:
    kind = _kind(m["kind"])
    if kind.name == "INTEGRATION":
        raise LocalSqlError(
            "CREATE INTEGRATION needs a type: SECURITY, EXTERNAL ACCESS, NOTIFICATION, API or STORAGE", errno=1003
        )
    if m["replace"] and m["ine"]:
        raise LocalSqlError("OR REPLACE and IF NOT EXISTS are incompatible.", errno=2000)
    name = _name(kind, m["name"], session)
    props = _create_properties(engine, session, kind, (m["rest"] or "").strip())
    public, hidden = _split_sensitive(props)
    with engine.catalog.lock:
        existing = _existing_kind(engine, kind, name)
        if existing:
            if m["ine"]:
                return _ok(f"{name} already exists, statement succeeded.")
            if not m["replace"]:
                raise LocalSqlError(f"Object '{name}' already exists.", errno=2002)
            _guard_attached(engine, KINDS[existing], name, "replaced")
            _forget(engine, KINDS[existing], name)
        engine.catalog.put_object(kind.name, name, public, redact(text))
        _policies_changed(engine, kind.name)
        if kind.name == "SECRET":
            engine.secrets.put(f"SECRET:{name}", {k.lower(): v for k, v in props.items()})
        elif hidden:
            engine.secrets.put(f"{kind.name}:{name}", hidden)
    return _ok(f"{kind.label} {name.rsplit('.', 1)[-1]} successfully created.")


_SECRET_TYPES = {"OAUTH2", "PASSWORD", "GENERIC_STRING", "CLOUD_PROVIDER_TOKEN", "SYMMETRIC_KEY"}


def _create_properties(engine: Engine, session: LocalSession, kind: Kind, rest: str) -> dict[str, Any]:
    if kind.name in ("MASKING POLICY", "ROW ACCESS POLICY"):
        return _policy_properties(kind, rest)
    if kind.name == "ALERT":
        return _alert_properties(rest)
    if kind.name == "RESOURCE MONITOR":
        head, _, triggers = (*re.split(r"\b(TRIGGERS)\b", rest, maxsplit=1, flags=re.I), "", "")[:3]
        props = parse_properties(head)
        props["TRIGGERS"] = _triggers(triggers)
        return props
    props = parse_properties(rest)
    if kind.name == "TAG":
        allowed = re.search(rf"\bALLOWED_VALUES\s+((?:{_STRING}\s*,?\s*)+)", rest, re.I)
        if allowed:
            props["ALLOWED_VALUES"] = [_value(v) for v in re.findall(_STRING, allowed.group(1))]
    elif kind.name == "WAREHOUSE":
        props["STATE"] = "SUSPENDED" if props.get("INITIALLY_SUSPENDED") == "TRUE" else "STARTED"
    elif kind.name == "ALERT":
        props["STATE"] = "SUSPENDED"
    elif kind.name == "SECRET":
        if props.get("TYPE") not in _SECRET_TYPES:
            raise LocalSqlError(f"CREATE SECRET needs TYPE = one of {', '.join(sorted(_SECRET_TYPES))}", errno=1003)
        if "API_AUTHENTICATION" in props:
            _require_integration(engine, props["API_AUTHENTICATION"])
    elif kind.name == "EXTERNAL ACCESS INTEGRATION":
        _resolve_eai_references(engine, session, props)
    return props


def _require_integration(engine: Engine, name: str) -> None:
    if _existing_kind(engine, KINDS["SECURITY INTEGRATION"], name) is None:
        raise _missing("Integration", name)


def _resolve_eai_references(engine: Engine, session: LocalSession, props: dict[str, Any]) -> None:
    """Qualify and check the network rules, secrets and integrations an EAI allows."""
    for key, kind in (("ALLOWED_NETWORK_RULES", "NETWORK RULE"), ("ALLOWED_AUTHENTICATION_SECRETS", "SECRET")):
        if key in props:
            values = props[key] if isinstance(props[key], list) else [props[key]]
            names = [] if values == ["NONE"] else [qualify(v, session.database, session.schema).fqn for v in values]
            for n in names:
                if _get(engine, kind, n) is None:
                    raise _missing(KINDS[kind].label, n)
            props[key] = names
    key = "ALLOWED_API_AUTHENTICATION_INTEGRATIONS"
    if key in props:
        values = props[key] if isinstance(props[key], list) else [props[key]]
        props[key] = [] if values == ["NONE"] else values
        for n in props[key]:
            _require_integration(engine, n)


def _policy_properties(kind: Kind, rest: str) -> dict[str, Any]:
    m = re.match(
        rf"^AS\s*\((?P<sig>[^)]*)\)\s*RETURNS\s+(?P<ret>\w+(?:\s*\([^)]*\))?)\s*->\s*(?P<body>.*?)"
        rf"(?:\s+COMMENT\s*=\s*(?P<comment>{_STRING}))?\s*$",
        rest,
        re.I | re.S,
    )
    if not m:
        raise LocalSqlError(
            f"CREATE {kind.name} needs AS (<arg> <type>, ...) RETURNS <type> -> <expression>", errno=1003
        )
    args = [" ".join(a.split()).upper() for a in m["sig"].split(",") if a.strip()]
    props: dict[str, Any] = {"SIGNATURE": args, "RETURN_TYPE": _words(m["ret"]), "BODY": m["body"].strip()}
    if m["comment"]:
        props["COMMENT"] = _value(m["comment"])
    return props


def _alert_properties(rest: str) -> dict[str, Any]:
    m = re.search(r"\bIF\s*\(", rest, re.I)
    if not m:
        raise LocalSqlError("CREATE ALERT needs IF (EXISTS (<query>)) THEN <action>", errno=1003)
    props = parse_properties(rest[: m.start()])
    open_at = m.end() - 1
    close_at = closing_paren(rest, open_at)
    inner = rest[open_at + 1 : close_at].strip()
    cond = re.match(r"^EXISTS\s*\((?P<q>.*)\)$", inner, re.I | re.S)
    action = re.match(r"^\s*THEN\s+(?P<a>.+)$", rest[close_at + 1 :], re.I | re.S)
    if not cond or not action:
        raise LocalSqlError("CREATE ALERT needs IF (EXISTS (<query>)) THEN <action>", errno=1003)
    props.update(CONDITION=cond["q"].strip(), ACTION=action["a"].strip(), STATE="SUSPENDED")
    return props


def _triggers(text: str) -> list[dict[str, Any]]:
    return [
        {"percent": int(p), "action": a.upper()}
        for p, a in re.findall(r"\bON\s+(\d+)\s+PERCENT\s+DO\s+(SUSPEND_IMMEDIATE|SUSPEND|NOTIFY)\b", text, re.I)
    ]


def _alter(engine: Engine, session: LocalSession, text: str, m: re.Match[str]) -> Outcome:
    kind = _kind(m["kind"])
    name = _name(kind, m["name"], session)
    rest = m["rest"].strip()
    with engine.catalog.lock:
        existing = _existing_kind(engine, kind, name)
        if existing is None:
            if m["ie"]:
                return _ok()
            raise _missing(kind.label, name)
        kind = KINDS[existing]
        props, _ = _get(engine, kind.name, name)  # type: ignore[misc]
        words = _words(rest)
        if renamed := re.match(rf"^RENAME\s+TO\s+(?P<new>{QNAME})$", rest, re.I):
            _rename(engine, kind, name, _name(kind, renamed["new"], session))
            return _ok()
        if tags := re.match(r"^(?P<op>SET|UNSET)\s+TAG\s+(?P<tags>.+)$", rest, re.I | re.S):
            _tag_refs(engine, session, kind.grant_kind, name, "", tags["op"], tags["tags"])
            return _ok()
        if kind.name == "TAG" and re.match(r"^(SET|UNSET)\s+MASKING\s+POLICY\b", rest, re.I):
            _tag_masking(engine, session, name, rest)
            return _ok()
        if kind.name == "TAG" and (vals := re.match(r"^(?P<op>ADD|DROP)\s+ALLOWED_VALUES\s+(?P<v>.+)$", rest, re.I)):
            current = list(props.get("ALLOWED_VALUES", []))
            values = [_value(v) for v in re.findall(_STRING, vals["v"])]
            if vals["op"].upper() == "ADD":
                current += [v for v in values if v not in current]
            else:
                current = [v for v in current if v not in values]
            props["ALLOWED_VALUES"] = current
        elif words in ("RESUME", "SUSPEND", "SUSPEND IMMEDIATE") and kind.name in ("WAREHOUSE", "ALERT"):
            props["STATE"] = "STARTED" if words == "RESUME" else "SUSPENDED"
        elif kind.name in ("MASKING POLICY", "ROW ACCESS POLICY") and (
            body := re.match(r"^SET\s+BODY\s*->\s*(?P<b>.+)$", rest, re.I | re.S)
        ):
            props["BODY"] = body["b"].strip()
        elif kind.name == "ALERT" and (
            cond := re.match(r"^MODIFY\s+CONDITION\s+EXISTS\s*\((?P<q>.*)\)$", rest, re.I | re.S)
        ):
            props["CONDITION"] = cond["q"].strip()
        elif kind.name == "ALERT" and (action := re.match(r"^MODIFY\s+ACTION\s+(?P<a>.+)$", rest, re.I | re.S)):
            props["ACTION"] = action["a"].strip()
        elif setting := re.match(r"^SET\s+(?P<pairs>.+)$", rest, re.I | re.S):
            pairs = setting["pairs"]
            if kind.name == "RESOURCE MONITOR" and re.search(r"\bTRIGGERS\b", pairs, re.I):
                pairs, _, triggers = re.split(r"\b(TRIGGERS)\b", pairs, maxsplit=1, flags=re.I)
                props["TRIGGERS"] = _triggers(triggers)
            new = parse_properties(pairs)
            if not new and "TRIGGERS" not in _words(setting["pairs"]):
                raise LocalSqlError(f"ALTER {kind.name} SET needs <property> = <value>", errno=1003)
            if kind.name == "EXTERNAL ACCESS INTEGRATION":
                _resolve_eai_references(engine, session, new)
            if kind.name == "SECRET":
                _apply_secret_fields(engine, name, props, new)
            else:
                public, hidden = _split_sensitive(new)
                props.update(public)
                if hidden:
                    store = engine.secrets
                    store.put(f"{kind.name}:{name}", {**store.get(f"{kind.name}:{name}"), **hidden})
        elif unsetting := re.match(r"^UNSET\s+(?P<keys>.+)$", rest, re.I | re.S):
            keys = [_words(k) for k in unsetting["keys"].split(",") if k.strip()]
            if not all(re.fullmatch(r"[A-Z_][A-Z0-9_]*", k) for k in keys):
                raise LocalSqlError(f"ALTER {kind.name} UNSET needs property names", errno=1003)
            if kind.name == "SECRET":
                _apply_secret_fields(engine, name, props, dict.fromkeys(keys))
            else:
                for k in keys:
                    props.pop(k, None)
                hidden = engine.secrets.get(f"{kind.name}:{name}")
                if any(k.lower() in hidden for k in keys):
                    engine.secrets.put(
                        f"{kind.name}:{name}", {k: v for k, v in hidden.items() if k.upper() not in keys}
                    )
        else:
            action_words = re.match(r"^[A-Z_]+(?:\s+[A-Z_]+)?", words)
            raise LocalSqlError(
                f"The local warehouse does not support ALTER {kind.name} ... "
                f"{action_words.group(0) if action_words else ''} (see infra/local/README.md)",
                errno=2000,
            )
        _update(engine, kind.name, name, props)
        _policies_changed(engine, kind.name)
    return _ok()


def _policies_changed(engine: Engine, kind: str) -> None:
    """A row access policy's body or attachments changed: queries must see it (warehouse/row_access.py)."""
    if kind == "ROW ACCESS POLICY":
        row_access.invalidate(engine)


def _drop(engine: Engine, session: LocalSession, text: str, m: re.Match[str]) -> Outcome:
    kind = _kind(m["kind"])
    name = _name(kind, m["name"], session)
    with engine.catalog.lock:
        existing = _existing_kind(engine, kind, name)
        if existing is None:
            if m["ie"]:
                return _ok(f"Drop statement executed successfully ({name} already dropped).")
            raise _missing(kind.label, name)
        _guard_attached(engine, KINDS[existing], name, "dropped")
        _forget(engine, KINDS[existing], name)
        _policies_changed(engine, existing)
    return _ok(f"{name.rsplit('.', 1)[-1]} successfully dropped.")


def _unparsed(engine: Engine, session: LocalSession, text: str, m: re.Match[str]) -> Outcome:
    raise LocalSqlError(
        f"Cannot parse this {m['verb'].upper()} {_words(m['kind'])} statement (see infra/local/README.md for the "
        "forms the local warehouse records)",
        errno=1003,
    )


def _guard_attached(engine: Engine, kind: Kind, name: str, verb: str) -> None:
    """Snowflake refuses to drop or replace a policy in use, and a tag that carries a masking policy."""
    if kind.name in ("MASKING POLICY", "ROW ACCESS POLICY"):
        used = engine.catalog.query(f"SELECT 1 FROM {PREFIX}.POLICY_REFERENCES WHERE POLICY_NAME = ?", [name])
    elif kind.name == "TAG":
        used = engine.catalog.query(f"SELECT 1 FROM {PREFIX}.POLICY_REFERENCES WHERE REF_OBJECT = ?", [name])
    else:
        return
    if used:
        raise LocalSqlError(
            f"{kind.label} '{name}' cannot be {verb} because it is attached to one or more objects (unset it first).",
            errno=3072,
        )


def _forget(engine: Engine, kind: Kind, name: str) -> None:
    q = engine.catalog.query
    q(f"DELETE FROM {PREFIX}.OBJECTS WHERE KIND = ? AND NAME = ?", [kind.name, name])
    q(f"DELETE FROM {PREFIX}.GRANTS WHERE GRANTED_ON = ? AND OBJECT_NAME = ?", [kind.grant_kind, name])
    if kind.name.endswith("ROLE"):
        q(f"DELETE FROM {PREFIX}.GRANTS WHERE GRANTEE_KIND = ? AND GRANTEE_NAME = ?", [kind.name, name])
    if kind.name == "TAG":
        q(f"DELETE FROM {PREFIX}.TAG_REFERENCES WHERE TAG_NAME = ?", [name])
    q(f"DELETE FROM {PREFIX}.TAG_REFERENCES WHERE OBJECT_KIND = ? AND OBJECT_NAME = ?", [kind.grant_kind, name])
    engine.secrets.put(f"{kind.name}:{name}", None)


def _rename(engine: Engine, kind: Kind, old: str, new: str) -> None:
    if _existing_kind(engine, kind, new):
        raise LocalSqlError(f"Object '{new}' already exists.", errno=2002)
    q = engine.catalog.query
    q(f"UPDATE {PREFIX}.OBJECTS SET NAME = ? WHERE KIND = ? AND NAME = ?", [new, kind.name, old])
    q(
        f"UPDATE {PREFIX}.GRANTS SET OBJECT_NAME = ? WHERE GRANTED_ON = ? AND OBJECT_NAME = ?",
        [new, kind.grant_kind, old],
    )
    if kind.name.endswith("ROLE"):
        q(
            f"UPDATE {PREFIX}.GRANTS SET GRANTEE_NAME = ? WHERE GRANTEE_KIND = ? AND GRANTEE_NAME = ?",
            [new, kind.name, old],
        )
    if kind.name in ("MASKING POLICY", "ROW ACCESS POLICY"):
        q(f"UPDATE {PREFIX}.POLICY_REFERENCES SET POLICY_NAME = ? WHERE POLICY_NAME = ?", [new, old])
    if kind.name == "TAG":
        q(f"UPDATE {PREFIX}.TAG_REFERENCES SET TAG_NAME = ? WHERE TAG_NAME = ?", [new, old])
        q(f"UPDATE {PREFIX}.POLICY_REFERENCES SET REF_OBJECT = ? WHERE REF_OBJECT = ?", [new, old])
    q(
        f"UPDATE {PREFIX}.TAG_REFERENCES SET OBJECT_NAME = ? WHERE OBJECT_KIND = ? AND OBJECT_NAME = ?",
        [new, kind.grant_kind, old],
    )
    engine.secrets.rename(f"{kind.name}:{old}", f"{kind.name}:{new}")


# policies and tags on tables, views and other objects ------------------------------------------
def _policy(engine: Engine, session: LocalSession, kind: str, raw: str) -> str:
    name = qualify(raw, session.database, session.schema).fqn
    if _get(engine, kind, name) is None:
        raise _missing(KINDS[kind].label, name)
    return name


def _column(cols: list[str], raw: str, table: str) -> str:
    col = normalise_ident(raw)
    if col not in cols:
        raise LocalSqlError(f"Column '{col}' does not exist in '{table}'.", errno=904)
    return col


_MASK_CLAUSE = re.compile(
    rf"(?:COLUMN\s+)?(?P<col>{IDENT})\s+(?:SET\s+MASKING\s+POLICY\s+(?P<pol>{QNAME})"
    r"(?:\s+USING\s*\((?P<using>[^)]*)\))?(?P<force>\s+FORCE)?|(?P<unset>UNSET\s+MASKING\s+POLICY))\s*(?:,\s*|$)",
    re.I,
)


def _alter_columns(engine: Engine, session: LocalSession, text: str, m: re.Match[str]) -> Outcome:
    okind = _words(m["okind"])
    table = qualify(m["name"], session.database, session.schema).fqn
    rest = m["rest"].strip()
    with engine.catalog.lock:
        cols = _relation_exists(engine, table)
        if cols is None:
            if m["ie"]:
                return _ok()
            raise _missing(okind.title(), table)
        tag = re.match(rf"^(?:COLUMN\s+)?(?P<col>{IDENT})\s+(?P<op>SET|UNSET)\s+TAG\s+(?P<tags>.+)$", rest, re.I | re.S)
        if tag:
            _tag_refs(engine, session, "COLUMN", table, _column(cols, tag["col"], table), tag["op"], tag["tags"])
            return _ok()
        clauses: list[re.Match[str]] = []
        pos = 0
        while pos < len(rest):
            c = _MASK_CLAUSE.match(rest, pos)
            if not c:
                raise LocalSqlError(f"Unsupported ALTER {okind} ... MODIFY COLUMN clause", errno=1003)
            clauses.append(c)
            pos = c.end()
        for c in clauses:
            col = _column(cols, c["col"], table)
            key = ["MASKING_POLICY", table, col]
            where = f"FROM {PREFIX}.POLICY_REFERENCES WHERE POLICY_KIND = ? AND REF_OBJECT = ? AND REF_COLUMNS = ?"
            if c["unset"]:
                engine.catalog.query(f"DELETE {where}", key)
                continue
            policy = _policy(engine, session, "MASKING POLICY", c["pol"])
            current = engine.catalog.query(f"SELECT POLICY_NAME {where}", key)
            if current and current[0][0] != policy and not c["force"]:
                raise LocalSqlError(
                    f"Column '{col}' of '{table}' already has masking policy '{current[0][0]}'; "
                    "use FORCE to replace it.",
                    errno=3073,
                )
            engine.catalog.query(
                f"INSERT OR REPLACE INTO {PREFIX}.POLICY_REFERENCES VALUES (?, ?, ?, ?, ?)",
                ["MASKING_POLICY", policy, table, col, now()],
            )
    return _ok()


_ROW_CLAUSE = re.compile(
    rf"(?:(?P<add>ADD)\s+ROW\s+ACCESS\s+POLICY\s+(?P<apol>{QNAME})\s+ON\s*\((?P<cols>[^)]*)\)"
    rf"|(?P<all>DROP\s+ALL\s+ROW\s+ACCESS\s+POLICIES)|DROP\s+ROW\s+ACCESS\s+POLICY\s+(?P<dpol>{QNAME}))\s*(?:,\s*|$)",
    re.I,
)


def _alter_row_access(engine: Engine, session: LocalSession, text: str, m: re.Match[str]) -> Outcome:
    okind = _words(m["okind"])
    table = qualify(m["name"], session.database, session.schema).fqn
    rest = m["rest"].strip()
    with engine.catalog.lock:
        cols = _relation_exists(engine, table)
        if cols is None:
            if m["ie"]:
                return _ok()
            raise _missing(okind.title(), table)
        where = f"FROM {PREFIX}.POLICY_REFERENCES WHERE POLICY_KIND = 'ROW_ACCESS_POLICY' AND REF_OBJECT = ?"
        pos = 0
        while pos < len(rest):
            c = _ROW_CLAUSE.match(rest, pos)
            if not c:
                raise LocalSqlError(f"Unsupported ALTER {okind} ... ROW ACCESS POLICY clause", errno=1003)
            pos = c.end()
            if c["all"]:
                engine.catalog.query(f"DELETE {where}", [table])
            elif c["dpol"]:
                policy = qualify(c["dpol"], session.database, session.schema).fqn
                gone = engine.catalog.query(f"DELETE {where} AND POLICY_NAME = ? RETURNING 1", [table, policy])
                if not gone:
                    raise LocalSqlError(f"Row access policy '{policy}' is not attached to '{table}'.", errno=3074)
            else:
                policy = _policy(engine, session, "ROW ACCESS POLICY", c["apol"])
                if engine.catalog.query(f"SELECT 1 {where}", [table]):
                    raise LocalSqlError(f"'{table}' already has a row access policy.", errno=3075)
                on_cols = [_column(cols, x, table) for x in c["cols"].split(",") if x.strip()]
                engine.catalog.query(
                    f"INSERT INTO {PREFIX}.POLICY_REFERENCES VALUES (?, ?, ?, ?, ?)",
                    ["ROW_ACCESS_POLICY", policy, table, ", ".join(on_cols), now()],
                )
        _policies_changed(engine, "ROW ACCESS POLICY")
    return _ok()


def _alter_relation_properties(engine: Engine, session: LocalSession, text: str, m: re.Match[str]) -> Outcome:
    okind = _words(m["okind"])
    name = _object_name(okind, m["name"], session)
    with engine.catalog.lock:
        if okind in ("TABLE", "VIEW") and _relation_exists(engine, name) is None:
            if m["ie"]:
                return _ok()
            raise _missing(okind.title(), name)
        found = _get(engine, okind, name)
        props = found[0] if found else {}
        if _words(m["op"]) == "SET":
            props.update(parse_properties(m["rest"]))
        else:
            for key in (_words(k) for k in m["rest"].split(",") if k.strip()):
                props.pop(key, None)
        if found:
            _update(engine, okind, name, props)
        else:
            engine.catalog.put_object(okind, name, props, text)
    return _ok()


DMF_REFERENCE = "DATA METRIC FUNCTION REFERENCE"


def _alter_data_metric_function(engine: Engine, session: LocalSession, text: str, m: re.Match[str]) -> Outcome:
    """Record (ADD) or forget (DROP) a data metric function on a table's columns; the metric never runs."""
    okind = _words(m["okind"])
    table = qualify(m["name"], session.database, session.schema).fqn
    dmf = ".".join(split_name(m["dmf"]))
    with engine.catalog.lock:
        cols = _relation_exists(engine, table)
        if cols is None:
            if m["ie"]:
                return _ok()
            raise _missing(okind.title(), table)
        on_cols = [_column(cols, c, table) for c in m["cols"].split(",") if c.strip()]
        key = f"{table}:{dmf}({', '.join(on_cols)})"
        if _words(m["op"]) == "ADD":
            schedule = (_get(engine, okind, table) or ({}, ""))[0].get("DATA_METRIC_SCHEDULE")
            if schedule is None:  # Snowflake refuses a DMF on a table without a schedule
                raise LocalSqlError(
                    f"Table '{table}' has no DATA_METRIC_SCHEDULE; set one before adding a data metric function.",
                    errno=2000,
                )
            props = {"TABLE": table, "METRIC": dmf, "COLUMNS": on_cols, "SCHEDULE": schedule}
            engine.catalog.put_object(DMF_REFERENCE, key, props, text)
        elif not engine.catalog.drop_object(DMF_REFERENCE, key):
            raise LocalSqlError(f"Data metric function '{dmf}' is not attached to '{table}' on those columns.", 2003)
    return _ok()


def _alter_object_tags(engine: Engine, session: LocalSession, text: str, m: re.Match[str]) -> Outcome:
    okind = _words(m["okind"])
    name = _object_name(okind, m["name"], session)
    with engine.catalog.lock:
        if okind in ("TABLE", "VIEW") and _relation_exists(engine, name) is None:
            if m["ie"]:
                return _ok()
            raise _missing(okind.title(), name)
        _tag_refs(engine, session, okind.replace(" ", "_"), name, "", m["op"], m["tags"])
    return _ok()


def _tag_refs(engine: Engine, session: LocalSession, obj_kind: str, obj: str, column: str, op: str, tags: str) -> None:
    if _words(op) == "SET":
        pairs = re.findall(rf"({QNAME})\s*=\s*({_STRING})", tags)
        if not pairs:
            raise LocalSqlError("SET TAG needs <tag> = '<value>'", errno=1003)
        for raw, value in pairs:
            tag = qualify(raw, session.database, session.schema).fqn
            found = _get(engine, "TAG", tag)
            if found is None:
                raise _missing("Tag", tag)
            allowed = found[0].get("ALLOWED_VALUES")
            value = _value(value)
            if allowed and value not in allowed:
                raise LocalSqlError(f"Tag '{tag}' does not allow the value '{value}'.", errno=3076)
            engine.catalog.query(
                f"INSERT OR REPLACE INTO {PREFIX}.TAG_REFERENCES VALUES (?, ?, ?, ?, ?, ?)",
                [tag, value, obj_kind, obj, column, now()],
            )
    else:
        for raw in (t for t in tags.split(",") if t.strip()):
            tag = qualify(raw.strip(), session.database, session.schema).fqn
            engine.catalog.query(
                f"DELETE FROM {PREFIX}.TAG_REFERENCES WHERE TAG_NAME = ? AND OBJECT_NAME = ? AND COLUMN_NAME = ?",
                [tag, obj, column],
            )


def _tag_masking(engine: Engine, session: LocalSession, tag: str, rest: str) -> None:
    m = re.match(r"^(?P<op>SET|UNSET)\s+MASKING\s+POLICY\s+(?P<pols>.+?)(?P<force>\s+FORCE)?$", rest, re.I | re.S)
    if not m:
        raise LocalSqlError("ALTER TAG needs SET|UNSET MASKING POLICY <policy>", errno=1003)
    for raw in (p.strip() for p in m["pols"].split(",") if p.strip()):
        where = f"FROM {PREFIX}.POLICY_REFERENCES WHERE POLICY_KIND = 'MASKING_POLICY' AND REF_OBJECT = ?"
        if _words(m["op"]) == "UNSET":
            policy = qualify(raw, session.database, session.schema).fqn
            engine.catalog.query(f"DELETE {where} AND POLICY_NAME = ?", [tag, policy])
            continue
        policy = _policy(engine, session, "MASKING POLICY", raw)
        current = engine.catalog.query(f"SELECT POLICY_NAME {where}", [tag])
        if current and current[0][0] != policy and not m["force"]:
            raise LocalSqlError(f"Tag '{tag}' already has masking policy '{current[0][0]}'.", errno=3073)
        engine.catalog.query(
            f"INSERT OR REPLACE INTO {PREFIX}.POLICY_REFERENCES VALUES (?, ?, ?, ?, ?)",
            ["MASKING_POLICY", policy, tag, "", now()],
        )


# grants --------------------------------------------------------------------------------------
def _grantee(m: re.Match[str], session: LocalSession) -> tuple[str, str]:
    kind = _words(m["gkind"]) if m["gkind"] else "ROLE"
    if kind == "DATABASE ROLE":
        return kind, _name(KINDS["DATABASE ROLE"], m["gname"], session)
    if kind != "APPLICATION ROLE" and len(split_name(m["gname"])) != 1:
        raise LocalSqlError(f"Invalid {kind.lower()} name: {m['gname']}", errno=1003)
    return kind, ".".join(split_name(m["gname"]))


def _check_grantee(engine: Engine, kind: str, name: str) -> None:
    if kind in ("ROLE", "DATABASE ROLE", "APPLICATION ROLE"):
        _require_role(engine, kind, name)


def _granted_role(m: re.Match[str], session: LocalSession) -> tuple[str, str]:
    kind = _words(m["rkind"])
    return kind, _name(KINDS[kind], m["role"], session)


def _grant_role(engine: Engine, session: LocalSession, text: str, m: re.Match[str]) -> Outcome:
    rkind, role = _granted_role(m, session)
    gkind, gname = _grantee(m, session)
    with engine.catalog.lock:
        _require_role(engine, rkind, role)
        _check_grantee(engine, gkind, gname)
        engine.catalog.query(
            f"INSERT OR REPLACE INTO {PREFIX}.GRANTS VALUES ('USAGE', ?, ?, ?, ?, FALSE, ?)",
            [rkind.replace(" ", "_"), role, gkind, gname, now()],
        )
    return _ok()


def _revoke_role(engine: Engine, session: LocalSession, text: str, m: re.Match[str]) -> Outcome:
    rkind, role = _granted_role(m, session)
    gkind, gname = _grantee(m, session)
    engine.catalog.query(
        f"DELETE FROM {PREFIX}.GRANTS WHERE PRIVILEGE = 'USAGE' AND GRANTED_ON = ? AND OBJECT_NAME = ? "
        "AND GRANTEE_KIND = ? AND GRANTEE_NAME = ?",
        [rkind.replace(" ", "_"), role, gkind, gname],
    )
    return _ok()


def _singular(kinds: str) -> str:
    if kinds.endswith("IES"):
        return kinds[:-3] + "Y"
    return kinds[:-1] if kinds.endswith("S") else kinds


def _target(engine: Engine, session: LocalSession, raw: str, check: bool) -> tuple[str, str]:
    """(GRANTED_ON, OBJECT_NAME) of a GRANT/REVOKE target; checks that recorded kinds exist."""
    text = " ".join(raw.split())
    if text.upper() == "ACCOUNT":
        return "ACCOUNT", "ACCOUNT"
    bulk = re.fullmatch(
        rf"(?P<scope>ALL|FUTURE)\s+(?P<kinds>[A-Z_]+(?:\s+[A-Z_]+)*?)\s+IN\s+(?P<ckind>SCHEMA|DATABASE)\s+(?P<c>{QNAME})",
        text,
        re.I,
    )
    if bulk:
        kind = _singular(_words(bulk["kinds"]))
        container = _object_name(_words(bulk["ckind"]), bulk["c"], session)
        marker = f"<{kind}>" if bulk["scope"].upper() == "FUTURE" else f"<ALL {_words(bulk['kinds'])}>"
        return kind.replace(" ", "_"), f"{container}.{marker}"
    one = re.fullmatch(rf"(?P<kind>[A-Z_]+(?:\s+[A-Z_]+)*?)\s+(?P<name>{QNAME}{_SIG})", text, re.I)
    if not one:
        raise LocalSqlError("Unsupported GRANT target: ON <kind> <name> expected", errno=1003)
    kind = _words(one["kind"])
    if kind in INTEGRATION_KINDS:
        kind = "INTEGRATION"
    name = _object_name(kind, one["name"], session)
    if check:
        if kind == "INTEGRATION":
            _require_integration(engine, name)
        elif kind in KINDS and kind != "APPLICATION ROLE":
            if _get(engine, kind, name) is None and not (kind == "ROLE" and name in SYSTEM_ROLES):
                raise _missing(KINDS[kind].label, name)
        elif kind in ("TABLE", "VIEW"):
            _require_relation(engine, kind, name)
    return kind.replace(" ", "_"), name


def _privileges(raw: str) -> list[str]:
    privs = [_words(p) for p in raw.split(",") if p.strip()]
    return ["ALL" if p == "ALL PRIVILEGES" else p for p in privs]


def _grant(engine: Engine, session: LocalSession, text: str, m: re.Match[str]) -> Outcome:
    gkind, gname = _grantee(m, session)
    privs = _privileges(m["privs"])
    with engine.catalog.lock:
        granted_on, obj = _target(engine, session, m["target"], check=True)
        _check_grantee(engine, gkind, gname)
        for priv in privs:
            if priv == "OWNERSHIP":
                engine.catalog.query(
                    f"DELETE FROM {PREFIX}.GRANTS WHERE PRIVILEGE = 'OWNERSHIP' AND GRANTED_ON = ? AND OBJECT_NAME = ?",
                    [granted_on, obj],
                )
            engine.catalog.query(
                f"INSERT OR REPLACE INTO {PREFIX}.GRANTS VALUES (?, ?, ?, ?, ?, ?, ?)",
                [priv, granted_on, obj, gkind, gname, bool(m["wgo"]), now()],
            )
    return _ok()


def _revoke(engine: Engine, session: LocalSession, text: str, m: re.Match[str]) -> Outcome:
    gkind, gname = _grantee(m, session)
    granted_on, obj = _target(engine, session, m["target"], check=False)
    for priv in _privileges(m["privs"]):
        where = "WHERE GRANTED_ON = ? AND OBJECT_NAME = ? AND GRANTEE_KIND = ? AND GRANTEE_NAME = ?"
        params = [granted_on, obj, gkind, gname]
        if priv != "ALL":
            where += " AND PRIVILEGE = ?"
            params.append(priv)
        if m["gof"]:
            engine.catalog.query(f"UPDATE {PREFIX}.GRANTS SET WITH_GRANT_OPTION = FALSE {where}", params)
        else:
            engine.catalog.query(f"DELETE FROM {PREFIX}.GRANTS {where}", params)
    return _ok()


def _unsupported(engine: Engine, session: LocalSession, text: str, m: re.Match[str]) -> Outcome:
    words = " ".join(text.split()[:3]).upper()
    raise LocalSqlError(
        f"The local warehouse does not support this statement: {words} ... (see infra/local/README.md)", errno=2000
    )


# SHOW ----------------------------------------------------------------------------------------
def _result(columns: list[tuple[str, str]], rows: list[list[Any]], order: str = '"name"') -> str:
    """A SELECT returning `rows` with Snowflake's lower-case SHOW column names."""

    def lit(value: Any, typ: str) -> str:
        if isinstance(value, datetime):
            value = value.isoformat()
        elif isinstance(value, list | dict):
            value = json.dumps(value)
        return f"CAST({sql_literal(value)} AS {typ})"

    if not rows:
        cols = ", ".join(f'CAST(NULL AS {t}) AS "{c}"' for c, t in columns)
        return f"SELECT {cols} WHERE FALSE"
    selects = [
        "SELECT " + ", ".join(f'{lit(v, t)} AS "{c}"' for v, (c, t) in zip(row, columns, strict=True)) for row in rows
    ]
    return f"SELECT * FROM ({' UNION ALL '.join(selects)}) ORDER BY {order}"


_TS, _S, _N = "TIMESTAMP_LTZ", "VARCHAR", "NUMBER"


def _in_scope(rest: str, session: LocalSession) -> tuple[str | None, str | None]:
    """(database, schema) filter of `IN ACCOUNT|DATABASE d|SCHEMA s`; default: the current database."""
    m = re.search(rf"\bIN\s+(?P<k>ACCOUNT|DATABASE|SCHEMA)(?:\s+(?P<n>{QNAME}))?", rest, re.I)
    if not m:
        return session.database, None
    kind = m["k"].upper()
    if kind == "ACCOUNT":
        return None, None
    if kind == "DATABASE":
        return (normalise_ident(m["n"]) if m["n"] else session.database), None
    if m["n"]:
        parts = split_name(m["n"])
        return (parts[0], parts[1]) if len(parts) == 2 else (session.database, parts[0])
    return session.database, session.schema


def _show(engine: Engine, session: LocalSession, text: str, m: re.Match[str]) -> Outcome:
    what = _words(m["what"])
    rest = m["rest"]
    like = _like(rest)
    owner = "ACCOUNTADMIN"

    def pick(kinds: tuple[str, ...], scoped: bool) -> list[tuple[str, str, dict[str, Any], datetime]]:
        db, schema = _in_scope(rest, session) if scoped else (None, None)
        found = []
        for kind, name, props, created in _objects(engine, kinds):
            parts = name.split(".")
            if like and not like.fullmatch(parts[-1]):
                continue
            if (db and parts[0] != db) or (schema and parts[1] != schema):
                continue
            found.append((kind, name, props, created))
        return found

    def short(name: str) -> list[str]:
        parts = name.split(".")
        return [parts[-1], parts[0], parts[1]] if len(parts) == 3 else [parts[-1], "", ""]

    cols: list[tuple[str, str]]
    rows: list[list[Any]]
    if what == "WAREHOUSES":
        cols = [("name", _S), ("state", _S), ("type", _S), ("size", _S), ("min_cluster_count", _N),
                ("max_cluster_count", _N), ("auto_suspend", _N), ("auto_resume", _S), ("is_default", _S),
                ("is_current", _S), ("created_on", _TS), ("owner", _S), ("comment", _S),
                ("resource_monitor", _S)]  # fmt: skip
        rows = []
        for _, name, p, created in pick(("WAREHOUSE",), False):
            rows.append([
                name, p.get("STATE", "STARTED"), p.get("WAREHOUSE_TYPE", "STANDARD"), p.get("WAREHOUSE_SIZE", "XSMALL"),
                int(p.get("MIN_CLUSTER_COUNT", 1)), int(p.get("MAX_CLUSTER_COUNT", 1)),
                int(p["AUTO_SUSPEND"]) if str(p.get("AUTO_SUSPEND", "")).isdigit() else 600,
                str(p.get("AUTO_RESUME", "TRUE")).lower(), "N", "Y" if session.warehouse == name else "N",
                created, owner, p.get("COMMENT", ""), p.get("RESOURCE_MONITOR", "null"),
            ])  # fmt: skip
        if not any(r[0] == "FAKESNOW_WAREHOUSE" for r in rows) and (not like or like.fullmatch("FAKESNOW_WAREHOUSE")):
            # fakesnow's own warehouse, which SHOW WAREHOUSES listed before this module took it over
            rows.append(["FAKESNOW_WAREHOUSE", "STARTED", "STANDARD", "X-Small", 1, 1, 600, "true", "Y",
                         "Y" if session.warehouse in (None, "FAKESNOW_WAREHOUSE") else "N",
                         datetime.fromtimestamp(0).astimezone(), "SYSADMIN", "", "null"])  # fmt: skip
    elif what in ("ROLES", "DATABASE ROLES", "APPLICATION ROLES"):
        kind = what[:-1]
        grants = engine.catalog.query(
            f"SELECT GRANTED_ON, OBJECT_NAME, GRANTEE_KIND, GRANTEE_NAME FROM {PREFIX}.GRANTS"
        )
        gk = kind.replace(" ", "_")
        cols = [("created_on", _TS), ("name", _S), ("is_default", _S), ("is_current", _S), ("is_inherited", _S),
                ("assigned_to_users", _N), ("granted_to_roles", _N), ("granted_roles", _N), ("owner", _S),
                ("comment", _S)]  # fmt: skip
        entries = [(n, p, c) for _, n, p, c in pick((kind,), False)]
        if kind == "DATABASE ROLE":
            db, _ = _in_scope(rest, session)
            entries = [e for e in entries if not db or e[0].split(".")[0] == db]
        if kind == "ROLE":
            epoch = datetime.fromtimestamp(0).astimezone()
            entries += [(r, {}, epoch) for r in SYSTEM_ROLES if not like or like.fullmatch(r)]
        rows = []
        for name, p, created in sorted(entries):
            mine = [g for g in grants if g[0] == gk and g[1] == name]
            rows.append([
                created, name.rsplit(".", 1)[-1] if kind == "DATABASE ROLE" else name, "N",
                "Y" if kind == "ROLE" and session.role == name else "N", "N",
                sum(1 for g in mine if g[2] == "USER"), sum(1 for g in mine if g[2] != "USER"),
                sum(1 for g in grants if g[2] == kind and g[3] == name and g[0].endswith("ROLE")),
                owner, p.get("COMMENT", ""),
            ])  # fmt: skip
    elif what == "USERS":
        cols = [("name", _S), ("created_on", _TS), ("login_name", _S), ("display_name", _S), ("default_role", _S),
                ("default_warehouse", _S), ("disabled", _S), ("has_password", _S), ("comment", _S)]  # fmt: skip
        rows = [
            [n, c, p.get("LOGIN_NAME", n), p.get("DISPLAY_NAME", n), p.get("DEFAULT_ROLE", ""),
             p.get("DEFAULT_WAREHOUSE", ""), str(p.get("DISABLED", "FALSE")).lower(),
             str("PASSWORD" in p).lower(), p.get("COMMENT", "")]
            for _, n, p, c in pick(("USER",), False)
        ]  # fmt: skip
    elif what == "SECRETS":
        cols = [("created_on", _TS), ("name", _S), ("database_name", _S), ("schema_name", _S), ("owner", _S),
                ("comment", _S), ("secret_type", _S), ("oauth_scopes", _S), ("owner_role_type", _S)]  # fmt: skip
        rows = [
            [
                c,
                *short(n),
                owner,
                p.get("COMMENT", ""),
                p.get("TYPE", ""),
                json.dumps(p.get("OAUTH_SCOPES", [])),
                "ROLE",
            ]
            for _, n, p, c in pick(("SECRET",), True)
        ]
    elif what.endswith("INTEGRATIONS"):
        kinds = (what[:-1],) if what != "INTEGRATIONS" else INTEGRATION_KINDS
        cols = [("name", _S), ("type", _S), ("category", _S), ("enabled", _S), ("comment", _S), ("created_on", _TS)]
        rows = [
            [n, p.get("TYPE", k.removesuffix(" INTEGRATION").replace(" ", "_")),
             k.removesuffix(" INTEGRATION").replace(" ", "_"), str(p.get("ENABLED", "FALSE")).lower(),
             p.get("COMMENT", ""), c]
            for k, n, p, c in pick(kinds, False)
        ]  # fmt: skip
    elif what == "NETWORK RULES":
        cols = [("created_on", _TS), ("name", _S), ("database_name", _S), ("schema_name", _S), ("owner", _S),
                ("comment", _S), ("type", _S), ("mode", _S), ("entries_in_value_list", _N),
                ("owner_role_type", _S)]  # fmt: skip
        rows = [
            [c, *short(n), owner, p.get("COMMENT", ""), p.get("TYPE", ""), p.get("MODE", "INGRESS"),
             len(p.get("VALUE_LIST", []) or []), "ROLE"]
            for _, n, p, c in pick(("NETWORK RULE",), True)
        ]  # fmt: skip
    elif what in ("MASKING POLICIES", "ROW ACCESS POLICIES"):
        kind = what.removesuffix("POLICIES") + "POLICY"
        cols = [("created_on", _TS), ("name", _S), ("database_name", _S), ("schema_name", _S), ("kind", _S),
                ("owner", _S), ("comment", _S), ("owner_role_type", _S), ("options", _S)]  # fmt: skip
        rows = [
            [c, *short(n), kind.replace(" ", "_"), owner, p.get("COMMENT", ""), "ROLE", ""]
            for _, n, p, c in pick((kind,), True)
        ]
    elif what == "ALERTS":
        cols = [("created_on", _TS), ("name", _S), ("database_name", _S), ("schema_name", _S), ("owner", _S),
                ("comment", _S), ("warehouse", _S), ("schedule", _S), ("state", _S), ("condition", _S),
                ("action", _S)]  # fmt: skip
        rows = [
            [c, *short(n), owner, p.get("COMMENT", ""), p.get("WAREHOUSE", ""), p.get("SCHEDULE", ""),
             str(p.get("STATE", "SUSPENDED")).lower(), p.get("CONDITION", ""), p.get("ACTION", "")]
            for _, n, p, c in pick(("ALERT",), True)
        ]  # fmt: skip
    elif what == "RESOURCE MONITORS":
        cols = [("name", _S), ("credit_quota", _N), ("used_credits", _N), ("remaining_credits", _N), ("level", _S),
                ("frequency", _S), ("start_time", _S), ("end_time", _S), ("notify_at", _S), ("suspend_at", _S),
                ("suspend_immediately_at", _S), ("created_on", _TS), ("owner", _S), ("comment", _S)]  # fmt: skip
        warehouses = _objects(engine, ("WAREHOUSE",))
        rows = []
        for _, n, p, c in pick(("RESOURCE MONITOR",), False):
            quota = p.get("CREDIT_QUOTA")
            by_action = {a: ",".join(f"{t['percent']}%" for t in p.get("TRIGGERS", []) if t["action"] == a)
                         for a in ("NOTIFY", "SUSPEND", "SUSPEND_IMMEDIATE")}  # fmt: skip
            level = "WAREHOUSE" if any(w[2].get("RESOURCE_MONITOR") == n for w in warehouses) else ""
            rows.append([n, quota, 0, quota, level, p.get("FREQUENCY", "MONTHLY"), p.get("START_TIMESTAMP", ""),
                         p.get("END_TIMESTAMP", ""), by_action["NOTIFY"], by_action["SUSPEND"],
                         by_action["SUSPEND_IMMEDIATE"], c, owner, p.get("COMMENT", "")])  # fmt: skip
    else:  # TAGS
        cols = [("created_on", _TS), ("name", _S), ("database_name", _S), ("schema_name", _S), ("owner", _S),
                ("comment", _S), ("allowed_values", _S), ("owner_role_type", _S)]  # fmt: skip
        rows = [
            [c, *short(n), owner, p.get("COMMENT", ""),
             json.dumps(p["ALLOWED_VALUES"]) if "ALLOWED_VALUES" in p else None, "ROLE"]
            for _, n, p, c in pick(("TAG",), True)
        ]  # fmt: skip
    return _outcome(_result(cols, rows))


def _show_grants(engine: Engine, session: LocalSession, text: str, m: re.Match[str]) -> Outcome:
    rest = " ".join(m["rest"].split())
    where, params = "", []
    if m["future"]:
        scope = re.fullmatch(rf"IN\s+(?P<k>SCHEMA|DATABASE)\s+(?P<n>{QNAME})", rest, re.I)
        if not scope:
            raise LocalSqlError("SHOW FUTURE GRANTS needs IN SCHEMA <s> | IN DATABASE <d>", errno=1003)
        container = _object_name(_words(scope["k"]), scope["n"], session)
        where, params = "OBJECT_NAME LIKE ? AND OBJECT_NAME NOT LIKE '%.<ALL %'", [f"{container}.<%>"]
    elif to := re.fullmatch(
        rf"TO\s+(?P<gkind>DATABASE\s+ROLE|APPLICATION\s+ROLE|ROLE|SHARE|USER|APPLICATION)\s+(?P<gname>{QNAME})",
        rest,
        re.I,
    ):
        gkind, gname = _grantee(to, session)
        where, params = "GRANTEE_KIND = ? AND GRANTEE_NAME = ?", [gkind, gname]
    elif of := re.fullmatch(
        rf"OF\s+(?P<rkind>DATABASE\s+ROLE|APPLICATION\s+ROLE|ROLE)\s+(?P<role>{QNAME})", rest, re.I
    ):
        rkind, role = _granted_role(of, session)
        where, params = "GRANTED_ON = ? AND OBJECT_NAME = ?", [rkind.replace(" ", "_"), role]
    elif on := re.fullmatch(r"ON\s+(?P<target>.+)", rest, re.I):
        granted_on, obj = _target(engine, session, on["target"], check=False)
        where, params = "GRANTED_ON = ? AND OBJECT_NAME = ?", [granted_on, obj]
    elif rest:
        raise LocalSqlError("Unsupported SHOW GRANTS form: use TO|OF|ON ... or IN (FUTURE)", errno=1003)
    rows = engine.catalog.query(
        "SELECT CREATED_ON, PRIVILEGE, GRANTED_ON, OBJECT_NAME, GRANTEE_KIND, GRANTEE_NAME, WITH_GRANT_OPTION "
        f"FROM {PREFIX}.GRANTS {'WHERE ' + where if where else ''} ORDER BY OBJECT_NAME, PRIVILEGE, GRANTEE_NAME",
        params,
    )
    cols = [("created_on", _TS), ("privilege", _S), ("granted_on", _S), ("name", _S), ("granted_to", _S),
            ("grantee_name", _S), ("grant_option", _S), ("granted_by", _S)]  # fmt: skip
    out = [[c, p, g, o, k.replace(" ", "_"), n, str(w).lower(), "ACCOUNTADMIN"] for c, p, g, o, k, n, w in rows]
    return _outcome(_result(cols, out, order='"name", "privilege", "grantee_name"'))


# alerts --------------------------------------------------------------------------------------
def _execute_alert(engine: Engine, session: LocalSession, text: str, m: re.Match[str]) -> Outcome:
    name = qualify(m["name"], session.database, session.schema).fqn
    found = _get(engine, "ALERT", name)
    if found is None:
        raise _missing("Alert", name)
    props = found[0]
    run_alert(engine, name, props, session)
    return _ok()


def run_alert(engine: Engine, name: str, props: dict[str, Any], caller: LocalSession | None = None) -> str:
    """Evaluate the alert's condition once and run its action when the condition returns rows."""
    database, schema, _ = name.split(".")
    started = now()
    inner = engine.internal_session(database, schema, f"alert:{name}")
    if caller is not None:
        inner.role, inner.warehouse = caller.role, caller.warehouse
    condition: bool | None = None
    action_ran = False
    error: str | None = None
    try:
        try:
            condition = bool(engine.execute(inner, props["CONDITION"]))
        except Exception as e:
            error, state = f"condition: {getattr(e, 'message', None) or e}", "CONDITION_FAILED"
        else:
            state = "CONDITION_FALSE"
            if condition:
                try:
                    engine.execute(inner, props["ACTION"])
                    action_ran, state = True, "TRIGGERED"
                except Exception as e:
                    error, state = f"action: {getattr(e, 'message', None) or e}", "ACTION_FAILED"
    finally:
        with contextlib.suppress(Exception):  # closing an internal connection must not hide the outcome
            inner.conn.close()
    engine.catalog.query(
        f"INSERT INTO {PREFIX}.ALERT_HISTORY VALUES (?, ?, ?, ?, ?, ?, ?)",
        [name, state, condition, action_ran, error, started, now()],
    )
    return state
