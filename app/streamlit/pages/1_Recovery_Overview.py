"""Recovery overview: the latest recovery in WHOOP's zones, HRV and resting HR against the personal baseline band."""

from __future__ import annotations

import altair as alt
import pandas as pd
import queries
import streamlit as st
import ui

f = ui.sidebar("Recovery Overview")
if f is None:
    st.info(f"No recovery yet: connect a member, then {ui.RUN_HINT}.")
    st.stop()
ui.require("GOLD.FACT_DAILY_RECOVERY", "GOLD.DIM_DATE", what="the recovery overview")

df = ui.load(queries.recovery(f))["recovery"]
ui.stop_if_empty(
    df, f"No recovery yet for this member between {f.start} and {f.end}: {ui.RUN_HINT}, or widen the range."
)

df["FULL_DATE"] = pd.to_datetime(df["FULL_DATE"])
for col in (
    "RECOVERY_SCORE",
    "HRV_RMSSD_MS",
    "RESTING_HEART_RATE_BPM",
    "HRV_BASELINE",
    "HRV_SD",
    "RHR_BASELINE",
    "RHR_SD",
):
    df[col] = pd.to_numeric(df[col], errors="coerce")
latest = df.iloc[-1]
zone, colour = ui.recovery_zone(float(latest["RECOVERY_SCORE"]))
previous = df.iloc[-2] if len(df) > 1 else None

st.markdown(
    f"<div style='display:flex;align-items:center;gap:1rem'>"
    f"<div style='width:1.4rem;height:1.4rem;border-radius:50%;background:{colour}'></div>"
    f"<div><b>Latest recovery {latest['FULL_DATE']:%a %d %b %Y}: {latest['RECOVERY_SCORE']:.0f} % ({zone})</b></div>"
    "</div>",
    unsafe_allow_html=True,
)
c1, c2, c3, c4 = st.columns(4)
c1.metric(
    "Recovery",
    f"{latest['RECOVERY_SCORE']:.0f} %",
    None if previous is None else f"{latest['RECOVERY_SCORE'] - previous['RECOVERY_SCORE']:+.0f}",
)
hrv_delta = (
    None
    if pd.isna(latest["HRV_BASELINE"])
    else f"{latest['HRV_RMSSD_MS'] - latest['HRV_BASELINE']:+.1f} ms vs baseline"
)
c2.metric("HRV (RMSSD)", f"{latest['HRV_RMSSD_MS']:.1f} ms", hrv_delta)
rhr_delta = (
    None if pd.isna(latest["RHR_BASELINE"]) else f"{latest['RESTING_HEART_RATE_BPM'] - latest['RHR_BASELINE']:+.1f} bpm"
)
c3.metric("Resting HR", f"{latest['RESTING_HEART_RATE_BPM']:.0f} bpm", rhr_delta, delta_color="inverse")
zones = df["RECOVERY_SCORE"].apply(lambda s: ui.recovery_zone(float(s))[0])
c4.metric("Green days in range", f"{(zones == 'green').sum()} of {len(df)}")

st.subheader("Recovery trend")
domain, scale = ["green", "yellow", "red"], [ui.GREEN, ui.YELLOW, ui.RED]
trend = df.assign(ZONE=zones)
bars = (
    alt.Chart(trend)
    .mark_bar()
    .encode(
        x=alt.X("FULL_DATE:T", title=None),
        y=alt.Y("RECOVERY_SCORE:Q", title="Recovery %", scale=alt.Scale(domain=[0, 100])),
        color=alt.Color("ZONE:N", scale=alt.Scale(domain=domain, range=scale), legend=alt.Legend(title="Zone")),
        tooltip=[alt.Tooltip("FULL_DATE:T", title="Day"), alt.Tooltip("RECOVERY_SCORE:Q", title="Recovery %")],
    )
)
rolling = (
    alt.Chart(trend.assign(ROLLING_7=trend["RECOVERY_SCORE"].rolling(7, min_periods=3).mean()))
    .mark_line(color="#333")
    .encode(x="FULL_DATE:T", y="ROLLING_7:Q")
)
st.altair_chart(bars + rolling, width="stretch")
st.caption("Bars: daily recovery in WHOOP's zones (green ≥ 67, yellow 34–66, red ≤ 33); line: 7-day mean.")


def band_chart(value: str, base: str, sd: str, title: str, unit: str) -> alt.LayerChart | alt.FacetChart:
    data = df[["FULL_DATE", value, base, sd]].copy()
    data["LOW"] = data[base] - data[sd]
    data["HIGH"] = data[base] + data[sd]
    band = alt.Chart(data).mark_area(opacity=0.25, color="#4C78A8").encode(x="FULL_DATE:T", y="LOW:Q", y2="HIGH:Q")
    mean = alt.Chart(data).mark_line(strokeDash=[4, 3], color="#4C78A8").encode(x="FULL_DATE:T", y=f"{base}:Q")
    points = (
        alt.Chart(data)
        .mark_line(point=True, color="#222")
        .encode(
            x=alt.X("FULL_DATE:T", title=None),
            y=alt.Y(f"{value}:Q", title=f"{title} ({unit})", scale=alt.Scale(zero=False)),
            tooltip=[alt.Tooltip("FULL_DATE:T", title="Day"), alt.Tooltip(f"{value}:Q", format=".1f")],
        )
    )
    return band + mean + points


left, right = st.columns(2)
with left:
    st.subheader("HRV vs personal baseline")
    st.altair_chart(band_chart("HRV_RMSSD_MS", "HRV_BASELINE", "HRV_SD", "HRV", "ms"), width="stretch")
with right:
    st.subheader("Resting HR vs personal baseline")
    st.altair_chart(
        band_chart("RESTING_HEART_RATE_BPM", "RHR_BASELINE", "RHR_SD", "Resting HR", "bpm"), width="stretch"
    )
st.caption(
    f"Band: mean ± 1 SD of the previous {queries.BASELINE_DAYS} recorded days (the day itself excluded); "
    "outside the band is a real change rather than day-to-day noise."
)
