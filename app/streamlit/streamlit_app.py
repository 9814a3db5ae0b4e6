"""WHOOP Platform: the app's default Streamlit page (core.dashboard).

Shows the row count of each Gold table that exists, and an empty state before the first pipeline run.
It must render on a fresh install, so missing tables are expected, not errors.
"""

from __future__ import annotations

import streamlit as st
from snowflake.snowpark.context import get_active_session

GOLD_TABLES = (
    "fact_daily_recovery",
    "fact_sleep",
    "fact_strain",
    "fact_workouts",
    "fact_predictions",
    "fact_anomalies",
    "dim_date",
    "dim_activity_type",
    "dim_sleep_stage",
)


def gold_row_counts(session) -> dict[str, int]:
    """Row counts of the Gold tables present; absent ones are left out.

    One metadata query finds what exists (dynamic tables are listed as tables too), so a table that is
    missing never reaches a SELECT that would raise.
    """
    names = ", ".join(f"'{name.upper()}'" for name in GOLD_TABLES)
    rows = session.sql(
        "SELECT table_name, row_count FROM information_schema.tables "
        f"WHERE table_schema = 'GOLD' AND table_name IN ({names})"
    ).collect()
    found = {str(row[0]).lower(): row[1] for row in rows}
    return {name: int(found[name] or 0) for name in GOLD_TABLES if name in found}


def main() -> None:
    st.title("WHOOP Platform")
    try:
        counts = gold_row_counts(get_active_session())
    except Exception as exc:  # a page that cannot query still says why instead of a stack trace
        st.warning(f"Gold tables are not readable yet: {exc}")
        counts = {}
    if not counts:
        st.info(
            "No Gold data yet. Approve the WHOOP API egress specification, connect a member with "
            "`CALL ops.set_whoop_client(...)` and `CALL ops.register_member(...)`, then run `CALL ops.ingest_whoop()`."
        )
        return
    st.subheader("Gold tables")
    st.dataframe([{"table": name, "rows": rows} for name, rows in counts.items()])


main()
