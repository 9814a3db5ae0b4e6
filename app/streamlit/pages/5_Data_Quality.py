"""Data quality monitoring: check results and history, freshness, missing days, quarantine, ingest runs, re-auth."""

from __future__ import annotations

import altair as alt
import pandas as pd
import queries
import streamlit as st
import ui

f = ui.sidebar("Data Quality Monitoring")
if f is None:
    st.info(f"No data to check yet: connect a member, then {ui.RUN_HINT}.")
    st.stop()
ui.require(
    "OPS.DQ_RESULTS",
    "OPS.DQ_RUNS",
    "OPS.QUARANTINE",
    "OPS.INGEST_RUNS",
    "GOLD.DIM_DATE",
    what="data quality monitoring",
)

data = ui.load(queries.quality(f))
checks, history, fresh = data["latest_checks"], data["history"], data["freshness"]
calendar, quarantine, runs = data["calendar"], data["quarantine"], data["ingest_runs"]

reauth = fresh[fresh["MEMBER_STATUS"].astype(str) == "NEEDS_REAUTHORIZATION"] if not fresh.empty else fresh
if not reauth.empty:
    st.warning(
        "Needs re-authorization: "
        + ", ".join(reauth["MEMBER_NAME"].astype(str))
        + ". Their ingest stops until they connect WHOOP again (Setup page)."
    )

if ui.section(
    "Latest data quality run",
    checks,
    f"No data quality run yet: the pipeline's finalizer task writes OPS.DQ_RESULTS; {ui.RUN_HINT}.",
):
    passed = checks["PASSED"].astype(bool)
    severity = checks["SEVERITY"].astype(str)
    c1, c2, c3, c4 = st.columns(4)
    c1.metric("Checks", f"{len(checks)}")
    c2.metric("Passed", f"{int(passed.sum())}")
    c3.metric("Failed (error)", f"{int((~passed & (severity == 'error')).sum())}")
    c4.metric("Failed (warn)", f"{int((~passed & (severity == 'warn')).sum())}")
    st.caption(f"Run at {checks['CHECKED_AT'].iloc[0]} UTC")
    failed = checks[~passed]
    if failed.empty:
        st.success("Every check of the latest run passed.")
    else:
        st.dataframe(
            failed[
                [
                    "SEVERITY",
                    "LAYER",
                    "TABLE_NAME",
                    "CHECK_NAME",
                    "MEMBER_NAME",  # per-member checks (freshness, a failed ingest): who
                    "CHECK_KIND",
                    "ROWS_TESTED",
                    "FAILURES",
                    "DETAIL",
                ]
            ],
            hide_index=True,
            width="stretch",
        )
    with st.expander("All checks of the latest run"):
        st.dataframe(
            checks[["PASSED", "SEVERITY", "LAYER", "TABLE_NAME", "CHECK_NAME", "ROWS_TESTED", "FAILURES"]],
            hide_index=True,
            width="stretch",
        )

if not history.empty:
    st.subheader("Check history")
    history["STARTED_AT"] = pd.to_datetime(history["STARTED_AT"])
    long = history.melt(id_vars=["STARTED_AT"], value_vars=["FAILED_ERROR", "FAILED_WARN"], var_name="SEVERITY")
    long["SEVERITY"] = long["SEVERITY"].map({"FAILED_ERROR": "error", "FAILED_WARN": "warn"})
    st.altair_chart(
        alt.Chart(long)
        .mark_bar()
        .encode(
            x=alt.X("STARTED_AT:T", title="Run"),
            y=alt.Y("value:Q", title="Failed checks"),
            color=alt.Color("SEVERITY:N", scale=alt.Scale(domain=["error", "warn"], range=["#E45756", "#F2CF5B"])),
        )
        .properties(height=180),
        width="stretch",
    )

left, right = st.columns(2)
with left:
    if ui.section("Freshness per member", fresh, "No members yet."):
        st.dataframe(fresh, hide_index=True, width="stretch")
        st.caption("LAST_DATE_KEY: newest day with a recovery; LAST_LOADED_AT: when it reached Bronze (UTC).")
with right:
    if ui.section("Missing days (selected member)", calendar, "The calendar has no days in this range."):
        cal = calendar.copy()
        cal["FULL_DATE"] = pd.to_datetime(cal["FULL_DATE"])
        has = cal[["HAS_RECOVERY", "HAS_STRAIN", "HAS_SLEEP"]].astype(bool)
        cal["PRESENT"] = has.sum(axis=1)
        cal["STATUS"] = cal["PRESENT"].map(lambda n: "complete" if n == 3 else "missing" if n == 0 else "partial")
        cal["WEEK"] = cal["FULL_DATE"] - pd.to_timedelta(cal["FULL_DATE"].dt.weekday, unit="D")
        missing_days = int((cal["STATUS"] != "complete").sum())
        st.metric("Days missing a recovery, strain or main sleep", f"{missing_days} of {len(cal)}")
        st.altair_chart(
            alt.Chart(cal)
            .mark_rect(stroke="white")
            .encode(
                x=alt.X("WEEK:T", title="Week", timeUnit="yearmonthdate"),
                y=alt.Y(
                    "DAY_NAME:N",
                    title=None,
                    sort=["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"],
                ),
                color=alt.Color(
                    "STATUS:N",
                    scale=alt.Scale(domain=["complete", "partial", "missing"], range=["#54A24B", "#F2CF5B", "#E45756"]),
                ),
                tooltip=["FULL_DATE:T", "HAS_RECOVERY:N", "HAS_STRAIN:N", "HAS_SLEEP:N"],
            )
            .properties(height=200),
            width="stretch",
        )

if ui.section(
    "Quarantine", quarantine, "No rows held back: every Bronze row passed the Silver rules.", note=st.success
):
    quarantine["ROWS_HELD"] = pd.to_numeric(quarantine["ROWS_HELD"])
    q1, q2 = st.columns([1, 2])
    q1.metric("Rows in quarantine", f"{int(quarantine['ROWS_HELD'].sum())}")
    with q2:
        ui.ranked_bars(
            quarantine,
            alt.X("sum(ROWS_HELD):Q", title="Rows"),
            "RULE_NAME",
            "Rule",
            color=alt.Color("TARGET_TABLE:N", title="Table"),
        )
    st.dataframe(quarantine, hide_index=True, width="stretch")

if ui.section("Ingest runs", runs, f"No ingest runs yet: {ui.RUN_HINT}."):
    for col in ("PAGES", "RETRIES", "WAITS", "REQUESTS"):
        runs[col] = pd.to_numeric(runs[col])
    errors = runs[runs["ERROR_MESSAGE"].notna()]
    r1, r2, r3, r4 = st.columns(4)
    r1.metric("Runs shown", f"{len(runs)}")
    r2.metric("Pages", f"{int(runs['PAGES'].sum())}")
    r3.metric("Retries / waits", f"{int(runs['RETRIES'].sum())} / {int(runs['WAITS'].sum())}")
    r4.metric("Runs with errors", f"{len(errors)}")
    st.dataframe(runs, hide_index=True, width="stretch")
