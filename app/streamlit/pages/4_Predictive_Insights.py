"""Predictive insights: what drove the newest recovery, next-day recovery forecasts, their evaluation, and flagged
nights (the ML layer's tables).

Every number names the model version and whether a trained model or a baseline produced it.
"""

from __future__ import annotations

import altair as alt
import pandas as pd
import queries
import streamlit as st
import ui

ML_TABLES = ("ML.FACT_PREDICTIONS", "ML.EVALUATIONS", "ML.FACT_ANOMALIES")
ML_HINT = "the ML layer has not run yet (`CALL OPS.TRAIN_ML()` then `CALL OPS.SCORE_ML()`, or its scheduled task)"
DRIVERS_TABLE = "ML.FACT_RECOVERY_DRIVERS"
# Gold column of a driver -> (label, unit, scale from the column's unit)
DRIVER_LABELS = {
    "HRV_RMSSD_MS": ("HRV", "ms", 1.0),
    "RESTING_HEART_RATE_BPM": ("Resting HR", "bpm", 1.0),
    "TOTAL_SLEEP_MINUTES": ("Sleep", "h", 1 / 60),
    "SLEEP_PERFORMANCE_PCT": ("Sleep performance", "%", 1.0),
    "RESPIRATORY_RATE": ("Respiratory rate", "/min", 1.0),
}

f = ui.sidebar("Predictive Insights")
if f is None:
    st.info(f"No predictions yet: connect a member, then {ui.RUN_HINT}; then {ML_HINT}.")
    st.stop()
missing = [t for t in ML_TABLES if t not in ui.existing_tables()]
if missing:
    st.info(f"No predictions: {ML_HINT}. Missing: {', '.join(missing)}.")
    st.stop()

try:
    data = ui.run_all(queries.predictions(f))
except ui.QueryError as exc:
    ui.show_error(exc)
    st.stop()
preds, evals, anomalies = data["predictions"], data["evaluations"], data["anomalies"]


def served_label(served_by: str) -> str:
    return "model" if served_by == "model" else f"baseline ({served_by.removeprefix('baseline_')})"


def _amount(driver: str, value: object) -> str:
    _, unit, scale = DRIVER_LABELS.get(driver, (driver, "", 1.0))
    number = pd.to_numeric(value, errors="coerce")
    return "not recorded" if pd.isna(number) else f"{float(number) * scale:.1f} {unit}".rstrip()


def recovery_drivers() -> None:
    """What drove the newest explained recovery in the range: per-driver contributions, in recovery points."""
    st.subheader("What drove today's recovery")
    if DRIVERS_TABLE not in ui.existing_tables():
        st.info(f"No recovery drivers: {DRIVERS_TABLE} does not exist yet (upgrade the app, then {ML_HINT}).")
        return
    try:
        drivers = ui.run_all(queries.recovery_drivers(f))["drivers"]
    except ui.QueryError as exc:
        ui.show_error(exc)
        return
    if drivers.empty:
        st.info(
            f"No recovery drivers for this member between {f.start} and {f.end}: {ML_HINT}, or widen the range. "
            "They are written for the newest scored day, and only where the drivers model beats the naive baselines."
        )
        return
    for col in ("Z_SCORE", "CONTRIBUTION_POINTS", "RECOVERY_SCORE", "BASELINE_RECOVERY", "INTERCEPT_POINTS"):
        drivers[col] = pd.to_numeric(drivers[col], errors="coerce")
    drivers["EXPLAINED_RECOVERY"] = pd.to_numeric(drivers["EXPLAINED_RECOVERY"], errors="coerce")
    day = drivers.iloc[0]
    when = pd.to_datetime(day["FULL_DATE"])
    drivers["LABEL"] = drivers["DRIVER"].map(lambda d: DRIVER_LABELS.get(d, (d,))[0])
    drivers["TODAY"] = [_amount(d, v) for d, v in zip(drivers["DRIVER"], drivers["DRIVER_VALUE"], strict=True)]
    drivers["USUAL"] = [_amount(d, v) for d, v in zip(drivers["DRIVER"], drivers["DRIVER_USUAL"], strict=True)]
    drivers["EFFECT"] = drivers["CONTRIBUTION_POINTS"].map(lambda v: "lifted" if v >= 0 else "lowered")
    base = float(day["BASELINE_RECOVERY"]) + float(day["INTERCEPT_POINTS"])
    c1, c2, c3 = st.columns(3)
    c1.metric(f"Recovery on {when:%a %d %b}", f"{float(day['RECOVERY_SCORE']):.0f} %")
    c2.metric(
        "Explained by the drivers",
        f"{float(day['EXPLAINED_RECOVERY']):.0f} %",
        f"usual {base:.0f} %, drivers {drivers['CONTRIBUTION_POINTS'].sum():+.1f} pts",
        delta_color="off",
    )
    top = drivers.loc[drivers["CONTRIBUTION_POINTS"].abs().idxmax()]
    c3.metric(
        "Biggest driver",
        str(top["LABEL"]),
        f"{float(top['CONTRIBUTION_POINTS']):+.1f} pts ({top['TODAY']} vs usual {top['USUAL']})",
    )
    chart = (
        alt.Chart(drivers)
        .mark_bar()
        .encode(
            x=alt.X("CONTRIBUTION_POINTS:Q", title="Recovery points vs your usual"),
            y=alt.Y("LABEL:N", title=None, sort="-x"),
            color=alt.Color(
                "EFFECT:N",
                scale=alt.Scale(domain=["lifted", "lowered"], range=[ui.GREEN, ui.RED]),
                legend=alt.Legend(title=None),
            ),
            tooltip=[
                "LABEL:N",
                "TODAY:N",
                "USUAL:N",
                alt.Tooltip("Z_SCORE:Q", format="+.2f", title="z-score"),
                alt.Tooltip("CONTRIBUTION_POINTS:Q", format="+.1f", title="points"),
            ],
        )
    )
    st.altair_chart(chart, width="stretch")
    usual, intercept = float(day["BASELINE_RECOVERY"]), float(day["INTERCEPT_POINTS"])
    st.caption(
        f"Each bar: how far this morning's value was from your earlier days (z-score) × what a point of it is worth "
        f"in recovery, from {day['MODEL_NAME']} {day['MODEL_VERSION']} (held-out error in the evaluation below). "
        f"Your usual recovery {usual:.0f} % + intercept {intercept:+.1f} + the bars = the explained recovery."
    )


recovery_drivers()


tonight = data.get("sleep_tonight")
if tonight is not None and not tonight.empty:
    t = tonight.iloc[0]
    st.metric(
        "Tonight's sleep performance forecast",
        f"{float(t['PREDICTION']):.0f} %",
        f"80 % interval {min(max(float(t['INTERVAL_LOW']), 0), 100):.0f}–"
        f"{min(max(float(t['INTERVAL_HIGH']), 0), 100):.0f}; served by "
        f"{served_label(str(t['SERVED_BY']))}, {t['MODEL_NAME']} {t['MODEL_VERSION']}",
        delta_color="off",
    )

st.subheader("Next-day recovery forecast")
if preds.empty:
    st.info(f"No forecasts for this member between {f.start} and {f.end}: {ML_HINT}, or widen the range.")
else:
    preds["FULL_DATE"] = pd.to_datetime(preds["FULL_DATE"])
    for col in ("PREDICTION", "INTERVAL_LOW", "INTERVAL_HIGH", "ACTUAL_RECOVERY"):
        preds[col] = pd.to_numeric(preds[col], errors="coerce")
    preds[["INTERVAL_LOW", "INTERVAL_HIGH"]] = preds[["INTERVAL_LOW", "INTERVAL_HIGH"]].clip(0, 100)  # a % scale
    preds["SERVED"] = preds["SERVED_BY"].astype(str).map(served_label)
    preds["VERSION"] = preds["MODEL_NAME"].astype(str) + " " + preds["MODEL_VERSION"].astype(str)
    latest = preds.sort_values(["TARGET_DATE_KEY", "PREDICTED_AT"]).iloc[-1]
    scored = preds.dropna(subset=["ACTUAL_RECOVERY"])
    c1, c2, c3 = st.columns(3)
    c1.metric(
        f"Forecast for {latest['FULL_DATE']:%a %d %b}",
        f"{latest['PREDICTION']:.0f} %",
        f"80 % interval {latest['INTERVAL_LOW']:.0f}–{latest['INTERVAL_HIGH']:.0f}",
        delta_color="off",
    )
    c2.metric("Served by", latest["SERVED"], f"{latest['MODEL_NAME']} {latest['MODEL_VERSION']}", delta_color="off")
    if scored.empty:
        c3.metric("Mean absolute error in range", "n/a", "no actuals yet", delta_color="off")
    else:
        mae = (scored["PREDICTION"] - scored["ACTUAL_RECOVERY"]).abs().mean()
        inside = scored["ACTUAL_RECOVERY"].between(scored["INTERVAL_LOW"], scored["INTERVAL_HIGH"]).mean()
        c3.metric(
            f"Mean absolute error in range (n = {len(scored)})",
            f"{mae:.1f} pts",
            f"{inside:.0%} of actuals inside the interval",
            delta_color="off",
        )
    st.caption(
        "Versions in range: "
        + "; ".join(
            f"{v} served by {s} on {n} day(s)" for (v, s), n in preds.groupby(["VERSION", "SERVED"]).size().items()
        )
    )
    band = (
        alt.Chart(preds)
        .mark_area(opacity=0.25, color="#4C78A8")
        .encode(x=alt.X("FULL_DATE:T", title=None), y="INTERVAL_LOW:Q", y2="INTERVAL_HIGH:Q")
    )
    line = (
        alt.Chart(preds)
        .mark_line(point=True)
        .encode(
            x="FULL_DATE:T",
            y=alt.Y("PREDICTION:Q", title="Recovery %", scale=alt.Scale(domain=[0, 100])),
            color=alt.Color("SERVED:N", legend=alt.Legend(title="Served by")),
            tooltip=[
                "FULL_DATE:T",
                "VERSION:N",
                "SERVED:N",
                alt.Tooltip("PREDICTION:Q", format=".1f"),
                "INTERVAL_LOW:Q",
                "INTERVAL_HIGH:Q",
                "ACTUAL_RECOVERY:Q",
            ],
        )
    )
    actual = (
        alt.Chart(scored)
        .mark_point(shape="diamond", color="#222", filled=True)
        .encode(x="FULL_DATE:T", y="ACTUAL_RECOVERY:Q", tooltip=["FULL_DATE:T", "ACTUAL_RECOVERY:Q"])
    )
    st.altair_chart(band + line + actual, width="stretch")
    st.caption("Line: forecast (colour = model or baseline served); band: 80 % interval; diamonds: actual recovery.")

st.subheader("Model evaluation (walk-forward)")
if evals.empty:
    st.info(f"No evaluation for this member yet: {ML_HINT}.")
else:
    evals["PREDICTOR"] = evals["PREDICTOR"].astype(str)
    st.dataframe(
        evals[
            [
                "MODEL_NAME",
                "MODEL_VERSION",
                "PREDICTOR",
                "MAE",
                "RMSE",
                "N_PREDICTIONS",
                "SKILL",
                "IS_SERVED",
                "IS_BEST_BASELINE",
                "SERVING_REASON",
                "EVALUATED_AT",
            ]
        ],
        hide_index=True,
        width="stretch",
    )
    served = evals[evals["IS_SERVED"].astype(bool)]
    if not served.empty:
        row = served.iloc[0]
        st.caption(
            f"Served: {served_label(str(row['PREDICTOR']))} of {row['MODEL_NAME']} {row['MODEL_VERSION']} — "
            f"{row['SERVING_REASON']}. Skill = 1 − MAE / MAE of the best baseline."
        )

st.subheader("Flagged nights")
if anomalies.empty:
    st.info("No flagged nights in this range.")
else:
    st.metric("Flagged nights in range", f"{len(anomalies)}")
    st.dataframe(anomalies[["FULL_DATE", "SIGNALS", "REASON"]], hide_index=True, width="stretch")
