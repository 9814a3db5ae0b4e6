"""Squad: every athlete the viewer may see, at a glance, with a way into each athlete's pages.

One row per athlete from one statement (queries.squad): today's recovery in WHOOP's zones and against the athlete's
own 28-day baseline, last night's sleep against need, yesterday's strain, open anomaly flags, how old the newest
data is and whether the WHOOP link needs re-authorizing. The table sorts by any column (header click, or the
"Sort by" choice); "Open" carries the chosen athlete to the per-athlete pages through the sidebar's member.
"""

from __future__ import annotations

import pandas as pd
import queries
import streamlit as st
import ui

ATHLETE_PAGE = "pages/1_Recovery_Overview.py"  # where "Open" leads; the sidebar keeps the member on every page
REAUTH = "NEEDS_REAUTHORIZATION"
# label -> (column of the table, ascending); the first is the default: who needs attention first
SORTS = {
    "Recovery, lowest first": ("Recovery %", True),
    "Recovery vs baseline, lowest first": ("vs baseline", True),
    "Sleep vs need, lowest first": ("Sleep of need %", True),
    "Strain yesterday, highest first": ("Strain yesterday", False),
    "Open anomalies, most first": ("Open anomalies", False),
    "Data age, oldest first": ("Data age (h)", False),
    "Athlete": ("Athlete", True),
}
ZONE_COLOURS = {"green": ui.GREEN, "yellow": ui.YELLOW, "red": ui.RED}

st.set_page_config(layout="wide")  # page_title/page_icon: unsupported in a Native App
st.title("Squad")
ui.require(
    "GOLD.DIM_MEMBER",
    "GOLD.DIM_DATE",
    "GOLD.FACT_DAILY_RECOVERY",
    "GOLD.FACT_SLEEP",
    "GOLD.FACT_STRAIN",
    "ML.FACT_ANOMALIES",
    what="the squad page",
)

raw = ui.load(queries.squad())["squad"]
ui.stop_if_empty(raw, f"No athletes yet. Connect one (Setup page, or `whoop auth` locally), then {ui.RUN_HINT}.")


def number(column: str) -> pd.Series:
    return pd.to_numeric(raw[column], errors="coerce")


last_data = pd.to_datetime(raw["LAST_DATA_AT"])  # TIMESTAMP_NTZ in UTC
now = pd.Timestamp.now(tz="UTC").tz_localize(None)
reauth = raw["NEEDS_REAUTHORIZATION"].astype(bool)
day = pd.to_datetime(raw["DATE_KEY"].astype("Int64").astype(str), format="%Y%m%d", errors="coerce")
# what a coach scans first on the left; the underlying numbers and dates to the right
table = pd.DataFrame(
    {
        "Athlete": raw["MEMBER_NAME"].astype(str),
        "Recovery %": number("RECOVERY_SCORE"),
        "Zone": raw["RECOVERY_ZONE"],
        "vs baseline": number("RECOVERY_VS_BASELINE"),
        "Sleep of need %": (100 * number("SLEEP_HOURS") / number("SLEEP_NEED_HOURS")).round(0),
        "Strain yesterday": number("STRAIN_YESTERDAY"),
        "Open anomalies": number("OPEN_ANOMALIES").fillna(0).astype(int),
        "Re-authorize": reauth,
        "Data age (h)": ((now - last_data).dt.total_seconds() / 3600).round(1),
        "Sleep (h)": number("SLEEP_HOURS"),
        "Need (h)": number("SLEEP_NEED_HOURS"),
        "28-day baseline": number("RECOVERY_BASELINE_28D"),
        "Day": day.dt.date,
        "Last data (UTC)": last_data,
    }
)

c1, c2, c3, c4, c5 = st.columns(5)
zones = table["Zone"].fillna("")
c1.metric("Athletes", f"{len(table)}")
c2.metric("Green", f"{int((zones == 'green').sum())}")
c3.metric("Yellow", f"{int((zones == 'yellow').sum())}")
c4.metric("Red", f"{int((zones == 'red').sum())}")
c5.metric("Open anomaly flags", f"{int(table['Open anomalies'].sum())}")
if reauth.any():
    names = ", ".join(sorted(table.loc[reauth, "Athlete"]))
    st.warning(f"Needs to re-authorize WHOOP (data stops at the last successful ingest): {names}")

sort_by = st.selectbox("Sort by", list(SORTS), key="squad_sort")
column, ascending = SORTS[sort_by]
table = table.sort_values([column, "Athlete"], ascending=[ascending, True], na_position="last", kind="stable")
table = table.reset_index(drop=True)


def _zone_style(zone: object) -> str:
    colour = ZONE_COLOURS.get(str(zone))
    return f"background-color: {colour}; color: #111" if colour else ""


zone_of_row = table["Zone"]
styled = (
    table.style.apply(lambda _: [_zone_style(z) for z in zone_of_row], subset=["Recovery %", "Zone"])
    .map(lambda flag: "background-color: #FFE3E3; color: #8B0000" if flag else "", subset=["Re-authorize"])
    .format(
        {
            "Recovery %": "{:.0f}",
            "vs baseline": "{:+.0f}",
            "28-day baseline": "{:.0f}",
            "Sleep (h)": "{:.1f}",
            "Need (h)": "{:.1f}",
            "Sleep of need %": "{:.0f}",
            "Strain yesterday": "{:.1f}",
            "Data age (h)": "{:.0f}",
            "Last data (UTC)": "{:%Y-%m-%d %H:%M}",
        },
        na_rep="–",
    )
)
st.dataframe(
    styled,
    hide_index=True,
    width="stretch",
    column_config={
        "Recovery %": st.column_config.NumberColumn(help="Today's recovery: green ≥ 67, yellow 34–66, red ≤ 33"),
        "vs baseline": st.column_config.NumberColumn(
            help=f"Recovery points against the mean of the athlete's previous {queries.BASELINE_DAYS} recorded days"
        ),
        "Sleep of need %": st.column_config.NumberColumn(help="Last night's sleep as a share of the sleep needed"),
        "Open anomalies": st.column_config.NumberColumn(
            help=f"Nights flagged by the anomaly detector in the {queries.OPEN_ANOMALY_DAYS} days up to the athlete's "
            "newest day"
        ),
        "Data age (h)": st.column_config.NumberColumn(help="Hours since new data reached the warehouse"),
        "Re-authorize": st.column_config.CheckboxColumn(help="The athlete's WHOOP link needs re-authorizing"),
    },
)
st.caption(
    "Day: the athlete's newest day with data; recovery and sleep are that day's (sleep by its wake-up date), "
    "strain the day before's. Click a column header to sort by it."
)

st.subheader("Open an athlete")
left, right = st.columns([3, 1], vertical_alignment="bottom")
athlete = left.selectbox("Athlete", list(table["Athlete"]), key="squad_athlete")
if right.button(f"Open {athlete}'s pages", key="squad_open", type="primary"):
    # the sidebar (ui.sidebar) picks its member from `_member`; drop its widget state so the choice wins
    st.session_state["_member"] = athlete
    st.session_state.pop("member", None)
    st.switch_page(ATHLETE_PAGE)
