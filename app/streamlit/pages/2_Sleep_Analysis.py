"""Sleep analysis: stages per night, need vs actual, debt, efficiency, consistency, bedtime regularity; naps apart."""

from __future__ import annotations

import altair as alt
import pandas as pd
import queries
import streamlit as st
import ui

f = ui.sidebar("Sleep Analysis")
if f is None:
    st.info(f"No sleep yet: connect a member, then {ui.RUN_HINT}.")
    st.stop()
ui.require("GOLD.FACT_SLEEP", "GOLD.FACT_SLEEP_STAGE", "GOLD.DIM_SLEEP_STAGE", what="sleep analysis")

data = ui.load(queries.sleep(f))
nights, stages, naps = data["nights"], data["stages"], data["naps"]
ui.stop_if_empty(
    nights, f"No main sleeps yet for this member between {f.start} and {f.end}: {ui.RUN_HINT}, or widen the range."
)

nights["FULL_DATE"] = pd.to_datetime(nights["FULL_DATE"])
for col in ("SLEEP_START_LOCAL", "SLEEP_END_LOCAL"):
    nights[col] = pd.to_datetime(nights[col])
numeric = (
    "TOTAL_SLEEP_MINUTES",
    "IN_BED_MINUTES",
    "SLEEP_NEEDED_MINUTES",
    "SLEEP_DEBT_MINUTES",
    "SLEEP_EFFICIENCY_PCT",
    "SLEEP_PERFORMANCE_PCT",
)
for col in numeric:
    nights[col] = pd.to_numeric(nights[col], errors="coerce")


def clock_minutes(ts: pd.Series, pivot_hour: int) -> pd.Series:
    """Minutes after `pivot_hour` o'clock, so bedtimes either side of midnight sit on one axis."""
    minutes = ts.dt.hour * 60 + ts.dt.minute
    return (minutes - pivot_hour * 60) % (24 * 60)


bed = clock_minutes(nights["SLEEP_START_LOCAL"], 12)  # bedtime: minutes after noon
wake = clock_minutes(nights["SLEEP_END_LOCAL"], 0)
last = nights.iloc[-1]
c1, c2, c3, c4, c5 = st.columns(5)
c1.metric("Avg asleep", f"{nights['TOTAL_SLEEP_MINUTES'].mean() / 60:.1f} h")
c2.metric("Avg need", f"{nights['SLEEP_NEEDED_MINUTES'].mean() / 60:.1f} h")
c3.metric("Sleep debt (last night)", f"{last['SLEEP_DEBT_MINUTES']:.0f} min")
c4.metric("Avg efficiency", f"{nights['SLEEP_EFFICIENCY_PCT'].mean():.0f} %")
c5.metric(
    "Bedtime consistency (SD)",
    f"±{bed.std():.0f} min" if len(nights) > 1 else "n/a",
    f"wake-up ±{wake.std():.0f} min" if len(nights) > 1 else None,
    delta_color="off",
)

if ui.section("Sleep stages per night (main sleeps)", stages, "No sleep stages for these nights."):
    stages["FULL_DATE"] = pd.to_datetime(stages["FULL_DATE"])
    stages["STAGE_MINUTES"] = pd.to_numeric(stages["STAGE_MINUTES"], errors="coerce")
    order = ["Awake", "Light", "REM", "Deep"]
    st.altair_chart(
        alt.Chart(stages)
        .mark_bar()
        .encode(
            x=alt.X("FULL_DATE:T", title=None),
            y=alt.Y("sum(STAGE_MINUTES):Q", title="Minutes"),
            color=alt.Color(
                "SLEEP_STAGE_NAME:N",
                sort=order,
                scale=alt.Scale(domain=order, range=["#E45756", "#9ecae9", "#4C78A8", "#1b2a4a"]),
                legend=alt.Legend(title="Stage"),
            ),
            order=alt.Order("SLEEP_STAGE_NAME:N"),
            tooltip=["FULL_DATE:T", "SLEEP_STAGE_NAME:N", "STAGE_MINUTES:Q"],
        ),
        width="stretch",
    )

left, right = st.columns(2)
with left:
    st.subheader("Sleep need vs actual")
    long = nights.melt(
        id_vars=["FULL_DATE"], value_vars=["SLEEP_NEEDED_MINUTES", "TOTAL_SLEEP_MINUTES"], var_name="WHAT"
    )
    long["WHAT"] = long["WHAT"].map({"SLEEP_NEEDED_MINUTES": "Need", "TOTAL_SLEEP_MINUTES": "Asleep"})
    long["HOURS"] = long["value"] / 60
    st.altair_chart(
        alt.Chart(long)
        .mark_line(point=True)
        .encode(
            x=alt.X("FULL_DATE:T", title=None),
            y=alt.Y("HOURS:Q", title="Hours", scale=alt.Scale(zero=False)),
            color=alt.Color("WHAT:N", legend=alt.Legend(title=None)),
        ),
        width="stretch",
    )
with right:
    st.subheader("Sleep debt and efficiency")
    base = alt.Chart(nights).encode(x=alt.X("FULL_DATE:T", title=None))
    debt = base.mark_bar(color="#E45756", opacity=0.6).encode(y=alt.Y("SLEEP_DEBT_MINUTES:Q", title="Debt (min)"))
    eff = base.mark_line(color="#222").encode(
        y=alt.Y("SLEEP_EFFICIENCY_PCT:Q", title="Efficiency %", scale=alt.Scale(domain=[50, 100]))
    )
    st.altair_chart(alt.layer(debt, eff).resolve_scale(y="independent"), width="stretch")
    st.caption("Debt is WHOOP's need from sleep debt (added to that night's need); line: asleep as % of time in bed.")

st.subheader("Bedtime and wake-time regularity")
events = pd.concat(
    [
        pd.DataFrame(
            {
                "EVENT": "Bedtime",
                "DAY": nights["DAY_NAME"],
                "DOW": nights["DAY_OF_WEEK"],
                "HOUR": nights["SLEEP_START_LOCAL"].dt.hour,
            }
        ),
        pd.DataFrame(
            {
                "EVENT": "Wake",
                "DAY": nights["DAY_NAME"],
                "DOW": nights["DAY_OF_WEEK"],
                "HOUR": nights["SLEEP_END_LOCAL"].dt.hour,
            }
        ),
    ]
)
heat = events.groupby(["EVENT", "DAY", "DOW", "HOUR"], as_index=False).size()
days = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
st.altair_chart(
    alt.Chart(heat)
    .mark_rect()
    .encode(
        x=alt.X("HOUR:O", title="Local hour", sort=[*range(12, 24), *range(0, 12)]),
        y=alt.Y("DAY:N", sort=days, title="Wake-up day"),
        color=alt.Color("size:Q", title="Nights", scale=alt.Scale(scheme="blues")),
        tooltip=["EVENT:N", "DAY:N", "HOUR:O", alt.Tooltip("size:Q", title="Nights")],
    )
    .properties(height=180)
    .facet(column=alt.Column("EVENT:N", title=None)),
    width="content",
)
st.caption("How often each hour held the bedtime (sleep onset) or the wake-up, by weekday: tight columns = regular.")

if ui.section(
    "Naps", naps, "No naps in this range. Naps are kept apart from the main sleep and never count as a night."
):
    naps["TOTAL_SLEEP_MINUTES"] = pd.to_numeric(naps["TOTAL_SLEEP_MINUTES"], errors="coerce")
    n1, n2 = st.columns(2)
    n1.metric("Naps", f"{len(naps)}")
    n2.metric("Avg nap", f"{naps['TOTAL_SLEEP_MINUTES'].mean():.0f} min")
    st.dataframe(
        naps[["FULL_DATE", "SLEEP_START_LOCAL", "SLEEP_END_LOCAL", "TOTAL_SLEEP_MINUTES", "SLEEP_EFFICIENCY_PCT"]],
        hide_index=True,
        width="stretch",
    )
