"""Account and governance objects over a real connector: recorded in the catalog, errors like Snowflake."""

from __future__ import annotations

import json
import stat

import pytest
import snowflake.connector

from infra.local.warehouse import account_catalog
from tests.conftest import connect
from tests.warehouse.support import fails
from tests.warehouse.support import rows as run

CAT = "WHOOP_LOCAL.CATALOG"


@pytest.fixture(scope="module")
def conn(warehouse):
    c = connect(warehouse)
    cur = c.cursor()
    for sql in (
        "CREATE DATABASE IF NOT EXISTS APP",
        "CREATE SCHEMA IF NOT EXISTS APP.CORE",
        "USE SCHEMA APP.CORE",
        "CREATE TABLE MEMBERS (ID INT, EMAIL VARCHAR, OWNER_ID VARCHAR)",
    ):
        cur.execute(sql)
    yield c
    c.close()


def show(conn, sql: str) -> list[dict]:
    cur = conn.cursor(snowflake.connector.DictCursor)
    cur.execute(sql)
    return cur.fetchall()


def obj(conn, kind: str, name: str) -> dict | None:
    rows = run(conn, f"SELECT PROPERTIES, DEFINITION FROM {CAT}.OBJECTS WHERE KIND = %s AND NAME = %s", (kind, name))
    if not rows:
        return None
    props = json.loads(rows[0][0])
    props["__definition"] = rows[0][1]
    return props


def created(conn, kind: str, name: str, sql: str) -> dict:
    """The recorded properties of the object `sql` creates."""
    run(conn, sql)
    return obj(conn, kind, name)


def grants(conn, where: str = "TRUE", params=None) -> set[tuple]:
    rows = run(
        conn,
        "SELECT PRIVILEGE, GRANTED_ON, OBJECT_NAME, GRANTEE_KIND, GRANTEE_NAME, WITH_GRANT_OPTION "
        f"FROM {CAT}.GRANTS WHERE {where}",
        params,
    )
    return set(rows)


# object lifecycles -----------------------------------------------------------------------------
def test_warehouse_create_alter_drop(conn):
    assert run(conn, "CREATE WAREHOUSE ingest_wh WITH WAREHOUSE_SIZE = XSMALL AUTO_SUSPEND = 60") == [
        ("Warehouse INGEST_WH successfully created.",)
    ]
    p = obj(conn, "WAREHOUSE", "INGEST_WH")
    assert p["WAREHOUSE_SIZE"] == "XSMALL" and p["AUTO_SUSPEND"] == "60" and p["STATE"] == "STARTED"
    fails(conn, "CREATE WAREHOUSE ingest_wh", "Object 'INGEST_WH' already exists.")
    assert "already exists, statement succeeded" in run(conn, "CREATE WAREHOUSE IF NOT EXISTS ingest_wh")[0][0]
    run(conn, "CREATE OR REPLACE WAREHOUSE ingest_wh WAREHOUSE_SIZE = SMALL INITIALLY_SUSPENDED = TRUE")
    p = obj(conn, "WAREHOUSE", "INGEST_WH")
    assert p["WAREHOUSE_SIZE"] == "SMALL" and "AUTO_SUSPEND" not in p and p["STATE"] == "SUSPENDED"
    run(conn, "ALTER WAREHOUSE ingest_wh SET WAREHOUSE_SIZE = MEDIUM, COMMENT = 'etl'")
    p = obj(conn, "WAREHOUSE", "INGEST_WH")
    assert p["WAREHOUSE_SIZE"] == "MEDIUM" and p["COMMENT"] == "etl"
    fails(conn, "ALTER WAREHOUSE nope_wh SET COMMENT = 'x'", "Warehouse 'NOPE_WH' does not exist or not authorized.")
    assert run(conn, "ALTER WAREHOUSE IF EXISTS nope_wh SET COMMENT = 'x'")
    # what the product never issues is not emulated: it fails, naming the clause
    fails(conn, "ALTER WAREHOUSE ingest_wh RENAME TO etl_wh", "does not support ALTER WAREHOUSE ... RENAME TO")
    assert run(conn, "DROP WAREHOUSE ingest_wh") == [("INGEST_WH successfully dropped.",)]
    fails(conn, "DROP WAREHOUSE ingest_wh", "Warehouse 'INGEST_WH' does not exist or not authorized.")
    run(conn, "DROP WAREHOUSE IF EXISTS ingest_wh")


def test_roles_and_application_roles(conn):
    run(conn, "CREATE ROLE analyst COMMENT = 'reads gold'")
    assert obj(conn, "ROLE", "ANALYST")["COMMENT"] == "reads gold"
    fails(conn, "CREATE ROLE analyst", "Object 'ANALYST' already exists.")
    run(conn, "CREATE OR REPLACE ROLE analyst")
    run(conn, "ALTER ROLE analyst SET COMMENT = 'again'")
    assert obj(conn, "ROLE", "ANALYST")["COMMENT"] == "again"
    run(conn, "CREATE APPLICATION ROLE IF NOT EXISTS app_public")
    assert obj(conn, "APPLICATION ROLE", "APP_PUBLIC") is not None
    run(conn, "CREATE ROLE tmp_role")
    run(conn, "DROP ROLE tmp_role")
    fails(conn, "CREATE OR REPLACE ROLE IF NOT EXISTS r", "incompatible")
    # an account object kind the product never creates fails loudly, its values unechoed
    message = fails(conn, "CREATE USER svc PASSWORD = 'Hunter2-user-pw'", "does not support CREATE USER")
    assert "Hunter2-user-pw" not in message


def test_schema_level_objects_are_fully_qualified(conn):
    run(conn, "CREATE NETWORK RULE whoop_rule MODE = EGRESS TYPE = HOST_PORT VALUE_LIST = ('api.prod.whoop.com')")
    p = obj(conn, "NETWORK RULE", "APP.CORE.WHOOP_RULE")
    assert p["VALUE_LIST"] == ["api.prod.whoop.com"] and p["MODE"] == "EGRESS" and p["TYPE"] == "HOST_PORT"
    run(conn, "ALTER NETWORK RULE app.core.whoop_rule SET VALUE_LIST = ('api.prod.whoop.com:443', 'x.whoop.com')")
    assert obj(conn, "NETWORK RULE", "APP.CORE.WHOOP_RULE")["VALUE_LIST"] == ["api.prod.whoop.com:443", "x.whoop.com"]
    run(conn, "CREATE SCHEMA IF NOT EXISTS APP.RAW")
    run(conn, "CREATE NETWORK RULE raw.other_rule MODE = EGRESS TYPE = HOST_PORT VALUE_LIST = ('a.example')")
    assert obj(conn, "NETWORK RULE", "APP.RAW.OTHER_RULE") is not None
    fails(conn, "CREATE NETWORK RULE raw.other_rule TYPE = HOST_PORT", "Object 'APP.RAW.OTHER_RULE' already exists.")
    run(conn, "DROP NETWORK RULE raw.other_rule")
    run(conn, "USE SCHEMA APP.CORE")  # CREATE SCHEMA made RAW current, as in Snowflake


def test_integrations_share_a_namespace_and_check_references(conn):
    p = created(
        conn,
        "SECURITY INTEGRATION",
        "WHOOP_OAUTH",
        "CREATE SECURITY INTEGRATION whoop_oauth TYPE = API_AUTHENTICATION AUTH_TYPE = OAUTH2 "
        "OAUTH_CLIENT_ID = 'client-id' OAUTH_CLIENT_SECRET = 'Sup3r-client-secret' "
        "OAUTH_TOKEN_ENDPOINT = 'https://api.prod.whoop.com/oauth/oauth2/token' "
        "OAUTH_ALLOWED_SCOPES = ('offline', 'read:recovery') ENABLED = TRUE",
    )
    assert p["OAUTH_CLIENT_SECRET"] == "***" and p["OAUTH_CLIENT_ID"] == "client-id"
    assert p["OAUTH_ALLOWED_SCOPES"] == ["offline", "read:recovery"]
    fails(conn, "CREATE NOTIFICATION INTEGRATION whoop_oauth TYPE = EMAIL", "already exists")
    fails(
        conn,
        "CREATE EXTERNAL ACCESS INTEGRATION bad_eai ALLOWED_NETWORK_RULES = (missing_rule) ENABLED = TRUE",
        "Network rule 'APP.CORE.MISSING_RULE' does not exist",
    )
    run(
        conn,
        "CREATE SECRET whoop_cred TYPE = OAUTH2 API_AUTHENTICATION = whoop_oauth "
        "OAUTH_REFRESH_TOKEN = 'rt-Initial-0001' OAUTH_REFRESH_TOKEN_EXPIRY_TIME = '2030-01-01 00:00:00'",
    )
    p = created(
        conn,
        "EXTERNAL ACCESS INTEGRATION",
        "WHOOP_EAI",
        "CREATE EXTERNAL ACCESS INTEGRATION whoop_eai ALLOWED_NETWORK_RULES = (core.whoop_rule) "
        "ALLOWED_API_AUTHENTICATION_INTEGRATIONS = (whoop_oauth) "
        "ALLOWED_AUTHENTICATION_SECRETS = (whoop_cred) ENABLED = TRUE",
    )
    assert p["ALLOWED_NETWORK_RULES"] == ["APP.CORE.WHOOP_RULE"]
    assert p["ALLOWED_AUTHENTICATION_SECRETS"] == ["APP.CORE.WHOOP_CRED"]
    assert p["ALLOWED_API_AUTHENTICATION_INTEGRATIONS"] == ["WHOOP_OAUTH"]
    run(conn, "ALTER EXTERNAL ACCESS INTEGRATION whoop_eai SET ENABLED = FALSE")
    assert obj(conn, "EXTERNAL ACCESS INTEGRATION", "WHOOP_EAI")["ENABLED"] == "FALSE"
    run(conn, "CREATE NOTIFICATION INTEGRATION alerts_email TYPE = EMAIL ENABLED = TRUE")
    run(conn, "ALTER INTEGRATION alerts_email SET COMMENT = 'generic ALTER finds the typed integration'")
    assert obj(conn, "NOTIFICATION INTEGRATION", "ALERTS_EMAIL")["COMMENT"].startswith("generic")
    run(conn, "DROP INTEGRATION alerts_email")
    run(conn, "DROP NOTIFICATION INTEGRATION IF EXISTS nothing_here")
    fails(conn, "CREATE INTEGRATION untyped TYPE = X", "needs a type")


def test_alert_lifecycle(conn):
    run(
        conn,
        "CREATE ALERT stale_alert WAREHOUSE = bi_wh SCHEDULE = '60 MINUTE' "
        "IF (EXISTS (SELECT 1 FROM members WHERE id < 0)) THEN SELECT 'notify'",
    )
    p = obj(conn, "ALERT", "APP.CORE.STALE_ALERT")
    assert p["CONDITION"] == "SELECT 1 FROM members WHERE id < 0" and p["ACTION"] == "SELECT 'notify'"
    assert p["STATE"] == "SUSPENDED" and p["WAREHOUSE"] == "BI_WH" and p["SCHEDULE"] == "60 MINUTE"
    run(conn, "ALTER ALERT stale_alert RESUME")
    assert obj(conn, "ALERT", "APP.CORE.STALE_ALERT")["STATE"] == "STARTED"
    run(conn, "ALTER ALERT stale_alert SUSPEND")
    assert obj(conn, "ALERT", "APP.CORE.STALE_ALERT")["STATE"] == "SUSPENDED"
    run(conn, "DROP ALERT stale_alert")
    fails(conn, "CREATE ALERT broken SCHEDULE = '1 MINUTE'", "IF (EXISTS")


# policies, tags and table properties -----------------------------------------------------------
def test_masking_and_row_access_policies(conn):
    p = created(
        conn,
        "MASKING POLICY",
        "APP.CORE.MASK_EMAIL",
        "CREATE MASKING POLICY mask_email AS (v STRING) RETURNS STRING -> "
        "CASE WHEN IS_ROLE_IN_SESSION('PII_READER') THEN v ELSE '***' END COMMENT = 'pii'",
    )
    assert p["SIGNATURE"] == ["V STRING"] and p["RETURN_TYPE"] == "STRING" and p["COMMENT"] == "pii"
    assert p["BODY"].startswith("CASE WHEN IS_ROLE_IN_SESSION('PII_READER')")
    run(conn, "CREATE MASKING POLICY mask_other AS (v STRING) RETURNS STRING -> v")
    run(conn, "CREATE ROW ACCESS POLICY own_rows AS (owner_id VARCHAR) RETURNS BOOLEAN -> owner_id = CURRENT_USER()")
    assert obj(conn, "ROW ACCESS POLICY", "APP.CORE.OWN_ROWS")["RETURN_TYPE"] == "BOOLEAN"

    refs = f"SELECT POLICY_KIND, POLICY_NAME, REF_OBJECT, REF_COLUMNS FROM {CAT}.POLICY_REFERENCES ORDER BY 1, 3, 4"
    run(conn, "ALTER TABLE members MODIFY COLUMN email SET MASKING POLICY mask_email")
    assert run(conn, refs) == [("MASKING_POLICY", "APP.CORE.MASK_EMAIL", "APP.CORE.MEMBERS", "EMAIL")]
    fails(conn, "ALTER TABLE members MODIFY COLUMN email SET MASKING POLICY mask_other", "use FORCE")
    run(conn, "ALTER TABLE members MODIFY COLUMN email SET MASKING POLICY mask_other FORCE")
    assert run(conn, refs)[0][1] == "APP.CORE.MASK_OTHER"
    fails(conn, "ALTER TABLE members MODIFY COLUMN nope SET MASKING POLICY mask_email", "Column 'NOPE'")
    fails(conn, "ALTER TABLE members MODIFY COLUMN email SET MASKING POLICY no_such", "Masking policy")
    fails(conn, "ALTER TABLE ghost MODIFY COLUMN email SET MASKING POLICY mask_email", "'APP.CORE.GHOST' does not")
    run(conn, "ALTER TABLE members ADD ROW ACCESS POLICY own_rows ON (owner_id)")
    assert ("ROW_ACCESS_POLICY", "APP.CORE.OWN_ROWS", "APP.CORE.MEMBERS", "OWNER_ID") in run(conn, refs)
    fails(conn, "ALTER TABLE members ADD ROW ACCESS POLICY own_rows ON (owner_id)", "already has a row access")
    fails(conn, "DROP MASKING POLICY mask_other", "cannot be dropped")
    fails(conn, "CREATE OR REPLACE ROW ACCESS POLICY own_rows AS (o VARCHAR) RETURNS BOOLEAN -> TRUE", "cannot be")
    run(conn, "ALTER TABLE members DROP ALL ROW ACCESS POLICIES")
    run(conn, "ALTER TABLE members ADD ROW ACCESS POLICY own_rows ON (id)")
    assert ("ROW_ACCESS_POLICY", "APP.CORE.OWN_ROWS", "APP.CORE.MEMBERS", "ID") in run(conn, refs)
    run(conn, "ALTER TABLE members DROP ALL ROW ACCESS POLICIES")
    assert run(conn, refs) == [("MASKING_POLICY", "APP.CORE.MASK_OTHER", "APP.CORE.MEMBERS", "EMAIL")]
    run(conn, "ALTER MASKING POLICY mask_other SET BODY -> 'x'")  # an attached policy changes in place
    assert obj(conn, "MASKING POLICY", "APP.CORE.MASK_OTHER")["BODY"] == "'x'"
    run(conn, "DROP ROW ACCESS POLICY own_rows")


def test_tags_and_tag_references(conn):
    run(conn, "CREATE TAG pii ALLOWED_VALUES 'email', 'name' COMMENT = 'personal data'")
    p = obj(conn, "TAG", "APP.CORE.PII")
    assert p["ALLOWED_VALUES"] == ["email", "name"] and p["COMMENT"] == "personal data"
    fails(conn, "CREATE TAG pii", "Object 'APP.CORE.PII' already exists.")
    run(conn, "CREATE TAG IF NOT EXISTS pii")
    run(conn, "CREATE TAG cost_center")
    refs = (
        f"SELECT TAG_NAME, TAG_VALUE, OBJECT_KIND, OBJECT_NAME, COLUMN_NAME FROM {CAT}.TAG_REFERENCES ORDER BY 4, 5, 1"
    )
    run(conn, "ALTER TABLE members MODIFY COLUMN email SET TAG pii = 'email'")
    run(conn, "ALTER TABLE members MODIFY COLUMN id SET TAG cost_center = 'ingest'")
    assert run(conn, refs) == [
        ("APP.CORE.PII", "email", "COLUMN", "APP.CORE.MEMBERS", "EMAIL"),
        ("APP.CORE.COST_CENTER", "ingest", "COLUMN", "APP.CORE.MEMBERS", "ID"),
    ]
    fails(conn, "ALTER TABLE members MODIFY COLUMN email SET TAG pii = 'ssn'", "does not allow the value 'ssn'")
    fails(conn, "ALTER TABLE members MODIFY COLUMN email SET TAG nope = 'x'", "Tag 'APP.CORE.NOPE' does not exist")
    # fakesnow would accept an object's tag and record nothing: refused as not emulated
    fails(conn, "ALTER TABLE members SET TAG cost_center = 'x'", "does not support ALTER TABLE ... SET TAG")
    run(conn, "DROP TAG pii")
    run(conn, "DROP TAG cost_center")
    assert run(conn, refs) == []
    fails(conn, "DROP TAG pii", "Tag 'APP.CORE.PII' does not exist")


def test_table_properties_recorded_and_ordinary_alter_table_passes_through(conn):
    run(conn, "CREATE TABLE events (id INT)")
    run(conn, "ALTER TABLE events SET DATA_RETENTION_TIME_IN_DAYS = 7")
    assert obj(conn, "TABLE", "APP.CORE.EVENTS")["DATA_RETENTION_TIME_IN_DAYS"] == "7"
    run(conn, "ALTER TABLE events UNSET DATA_RETENTION_TIME_IN_DAYS")
    assert "DATA_RETENTION_TIME_IN_DAYS" not in obj(conn, "TABLE", "APP.CORE.EVENTS")
    fails(conn, "ALTER TABLE ghost SET DATA_RETENTION_TIME_IN_DAYS = 0", "Table 'APP.CORE.GHOST' does not exist")
    run(conn, "ALTER TABLE events ADD COLUMN payload VARCHAR")  # fakesnow's own
    run(conn, "INSERT INTO events VALUES (1, 'x')")
    assert run(conn, "SELECT id, payload FROM events") == [(1, "x")]
    run(conn, "CREATE TABLE plain_t (a INT)")  # ordinary DDL still reaches fakesnow
    assert run(conn, "SELECT COUNT(*) FROM plain_t") == [(0,)]


# grants ----------------------------------------------------------------------------------------
def test_grant_and_revoke_every_form(conn):
    run(conn, "CREATE ROLE IF NOT EXISTS ingest_role")
    run(conn, "CREATE ROLE IF NOT EXISTS ops_role")
    run(conn, "CREATE SECRET IF NOT EXISTS gsecret TYPE = GENERIC_STRING SECRET_STRING = 'g-Value-123'")
    run(conn, "CREATE APPLICATION ROLE IF NOT EXISTS app_public")
    run(conn, "CREATE WAREHOUSE IF NOT EXISTS grant_wh")
    run(conn, "CREATE NETWORK RULE IF NOT EXISTS g_rule MODE = EGRESS TYPE = HOST_PORT VALUE_LIST = ('h')")
    run(conn, "CREATE EXTERNAL ACCESS INTEGRATION IF NOT EXISTS g_eai ALLOWED_NETWORK_RULES = (g_rule) ENABLED = TRUE")
    mine = "GRANTEE_NAME IN ('INGEST_ROLE', 'OPS_ROLE', 'APP_PUBLIC')"

    run(conn, "GRANT READ ON SECRET gsecret TO ROLE ingest_role")
    run(conn, "GRANT USAGE ON SCHEMA core TO ROLE ingest_role")
    run(conn, "GRANT USAGE ON INTEGRATION g_eai TO ROLE ingest_role")
    run(conn, "GRANT USAGE, OPERATE ON WAREHOUSE grant_wh TO ROLE ingest_role")
    run(conn, "GRANT USAGE ON SCHEMA core TO APPLICATION ROLE app_public")
    run(conn, "GRANT USAGE ON PROCEDURE core.ingest(STRING, number) TO APPLICATION ROLE app_public")
    run(conn, "GRANT SELECT ON ALL TABLES IN SCHEMA core TO ROLE ops_role")
    run(conn, "GRANT CREATE INTEGRATION, EXECUTE TASK ON ACCOUNT TO ROLE ops_role")
    run(conn, "GRANT ALL PRIVILEGES ON DATABASE app TO ops_role")
    run(conn, "GRANT ROLE ingest_role TO ROLE ops_role")
    run(conn, "GRANT APPLICATION ROLE app_public TO ROLE ingest_role")
    assert grants(conn, mine) == {
        ("READ", "SECRET", "APP.CORE.GSECRET", "ROLE", "INGEST_ROLE", False),
        ("USAGE", "SCHEMA", "APP.CORE", "ROLE", "INGEST_ROLE", False),
        ("USAGE", "INTEGRATION", "G_EAI", "ROLE", "INGEST_ROLE", False),
        ("USAGE", "WAREHOUSE", "GRANT_WH", "ROLE", "INGEST_ROLE", False),
        ("OPERATE", "WAREHOUSE", "GRANT_WH", "ROLE", "INGEST_ROLE", False),
        ("USAGE", "SCHEMA", "APP.CORE", "APPLICATION ROLE", "APP_PUBLIC", False),
        ("USAGE", "PROCEDURE", "APP.CORE.INGEST(STRING, NUMBER)", "APPLICATION ROLE", "APP_PUBLIC", False),
        ("SELECT", "TABLE", "APP.CORE.<ALL TABLES>", "ROLE", "OPS_ROLE", False),
        ("CREATE INTEGRATION", "ACCOUNT", "ACCOUNT", "ROLE", "OPS_ROLE", False),
        ("EXECUTE TASK", "ACCOUNT", "ACCOUNT", "ROLE", "OPS_ROLE", False),
        ("ALL", "DATABASE", "APP", "ROLE", "OPS_ROLE", False),
        ("USAGE", "ROLE", "INGEST_ROLE", "ROLE", "OPS_ROLE", False),
        ("USAGE", "APPLICATION_ROLE", "APP_PUBLIC", "ROLE", "INGEST_ROLE", False),
    }
    fails(conn, "GRANT USAGE ON SCHEMA core TO ROLE no_such_role", "Role 'NO_SUCH_ROLE' does not exist")
    fails(conn, "GRANT READ ON SECRET missing_secret TO ROLE ingest_role", "Secret 'APP.CORE.MISSING_SECRET'")
    fails(conn, "GRANT ROLE no_such_role TO ROLE ops_role", "Role 'NO_SUCH_ROLE' does not exist")
    run(conn, "GRANT ROLE ingest_role TO ROLE sysadmin")  # system roles always exist
    # forms the product never issues are not emulated
    for unsupported in (
        "GRANT SELECT ON FUTURE TABLES IN SCHEMA core TO ROLE ops_role",
        "GRANT USAGE ON WAREHOUSE grant_wh TO ROLE ingest_role WITH GRANT OPTION",
        "GRANT OWNERSHIP ON TABLE members TO ROLE ops_role",
        "GRANT USAGE ON DATABASE app TO SHARE s1",
    ):
        fails(conn, unsupported, "does not support")

    run(conn, "REVOKE READ ON SECRET gsecret FROM ROLE ingest_role")
    run(conn, "REVOKE USAGE, OPERATE ON WAREHOUSE grant_wh FROM ROLE ingest_role")
    run(conn, "REVOKE SELECT ON ALL TABLES IN SCHEMA core FROM ROLE ops_role")
    run(conn, "REVOKE APPLICATION ROLE app_public FROM ROLE ingest_role")
    run(conn, "REVOKE USAGE ON PROCEDURE core.ingest(STRING, NUMBER) FROM APPLICATION ROLE app_public")
    run(conn, "REVOKE SELECT ON TABLE never_granted FROM ROLE ops_role")  # silently, like Snowflake
    left = grants(conn, mine)
    assert ("READ", "SECRET", "APP.CORE.GSECRET", "ROLE", "INGEST_ROLE", False) not in left
    assert not any(g[1] in ("WAREHOUSE", "APPLICATION_ROLE", "PROCEDURE") for g in left)
    assert ("USAGE", "ROLE", "INGEST_ROLE", "ROLE", "OPS_ROLE", False) in left
    run(conn, "REVOKE ROLE ingest_role FROM ROLE ops_role")
    assert ("USAGE", "ROLE", "INGEST_ROLE", "ROLE", "OPS_ROLE", False) not in grants(conn, mine)
    # dropping a role drops the grants to it and of it
    run(conn, "CREATE ROLE short_lived")
    run(conn, "GRANT USAGE ON SCHEMA core TO ROLE short_lived")
    run(conn, "GRANT ROLE short_lived TO ROLE ops_role")
    run(conn, "DROP ROLE short_lived")
    assert grants(conn, "GRANTEE_NAME = 'SHORT_LIVED' OR OBJECT_NAME = 'SHORT_LIVED'") == set()
    fails(conn, "GRANT SELECT ON TABLE members", "does not support this statement: GRANT SELECT ON")


# session context -------------------------------------------------------------------------------
def test_use_and_alter_session_are_recorded(warehouse, conn):
    c = connect(warehouse, database="APP", schema="CORE")
    try:
        run(c, "CREATE ROLE IF NOT EXISTS session_role")
        run(c, "USE ROLE session_role")
        run(c, "USE WAREHOUSE some_wh")
        run(c, "ALTER SESSION SET QUERY_TAG = 'ingest:recovery' TIMEZONE = 'Europe/Berlin'")
        run(c, "ALTER SESSION SET AUTOCOMMIT = TRUE")  # fakesnow applies this one
        run(c, "ALTER SESSION UNSET TIMEZONE")
        fails(c, "USE ROLE no_such_role", "Role 'NO_SUCH_ROLE' does not exist")
        engine = warehouse["_app"].state.engine
        session = next(s for s in engine._sessions.values() if s.parameters.get("QUERY_TAG"))
        assert session.role == "SESSION_ROLE" and session.warehouse == "SOME_WH"
        assert session.parameters == {"QUERY_TAG": "ingest:recovery", "AUTOCOMMIT": "TRUE"}
        rows = dict(
            run(conn, f"SELECT NAME, VALUE FROM {CAT}.SESSION_PARAMETERS WHERE SESSION_ID = %s", (session.session_id,))
        )
        assert rows == {
            "ROLE": "SESSION_ROLE",
            "WAREHOUSE": "SOME_WH",
            "QUERY_TAG": "ingest:recovery",
            "AUTOCOMMIT": "TRUE",
        }
        run(c, "USE SCHEMA APP.RAW")  # other USE forms still reach fakesnow
        assert run(c, "SELECT CURRENT_SCHEMA()") == [("RAW",)]
    finally:
        c.close()


# SHOW ------------------------------------------------------------------------------------------
def test_show_commands_read_the_catalog(conn):
    run(conn, "CREATE WAREHOUSE IF NOT EXISTS show_wh WAREHOUSE_SIZE = LARGE")
    run(conn, "CREATE ROLE IF NOT EXISTS show_role")
    run(conn, "CREATE SECRET IF NOT EXISTS show_secret TYPE = PASSWORD USERNAME = 'u' PASSWORD = 'Show-Pw-999'")
    run(conn, "CREATE NETWORK RULE IF NOT EXISTS show_rule MODE = EGRESS TYPE = HOST_PORT VALUE_LIST = ('a', 'b')")
    run(conn, "CREATE MASKING POLICY IF NOT EXISTS show_mask AS (v STRING) RETURNS STRING -> v")
    run(conn, "CREATE ROW ACCESS POLICY IF NOT EXISTS show_rap AS (v STRING) RETURNS BOOLEAN -> TRUE")
    run(conn, "CREATE ALERT IF NOT EXISTS show_alert SCHEDULE = '5 MINUTE' IF (EXISTS (SELECT 1)) THEN SELECT 1")
    run(conn, "CREATE APPLICATION ROLE IF NOT EXISTS show_app_role")
    run(conn, "CREATE SECURITY INTEGRATION IF NOT EXISTS show_int TYPE = API_AUTHENTICATION ENABLED = TRUE")
    run(conn, "GRANT USAGE ON WAREHOUSE show_wh TO ROLE show_role")

    wh = {r["name"]: r for r in show(conn, "SHOW WAREHOUSES")}
    assert wh["SHOW_WH"]["size"] == "LARGE" and wh["SHOW_WH"]["state"] == "STARTED"
    assert "FAKESNOW_WAREHOUSE" in wh  # fakesnow's default stays listed
    assert [r["name"] for r in show(conn, "SHOW WAREHOUSES LIKE 'show%'")] == ["SHOW_WH"]
    roles = {r["name"]: r for r in show(conn, "SHOW ROLES")}
    assert {"SHOW_ROLE", "ACCOUNTADMIN", "PUBLIC"} <= set(roles)
    assert set(show(conn, "SHOW ROLES")[0]) >= {"created_on", "name", "owner", "comment"}
    secrets = show(conn, "SHOW SECRETS LIKE 'SHOW_SECRET'")
    assert len(secrets) == 1 and secrets[0]["secret_type"] == "PASSWORD"
    assert (secrets[0]["database_name"], secrets[0]["schema_name"]) == ("APP", "CORE")
    assert show(conn, "SHOW SECRETS IN SCHEMA app.raw") == []
    rules = {r["name"]: r for r in show(conn, "SHOW NETWORK RULES IN SCHEMA core")}
    assert rules["SHOW_RULE"]["entries_in_value_list"] == 2 and rules["SHOW_RULE"]["mode"] == "EGRESS"
    assert [r["name"] for r in show(conn, "SHOW MASKING POLICIES LIKE 'show%'")] == ["SHOW_MASK"]
    assert [r["kind"] for r in show(conn, "SHOW ROW ACCESS POLICIES LIKE 'show%'")] == ["ROW_ACCESS_POLICY"]
    alert = show(conn, "SHOW ALERTS LIKE 'SHOW_ALERT'")[0]
    assert (alert["state"], alert["condition"], alert["schedule"]) == ("suspended", "SELECT 1", "5 MINUTE")
    assert [r["name"] for r in show(conn, "SHOW APPLICATION ROLES LIKE 'show%'")] == ["SHOW_APP_ROLE"]
    ints = {r["name"]: r for r in show(conn, "SHOW INTEGRATIONS")}
    assert ints["SHOW_INT"]["type"] == "API_AUTHENTICATION" and ints["SHOW_INT"]["category"] == "SECURITY"
    assert ints["SHOW_INT"]["enabled"] == "true"
    assert [r["name"] for r in show(conn, "SHOW SECURITY INTEGRATIONS LIKE 'show%'")] == ["SHOW_INT"]
    to_role = show(conn, "SHOW GRANTS TO ROLE show_role")
    assert [(r["privilege"], r["granted_on"], r["name"], r["granted_to"], r["grantee_name"]) for r in to_role] == [
        ("USAGE", "WAREHOUSE", "SHOW_WH", "ROLE", "SHOW_ROLE")
    ]
    assert [r["grantee_name"] for r in show(conn, "SHOW GRANTS ON WAREHOUSE show_wh")] == ["SHOW_ROLE"]
    run(conn, "CREATE TAG IF NOT EXISTS show_tag ALLOWED_VALUES 'a'")
    assert show(conn, "SHOW TAGS LIKE 'SHOW_TAG'")[0]["allowed_values"] == '["a"]'


# alerts ----------------------------------------------------------------------------------------
def test_execute_alert_runs_action_only_when_condition_has_rows(conn):
    run(conn, "CREATE TABLE alert_src (v INT)")
    run(conn, "CREATE TABLE alert_log (msg VARCHAR)")
    run(
        conn,
        "CREATE ALERT low_recovery SCHEDULE = '1 MINUTE' "
        "IF (EXISTS (SELECT v FROM alert_src WHERE v < 34)) THEN INSERT INTO alert_log VALUES ('fired')",
    )
    history = f"SELECT STATE, CONDITION_RESULT, ACTION_RAN, ERROR FROM {CAT}.ALERT_HISTORY WHERE NAME = %s"
    run(conn, "EXECUTE ALERT low_recovery")
    assert run(conn, "SELECT COUNT(*) FROM alert_log") == [(0,)]
    run(conn, "INSERT INTO alert_src VALUES (20)")
    run(conn, "EXECUTE ALERT app.core.low_recovery")
    assert run(conn, "SELECT msg FROM alert_log") == [("fired",)]
    rows = run(conn, history + " ORDER BY COMPLETED_TIME", ("APP.CORE.LOW_RECOVERY",))
    assert rows == [("CONDITION_FALSE", False, False, None), ("TRIGGERED", True, True, None)]
    run(
        conn,
        "CREATE ALERT broken_action SCHEDULE = '1 MINUTE' IF (EXISTS (SELECT 1)) THEN INSERT INTO nowhere VALUES (1)",
    )
    run(conn, "EXECUTE ALERT broken_action")
    ((state, cond, ran, error),) = run(conn, history, ("APP.CORE.BROKEN_ACTION",))
    assert (state, cond, ran) == ("ACTION_FAILED", True, False) and "action:" in error
    fails(conn, "EXECUTE ALERT missing_alert", "Alert 'APP.CORE.MISSING_ALERT' does not exist")


# secrets ---------------------------------------------------------------------------------------
SECRET_VALUES = ("Gen-S3cret-Value-7731", "Pw-S3cret-Value-8842", "Rt-S3cret-Value-9953", "Rt-Rotated-Value-1064")


def test_secret_values_never_reach_the_catalog(warehouse, conn):
    generic, password, refresh, rotated = SECRET_VALUES
    engine = warehouse["_app"].state.engine
    run(conn, f"CREATE SECRET gen_s TYPE = GENERIC_STRING SECRET_STRING = '{generic}' COMMENT = 'api key'")
    run(conn, f"CREATE SECRET pw_s TYPE = PASSWORD USERNAME = 'svc' PASSWORD = '{password}'")
    run(
        conn,
        "CREATE SECURITY INTEGRATION IF NOT EXISTS s_oauth TYPE = API_AUTHENTICATION AUTH_TYPE = OAUTH2 "
        "OAUTH_CLIENT_ID = 'cid' OAUTH_CLIENT_SECRET = 'Client-S3cret-Value-0075' ENABLED = TRUE",
    )
    run(
        conn,
        f"CREATE SECRET oauth_s TYPE = OAUTH2 API_AUTHENTICATION = s_oauth OAUTH_REFRESH_TOKEN = '{refresh}' "
        "OAUTH_REFRESH_TOKEN_EXPIRY_TIME = '2030-01-01'",
    )
    errors = [
        fails(conn, f"CREATE SECRET gen_s TYPE = GENERIC_STRING SECRET_STRING = '{generic}'", "already exists"),
        fails(conn, "CREATE SECRET bad_s SECRET_STRING = 'Bad-S3cret-Value-1186'", "needs TYPE"),
        fails(conn, f"ALTER SECRET gen_s FROBNICATE '{generic}'", "does not support ALTER SECRET"),
        fails(conn, f"ALTER SECRET missing_s SET SECRET_STRING = '{generic}'", "does not exist"),
        fails(conn, f"CREATE SECRET core.x.y.z TYPE = GENERIC_STRING SECRET_STRING = '{generic}'", "Cannot parse"),
        fails(conn, f"CREATE OR REPLACE SECRET IF NOT EXISTS s2 TYPE = PASSWORD PASSWORD = '{password}'"),
    ]
    assert not any(v in e for e in errors for v in (generic, password, "Bad-S3cret-Value-1186")), errors

    assert account_catalog.secret_value(engine, "app.core.gen_s") == {
        "type": "GENERIC_STRING",
        "secret_string": generic,
        "comment": "api key",
    }
    assert account_catalog.secret_value(engine, "APP.CORE.PW_S") == {
        "type": "PASSWORD",
        "username": "svc",
        "password": password,
    }
    oauth = account_catalog.secret_value(engine, "APP.CORE.OAUTH_S")
    assert oauth["oauth_refresh_token"] == refresh and oauth["api_authentication"] == "S_OAUTH"
    # the app rotates the refresh token with ALTER SECRET; the runtime can do it directly too
    run(conn, f"ALTER SECRET oauth_s SET OAUTH_REFRESH_TOKEN = '{rotated}'")
    assert account_catalog.secret_value(engine, "APP.CORE.OAUTH_S")["oauth_refresh_token"] == rotated
    account_catalog.set_secret_value(engine, "APP.CORE.OAUTH_S", oauth_access_token="At-S3cret-Value-2297")
    assert account_catalog.secret_value(engine, "APP.CORE.OAUTH_S")["oauth_access_token"] == "At-S3cret-Value-2297"
    run(conn, f"ALTER SECRET gen_s SET SECRET_STRING = '{generic}-2'")
    assert account_catalog.secret_value(engine, "APP.CORE.GEN_S")["secret_string"] == f"{generic}-2"
    with pytest.raises(account_catalog.LocalSqlError, match="does not exist"):
        account_catalog.secret_value(engine, "APP.CORE.NOPE")
    p = obj(conn, "SECRET", "APP.CORE.OAUTH_S")
    assert p["OAUTH_REFRESH_TOKEN"] == "***" and p["OAUTH_ACCESS_TOKEN"] == "***" and p["TYPE"] == "OAUTH2"

    # no catalog table, in any column, holds any of the values
    needles = (*SECRET_VALUES, f"{generic}-2", "At-S3cret-Value-2297", "Client-S3cret-Value-0075", "Bad-S3cret")
    tables = [
        t
        for (t,) in run(
            conn, "SELECT table_name FROM WHOOP_LOCAL.INFORMATION_SCHEMA.TABLES WHERE table_schema = 'CATALOG'"
        )
    ]
    assert {"OBJECTS", "GRANTS", "SESSION_PARAMETERS", "ALERT_HISTORY"} <= set(tables)
    for table in tables:
        for row in run(conn, f"SELECT * FROM {CAT}.{table}"):
            text = " ".join(str(v) for v in row)
            for needle in needles:
                assert needle not in text, (table, row)
    shown = json.dumps(show(conn, "SHOW SECRETS"), default=str)
    assert not any(n in shown for n in needles)

    # the values live in <data dir>/secrets.json, readable by the owner only
    path = warehouse["_data_dir"] / "secrets.json"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert rotated in path.read_text()
    run(conn, "ALTER SECRET gen_s UNSET COMMENT")
    run(conn, "DROP SECRET pw_s")
    assert password not in path.read_text()
    assert not list(path.parent.glob(".secrets.*.tmp"))


def test_unknown_statements_fail_with_a_message_naming_them(conn):
    fails(conn, "CREATE FOOBAR x", "does not support CREATE FOOBAR")
    fails(conn, "ALTER FOOBAR x SET A = 1", "does not support ALTER FOOBAR")
    fails(conn, "GRANT IMAGINARY THING", "does not support this statement: GRANT IMAGINARY THING")
    fails(conn, "SHOW GRANTS SIDEWAYS", "Unsupported SHOW GRANTS form")
