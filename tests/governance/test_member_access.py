"""Per-athlete access (issue 16 item 1): two coaches with a squad of two each, an athlete, a stranger and an admin,
on the real local stack. The dashboard's own queries (app/streamlit/queries.py, through the VIEWER views) and the
account's REPORTING views (their row access policy) must both show each viewer exactly the members
CONFIG.MEMBER_VIEWERS maps their user to, and an admin every member; the mapping is kept by
OPS.GRANT_MEMBER_ACCESS / REVOKE_MEMBER_ACCESS. Locally the warehouse answers CURRENT_USER() and
IS_APPLICATION_ROLE_IN_SESSION from the login (infra/local/warehouse/session_context.py) and enforces the policy
(row_access.py); on a live account Snowflake does."""

from __future__ import annotations

import hashlib
import sys
from collections.abc import Iterator
from datetime import date

import pytest
import snowflake.connector
import sqlglot
from sqlglot import exp

from infra.local import migrations, pipeline
from infra.local.settings import REPO_ROOT, Settings
from tests.integration.conftest import local_stack, query

APP_DIR = REPO_ROOT / "app" / "streamlit"
if str(APP_DIR) not in sys.path:
    sys.path.insert(0, str(APP_DIR))

import queries  # noqa: E402  (the dashboard's module, as Streamlit imports it)

MEMBERS = ["ann", "ben", "cat", "dan"]
REPORTING = migrations.REPORTING_DATABASE
# user -> (application role the dashboard session holds, members the user may see)
VIEWERS = {
    "COACH_A": ("app_coach", {"ann", "ben"}),
    "COACH_B": ("app_coach", {"cat", "dan"}),
    "ANN_W": ("app_viewer", {"ann"}),
    "STRANGER": ("app_viewer", set()),
    "HEAD": ("app_admin", set(MEMBERS)),
}


def key(member: str) -> str:
    return hashlib.md5(f"member|{member}".encode()).hexdigest()


@pytest.fixture(scope="module")
def squads(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Settings]:
    with local_stack(tmp_path_factory.mktemp("squads"), MEMBERS, days=30) as settings:
        pipeline.run_once(settings)
        for member, user, relation in (
            ("ann", "coach_a", "coach"),
            ("ben", "coach_a", "coach"),
            ("cat", "coach_b", "coach"),
            ("dan", "coach_b", "coach"),
            ("ann", "ann_w", "self"),
        ):
            query(settings, "CALL OPS.GRANT_MEMBER_ACCESS(%s, %s, %s)", (member, user, relation))
        yield settings


def as_viewer(settings: Settings, user: str, sql: str, role: str | None = None) -> list[tuple]:
    """`sql` in a session of `user` holding `role` (default: the viewer's application role), as the dashboard's
    adapter and a Power BI user would log in."""
    return query(settings, sql, user=user, role=(role or VIEWERS[user][0]).upper(), schema="PUBLIC")


def member_names(rows: list[tuple]) -> set[str]:
    by_key = {key(m): m for m in MEMBERS}
    return {by_key[r[0]] for r in rows}


def test_the_mapping_is_kept_by_the_admin_procedures(squads):
    rows = query(squads, "SELECT MEMBER_NAME, MEMBER_KEY, VIEWER_USER, RELATION FROM CONFIG.MEMBER_VIEWERS")
    assert sorted(rows) == sorted(
        [
            (m, key(m), u, r)
            for m, u, r in [
                ("ann", "COACH_A", "coach"),
                ("ben", "COACH_A", "coach"),
                ("cat", "COACH_B", "coach"),
                ("dan", "COACH_B", "coach"),
                ("ann", "ANN_W", "self"),
            ]
        ]
    )
    for args, why in (
        (("zed", "coach_a", "coach"), "no member named 'zed'"),
        (("ann", "coach_a", "friend"), "relation 'friend' must be one of self, coach"),
        (("ann", "someone_else", "self"), "member ann is already user ANN_W"),
        (("ann", "bad user;", "coach"), "is not a Snowflake user name"),
    ):
        with pytest.raises(snowflake.connector.errors.ProgrammingError, match=why):
            query(squads, "CALL OPS.GRANT_MEMBER_ACCESS(%s, %s, %s)", args)


def test_dashboard_member_list_is_exactly_the_mapped_members(squads):
    for user, (_, expected) in VIEWERS.items():
        rows = as_viewer(squads, user, queries.members_sql())
        assert {r[1] for r in rows} == expected, user


def test_every_dashboard_query_shows_a_member_only_to_their_viewers(squads):
    """Each page's statements, for each member: rows for the viewers mapped to that member, none for the others."""
    span = query(squads, queries.member_span_sql(key("ann")))[0]
    start, end = (date(k // 10000, k // 100 % 100, k % 100) for k in span)
    for member in MEMBERS:
        filters = queries.Filters(key(member), start, end)
        statements = {
            "span": queries.member_span_sql(key(member)),
            **queries.recovery(filters),
            **queries.sleep(filters),
            **queries.strain(filters),
        }
        admin_rows = {name: as_viewer(squads, "HEAD", sql) for name, sql in statements.items()}
        assert admin_rows["recovery"] and admin_rows["nights"] and admin_rows["strain_recovery"], member
        for user, (_, visible) in VIEWERS.items():
            for name, sql in statements.items():
                rows = as_viewer(squads, user, sql)
                if member in visible:
                    assert rows == admin_rows[name], (user, member, name)
                elif name == "span":
                    assert rows == [(None, None)], (user, member)
                else:
                    assert rows == [], (user, member, name)


def test_quality_page_shows_only_the_mapped_members(squads):
    sql = queries.quality(queries.Filters(key("ann"), date(2026, 11, 1), date(2026, 11, 20)))
    for user, (_, visible) in VIEWERS.items():
        freshness = {r[0] for r in as_viewer(squads, user, sql["freshness"])}
        assert freshness == visible, user
        runs = {r[2] for r in as_viewer(squads, user, sql["ingest_runs"])}
        assert runs == visible, user


def test_reporting_views_show_each_viewer_exactly_their_members(squads):
    views = [
        r[0]
        for r in query(
            squads,
            f"SELECT TABLE_NAME FROM {REPORTING}.INFORMATION_SCHEMA.COLUMNS "
            "WHERE TABLE_SCHEMA = 'REPORTING' AND COLUMN_NAME = 'MEMBER_KEY' ORDER BY TABLE_NAME",
        )
    ]
    assert {"V_DAILY_RECOVERY", "V_SLEEP", "V_STRAIN", "V_MEMBER"} <= set(views)
    for user, (_, visible) in VIEWERS.items():
        # athletes and coaches read Power BI with WHOOP_VIEWER; the platform admin with WHOOP_ADMIN
        role = "WHOOP_ADMIN" if user == "HEAD" else "WHOOP_VIEWER"
        for view in views:
            rows = as_viewer(squads, user, f"SELECT DISTINCT v.MEMBER_KEY FROM {REPORTING}.REPORTING.{view} AS v", role)
            if view in ("V_DAILY_RECOVERY", "V_MEMBER"):
                assert member_names(rows) == visible, (user, view)
            else:
                assert member_names(rows) <= visible, (user, view)
    # BI's service role keeps its '*' row of GOVERNANCE.MEMBER_ACCESS: every member
    rows = as_viewer(
        squads, "POWERBI_SVC", f"SELECT DISTINCT MEMBER_KEY FROM {REPORTING}.REPORTING.V_MEMBER", "WHOOP_BI"
    )
    assert member_names(rows) == set(MEMBERS)


def test_revoking_access_takes_effect_in_the_app_and_in_reporting(squads):
    query(squads, "CALL OPS.REVOKE_MEMBER_ACCESS('ben', 'coach_a')")
    try:
        assert {r[1] for r in as_viewer(squads, "COACH_A", queries.members_sql())} == {"ann"}
        rows = as_viewer(
            squads, "COACH_A", f"SELECT DISTINCT MEMBER_KEY FROM {REPORTING}.REPORTING.V_MEMBER", "WHOOP_VIEWER"
        )
        assert member_names(rows) == {"ann"}
        with pytest.raises(Exception, match="COACH_A has no access to ben"):
            query(squads, "CALL OPS.REVOKE_MEMBER_ACCESS('ben', 'coach_a')")
    finally:
        query(squads, "CALL OPS.GRANT_MEMBER_ACCESS('ben', 'coach_a', 'coach')")
    assert {r[1] for r in as_viewer(squads, "COACH_A", queries.members_sql())} == {"ann", "ben"}


def test_dashboard_sidebar_offers_each_viewer_their_members(squads, monkeypatch):
    from tests.integration.dashboard_support import PAGE, app_test

    for user, (role, visible) in VIEWERS.items():
        monkeypatch.setenv("WHOOP_DASHBOARD_USER", user.lower())
        at = app_test(PAGE["Recovery_Overview"], squads.warehouse_url, monkeypatch, role=role)
        assert not at.exception, [e.value for e in at.exception]
        options = at.sidebar.selectbox[0].options if at.sidebar.selectbox else []
        assert set(options) == visible, user
        if not visible:
            assert "No member's data is shared with you (STRANGER)" in " ".join(str(i.value) for i in at.info)


def test_dashboard_queries_name_member_tables_only_through_viewer(squads):
    """A page query naming a member table of GOLD, ML or OPS directly would bypass the mapping."""
    rows = query(
        squads,
        "SELECT DISTINCT TABLE_SCHEMA, TABLE_NAME FROM INFORMATION_SCHEMA.COLUMNS "
        "WHERE TABLE_SCHEMA IN ('GOLD', 'ML', 'OPS', 'CONFIG') AND COLUMN_NAME IN ('MEMBER_KEY', 'MEMBER_NAME')",
    )
    member_tables = {f"{s}.{t}" for s, t in rows}
    assert {"GOLD.FACT_DAILY_RECOVERY", "GOLD.DIM_MEMBER", "ML.FACT_PREDICTIONS", "OPS.INGEST_RUNS"} <= member_tables
    filters = queries.Filters(key("ann"), date(2026, 11, 1), date(2026, 11, 20))
    statements = {"members": queries.members_sql(), "span": queries.member_span_sql(key("ann"))}
    for page, build in queries.PAGES.items():
        statements.update({f"{page}.{name}": sql for name, sql in build(filters).items()})
    for name, sql in statements.items():
        named = {
            f"{t.db}.{t.name}".upper() for t in sqlglot.parse_one(sql, read="snowflake").find_all(exp.Table) if t.db
        }
        assert not named & member_tables, f"{name} reads {named & member_tables} outside VIEWER"
        assert named, name
