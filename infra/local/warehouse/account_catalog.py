"""Account and governance objects as catalog rows: their kinds, names, look-ups and writes.

Warehouses, roles, secrets, network rules, integrations, policies, alerts and tags are
rows of `WHOOP_LOCAL.CATALOG.OBJECTS` (KIND, normalised NAME, PROPERTIES as JSON, the creating statement as
DEFINITION); GRANTS, POLICY_REFERENCES and TAG_REFERENCES refer to them by name. Secret values never reach the
catalog (secret_store.py); `secret_value` is how the procedure runtime reads them.

Differences from Snowflake: nothing is enforced (privileges, policies, network rules), only
recorded; see infra/local/README.md, "Account and governance objects".
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from infra.local.warehouse.base import LocalSession
from infra.local.warehouse.catalog import PREFIX
from infra.local.warehouse.errors import LocalSqlError
from infra.local.warehouse.secret_store import REDACTED, is_sensitive
from infra.local.warehouse.sqltext import normalise_ident, qualify, split_name

if TYPE_CHECKING:
    from infra.local.warehouse.engine import Engine


@dataclass(frozen=True)
class Kind:
    name: str  # OBJECTS.KIND, as written in SQL
    scope: str  # account | schema

    @property
    def label(self) -> str:  # for messages
        return "Integration" if self.name.endswith("INTEGRATION") else self.name.capitalize()

    @property
    def grant_kind(self) -> str:  # GRANTS.GRANTED_ON, TAG_REFERENCES.OBJECT_KIND (Snowflake's underscored spelling)
        return "INTEGRATION" if self.name.endswith("INTEGRATION") else self.name.replace(" ", "_")


_INTEGRATIONS = tuple(f"{t} INTEGRATION" for t in ("SECURITY", "EXTERNAL ACCESS", "NOTIFICATION"))
_SCOPES = {
    "account": ("WAREHOUSE", "ROLE", "APPLICATION ROLE", *_INTEGRATIONS),
    "schema": ("SECRET", "NETWORK RULE", "MASKING POLICY", "ROW ACCESS POLICY", "ALERT", "TAG"),
}
KINDS = {name: Kind(name, scope) for scope, names in _SCOPES.items() for name in names}
INTEGRATION_KINDS = _INTEGRATIONS
SYSTEM_ROLES = ("ACCOUNTADMIN", "ORGADMIN", "PUBLIC", "SECURITYADMIN", "SYSADMIN", "USERADMIN")


def words_re(names: list[str]) -> str:
    """An alternation of multi-word names, longest first (APPLICATION ROLE before ROLE), any spacing."""
    return "|".join(n.replace(" ", r"\s+") for n in sorted(names, key=len, reverse=True))


KIND_RE = rf"(?P<kind>{words_re([*KINDS, 'INTEGRATION'])})"
SIG = r"(?:\s*\([^)]*\))?"

# account-level kinds when they appear in GRANT targets
ACCOUNT_SCOPE = {"WAREHOUSE", "ROLE", "INTEGRATION", "DATABASE", "APPLICATION", "APPLICATION ROLE", *INTEGRATION_KINDS}


def upper_words(text: str) -> str:
    return " ".join(text.upper().split())


def singular(kinds: str) -> str:
    """The kind a plural names, as SHOW and GRANT … ON ALL write them (POLICIES, TABLES)."""
    return kinds[:-3] + "Y" if kinds.endswith("IES") else kinds.removesuffix("S")


def kind_of(text: str) -> Kind:
    words = upper_words(text)
    return KINDS.get(words) or Kind(words, "account")  # bare INTEGRATION: any of the typed ones


def not_found(label: str, name: str) -> LocalSqlError:
    return LocalSqlError(f"{label} '{name}' does not exist or not authorized.", errno=2003)


def _marks(values: tuple[str, ...] | list[str]) -> str:
    return ", ".join("?" for _ in values)


def secret_fqn(text: str) -> str:
    parts = split_name(text)
    if len(parts) != 3:
        raise LocalSqlError(f"Secret name must be fully qualified (db.schema.name): {text}", errno=1003)
    return ".".join(parts)


def secret_value(engine: Engine, fqn: str) -> dict[str, str]:
    """The secret's type and fields (secret_string; username, password; oauth_* ...), lower-case keys."""
    name = secret_fqn(fqn)
    require_object(engine, "SECRET", name)
    fields = engine.secrets.get(f"SECRET:{name}")
    return {k: ",".join(v) if isinstance(v, list) else str(v) for k, v in fields.items()}


def set_secret_value(engine: Engine, fqn: str, hidden: dict[str, str] | None = None, **fields: str | None) -> None:
    """Set (or, with None, remove) fields of a secret: set_secret_value(e, 'DB.S.X', secret_string='…').

    `hidden` fields (an OAUTH2 secret's cached access token and its expiry) are stored with the
    secret, in the same atomic write, but never shown in the catalog, as Snowflake never shows them.
    """
    name = secret_fqn(fqn)
    with engine.catalog.lock:
        props = require_object(engine, "SECRET", name)
        apply_fields(engine, "SECRET", name, props, {k.upper(): v for k, v in fields.items()}, hidden)
        update_object(engine, "SECRET", name, props)


def apply_fields(
    engine: Engine, kind: str, name: str, props: dict[str, Any], fields: dict[str, Any], hidden: dict | None = None
) -> None:
    """Set (a value) or unset (None) fields: the catalog's `props` show sensitive ones as '***'.

    The secret store keeps the sensitive values, and a secret's every field (the runtime reads them there).
    """
    key = f"{kind}:{name}"
    values = {**engine.secrets.get(key), **{k.lower(): v for k, v in (hidden or {}).items()}}
    for field, value in fields.items():
        if value is None:
            values.pop(field.lower(), None)
            props.pop(field, None)
            continue
        props[field] = REDACTED if is_sensitive(field) else value
        if kind == "SECRET" or is_sensitive(field):
            values[field.lower()] = value
    engine.secrets.put(key, values)


def get_object(engine: Engine, kind: str, name: str) -> tuple[dict[str, Any], str] | None:
    rows = engine.catalog.query(
        f"SELECT PROPERTIES, DEFINITION FROM {PREFIX}.OBJECTS WHERE KIND = ? AND NAME = ?", [kind, name]
    )
    return (json.loads(rows[0][0]), rows[0][1]) if rows else None


def find_object(engine: Engine, kind: str, name: str) -> tuple[Kind, dict[str, Any]] | None:
    """The stored kind and properties of `name` in kind's namespace (integrations share one), or None."""
    kinds = INTEGRATION_KINDS if kind.endswith("INTEGRATION") else (kind,)
    sql = f"SELECT KIND, PROPERTIES FROM {PREFIX}.OBJECTS WHERE NAME = ? AND KIND IN ({_marks(kinds)})"
    rows = engine.catalog.query(sql, [name, *kinds])
    return (KINDS[rows[0][0]], json.loads(rows[0][1])) if rows else None


def require_object(engine: Engine, kind: str, name: str) -> dict[str, Any]:
    """The properties of a recorded object; Snowflake's error when it does not exist."""
    if (kind == "ROLE" and name in SYSTEM_ROLES) or (kind == "APPLICATION ROLE" and "." in name):
        return {}  # system roles always exist; app_name.role: a role of an installed application, named from outside
    if (found := find_object(engine, kind, name)) is None:
        raise not_found(kind_of(kind).label, name)
    return found[1]


def update_object(engine: Engine, kind: str, name: str, props: dict[str, Any]) -> None:
    engine.catalog.query(
        f"UPDATE {PREFIX}.OBJECTS SET PROPERTIES = ? WHERE KIND = ? AND NAME = ?",
        [json.dumps(props, sort_keys=True, default=str), kind, name],
    )


def objects_of(engine: Engine, kinds: tuple[str, ...]) -> list[tuple[str, str, dict[str, Any], datetime]]:
    sql = f"SELECT KIND, NAME, PROPERTIES, CREATED_ON FROM {PREFIX}.OBJECTS WHERE KIND IN ({_marks(kinds)})"
    return [(k, n, json.loads(p), c) for k, n, p, c in engine.catalog.query(sql, list(kinds))]


def normalised_name(kind: Kind, raw: str, session: LocalSession) -> str:
    """Normalised name: schema-level objects fully qualified, others bare."""
    if kind.scope == "schema":
        return qualify(raw, session.database, session.schema).fqn
    parts = split_name(raw)
    if len(parts) != 1 and kind.name != "APPLICATION ROLE":
        raise LocalSqlError(f"Invalid {kind.label.lower()} name: {raw}", errno=1003)
    return ".".join(parts)


def any_object_name(kind_words: str, raw: str, session: LocalSession) -> str:
    """Normalised name of any object named in GRANT statements (procedures keep their signature)."""
    raw, paren, args = raw.partition("(")
    sig = "(" + ", ".join(upper_words(t) for t in args.rstrip(")").split(",") if t.strip()) + ")" if paren else ""
    if kind_words in ACCOUNT_SCOPE:
        return ".".join(split_name(raw)) + sig
    if kind_words == "SCHEMA":  # db.schema
        parts = split_name(raw)
        if len(parts) == 1:
            if not session.database:
                raise LocalSqlError(f"Cannot resolve {raw}: no current database", errno=90105)
            parts = [session.database, parts[0]]
        return ".".join(parts) + sig
    return qualify(raw, session.database, session.schema).fqn + sig


def relation_columns(engine: Engine, fqn: str) -> list[str] | None:
    """Column names of a table or view, or None when it does not exist."""
    rows = engine.catalog.query(
        "SELECT column_name FROM information_schema.columns WHERE table_catalog = ? AND table_schema = ? "
        "AND table_name = ? ORDER BY ordinal_position",
        fqn.split("."),
    )
    return [r[0] for r in rows] if rows else None


def _references(kind: Kind) -> list[tuple[str, str, str, list[str]]]:
    """Where an object's name is recorded: (table, name column, condition, its parameters)."""
    refs = [
        ("OBJECTS", "NAME", "KIND = ?", [kind.name]),
        ("GRANTS", "OBJECT_NAME", "GRANTED_ON = ?", [kind.grant_kind]),
        ("TAG_REFERENCES", "OBJECT_NAME", "OBJECT_KIND = ?", [kind.grant_kind]),
    ]
    if kind.name.endswith("ROLE"):
        refs.append(("GRANTS", "GRANTEE_NAME", "GRANTEE_KIND = ?", [kind.name]))
    if kind.name.endswith("POLICY"):
        refs.append(("POLICY_REFERENCES", "POLICY_NAME", "TRUE", []))
    if kind.name == "TAG":
        refs.append(("TAG_REFERENCES", "TAG_NAME", "TRUE", []))
    return refs


def forget_object(engine: Engine, kind: Kind, name: str) -> None:
    for table, column, where, params in _references(kind):
        engine.catalog.query(f"DELETE FROM {PREFIX}.{table} WHERE {where} AND {column} = ?", [*params, name])
    engine.secrets.put(f"{kind.name}:{name}", None)


def guard_attached(engine: Engine, kind: Kind, name: str, verb: str) -> None:
    """Snowflake refuses to drop or replace a policy in use."""
    if kind.name.endswith("POLICY") and engine.catalog.query(
        f"SELECT 1 FROM {PREFIX}.POLICY_REFERENCES WHERE POLICY_NAME = ?", [name]
    ):
        raise LocalSqlError(
            f"{kind.label} '{name}' cannot be {verb} because it is attached to one or more objects (unset it first).",
            errno=3072,
        )


def policy_name(engine: Engine, session: LocalSession, kind: str, raw: str) -> str:
    name = qualify(raw, session.database, session.schema).fqn
    require_object(engine, kind, name)
    return name


def column_name(cols: list[str], raw: str, table: str) -> str:
    col = normalise_ident(raw)
    if col not in cols:
        raise LocalSqlError(f"Column '{col}' does not exist in '{table}'.", errno=904)
    return col
