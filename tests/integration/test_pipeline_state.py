"""The app runs nothing until started (issue 12): tasks and dynamic tables stay suspended on install,
START_PIPELINE refuses without a member, an upgrade keeps the recorded state, and `whoop run` says when the
pipeline is not started. Also the Gold definitions this issue changed (DIM_DATE, DIM_MEMBER) and the data-quality
run id of a manual CALL."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest
import snowflake.connector

from infra.local import pipeline
from infra.local.errors import WhoopError
from snowpark_procs.pipeline_state import CHILD_TASKS, ROOT_TASKS
from tests.integration.conftest import local_stack, query

APP_TASKS = {t.split(".")[-1] for t in (*ROOT_TASKS, *CHILD_TASKS)}


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    """Deployed, no member yet: what an install looks like before the consumer's first step."""
    with local_stack(tmp_path_factory.mktemp("whoop_state"), ["ann"], days=40, seed=3, authorize=False) as settings:
        yield settings


def task_states(settings):
    rows = query(settings, "SHOW TASKS IN DATABASE WHOOP")
    return {r[1]: r[7] for r in rows if r[1] in APP_TASKS}


def dynamic_table_states(settings):
    rows = query(settings, "SHOW DYNAMIC TABLES IN DATABASE WHOOP")
    return {r[1]: r[9] for r in rows if r[3] == "GOLD"}


def test_an_install_runs_nothing(stack):
    tasks = task_states(stack)
    assert set(tasks) == APP_TASKS  # every task the app creates is known to START/STOP
    assert set(tasks.values()) == {"suspended"}
    tables = dynamic_table_states(stack)
    assert tables and set(tables.values()) == {"SUSPENDED"}
    assert query(stack, "SELECT SETTING_VALUE FROM CONFIG.SETTINGS WHERE SETTING_KEY = 'pipeline_state'") == [
        ("STOPPED",)
    ]


def test_run_before_start_says_so(stack):
    with pytest.raises(WhoopError, match="not started"):
        pipeline.run_once(stack)


def test_start_refuses_without_a_member(stack):
    with pytest.raises(snowflake.connector.errors.ProgrammingError, match="no member yet"):
        query(stack, "CALL OPS.START_PIPELINE()")
    assert set(task_states(stack).values()) == {"suspended"}


def test_authorizing_a_member_starts_it_and_an_upgrade_keeps_it_started(stack):
    pipeline.auth(stack)
    assert set(task_states(stack).values()) == {"started"}
    assert set(dynamic_table_states(stack).values()) == {"ACTIVE"}
    pipeline.deploy_local(stack, start_stack=False)  # an upgrade re-creates tasks and tables
    assert set(task_states(stack).values()) == {"started"}
    assert set(dynamic_table_states(stack).values()) == {"ACTIVE"}
    pipeline.run_once(stack)


def test_stop_suspends_everything_and_survives_an_upgrade(stack):
    query(stack, "CALL OPS.STOP_PIPELINE()")
    assert set(task_states(stack).values()) == {"suspended"}
    pipeline.deploy_local(stack, start_stack=False)
    assert set(task_states(stack).values()) == {"suspended"}
    assert set(dynamic_table_states(stack).values()) == {"SUSPENDED"}
    query(stack, "CALL OPS.START_PIPELINE()")
    assert set(task_states(stack).values()) == {"started"}


def test_a_manual_quality_run_keeps_its_own_run_id(stack):
    """A newer DQ_RUNS row (another run starting meanwhile) must not capture this call's results."""
    query(stack, "INSERT INTO OPS.DQ_RUNS (RUN_ID, STARTED_AT) SELECT 'later-run', DATEADD(DAY, 1, SYSDATE())")
    query(stack, "CALL OPS.RUN_DATA_QUALITY()")
    assert query(stack, "SELECT COUNT(*) FROM OPS.DQ_RESULTS WHERE RUN_ID = 'later-run'") == [(0,)]
    (own,) = query(stack, "SELECT COUNT(DISTINCT RUN_ID) FROM OPS.DQ_RESULTS WHERE CHECKED_AT > DATEADD(MINUTE, -5, "
                          "SYSDATE()) AND RUN_ID <> 'later-run'")  # fmt: skip
    assert own[0] >= 1


def test_dim_date_has_every_day_from_2012(stack):
    (first, last, days) = query(stack, "SELECT MIN(FULL_DATE), MAX(FULL_DATE), COUNT(*) FROM GOLD.DIM_DATE")[0]
    assert first == date(2012, 1, 1)
    assert last >= date.today() + timedelta(days=365)
    assert days == (last - first).days + 1  # no gaps, no duplicates


def test_dim_member_has_registered_and_export_only_members_once(stack):
    query(stack, "INSERT INTO CONFIG.MEMBERS (MEMBER_NAME, STATUS, AUTHORIZED_AT) SELECT 'idle', 'ACTIVE', SYSDATE()")
    query(stack, "ALTER DYNAMIC TABLE GOLD.DIM_MEMBER REFRESH")
    rows = dict(query(stack, "SELECT MEMBER_NAME, MEMBER_STATUS FROM GOLD.DIM_MEMBER"))
    assert rows["ann"] == "ACTIVE" and rows["idle"] == "ACTIVE"
    (dupes,) = query(stack, "SELECT COUNT(*) - COUNT(DISTINCT MEMBER_NAME) FROM GOLD.DIM_MEMBER")[0]
    assert dupes == 0


def test_without_execute_alert_the_pipeline_starts_and_says_the_alert_is_off(stack):
    query(stack, "REVOKE EXECUTE ALERT ON ACCOUNT FROM APPLICATION WHOOP")
    query(stack, "DROP ALERT IF EXISTS OPS.DATA_QUALITY_ALERT")
    try:
        query(stack, "CALL OPS.STOP_PIPELINE()")
        (result,) = query(stack, "CALL OPS.START_PIPELINE()")[0]
        assert "grant EXECUTE ALERT" in json.loads(result)["alert"]
        assert set(task_states(stack).values()) == {"started"}
        query(stack, "CALL OPS.RUN_DATA_QUALITY()")  # the quality run does not need the alert
    finally:
        query(stack, "GRANT EXECUTE ALERT ON ACCOUNT TO APPLICATION WHOOP")
        query(stack, "CALL OPS.START_PIPELINE()")
    assert query(stack, "SHOW ALERTS LIKE 'DATA_QUALITY_ALERT' IN SCHEMA WHOOP.OPS")
