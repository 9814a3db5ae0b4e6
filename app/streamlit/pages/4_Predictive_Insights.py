"""Predictive insights: what drove the newest recovery, next-day recovery forecasts, their evaluation, the journal's
habits and what they do to next-day recovery, a what-if on tonight's planned sleep, and flagged nights (the ML
layer's tables and its OPS.WHAT_IF_SLEEP procedure).

Every number names the model version and whether a trained model or a baseline produced it.
"""

from __future__ import annotations

import json

import altair as alt
import pandas as pd
import queries
import streamlit as st
import ui
import whoop_session

ML_TABLES = ("ML.FACT_PREDICTIONS", "ML.EVALUATIONS", "ML.FACT_ANOMALIES")
ML_HINT = "the ML layer has not run yet (`CALL OPS.TRAIN_ML()` then `CALL OPS.SCORE_ML()`, or its scheduled task)"
DRIVERS_TABLE = "ML.FACT_RECOVERY_DRIVERS"
HABITS_TABLES = ("ML.BEHAVIOUR_EFFECTS", "GOLD.FACT_JOURNAL")
NO_JOURNAL = "No journal answers yet: answer the WHOOP journal to see which habits move your recovery"
EXPORT_HINT = "journal answers reach the app only through the WHOOP CSV export (`whoop import-export`)"
MIN_EACH = 3  # yes and no days a behaviour needs before its effect is estimated (snowpark_procs/ml/journal.py)
FDR_Q = 0.1  # the false discovery rate OPS.TRAIN_ML controls (ML.BEHAVIOUR_EFFECTS.SIGNIFICANT: Q_VALUE <= 0.1)
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

data = ui.load(queries.predictions(f))
preds, evals, anomalies = data["predictions"], data["evaluations"], data["anomalies"]


def served_label(served_by: str) -> str:
    return "model" if served_by == "model" else f"baseline ({served_by.removeprefix('baseline_')})"


def _amount(driver: str, value: object) -> str:
    _, unit, scale = DRIVER_LABELS.get(driver, (driver, "", 1.0))
    number = pd.to_numeric(value, errors="coerce")
    return "not recorded" if pd.isna(number) else f"{float(number) * scale:.1f} {unit}".rstrip()


def recovery_drivers(f: queries.Filters) -> None:
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
        f"in recovery (for HRV and resting HR the effect levels off beyond about 1.5 SD, as recovery does), from "
        f"{day['MODEL_NAME']} {day['MODEL_VERSION']} (held-out error in the evaluation below). "
        f"Your usual recovery {usual:.0f} % + intercept {intercept:+.1f} + the bars = the explained recovery."
    )


recovery_drivers(f)


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

if ui.section(
    "Next-day recovery forecast",
    preds,
    f"No forecasts for this member between {f.start} and {f.end}: {ML_HINT}, or widen the range.",
):
    preds["FULL_DATE"] = pd.to_datetime(preds["FULL_DATE"])
    for col in ("PREDICTION", "INTERVAL_LOW", "INTERVAL_HIGH", "ACTUAL_RECOVERY"):
        preds[col] = pd.to_numeric(preds[col], errors="coerce")
    preds[["INTERVAL_LOW", "INTERVAL_HIGH"]] = preds[["INTERVAL_LOW", "INTERVAL_HIGH"]].clip(0, 100)  # a % scale
    preds["SERVED"] = preds["SERVED_BY"].astype(str).map(served_label)
    preds["VERSION"] = preds["MODEL_NAME"].astype(str) + " " + preds["MODEL_VERSION"].astype(str)
    preds["HISTORY"] = preds["KIND"].astype(str) == "WALK_FORWARD"
    scored = preds.dropna(subset=["ACTUAL_RECOVERY"])
    forecasts = preds[~preds["HISTORY"]].sort_values(["TARGET_DATE_KEY", "PREDICTED_AT"])
    c1, c2, c3 = st.columns(3)
    if forecasts.empty:  # trained, not scored yet (or no forecast in range): the history alone
        c1.metric("Forecast", "n/a", "none scored in range yet", delta_color="off")
        c2.metric("History", f"{int(preds['HISTORY'].sum())} day(s)", "walk-forward, before scoring", delta_color="off")
    else:
        latest = forecasts.iloc[-1]
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
        banded = scored.dropna(subset=["INTERVAL_LOW", "INTERVAL_HIGH"])  # early history: too few residuals yet
        inside = banded["ACTUAL_RECOVERY"].between(banded["INTERVAL_LOW"], banded["INTERVAL_HIGH"]).mean()
        c3.metric(
            f"Mean absolute error in range (n = {len(scored)})",
            f"{mae:.1f} pts",
            f"{inside:.0%} of actuals inside the interval" if len(banded) else "no intervals yet",
            delta_color="off",
        )
    st.caption(
        "Versions in range: "
        + "; ".join(
            f"{r.VERSION} served by {r.SERVED} on {r.N} day(s)"
            for r in preds.groupby(["VERSION", "SERVED"]).size().reset_index(name="N").itertuples()
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
                "KIND:N",
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
    st.caption(
        "Line: forecast (colour = model or baseline served); band: 80 % interval; diamonds: actual recovery. "
        f"{int(preds['HISTORY'].sum())} day(s) in range are walk-forward history: predicted by the served model "
        "version from the days before each day only, kept when it was trained."
    )


def _points(value: object, fmt: str = "+.1f") -> str:
    number = pd.to_numeric(value, errors="coerce")
    return "" if pd.isna(number) else f"{float(number):{fmt}}"


def _fdr(significant: object, q: object) -> str:
    if significant is None or pd.isna(significant):
        return "not tested"
    return f"{'yes' if bool(significant) else 'no'} (q = {float(q):.3f})"


def habits() -> None:
    """The journal's behaviours against next-day recovery, as fitted by OPS.TRAIN_ML on the member's whole journal:
    effect in recovery points with its 95 % CI, the yes/no days behind it, whether it survives the false-discovery
    control; behaviours with too few answers are listed as such."""
    st.subheader("Habits and next-day recovery")
    missing = [t for t in HABITS_TABLES if t not in ui.existing_tables()]
    if missing:
        st.info(f"No habits yet: {', '.join(missing)} does not exist yet (upgrade the app, then {ML_HINT}).")
        return
    try:
        got = ui.run_all(queries.habits(f))
    except ui.QueryError as exc:
        ui.show_error(exc)
        return
    journal, effects = got["journal"], got["effects"]
    answers = int(pd.to_numeric(journal["ANSWERS"], errors="coerce").fillna(0).iloc[0]) if not journal.empty else 0
    if answers == 0:
        st.info(f"{NO_JOURNAL} ({EXPORT_HINT}).")
        return
    if effects.empty:
        st.info(f"{answers} journal answers, not analysed yet: {ML_HINT}.")
        return
    estimated = effects[effects["STATUS"].astype(str) != "TOO_FEW_ANSWERS"].copy()
    too_few = effects[effects["STATUS"].astype(str) == "TOO_FEW_ANSWERS"]
    for col in ("EFFECT_POINTS", "CI_LOW", "CI_HIGH", "Q_VALUE"):
        estimated[col] = pd.to_numeric(estimated[col], errors="coerce")
    survive = estimated[estimated["SIGNIFICANT"].astype(bool)]
    table = pd.DataFrame(
        {
            "Behaviour": effects["QUESTION_TEXT"],
            "Effect on next-day recovery (pts)": [_points(v) for v in effects["EFFECT_POINTS"]],
            "95 % CI (pts)": [
                f"{_points(lo)} to {_points(hi)}" if _points(lo) else ""
                for lo, hi in zip(effects["CI_LOW"], effects["CI_HIGH"], strict=True)
            ],
            "Days yes / no": [f"{int(y)} / {int(n)}" for y, n in zip(effects["N_YES"], effects["N_NO"], strict=True)],
            f"Survives FDR {FDR_Q:.0%}": [
                _fdr(s, q) for s, q in zip(effects["SIGNIFICANT"], effects["Q_VALUE"], strict=True)
            ],
            "Status": [
                f"too few answers (needs {MIN_EACH} yes and {MIN_EACH} no days)"
                if s == "TOO_FEW_ANSWERS"
                else "estimated"
                for s in effects["STATUS"].astype(str)
            ],
        }
    )
    st.dataframe(table, hide_index=True, width="stretch")
    if not estimated.empty:
        # colour only what survives the false-discovery control, by its direction; the rest could be chance
        estimated["RESULT"] = [
            ("lifts recovery" if e > 0 else "lowers recovery") if bool(s) else "could be chance"
            for s, e in zip(estimated["SIGNIFICANT"], estimated["EFFECT_POINTS"], strict=True)
        ]
        bars = alt.Chart(estimated).encode(y=alt.Y("QUESTION_TEXT:N", title=None, sort="x"))
        chart = bars.mark_rule(strokeWidth=2).encode(
            x=alt.X("CI_LOW:Q", title="Effect on next-day recovery (points, 95 % CI)"),
            x2="CI_HIGH:Q",
            color=alt.Color(
                "RESULT:N",
                scale=alt.Scale(
                    domain=["lifts recovery", "lowers recovery", "could be chance"],
                    range=[ui.GREEN, ui.RED, "#999999"],
                ),
                legend=alt.Legend(title=None),
            ),
        ) + bars.mark_point(filled=True, size=70, color="#222").encode(
            x="EFFECT_POINTS:Q",
            tooltip=[
                "QUESTION_TEXT:N",
                alt.Tooltip("EFFECT_POINTS:Q", format="+.1f", title="points"),
                alt.Tooltip("CI_LOW:Q", format="+.1f"),
                alt.Tooltip("CI_HIGH:Q", format="+.1f"),
                "N_YES:Q",
                "N_NO:Q",
                alt.Tooltip("Q_VALUE:Q", format=".3f", title="q"),
            ],
        )
        st.altair_chart(chart, width="stretch")
    adjusted = str(effects["ADJUSTED_FOR"].dropna().iloc[0]) if effects["ADJUSTED_FOR"].notna().any() else ""
    st.caption(
        f"{len(estimated)} behaviour(s) estimated from {answers} journal answers, {len(survive)} survive the "
        f"false-discovery control (Benjamini–Hochberg, q ≤ {FDR_Q}); an effect is the change in the next day's "
        f"recovery after a yes, adjusted for {adjusted or 'day of week and strain'}, fitted on your whole journal."
        + (f" Too few answers yet: {', '.join(too_few['QUESTION_TEXT'].astype(str))}." if not too_few.empty else "")
    )


def what_if() -> None:
    """Tomorrow's recovery if tonight's sleep were the plan: OPS.WHAT_IF_SLEEP, called on demand (it loads the
    member's served model). The dashboard runs with the app's (owner's) rights, so no grant to the viewer's application
    role is needed (https://docs.snowflake.com/en/developer-guide/streamlit/owners-rights); the member is the one the
    sidebar offers the viewer."""
    st.subheader("What if: planned sleep tonight")
    member = st.session_state.get("_member")
    with st.form("what_if_form"):
        hours = st.number_input(
            "Planned sleep tonight (hours)", min_value=0.0, max_value=24.0, value=8.0, step=0.25, key="what_if_hours"
        )
        asked = st.form_submit_button("Predict tomorrow's recovery")
    if asked:
        try:
            raw = whoop_session.call(lambda s: s.sql(queries.WHAT_IF_SLEEP, params=[member, float(hours)]).collect())[
                0
            ][0]
        except whoop_session.WarehouseUnreachable as exc:
            ui.unreachable(exc)
        except Exception as exc:
            text = " ".join(str(exc).split())
            if "no evaluation for" in text:
                st.info(f"No what-if for {member} yet: {ML_HINT}.")
            else:
                st.warning(f"The what-if could not run: {text[:300]}")
            st.session_state.pop("_what_if", None)
            return
        st.session_state["_what_if"] = (member, float(hours), json.loads(raw) if isinstance(raw, str) else raw)
    kept = st.session_state.get("_what_if")
    if not kept or kept[0] != member or kept[1] != float(hours):
        st.caption("Set the hours you plan to sleep tonight, then predict tomorrow's recovery from the served model.")
        return
    out = kept[2]
    day = pd.to_datetime(str(out["target_date_key"]), format="%Y%m%d")
    st.metric(
        f"Recovery on {day:%a %d %b} after {float(out['planned_sleep_hours']):g} h of sleep",
        f"{float(out['prediction']):.0f} %",
        f"80 % interval {float(out['interval_low']):.0f}–{float(out['interval_high']):.0f}; served by "
        f"{served_label(str(out['served_by']))}, NEXT_DAY_RECOVERY {out['model_version']}",
        delta_color="off",
    )
    if out.get("uses_sleep"):
        st.caption(
            f"The served model with last night's sleep set to the plan ({float(out['sleep_coefficient']):+.2f} points "
            "per SD of sleep vs your 28-day baseline); the interval is the model's walk-forward 80 % interval."
        )
    else:
        st.caption(f"{out['note']}: tomorrow's forecast does not depend on tonight's plan.")


habits()
what_if()

if ui.section("Model evaluation (walk-forward)", evals, f"No evaluation for this member yet: {ML_HINT}."):
    evals["PREDICTOR"] = evals["PREDICTOR"].astype(str)
    st.dataframe(evals, hide_index=True, width="stretch")  # the query's columns, in its order
    served = evals[evals["IS_SERVED"].astype(bool)]
    if not served.empty:
        row = served.iloc[0]
        st.caption(
            f"Served: {served_label(str(row['PREDICTOR']))} of {row['MODEL_NAME']} {row['MODEL_VERSION']} — "
            f"{row['SERVING_REASON']}. Skill = 1 − MAE / MAE of the best baseline."
        )

if ui.section("Flagged nights", anomalies, "No flagged nights in this range."):
    st.metric("Flagged nights in range", f"{len(anomalies)}")
    st.dataframe(anomalies[["FULL_DATE", "SIGNALS", "REASON"]], hide_index=True, width="stretch")
