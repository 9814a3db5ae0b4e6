"""WHOOP Platform: the app's default Streamlit page (core.dashboard) and the home of its pages (pages/).

Shows the row count of each Gold table that exists and what each page answers, and an empty state before the
first pipeline run. It must render on a fresh install, so missing tables are expected, not errors.
The session comes from whoop_session: Snowsight's active session in Snowflake, the local warehouse locally.
"""

from __future__ import annotations

import streamlit as st
import whoop_session

GOLD_TABLES = (
    "fact_daily_recovery",
    "fact_sleep",
    "fact_sleep_stage",
    "fact_strain",
    "fact_workouts",
    "fact_journal",
    "dim_member",
    "dim_date",
    "dim_activity_type",
    "dim_sleep_stage",
    "agg_member_weekly",
    "agg_member_monthly",
)

PAGES = (
    ("Squad", "every athlete you may see: today's recovery, sleep vs need, strain, flags, freshness, re-authorization"),
    ("Recovery Overview", "latest recovery in WHOOP's zones; HRV and resting HR against your 28-day baseline band"),
    ("Sleep Analysis", "stages per night, need vs actual, debt, efficiency, bedtime regularity, naps apart"),
    ("Strain & Performance", "day strain vs next-day recovery, workouts by activity, HR-zone time, weekly load"),
    ("Predictive Insights", "next-day recovery forecasts with model version and model-or-baseline, flagged nights"),
    ("Data Quality", "check results and history, freshness, missing days, quarantine, ingest runs"),
    ("Setup", "admins: members, last runs, run the pipeline now, connect a member"),
)


def gold_row_counts(session) -> dict[str, int]:
    """Row counts of the Gold tables present; absent ones are left out.

    One metadata query finds what exists (dynamic tables are listed as tables too), so a table that is
    missing never reaches a SELECT that would raise.
    """
    names = ", ".join(f"'{name.upper()}'" for name in GOLD_TABLES)
    rows = session.sql(
        "SELECT t.TABLE_NAME, t.ROW_COUNT FROM INFORMATION_SCHEMA.TABLES AS t "
        f"WHERE t.TABLE_SCHEMA = 'GOLD' AND t.TABLE_NAME IN ({names})"
    ).collect()
    found = {str(row[0]).lower(): row[1] for row in rows}
    return {name: int(found[name] or 0) for name in GOLD_TABLES if name in found}


def main() -> None:
    st.set_page_config(layout="wide")  # page_title/page_icon: unsupported in a Native App
    st.title("WHOOP Platform")
    try:
        counts = whoop_session.call(gold_row_counts)
    except whoop_session.WarehouseUnreachable as exc:
        st.error(str(exc))
        return
    except Exception as exc:  # a page that cannot query still says why instead of a stack trace
        st.warning(f"Gold tables are not readable yet: {exc}")
        counts = {}
    st.markdown("\n".join(f"- **{name}**: {what}" for name, what in PAGES))
    if not any(counts.get(name) for name in GOLD_TABLES if name.startswith("fact_")):  # DIM_DATE is never empty
        st.info(
            "No Gold data yet. Approve the WHOOP API egress specification, connect a member with "
            "`CALL ops.set_whoop_client(...)` and `CALL ops.register_member(...)` (or the Setup page), then run "
            "`CALL ops.ingest_whoop()` — locally `whoop auth` and `whoop run`."
        )
        return
    st.subheader("Gold tables")
    st.dataframe([{"table": name, "rows": rows} for name, rows in counts.items()], hide_index=True)


main()
