"""Account and governance objects as catalog rows: their kinds, names, look-ups and writes.

Warehouses, roles, users, secrets, network rules, integrations, policies, alerts, resource monitors and tags are
rows of `WHOOP_LOCAL.CATALOG.OBJECTS` (KIND, normalised NAME, PROPERTIES as JSON, the creating statement as
DEFINITION); GRANTS, POLICY_REFERENCES and TAG_REFERENCES refer to them by name. Secret values never reach the
catalog (secret_store.py); `secret_value` is how the procedure runtime reads them.

Differences from Snowflake: nothing is enforced (privileges, policies, network rules, monitors), only
recorded; see infra/local/README.md, "Account and governance objects".
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from infra.local.warehouse import row_access
from infra.local.warehouse.base import LocalSession
from infra.local.warehouse.catalog import PREFIX
from infra.local.warehouse.errors import LocalSqlError
from infra.local.warehouse.secret_store import REDACTED, is_sensitive
from infra.local.warehouse.sqltext import (
    normalise_ident,
    qualify,
    split_name,
)

if TYPE_CHECKING:
    from infra.local.warehouse.engine import Engine


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


KIND_RE = (
    r"(?P<kind>DATABASE\s+ROLE|APPLICATION\s+ROLE|ROLE|WAREHOUSE|USER|SECRET|NETWORK\s+RULE"
    r"|(?:SECURITY|EXTERNAL\s+ACCESS|NOTIFICATION|API|STORAGE)\s+INTEGRATION|INTEGRATION"
    r"|MASKING\s+POLICY|ROW\s+ACCESS\s+POLICY|ALERT|RESOURCE\s+MONITOR|TAG)"
)


SIG = r"(?:\s*\([^)]*\))?"


# account-level and database-level kinds when they appear in GRANT targets and tag statements
ACCOUNT_SCOPE = {
    "WAREHOUSE", "ROLE", "USER", "INTEGRATION", "RESOURCE MONITOR", "DATABASE", "APPLICATION",
    "APPLICATION PACKAGE", "SHARE", "COMPUTE POOL", "APPLICATION ROLE", "EXTERNAL VOLUME", "ACCOUNT",
    "FAILOVER GROUP", "REPLICATION GROUP", *INTEGRATION_KINDS,
}  # fmt: skip


DATABASE_SCOPE = {"SCHEMA", "DATABASE ROLE"}


def upper_words(text: str) -> str:
    return " ".join(text.upper().split())


def not_found(label: str, name: str) -> LocalSqlError:
    return LocalSqlError(f"{label} '{name}' does not exist or not authorized.", errno=2003)


def secret_fqn(text: str) -> str:
    parts = split_name(text)
    if len(parts) != 3:
        raise LocalSqlError(f"Secret name must be fully qualified (db.schema.name): {text}", errno=1003)
    return ".".join(parts)


def secret_value(engine: Engine, fqn: str) -> dict[str, str]:
    """The secret's type and fields (secret_string; username, password; oauth_* ...), lower-case keys."""
    name = secret_fqn(fqn)
    if get_object(engine, "SECRET", name) is None:
        raise not_found("Secret", name)
    fields = engine.secrets.get(f"SECRET:{name}")
    return {k: ",".join(v) if isinstance(v, list) else str(v) for k, v in fields.items()}


def set_secret_value(engine: Engine, fqn: str, hidden: dict[str, str] | None = None, **fields: str | None) -> None:
    """Set (or, with None, remove) fields of a secret: set_secret_value(e, 'DB.S.X', secret_string='…').

    `hidden` fields (an OAUTH2 secret's cached access token and its expiry) are stored with the
    secret, in the same atomic write, but never shown in the catalog, as Snowflake never shows them.
    """
    name = secret_fqn(fqn)
    with engine.catalog.lock:
        found = get_object(engine, "SECRET", name)
        if found is None:
            raise not_found("Secret", name)
        props, _ = found
        apply_secret_fields(engine, name, props, {k.upper(): v for k, v in fields.items()}, hidden)
        update_object(engine, "SECRET", name, props)


def apply_secret_fields(
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


def get_object(engine: Engine, kind: str, name: str) -> tuple[dict[str, Any], str] | None:
    rows = engine.catalog.query(
        f"SELECT PROPERTIES, DEFINITION FROM {PREFIX}.OBJECTS WHERE KIND = ? AND NAME = ?", [kind, name]
    )
    return (json.loads(rows[0][0]), rows[0][1]) if rows else None


def update_object(engine: Engine, kind: str, name: str, props: dict[str, Any]) -> None:
    engine.catalog.query(
        f"UPDATE {PREFIX}.OBJECTS SET PROPERTIES = ? WHERE KIND = ? AND NAME = ?",
        [json.dumps(props, sort_keys=True, default=str), kind, name],
    )


def existing_kind(engine: Engine, kind: Kind, name: str) -> str | None:
    """The stored kind of `name` in kind's namespace (integrations share one), or None."""
    kinds = INTEGRATION_KINDS if kind.name in INTEGRATION_KINDS or kind.name == "INTEGRATION" else (kind.name,)
    marks = ", ".join("?" for _ in kinds)
    rows = engine.catalog.query(
        f"SELECT KIND FROM {PREFIX}.OBJECTS WHERE NAME = ? AND KIND IN ({marks})", [name, *kinds]
    )
    return rows[0][0] if rows else None


def objects_of(engine: Engine, kinds: tuple[str, ...]) -> list[tuple[str, str, dict[str, Any], datetime]]:
    marks = ", ".join("?" for _ in kinds)
    rows = engine.catalog.query(
        f"SELECT KIND, NAME, PROPERTIES, CREATED_ON FROM {PREFIX}.OBJECTS WHERE KIND IN ({marks}) ORDER BY NAME",
        list(kinds),
    )
    return [(k, n, json.loads(p), c) for k, n, p, c in rows]


def kind_of(text: str) -> Kind:
    words = upper_words(text)
    if words == "INTEGRATION":
        return Kind("INTEGRATION", "account", "Integration", "INTEGRATION")
    return KINDS[words]


def normalised_name(kind: Kind, raw: str, session: LocalSession) -> str:
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


def any_object_name(kind_words: str, raw: str, session: LocalSession) -> str:
    """Normalised name of any object named in GRANT and tag statements (procedures keep their signature)."""
    sig = ""
    if "(" in raw:
        raw, _, args = raw.partition("(")
        types = [" ".join(t.split()).upper() for t in args.rstrip(")").split(",") if t.strip()]
        sig = "(" + ", ".join(types) + ")"
    if kind_words in ACCOUNT_SCOPE:
        return ".".join(split_name(raw)) + sig
    if kind_words in DATABASE_SCOPE:
        return normalised_name(Kind(kind_words, "database", kind_words.title(), ""), raw, session) + sig
    return qualify(raw, session.database, session.schema).fqn + sig


def relation_columns(engine: Engine, fqn: str) -> list[str] | None:
    """Column names of a table or view, or None when it does not exist."""
    db, schema, name = fqn.split(".")
    rows = engine.catalog.query(
        "SELECT column_name FROM information_schema.columns WHERE table_catalog = ? AND table_schema = ? "
        "AND table_name = ? ORDER BY ordinal_position",
        [db, schema, name],
    )
    return [r[0] for r in rows] if rows else None


def require_relation(engine: Engine, kind_words: str, fqn: str) -> list[str]:
    cols = relation_columns(engine, fqn)
    if cols is None:
        raise not_found(kind_words.title(), fqn)
    return cols


def require_role(engine: Engine, kind: str, name: str) -> None:
    if kind == "ROLE" and name in SYSTEM_ROLES:
        return
    if kind == "APPLICATION ROLE" and "." in name:
        return  # app_name.role: roles of an installed application, named from outside it
    if get_object(engine, kind, name) is None:
        raise not_found(KINDS[kind].label, name)


def require_integration(engine: Engine, name: str) -> None:
    if existing_kind(engine, KINDS["SECURITY INTEGRATION"], name) is None:
        raise not_found("Integration", name)


def forget_object(engine: Engine, kind: Kind, name: str) -> None:
    q = engine.catalog.query
    q(f"DELETE FROM {PREFIX}.OBJECTS WHERE KIND = ? AND NAME = ?", [kind.name, name])
    q(f"DELETE FROM {PREFIX}.GRANTS WHERE GRANTED_ON = ? AND OBJECT_NAME = ?", [kind.grant_kind, name])
    if kind.name.endswith("ROLE"):
        q(f"DELETE FROM {PREFIX}.GRANTS WHERE GRANTEE_KIND = ? AND GRANTEE_NAME = ?", [kind.name, name])
    if kind.name == "TAG":
        q(f"DELETE FROM {PREFIX}.TAG_REFERENCES WHERE TAG_NAME = ?", [name])
    q(f"DELETE FROM {PREFIX}.TAG_REFERENCES WHERE OBJECT_KIND = ? AND OBJECT_NAME = ?", [kind.grant_kind, name])
    engine.secrets.put(f"{kind.name}:{name}", None)


def rename_object(engine: Engine, kind: Kind, old: str, new: str) -> None:
    if existing_kind(engine, kind, new):
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


def policies_changed(engine: Engine, kind: str) -> None:
    """A row access policy's body or attachments changed: queries must see it (warehouse/row_access.py)."""
    if kind == "ROW ACCESS POLICY":
        row_access.invalidate(engine)


def guard_attached(engine: Engine, kind: Kind, name: str, verb: str) -> None:
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


def policy_name(engine: Engine, session: LocalSession, kind: str, raw: str) -> str:
    name = qualify(raw, session.database, session.schema).fqn
    if get_object(engine, kind, name) is None:
        raise not_found(KINDS[kind].label, name)
    return name


def column_name(cols: list[str], raw: str, table: str) -> str:
    col = normalise_ident(raw)
    if col not in cols:
        raise LocalSqlError(f"Column '{col}' does not exist in '{table}'.", errno=904)
    return col
