"""Incremental refresh of Gold, on a deployed account.

The local warehouse recomputes a dynamic table in full on every refresh that has new input (see
infra/local/warehouse/dynamic_tables.py), so whether Snowflake really maintains Gold incrementally, and
what a daily run costs against a full build, can only be seen here. The static tests check that the
definitions ask for INCREMENTAL; these check what Snowflake made of them.
"""

from __future__ import annotations

import pytest

from tests.live.test_live_deployment import rows

pytestmark = pytest.mark.live

# DIM_DATE reads CURRENT_DATE and GENERATOR, so it is FULL by design (sql/gold/01_dim_date.sql)
FULL_BY_DESIGN = {"DIM_DATE"}


def test_gold_dynamic_tables_run_in_incremental_mode(snowflake_conn, names):
    shown = rows(snowflake_conn, f"SHOW DYNAMIC TABLES IN SCHEMA {names['app']}.GOLD")
    modes = {r["name"]: (r["refresh_mode"], r.get("refresh_mode_reason")) for r in shown}
    assert modes, "no dynamic tables in GOLD: is the app deployed and WHOOP_APP_DATABASE right?"
    fell_back = {n: m for n, m in modes.items() if m[0] != "INCREMENTAL" and n not in FULL_BY_DESIGN}
    assert not fell_back, f"Snowflake refreshes these in full (mode, reason): {fell_back}"


def test_gold_refreshes_of_the_last_week_were_incremental(snowflake_conn, names):
    history = rows(
        snowflake_conn,
        f"SELECT NAME, REFRESH_ACTION, STATE FROM TABLE({names['app']}.INFORMATION_SCHEMA."
        f"DYNAMIC_TABLE_REFRESH_HISTORY(NAME_PREFIX => '{names['app']}.GOLD.', RESULT_LIMIT => 10000))",
    )
    full = sorted({r["name"] for r in history if r["refresh_action"] == "FULL" and r["name"] not in FULL_BY_DESIGN})
    assert not full, f"full refreshes outside DIM_DATE (an input change forced a recompute): {full}"
