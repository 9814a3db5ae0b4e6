"""Strain & performance: day strain vs next-day recovery, workouts by activity, minutes per heart-rate zone (per
activity, per workout, per week), weekly load."""

from __future__ import annotations

from typing import Any

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

# WHOOP's heart-rate zones as the v2 contract names them (ZoneDurations), coloured from easy to all-out
ZONES = {
    "ZONE_0_MINUTES": "Zone 0 · very light",
    "ZONE_1_MINUTES": "Zone 1 · light",
    "ZONE_2_MINUTES": "Zone 2 · moderate",
    "ZONE_3_MINUTES": "Zone 3 · hard",
    "ZONE_4_MINUTES": "Zone 4 · very hard",
    "ZONE_5_MINUTES": "Zone 5 · maximum",
}


def zone_color(columns: int = 6) -> alt.Color:
    return alt.Color(
        "ZONE:N",
        scale=alt.Scale(
            domain=list(ZONES.values()), range=["#BDBDBD", "#9ecae9", "#54A24B", "#EECA3B", "#F58518", "#E45756"]
        ),
        sort=list(ZONES.values()),
        legend=alt.Legend(title="Heart-rate zone", orient="bottom", columns=columns),
    )


def band_axis(field: str, title: str, order: list[str]) -> alt.X:
    """An ordinal axis of text labels in `order`: one bar each; text, so no browser time zone can shift a day."""
    return alt.X(f"{field}:O", title=title, sort=order, axis=alt.Axis(labelAngle=-45, labelOverlap=True))


def by_zone(frame: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """One row per key and zone (MINUTES, ZONE label, ZONE_ORDER for stacking zone 0 at the bottom)."""
    long = frame[keys + list(ZONES)].melt(id_vars=keys, var_name="COLUMN", value_name="MINUTES")
    long["MINUTES"] = pd.to_numeric(long["MINUTES"], errors="coerce")
    long["ZONE"] = long["COLUMN"].map(ZONES)
    long["ZONE_ORDER"] = long["COLUMN"].str[5].astype(int)
    return long.drop(columns="COLUMN")


def zone_bars(frame: pd.DataFrame, keys: list[str], x: alt.X, minutes: str, **encode: Any) -> alt.Chart:
    """One bar per `x` band: its minutes stacked by heart-rate zone, zone 0 at the bottom."""
    return (
        alt.Chart(by_zone(frame, keys))
        .mark_bar()
        .encode(
            x=x,
            y=alt.Y("MINUTES:Q", title=minutes, stack="zero"),
            color=zone_color(),
            order=alt.Order("ZONE_ORDER:Q"),
            **encode,
        )
    )


data = ui.load(queries.strain(f))
days, activities, workouts, weekly = data["strain_recovery"], data["activities"], data["workouts"], data["weekly"]
ui.stop_if_empty(
    days, f"No day strain yet for this member between {f.start} and {f.end}: {ui.RUN_HINT}, or widen the range."
)

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
    if ui.section("Day strain vs next-day recovery", paired, "No day in range has a next-day recovery yet."):
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

if ui.section("Workouts by activity", activities, "No workouts in this range."):
    for col in ("WORKOUTS", "MINUTES", "ZONE_MINUTES", "AVG_STRAIN", "CALORIES"):
        activities[col] = pd.to_numeric(activities[col], errors="coerce")
    a1, a2 = st.columns(2)
    with a1:
        ui.ranked_bars(
            activities,
            alt.X("WORKOUTS:Q", title="Workouts"),
            "ACTIVITY_NAME",
            color=alt.Color("ACTIVITY_CATEGORY:N", legend=alt.Legend(title="Category")),
            tooltip=["ACTIVITY_NAME", "WORKOUTS", "MINUTES", alt.Tooltip("AVG_STRAIN:Q", format=".1f")],
        )
    with a2:
        ui.ranked_bars(
            by_zone(activities, ["ACTIVITY_NAME", "WORKOUTS"]),
            alt.X("sum(MINUTES):Q", title="Minutes"),
            "ACTIVITY_NAME",
            color=zone_color(2),
            order=alt.Order("ZONE_ORDER:Q"),
            tooltip=["ACTIVITY_NAME", "ZONE", alt.Tooltip("MINUTES:Q", format=".1f")],
        )

if ui.section("Heart-rate zones per workout", workouts, "No scored workouts in this range."):
    workouts["WORKOUT_START_LOCAL"] = pd.to_datetime(workouts["WORKOUT_START_LOCAL"])
    workouts["STRAIN_SCORE"] = pd.to_numeric(workouts["STRAIN_SCORE"], errors="coerce")
    start = workouts["WORKOUT_START_LOCAL"].dt.strftime("%Y-%m-%d %H:%M")
    again = start.groupby(start).cumcount()  # two workouts starting in the same minute stay two bars
    workouts["START"] = start + again.map(lambda n: f" ({n + 1})" if n else "")
    st.altair_chart(
        zone_bars(
            workouts,
            ["WORKOUT_ID", "START", "ACTIVITY_NAME", "STRAIN_SCORE"],
            band_axis("START", "Workout start (local time)", list(workouts["START"])),
            "Minutes",
            detail="WORKOUT_ID:N",
            tooltip=[
                alt.Tooltip("START:N", title="start"),
                "ACTIVITY_NAME",
                alt.Tooltip("STRAIN_SCORE:Q", title="strain", format=".1f"),
                "ZONE",
                alt.Tooltip("MINUTES:Q", format=".1f"),
            ],
        ),
        width="stretch",
    )
    st.caption(
        "Minutes in each heart-rate zone, zone 0 included, so a bar is the workout's duration. Workouts from the "
        "CSV export carry zones 1–5 as whole percentages of the duration; their zone 0 is what those leave."
    )

if ui.section("Weekly load", weekly, "No weekly aggregates in this range yet."):
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

    st.subheader("Heart-rate zones per week")
    weekly["WEEK"] = weekly["WEEK_START"].dt.strftime("%Y-%m-%d")
    st.altair_chart(
        zone_bars(
            weekly,
            ["WEEK_START", "WEEK", "WORKOUTS"],
            band_axis("WEEK", "Week (Monday)", list(weekly["WEEK"])),
            "Workout minutes",
            tooltip=["WEEK", "WORKOUTS:Q", "ZONE", alt.Tooltip("MINUTES:Q", format=".1f")],
        ),
        width="stretch",
    )
