"""Strain & performance: day strain vs next-day recovery, workouts by activity, HR-zone time, weekly load."""

from __future__ import annotations

import altair as alt
import pandas as pd
import queries
import streamlit as st
import ui

f = ui.sidebar("Strain & Performance")
if f is None:
    st.info(f"No strain yet: connect a member, then {ui.RUN_HINT}.")
    st.stop()
ui.require("GOLD.FACT_STRAIN", "GOLD.FACT_WORKOUTS", "GOLD.AGG_MEMBER_WEEKLY", what="strain & performance")

try:
    data = ui.run_all(queries.strain(f))
except ui.QueryError as exc:
    ui.show_error(exc)
    st.stop()
days, activities, weekly = data["strain_recovery"], data["activities"], data["weekly"]
if days.empty:
    st.info(f"No day strain yet for this member between {f.start} and {f.end}: {ui.RUN_HINT}, or widen the range.")
    st.stop()

days["FULL_DATE"] = pd.to_datetime(days["FULL_DATE"])
for col in ("DAY_STRAIN_SCORE", "CALORIES_BURNED", "NEXT_DAY_RECOVERY"):
    days[col] = pd.to_numeric(days[col], errors="coerce")
paired = days.dropna(subset=["NEXT_DAY_RECOVERY"])

c1, c2, c3, c4 = st.columns(4)
c1.metric("Avg day strain", f"{days['DAY_STRAIN_SCORE'].mean():.1f}")
c2.metric("Strenuous days (≥ 14)", f"{(days['DAY_STRAIN_SCORE'] >= 14).sum()} of {len(days)}")
corr = paired["DAY_STRAIN_SCORE"].corr(paired["NEXT_DAY_RECOVERY"]) if len(paired) >= 3 else float("nan")
c3.metric("Strain ↔ next-day recovery (r)", "n/a" if pd.isna(corr) else f"{corr:+.2f}")
c4.metric("Workouts", f"{int(pd.to_numeric(activities['WORKOUTS']).sum()) if not activities.empty else 0}")

left, right = st.columns(2)
with left:
    st.subheader("Day strain vs next-day recovery")
    if paired.empty:
        st.info("No day in range has a next-day recovery yet.")
    else:
        points = (
            alt.Chart(paired)
            .mark_circle(size=60, opacity=0.7)
            .encode(
                x=alt.X("DAY_STRAIN_SCORE:Q", title="Day strain (0–21)", scale=alt.Scale(domain=[0, 21])),
                y=alt.Y("NEXT_DAY_RECOVERY:Q", title="Next-day recovery %", scale=alt.Scale(domain=[0, 100])),
                tooltip=["FULL_DATE:T", "DAY_STRAIN_SCORE:Q", "NEXT_DAY_RECOVERY:Q"],
            )
        )
        fit = points.transform_regression("DAY_STRAIN_SCORE", "NEXT_DAY_RECOVERY").mark_line(color="#E45756")
        st.altair_chart(points + fit, width="stretch")
with right:
    st.subheader("Day strain")
    st.altair_chart(
        alt.Chart(days)
        .mark_bar()
        .encode(
            x=alt.X("FULL_DATE:T", title=None),
            y=alt.Y("DAY_STRAIN_SCORE:Q", title="Day strain", scale=alt.Scale(domain=[0, 21])),
            color=alt.Color(
                "BAND:N",
                scale=alt.Scale(
                    domain=["light (<10)", "moderate (10–14)", "strenuous (14–18)", "all out (≥18)"],
                    range=["#9ecae9", "#4C78A8", "#F58518", "#E45756"],
                ),
                legend=alt.Legend(title=None, orient="bottom"),
            ),
        )
        .transform_calculate(
            BAND="datum.DAY_STRAIN_SCORE >= 18 ? 'all out (≥18)' : datum.DAY_STRAIN_SCORE >= 14 ? "
            "'strenuous (14–18)' : datum.DAY_STRAIN_SCORE >= 10 ? 'moderate (10–14)' : 'light (<10)'"
        ),
        width="stretch",
    )

st.subheader("Workouts by activity")
if activities.empty:
    st.info("No workouts in this range.")
else:
    for col in ("WORKOUTS", "MINUTES", "ZONE_MINUTES", "AVG_STRAIN", "CALORIES"):
        activities[col] = pd.to_numeric(activities[col], errors="coerce")
    a1, a2 = st.columns(2)
    with a1:
        st.altair_chart(
            alt.Chart(activities)
            .mark_bar()
            .encode(
                x=alt.X("WORKOUTS:Q", title="Workouts"),
                y=alt.Y("ACTIVITY_NAME:N", sort="-x", title=None),
                color=alt.Color("ACTIVITY_CATEGORY:N", legend=alt.Legend(title="Category")),
                tooltip=["ACTIVITY_NAME", "WORKOUTS", "MINUTES", alt.Tooltip("AVG_STRAIN:Q", format=".1f")],
            ),
            width="stretch",
        )
    with a2:
        zones = activities.assign(BELOW=(activities["MINUTES"] - activities["ZONE_MINUTES"]).clip(lower=0)).melt(
            id_vars=["ACTIVITY_NAME"], value_vars=["ZONE_MINUTES", "BELOW"], var_name="ZONE"
        )
        zones["ZONE"] = zones["ZONE"].map({"ZONE_MINUTES": "HR zones 1–5", "BELOW": "below zone 1"})
        st.altair_chart(
            alt.Chart(zones)
            .mark_bar()
            .encode(
                x=alt.X("sum(value):Q", title="Minutes"),
                y=alt.Y("ACTIVITY_NAME:N", sort="-x", title=None),
                color=alt.Color("ZONE:N", legend=alt.Legend(title="Time in HR zones")),
            ),
            width="stretch",
        )
        st.caption("Gold keeps the minutes in heart-rate zones 1–5 per workout, not each zone apart.")

st.subheader("Weekly load")
if weekly.empty:
    st.info("No weekly aggregates in this range yet.")
else:
    weekly["WEEK_START"] = pd.to_datetime(weekly["WEEK_START"])
    for col in ("AVG_DAY_STRAIN_SCORE", "WORKOUT_MINUTES", "AVG_RECOVERY_SCORE"):
        weekly[col] = pd.to_numeric(weekly[col], errors="coerce")
    base = alt.Chart(weekly).encode(x=alt.X("WEEK_START:T", title="Week (Monday)"))
    minutes = base.mark_bar(color="#4C78A8", opacity=0.6).encode(
        y=alt.Y("WORKOUT_MINUTES:Q", title="Workout minutes"), tooltip=["WEEK_START:T", "WORKOUTS:Q"]
    )
    avg = base.mark_line(point=True, color="#E45756").encode(
        y=alt.Y("AVG_DAY_STRAIN_SCORE:Q", title="Avg day strain", scale=alt.Scale(domain=[0, 21]))
    )
    st.altair_chart(alt.layer(minutes, avg).resolve_scale(y="independent"), width="stretch")
