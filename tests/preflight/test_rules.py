"""One planted violation per rule: the finding names the rule, the file, the line and the doc page; the
project without it passes (test_project.test_clean_project_passes_every_rule)."""

from __future__ import annotations

import pytest

from infra.preflight.rules import (
    account_level_names,
    app_privileges_rule,
    dmf_arguments,
    dynamic_table_incremental,
    procedure_secrets,
    streamlit_version,
)
from infra.preflight.runner import run

OBJECTS = "sql/objects.sql"


def only(app, rule):
    report = run(app.root)
    findings = [f for f in report.findings if f.rule == rule.RULE]
    others = [f for f in report.findings if f.rule != rule.RULE]
    assert not others, others
    return findings


def one(app, rule):
    findings = only(app, rule)
    assert len(findings) == 1, findings
    return findings[0]


def planted(app, rule, text: str, path: str = OBJECTS):
    """The one finding of `rule` once `text` is added to `path`, and the line it was added at."""
    line = app.add(path, text)
    return one(app, rule), line


# --- procedure-secrets -------------------------------------------------------------------------------

EAI = """\
CREATE SECRET IF NOT EXISTS data.api_key TYPE = GENERIC_STRING SECRET_STRING = 'x';
CREATE SECRET IF NOT EXISTS data.other TYPE = GENERIC_STRING SECRET_STRING = 'x';
CREATE NETWORK RULE IF NOT EXISTS data.rule MODE = EGRESS TYPE = HOST_PORT VALUE_LIST = ('api.example.com');
CREATE EXTERNAL ACCESS INTEGRATION IF NOT EXISTS IDENTIFIER(CURRENT_DATABASE() || '_EAI')
    ALLOWED_NETWORK_RULES = (data.rule) ENABLED = TRUE;
CREATE EXTERNAL ACCESS INTEGRATION IF NOT EXISTS IDENTIFIER($eai_name)
    ALLOWED_NETWORK_RULES = (data.rule) ENABLED = TRUE;
"""

PROC = """\
CREATE OR REPLACE PROCEDURE data.fetch()
    RETURNS STRING LANGUAGE PYTHON RUNTIME_VERSION = '3.11' PACKAGES = ('snowflake-snowpark-python')
    HANDLER = 'main'
    {eai}
    SECRETS = ('key' = data.api_key{more})
AS $$
def main(session):
    return "ok"
$$;
"""


def test_secrets_without_integration(app):
    app.add(OBJECTS, EAI)
    f, line = planted(app, procedure_secrets, PROC.format(eai="", more=""))
    assert (f.path, f.line, f.doc) == (app.path(OBJECTS), line + 4, procedure_secrets.DOC)
    assert "EXTERNAL_ACCESS_INTEGRATIONS" in f.message


def test_secret_not_allowed_by_the_named_integration(app, tmp_path):
    # an integration created in the scanned files with a literal name, allowing only api_key
    app.add(
        OBJECTS,
        "CREATE EXTERNAL ACCESS INTEGRATION demo_eai ALLOWED_NETWORK_RULES = (data.rule)\n"
        "    ALLOWED_AUTHENTICATION_SECRETS = (DATA.API_KEY) ENABLED = TRUE;\n",
    )
    app.add(OBJECTS, EAI)
    line = app.add(OBJECTS, PROC.format(eai="EXTERNAL_ACCESS_INTEGRATIONS = (demo_eai)", more=", 'o' = data.other"))
    report = run(app.root)
    (f,) = [f for f in report.findings if f.rule == procedure_secrets.RULE]
    assert (f.path, f.line) == (app.path(OBJECTS), line + 4)
    assert "DATA.OTHER" in f.message
    # allowed: the same procedure naming only the allowed secret passes
    app.write(OBJECTS, app.path(OBJECTS).read_text().replace(", 'o' = data.other", ""))
    assert not [f for f in run(app.root).findings if f.rule == procedure_secrets.RULE]


def test_secrets_with_an_integration_made_elsewhere_pass(app):
    app.add(OBJECTS, EAI)
    app.add(OBJECTS, PROC.format(eai="EXTERNAL_ACCESS_INTEGRATIONS = (reference('consumer_eai'))", more=""))
    assert only(app, procedure_secrets) == []


# --- dynamic-table-incremental -----------------------------------------------------------------------

DT = """\
CREATE OR REPLACE DYNAMIC TABLE data.dt
    TARGET_LAG = '1 hour'
    WAREHOUSE = IDENTIFIER($wh)
    REFRESH_MODE = {mode}
AS
{query};
"""


@pytest.mark.parametrize(
    ("query", "offset", "needle"),
    [
        ("SELECT a.id FROM data.events AS a\nLEFT JOIN data.events AS b ON a.id = b.id", 7, "same table"),
        (
            "WITH x AS (SELECT id FROM data.events), y AS (SELECT id FROM data.events)\n"
            "SELECT x.id FROM x\nFULL OUTER JOIN y ON x.id = y.id",
            8,
            "same table",
        ),
        ("SELECT id,\n  (SELECT MAX(id) FROM data.events) AS m\nFROM data.events", 7, "subquery outside FROM"),
        ("SELECT id FROM data.events\nWHERE id IN (SELECT id FROM data.events)", 7, "subquery outside FROM"),
        ("SELECT id, SEQ4() AS n\nFROM data.events", 6, "SEQ4"),
        ("SELECT id, CURRENT_USER() AS u FROM data.events", 6, "CURRENT_USER"),
        ("SELECT id FROM data.events\nEXCEPT\nSELECT id FROM data.events", 6, "EXCEPT"),
        ("SELECT data.seq.NEXTVAL AS n, id FROM data.events", 6, "sequences"),
        ("SELECT e.id, x.y FROM data.events AS e,\nLATERAL (SELECT e.id AS y) AS x", 7, "LATERAL"),
    ],
)
def test_unsupported_incremental_constructs(app, query, offset, needle):
    line = app.add(OBJECTS, DT.format(mode="INCREMENTAL", query=query))
    findings = only(app, dynamic_table_incremental)
    assert findings, query
    assert any(needle in f.message for f in findings), findings
    f = next(f for f in findings if needle in f.message)
    assert (f.path, f.doc) == (app.path(OBJECTS), dynamic_table_incremental.DOC)
    assert f.line == line + offset - 1


@pytest.mark.parametrize(
    "query",
    [
        "SELECT a.id, b.name FROM data.events AS a\nLEFT JOIN data.other AS b ON a.id = b.id",
        "SELECT e.id, f.value FROM data.events AS e, LATERAL FLATTEN(input => PARSE_JSON(e.name)) AS f",
        "SELECT id FROM data.events UNION SELECT id FROM data.other",
        "SELECT id FROM (SELECT id FROM data.events) AS s",
        "SELECT id FROM data.events QUALIFY ROW_NUMBER() OVER (PARTITION BY id ORDER BY loaded_at DESC) = 1",
    ],
)
def test_supported_incremental_queries_pass(app, query):
    app.add(OBJECTS, DT.format(mode="INCREMENTAL", query=query))
    assert only(app, dynamic_table_incremental) == []


def test_full_refresh_is_not_checked_and_auto_is(app):
    app.add(OBJECTS, DT.format(mode="FULL", query="SELECT SEQ4() AS n FROM data.events"))
    assert only(app, dynamic_table_incremental) == []
    app.add(OBJECTS, DT.format(mode="AUTO", query="SELECT SEQ4() AS n FROM data.events"))
    assert "AUTO" in one(app, dynamic_table_incremental).message


# --- dmf-arguments -------------------------------------------------------------------------------------


def test_freshness_on_a_timestamp_ntz_column(app):
    app.add(OBJECTS, "CREATE TABLE IF NOT EXISTS data.t2 (id NUMBER, at TIMESTAMP_NTZ);\n")
    line = app.add(OBJECTS, "ALTER TABLE data.t2 ADD DATA METRIC FUNCTION SNOWFLAKE.CORE.FRESHNESS ON (at);\n")
    findings = only(app, dmf_arguments)
    typed = [f for f in findings if "FRESHNESS" in f.message]
    assert [(f.path, f.line, f.doc) for f in typed] == [(app.path(OBJECTS), line, dmf_arguments.DOC)]
    assert "TIMESTAMP_NTZ" in typed[0].message


def test_dmf_privilege_is_one_finding_per_file_not_two_rules(app):
    f, line = planted(
        app,
        dmf_arguments,
        "ALTER TABLE data.events SET DATA_METRIC_SCHEDULE = 'TRIGGER_ON_CHANGES';\n"
        "ALTER TABLE data.events ADD DATA METRIC FUNCTION SNOWFLAKE.CORE.FRESHNESS ON (loaded_at);\n"
        "ALTER TABLE data.events ADD DATA METRIC FUNCTION SNOWFLAKE.CORE.NULL_COUNT ON (id);\n",
    )  # `only` also asserts app-privileges reports nothing
    assert (f.path, f.line, f.doc) == (app.path(OBJECTS), line, dmf_arguments.ACCESS_DOC)
    assert "EXECUTE DATA METRIC FUNCTION" in f.message and "3 statement" in f.message


# --- app-privileges --------------------------------------------------------------------------------------


def test_privilege_not_requested(app):
    f, line = planted(
        app,
        app_privileges_rule,
        "CREATE COMPUTE POOL IF NOT EXISTS IDENTIFIER(CURRENT_DATABASE() || '_POOL')\n"
        "    MIN_NODES = 1 MAX_NODES = 1 INSTANCE_FAMILY = CPU_X64_XS;\n",
    )
    assert (f.path, f.line, f.doc) == (app.path(OBJECTS), line, app_privileges_rule.DOC)
    assert "CREATE COMPUTE POOL" in f.message and "does not request" in f.message


@pytest.mark.parametrize(
    ("statement", "needs"),
    [
        (
            "CALL SYSTEM$SEND_EMAIL('ALERTS', 'coach@example.com', 'Red streak', 'three red days');\n",
            "SYSTEM$SEND_EMAIL needs USAGE ON A NOTIFICATION INTEGRATION",
        ),
        (
            'CALL SYSTEM$SEND_SNOWFLAKE_NOTIFICATION(\'{"text/plain": "x"}\', \'{"ALERTS": {}}\');\n',
            "SYSTEM$SEND_SNOWFLAKE_NOTIFICATION needs USAGE ON A NOTIFICATION INTEGRATION",
        ),
        (
            "CREATE NOTIFICATION INTEGRATION IF NOT EXISTS ALERTS TYPE = EMAIL ENABLED = TRUE;\n",
            "CREATE NOTIFICATION INTEGRATION needs CREATE INTEGRATION",
        ),
    ],
    ids=["send-email", "send-notification", "create-integration"],
)
def test_an_app_cannot_send_notifications(app, statement, needs):
    """No app holds a notification integration: it cannot create one or be given one as a reference (issue 16)."""
    f, line = planted(app, app_privileges_rule, statement)
    assert (f.path, f.line) == (app.path(OBJECTS), line)
    assert needs in f.message and "an app cannot request" in f.message


def test_privilege_not_granted_at_install_unless_in_a_procedure(app):
    app.write(
        "app/manifest.yml",
        app.path("app/manifest.yml").read_text() + "  - EXECUTE ALERT:\n      description: alerts\n",
    )
    f, line = planted(
        app,
        app_privileges_rule,
        "CREATE ALERT data.a WAREHOUSE = IDENTIFIER($wh) SCHEDULE = '1 minute'\n"
        "    IF (EXISTS (SELECT 1)) THEN SELECT 1;\n",
    )
    assert (f.path, f.line) == (app.path(OBJECTS), line)
    assert "not granted automatically" in f.message
    # the same statement inside a procedure body runs later, after the consumer's grant
    app.write(
        OBJECTS,
        app.path(OBJECTS).read_text().split("CREATE ALERT")[0]
        + "CREATE OR REPLACE PROCEDURE data.make_alert() RETURNS STRING LANGUAGE SQL AS $$\nBEGIN\n"
        "  CREATE ALERT data.a WAREHOUSE = IDENTIFIER($wh) SCHEDULE = '1 minute' IF (EXISTS (SELECT 1)) "
        "THEN SELECT 1;\n  RETURN 'ok';\nEND;\n$$;\n",
    )
    assert only(app, app_privileges_rule) == []


def test_privilege_an_app_cannot_request(app):
    f, line = planted(
        app, app_privileges_rule, "CREATE TASK data.t SCHEDULE = '60 MINUTE' AS SELECT 1;\n"
    )  # serverless: EXECUTE MANAGED TASK, not requested here
    assert (f.path, f.line) == (app.path(OBJECTS), line)
    assert "EXECUTE MANAGED TASK" in f.message


def test_streamlit_session_function_needs_read_session(app):
    app.write(
        "ui/app.py",
        "import streamlit as st\n\n\ndef admin(session):\n"
        '    """Uses IS_APPLICATION_ROLE_IN_SESSION(\'ADMIN\')."""\n'
        "    return session.sql(f\"SELECT IS_APPLICATION_ROLE_IN_SESSION('{ROLE}')\").collect()\n",
    )
    f = one(app, app_privileges_rule)
    assert (f.path, f.line, f.doc) == (app.path("ui/app.py"), 6, app_privileges_rule.app_privileges.READ_SESSION_DOC)
    app.write(
        "app/manifest.yml", app.path("app/manifest.yml").read_text() + "  - READ SESSION:\n      description: roles\n"
    )
    assert only(app, app_privileges_rule) == []


# --- account-level-names ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "sql",
    [
        "CREATE WAREHOUSE IF NOT EXISTS demo_wh WAREHOUSE_SIZE = 'XSMALL';\n",
        'CREATE OR REPLACE EXTERNAL ACCESS INTEGRATION "Demo Eai" ALLOWED_NETWORK_RULES = (data.r) ENABLED = TRUE;\n',
        "CREATE WAREHOUSE IDENTIFIER('DEMO_WH');\n",
        "EXECUTE IMMEDIATE $$\nBEGIN\n  CREATE WAREHOUSE demo_wh;\nEND;\n$$;\n",
    ],
)
def test_fixed_account_level_name(app, sql):
    f, line = planted(app, account_level_names, sql, path="app/setup_script.sql")
    assert (f.path, f.doc) == (app.path("app/setup_script.sql"), account_level_names.DOC)
    assert f.line == line + (2 if sql.startswith("EXECUTE") else 0)


@pytest.mark.parametrize(
    "sql",
    [
        "CREATE WAREHOUSE IF NOT EXISTS IDENTIFIER(CURRENT_DATABASE() || '_WH');\n",
        "EXECUTE IMMEDIATE $$\nDECLARE\n  wh VARCHAR DEFAULT CURRENT_DATABASE() || '_WH';\nBEGIN\n"
        "  EXECUTE IMMEDIATE 'CREATE WAREHOUSE IF NOT EXISTS ' || :wh;\nEND;\n$$;\n",
        "CREATE WAREHOUSE IF NOT EXISTS {{ app_name }}_wh;\n",
        "CREATE DATABASE ROLE app_db_role;\n",
    ],
)
def test_names_built_from_the_app_pass(app, sql):
    app.add("app/setup_script.sql", sql)
    assert only(app, account_level_names) == []


# --- streamlit-version -----------------------------------------------------------------------------------


def test_no_environment_yml(app):
    app.path("ui/environment.yml").unlink()
    f = one(app, streamlit_version)
    assert (f.path, f.line, f.doc) == (app.path("ui/app.py"), 1, streamlit_version.DOC)


def test_unsupported_version(app):
    app.write("ui/environment.yml", "dependencies:\n  - python=3.11\n  - streamlit=1.99.0\n")
    f = one(app, streamlit_version)
    assert (f.path, f.line) == (app.path("ui/environment.yml"), 3)


def test_feature_newer_than_the_pin_and_unsupported_feature(app):
    app.write(
        "ui/pages/two.py",
        "import streamlit as st\nimport streamlit.components.v1 as components\n"
        "st.set_page_config(page_title='x', layout='wide')\n"
        "choice = st.pills('Pick', ['a', 'b'])\nst.dataframe([], hide_index=True)\n\n\n"
        "@st.cache_data\ndef load():\n    return 1\n",
    )
    findings = only(app, streamlit_version)
    assert all((f.path, f.doc) == (app.path("ui/pages/two.py"), streamlit_version.DOC) for f in findings)
    assert sorted((f.line, f.message.split(":")[0], "unsupported" in f.message) for f in findings) == [
        (2, "st.components", True),
        (3, "st.set_page_config(page_title=)", True),
        (4, "st.pills needs Streamlit 1.40.0, newer than the pinned 1.26.0", False),
        (8, "st.cache_data", True),
    ]  # hide_index= arrived in 1.23.0, before the pinned 1.26.0


def test_unpinned_pages_are_checked_against_the_default_version(app):
    app.write("ui/environment.yml", "dependencies:\n  - streamlit\n")
    app.add("ui/app.py", "st.dataframe([], hide_index=True)\n")
    findings = only(app, streamlit_version)
    assert sorted((f.path.name, f.line) for f in findings) == [("app.py", 5), ("environment.yml", 2)]
    assert "newer than the default 1.22.0" in next(f.message for f in findings if f.path.name == "app.py")


def test_streamlit_config_file_is_unsupported(app):
    app.write("ui/.streamlit/config.toml", "[theme]\nbase = 'dark'\n")
    f = one(app, streamlit_version)
    assert (f.path, f.line) == (app.path("ui/.streamlit/config.toml"), 1)


def test_width_stretch_needs_a_newer_pin(app):
    app.add("ui/app.py", "st.dataframe([], width='stretch')\nst.progress(1, width='stretch')\n")
    findings = only(app, streamlit_version)
    assert sorted((f.line, f.message) for f in findings) == [
        (5, "st.dataframe(width='stretch') needs Streamlit 1.49.0, newer than the pinned 1.26.0"),
        (6, "st.progress(width='stretch') needs Streamlit 1.46.0, newer than the pinned 1.26.0"),
    ]
    app.write("ui/environment.yml", "dependencies:\n  - streamlit=1.50.0\n")
    assert only(app, streamlit_version) == []


def test_literal_name_in_an_execute_immediate_string_is_reported_once(app):
    f, line = planted(
        app,
        account_level_names,
        "EXECUTE IMMEDIATE 'CREATE WAREHOUSE IF NOT EXISTS fixed_wh';\n",
        path="app/setup_script.sql",
    )
    assert (f.path, f.line) == (app.path("app/setup_script.sql"), line)


def test_avg_on_a_text_column(app):
    line = app.add(OBJECTS, "ALTER TABLE data.events ADD DATA METRIC FUNCTION SNOWFLAKE.CORE.AVG ON (name);\n")
    typed = [f for f in only(app, dmf_arguments) if "AVG" in f.message]
    assert [(f.line, f.doc) for f in typed] == [(line, "https://docs.snowflake.com/en/sql-reference/functions/dmf_avg")]


def test_unparsable_dynamic_table_query_is_reported(app):
    f, line = planted(app, dynamic_table_incremental, DT.format(mode="INCREMENTAL", query="SELECT FROM WHERE ((("))
    assert (f.line, f.doc) == (line, dynamic_table_incremental.DOC) and "cannot parse" in f.message


def test_owners_rights_procedure_calling_a_session_function_needs_read_session(app):
    f, line = planted(
        app,
        app_privileges_rule,
        "CREATE OR REPLACE PROCEDURE data.who() RETURNS BOOLEAN LANGUAGE SQL AS $$\nBEGIN\n"
        "  RETURN IS_APPLICATION_ROLE_IN_SESSION('APP_PUBLIC');\nEND;\n$$;\n",
    )
    assert (f.path, f.line) == (app.path(OBJECTS), line) and "READ SESSION" in f.message
    app.write(OBJECTS, app.path(OBJECTS).read_text().replace("LANGUAGE SQL AS", "LANGUAGE SQL EXECUTE AS CALLER AS"))
    assert only(app, app_privileges_rule) == []
