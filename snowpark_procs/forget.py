"""FORGET_MEMBER: a member leaves; WHOOP access is revoked and every row about them is purged.

Order matters. The grant is revoked first, while the member's tokens still exist, so WHOOP stops
sharing data even if the purge were interrupted. Then every base table in the app's data schemas
that has a member column loses the member's rows, the member's export files leave the stage, their
tokens leave the secrets, and Gold's dynamic tables are refreshed so derived rows go too. Tables
touched get their Time Travel retention dropped to 0 and restored, which ends user access to the
deleted versions at once (Snowflake keeps them only in Fail-safe, for 7 days, reachable by Snowflake
support alone). The log row written at the end names no member, only what was done.
"""

from __future__ import annotations

import json
import uuid
from typing import TYPE_CHECKING, Any

from snowpark_procs import secrets
from snowpark_procs.ingest import APP_MANAGED, CLIENT_ALIAS, oauth_secret, token_provider, token_secret
from snowpark_procs.members import configure_egress
from snowpark_procs.whoop.client import WhoopClient
from snowpark_procs.whoop.errors import ReauthorizationRequired, WhoopApiError

if TYPE_CHECKING:
    from snowflake.snowpark import Session

PURGED_SCHEMAS = ("BRONZE", "SILVER", "OPS", "CONFIG", "ML")
# member columns and which identifier each holds
MEMBER_COLUMNS = {
    "MEMBER_ID": "user_id",
    "WHOOP_USER_ID": "user_id",
    "MEMBER_NAME": "name",
    "MEMBER_KEY": "key",
    "MEMBER_REF": "ref",
}
EXPORT_STAGE = "BRONZE.EXPORT_STAGE"


def main(session: Session, member: str) -> dict:
    """Handler of FORGET_MEMBER; returns what was done (counts only)."""
    rows = session.sql(
        "SELECT MEMBER_NAME, WHOOP_USER_ID, AUTH_MODE FROM CONFIG.MEMBERS WHERE MEMBER_NAME = ?", params=[member]
    ).collect()
    exported = session.sql(
        "SELECT COUNT(*) FROM BRONZE.RAW_EXPORT_CYCLE WHERE MEMBER_NAME = ?", params=[member]
    ).collect()[0][0]
    if not rows and not exported:
        raise ValueError(f"no member named {member!r}")
    user_id = rows[0][1] if rows else None
    mode = (rows[0][2] if rows else None) or APP_MANAGED
    revoked = _revoke(session, member, mode) if rows else "no WHOOP grant (export-only member)"
    key = session.sql("SELECT MD5(?)", params=[f"member|{member}"]).collect()[0][0]
    values = {"user_id": user_id, "name": member, "key": key}
    deleted = _purge_tables(session, values)
    session.sql(f"REMOVE @{EXPORT_STAGE}/{member}/").collect()
    _forget_secrets(session, member)
    _refresh_gold(session)
    run_id = uuid.uuid4().hex
    session.sql(
        "INSERT INTO OPS.MEMBER_ERASURES (ERASURE_ID, ERASED_AT, WHOOP_ACCESS, TABLES_PURGED, ROWS_DELETED) "
        "SELECT ?, SYSDATE(), ?, ?, ?",
        params=[run_id, revoked, len(deleted), sum(deleted.values())],
    ).collect()
    return {"erasure_id": run_id, "whoop_access": revoked, "rows_deleted": deleted}


def _revoke(session: Session, member: str, mode: str) -> str:
    """End the member's WHOOP grant; a grant that no longer works is already as good as gone."""
    settings = dict(session.sql("SELECT SETTING_KEY, SETTING_VALUE FROM CONFIG.SETTINGS").collect())
    client_conf = json.loads(secrets.read_generic(CLIENT_ALIAS) or "{}")
    try:
        tokens = token_provider(session, member, mode, settings, client_conf)
        WhoopClient(settings["api_base_url"], tokens).revoke_access()
    except ReauthorizationRequired:
        return "already without access (the stored grant no longer works)"
    except WhoopApiError as e:
        # the purge still runs: the member asked to be forgotten; the run log says the revocation failed
        return f"revocation failed ({e}); revoke the app in the WHOOP app's settings"
    return "revoked"


def _purge_tables(session: Session, values: dict[str, Any]) -> dict[str, int]:
    schemas = ", ".join(f"'{s}'" for s in PURGED_SCHEMAS)
    columns = session.sql(
        "SELECT c.TABLE_SCHEMA, c.TABLE_NAME, c.COLUMN_NAME FROM INFORMATION_SCHEMA.COLUMNS AS c "
        "JOIN INFORMATION_SCHEMA.TABLES AS t ON t.TABLE_SCHEMA = c.TABLE_SCHEMA AND t.TABLE_NAME = c.TABLE_NAME "
        f"WHERE c.TABLE_SCHEMA IN ({schemas}) AND t.TABLE_TYPE = 'BASE TABLE' "
        f"AND c.COLUMN_NAME IN ({', '.join(repr(c) for c in MEMBER_COLUMNS)}) "
        "ORDER BY c.TABLE_SCHEMA, c.TABLE_NAME, c.COLUMN_NAME"
    ).collect()
    tables: dict[str, list[str]] = {}
    for schema, table, column in columns:
        tables.setdefault(f"{schema}.{table}", []).append(column)
    deleted: dict[str, int] = {}
    for table, cols in tables.items():
        conditions, params = [], []
        for col in cols:
            kind = MEMBER_COLUMNS[col]
            candidates = [values["user_id"], values["name"]] if kind == "ref" else [values[kind]]
            for value in candidates:
                if value is not None:
                    conditions.append(f"TO_VARCHAR({col}) = ?")
                    params.append(str(value))
        if not conditions:
            continue
        result = session.sql(f"DELETE FROM {table} WHERE {' OR '.join(conditions)}", params=params).collect()
        count = int(result[0][0]) if result else 0
        if count:
            deleted[table] = count
            # deleted versions leave Time Travel now, not after the retention period
            session.sql(f"ALTER TABLE {table} SET DATA_RETENTION_TIME_IN_DAYS = 0").collect()
            session.sql(f"ALTER TABLE {table} UNSET DATA_RETENTION_TIME_IN_DAYS").collect()
    return deleted


def _forget_secrets(session: Session, member: str) -> None:
    """Unbind, then drop the member's own secrets (token and OAUTH2): no other member's secret is touched.

    The member's CONFIG.MEMBERS row is already purged, so configure_egress binds everyone but them.
    """
    try:
        names = [token_secret(member), oauth_secret(member)]
    except ValueError:  # an export-only member whose name never named a secret
        return
    configure_egress(session)
    for name in names:
        session.sql(f"DROP SECRET IF EXISTS {name}").collect()


def _refresh_gold(session: Session) -> None:
    """Derived rows go with the next refresh; refresh Gold now so the member is gone at once (a refresh
    of a table refreshes the dynamic tables it reads first)."""
    shown = session.sql("SHOW DYNAMIC TABLES").collect()
    for row in shown:
        fields = row.as_dict()
        if str(fields.get("schema_name", "")).upper() == "GOLD":
            session.sql(f"ALTER DYNAMIC TABLE GOLD.{fields['name']} REFRESH").collect()
