"""Who may see whom: the member-to-viewer mapping (CONFIG.MEMBER_VIEWERS) and the VIEWER views that enforce it.

Every member table the dashboard reads (Gold, the ML outputs, the per-member operational tables) gets a secure view
of the same name in VIEWER that keeps the rows of the members the querying user is mapped to, and every row for an
app admin. The filter is one predicate, `VISIBLE`, in the warehouse: nothing is filtered in Python, and a coach or
an athlete reading VIEWER directly (app_viewer, app_coach) gets the same rows as in the dashboard. Why this identity
is safe whichever user CURRENT_USER() names inside the Streamlit: sql/ops/10_member_access.sql.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from snowpark_procs.member_names import check as check_member

if TYPE_CHECKING:
    from snowflake.snowpark import Session

VIEWER_SCHEMA = "VIEWER"
SOURCE_SCHEMAS = ("GOLD", "ML")
# operational tables about members a viewer may read: the Data Quality page's, and the alerts that fired for them
# (not the deliveries: they hold the other viewers' addresses)
OPS_TABLES = ("DQ_RESULTS", "INGEST_RUNS", "MEMBER_ALERT_EVENTS")
VIEWER_ROLE = "APP_VIEWER"
ADMIN_ROLE = "APP_ADMIN"
RELATIONS = ("self", "coach")
# Snowflake user names: unquoted identifiers, or the characters SSO and SCIM names use (e-mail style)
_USER = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.@$-]{0,254}$")
_EMAIL = re.compile(r"^[^@\s',;]+@[^@\s',;]+\.[^@\s',;]+$")


def visible(alias: str, key_column: str) -> str:
    """The predicate: the row's member is one the session's user is mapped to, or the session is an app admin."""
    mapped = "MEMBER_KEY" if key_column == "MEMBER_KEY" else "MEMBER_NAME"
    return (
        f"IS_APPLICATION_ROLE_IN_SESSION('{ADMIN_ROLE}') OR {alias}.{key_column} IN ("
        f"SELECT a.{mapped} FROM CONFIG.MEMBER_VIEWERS AS a WHERE a.VIEWER_USER = CURRENT_USER())"
    )


def viewer_user(raw: str) -> str:
    """A Snowflake user name as CURRENT_USER() returns it (upper case for an unquoted name), or ValueError."""
    name = (raw or "").strip()
    if name.startswith('"') and name.endswith('"') and len(name) > 2:
        return name[1:-1]
    if not _USER.match(name):
        raise ValueError(f"viewer user {raw!r} is not a Snowflake user name")
    return name.upper()


def grant_member_access(
    session: Session, member: str, viewer: str, relation: str, viewer_email: str | None = None
) -> str:
    """GRANT_MEMBER_ACCESS: `viewer` may see `member` (as the athlete themself, or as a coach)."""
    check_member(member)
    user = viewer_user(viewer)
    kind = (relation or "").strip().lower()
    if kind not in RELATIONS:
        raise ValueError(f"relation {relation!r} must be one of {', '.join(RELATIONS)}")
    email = (viewer_email or "").strip() or None
    if email is not None and not _EMAIL.match(email):
        raise ValueError(f"viewer e-mail {viewer_email!r} is not an e-mail address")
    if not session.sql("SELECT 1 FROM CONFIG.MEMBERS WHERE MEMBER_NAME = ?", params=[member]).collect():
        raise ValueError(f"no member named {member!r}")
    if kind == "self":
        other = session.sql(
            "SELECT VIEWER_USER FROM CONFIG.MEMBER_VIEWERS WHERE MEMBER_NAME = ? AND RELATION = 'self' "
            "AND VIEWER_USER <> ?",
            params=[member, user],
        ).collect()
        if other:
            raise ValueError(f"member {member} is already user {other[0][0]} (revoke that first)")
    session.sql(
        "MERGE INTO CONFIG.MEMBER_VIEWERS AS v USING (SELECT ? AS MEMBER_NAME, ? AS VIEWER_USER, ? AS RELATION, "
        "? AS VIEWER_EMAIL) AS s ON v.MEMBER_NAME = s.MEMBER_NAME AND v.VIEWER_USER = s.VIEWER_USER "
        "WHEN MATCHED THEN UPDATE SET RELATION = s.RELATION, VIEWER_EMAIL = s.VIEWER_EMAIL "
        # no CURRENT_USER() here: in an owner's-rights procedure of an app it needs the consumer's READ SESSION
        "WHEN NOT MATCHED THEN INSERT (MEMBER_NAME, MEMBER_KEY, VIEWER_USER, VIEWER_EMAIL, RELATION, ADDED_AT) "
        "VALUES (s.MEMBER_NAME, MD5('member|' || s.MEMBER_NAME), s.VIEWER_USER, s.VIEWER_EMAIL, s.RELATION, "
        "SYSDATE())",
        params=[member, user, kind, email],
    ).collect()
    return f"{user} may see {member} ({kind})"


def revoke_member_access(session: Session, member: str, viewer: str) -> str:
    """REVOKE_MEMBER_ACCESS: `viewer` no longer sees `member`."""
    check_member(member)
    user = viewer_user(viewer)
    found = session.sql(
        "SELECT 1 FROM CONFIG.MEMBER_VIEWERS WHERE MEMBER_NAME = ? AND VIEWER_USER = ?", params=[member, user]
    ).collect()
    if not found:
        raise ValueError(f"{user} has no access to {member}")
    session.sql(
        "DELETE FROM CONFIG.MEMBER_VIEWERS WHERE MEMBER_NAME = ? AND VIEWER_USER = ?", params=[member, user]
    ).collect()
    return f"{user} no longer sees {member}"


def member_tables(session: Session) -> list[tuple[str, str, str, list[str]]]:
    """(schema, table, key column, columns) of every table VIEWER covers, columns in table order."""
    ops = ", ".join(f"'{t}'" for t in OPS_TABLES)
    schemas = ", ".join(f"'{s}'" for s in SOURCE_SCHEMAS)
    rows = session.sql(
        "SELECT c.TABLE_SCHEMA, c.TABLE_NAME, c.COLUMN_NAME FROM INFORMATION_SCHEMA.COLUMNS AS c "
        "JOIN INFORMATION_SCHEMA.TABLES AS t ON t.TABLE_SCHEMA = c.TABLE_SCHEMA AND t.TABLE_NAME = c.TABLE_NAME "
        f"WHERE (c.TABLE_SCHEMA IN ({schemas}) OR (c.TABLE_SCHEMA = 'OPS' AND c.TABLE_NAME IN ({ops}))) "
        "AND t.TABLE_TYPE <> 'VIEW' ORDER BY c.TABLE_SCHEMA, c.TABLE_NAME, c.ORDINAL_POSITION"
    ).collect()
    columns: dict[tuple[str, str], list[str]] = {}
    for schema, table, column in rows:
        columns.setdefault((str(schema).upper(), str(table).upper()), []).append(str(column).upper())
    out = []
    for (schema, table), cols in columns.items():
        key = "MEMBER_KEY" if "MEMBER_KEY" in cols else "MEMBER_NAME" if "MEMBER_NAME" in cols else None
        if key is not None:
            out.append((schema, table, key, cols))
    return out


def view_sql(schema: str, table: str, key: str, columns: list[str]) -> str:
    names = ", ".join(columns)
    selected = ", ".join(f"g.{c}" for c in columns)
    return (
        f"CREATE OR REPLACE SECURE VIEW {VIEWER_SCHEMA}.{table} ({names}) "
        f"COMMENT = 'Rows of {schema}.{table} about the members the querying user may see (CONFIG.MEMBER_VIEWERS; "
        f"app_admin: every member)' AS SELECT {selected} FROM {schema}.{table} AS g WHERE {visible('g', key)}"
    )


def build_viewer_views(session: Session) -> dict:
    """BUILD_VIEWER_VIEWS: (re)create VIEWER.<table> for every member table, and grant it to app_viewer
    (CREATE OR REPLACE drops a view's grants)."""
    tables = member_tables(session)
    seen: dict[str, str] = {}
    for schema, table, _, _ in tables:
        if table in seen:
            raise ValueError(f"{schema}.{table} and {seen[table]}.{table} would share the view {VIEWER_SCHEMA}.{table}")
        seen[table] = schema
    for schema, table, key, columns in tables:
        session.sql(view_sql(schema, table, key, columns)).collect()
        session.sql(f"GRANT SELECT ON VIEW {VIEWER_SCHEMA}.{table} TO APPLICATION ROLE {VIEWER_ROLE}").collect()
    return {"views": sorted(f"{VIEWER_SCHEMA}.{t}" for t in seen)}
