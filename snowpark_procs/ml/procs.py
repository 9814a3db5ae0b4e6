"""Handlers of OPS.TRAIN_ML, OPS.SCORE_ML and OPS.DETECT_ANOMALIES_ML, and the CLI's backtest.

TRAIN_ML (weekly): per member, walk-forward evaluation → ML.EVALUATIONS (one row per predictor), then
the model refit on all known rows and logged to the registry with its metrics. SCORE_ML (daily): per
member, tomorrow's recovery from the newest evaluation's serving decision — the model only where it
beat the best baseline — with an 80 % interval from that predictor's newest walk-forward residuals (conformal
order statistics, clipped to 0–100; the evaluation records how often such intervals held the actual), and what
drove the newest recovery (ML.FACT_RECOVERY_DRIVERS) where the drivers model is served.
TRAIN_ML also keeps each member's walk-forward predictions of the served predictor as history
(ML.FACT_PREDICTIONS, KIND WALK_FORWARD), so the forecast-vs-actual chart has months of out-of-sample days from the
first training on. Rows are written with one INSERT … SELECT over a JSON array per table (json_rows).
"""

from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import pandas as pd

from snowpark_procs.json_rows import flattened, insert_json_rows, json_value, rows_json
from snowpark_procs.ml import anomalies, drivers, forecast, journal, pooling, sleep_tonight
from snowpark_procs.ml.features import load_features, member_key_for
from snowpark_procs.ml.registry import open_registry

if TYPE_CHECKING:
    from snowflake.snowpark import Session

MIN_HISTORY = 60
# the walk-forward refits as often as OPS.ML_WEEKLY_RETRAIN_TASK does (sql/ml/01_ml.sql), so its
# figures are those of the forecasts members get between two retrains
RETRAIN_EVERY = 7


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def version_name(trained_at: datetime) -> str:
    """A training run's registry version: its UTC time to the microsecond, so two runs in one second (the weekly
    task and `whoop ml train`, or one member trained right after another) never log the same version name, which
    the registry refuses. Sorts as the runs were made."""
    return "V" + trained_at.strftime("%Y%m%d_%H%M%S_%f")


def _insert(session: Session, table: str, columns: list[str], casts: list[str], rows: list[list[Any]]) -> int:
    return insert_json_rows(session, table, columns, casts, rows)


def _members(session: Session, member: str | None) -> dict[str, str]:
    """member key -> name, for one member or all of Gold's."""
    if member:
        key = member_key_for(session, member)
        if key is None:
            raise ValueError(f"no member {member!r} in GOLD.DIM_MEMBER")
        return {key: member}
    rows = session.sql("SELECT m.MEMBER_KEY, m.MEMBER_NAME FROM GOLD.DIM_MEMBER AS m ORDER BY m.MEMBER_NAME").collect()
    return {str(r[0]): str(r[1]) for r in rows}


def model_name_for(member_key: str, model: str = forecast.MODEL_NAME) -> str:
    return f"{model}_{member_key[:12].upper()}"


def _evaluation_rows(
    key: str,
    model: str,
    version: str,
    evaluation: Any,
    evaluated_at: str,
    min_history: int = MIN_HISTORY,
    retrain_every: int | None = RETRAIN_EVERY,
) -> list[list[Any]]:
    rows = []
    for predictor, m in evaluation.metrics.items():
        low, high = evaluation.residual_quantiles[predictor]
        rows.append(
            [
                key,
                model,
                version,
                predictor,
                m["mae"],
                m["rmse"],
                m["n"],
                m.get("skill"),
                predictor == evaluation.best_baseline,
                predictor == evaluation.served_by,
                evaluation.reason,
                low,
                high,
                min_history,
                retrain_every,
                evaluated_at,
                m.get("interval_coverage"),
                m.get("interval_n", 0),
            ]
        )
    return rows


EFFECT_COLUMNS = [
    "MEMBER_KEY",
    "QUESTION_TEXT",
    "STATUS",
    "EFFECT_POINTS",
    "CI_LOW",
    "CI_HIGH",
    "N_YES",
    "N_NO",
    "P_VALUE",
    "Q_VALUE",
    "ADJUSTED_FOR",
    "SIGNIFICANT",
    "COMPUTED_AT",
]
ADJUSTED_FOR = "day of week of D+1, strain of D"


def behaviour_effects(session: Session, key: str, features: pd.DataFrame, computed_at: str) -> int:
    """One member's journal effects on next-day recovery → ML.BEHAVIOUR_EFFECTS (the member's rows replaced).

    Members without a journal get no rows; a question answered fewer than 3 times either way gets a row with
    STATUS TOO_FEW_ANSWERS, its counts and no effect (journal.effects)."""
    answers = session.sql(
        "SELECT j.DATE_KEY, TRIM(j.QUESTION_TEXT) AS QUESTION_TEXT, j.ANSWERED_YES FROM GOLD.FACT_JOURNAL AS j "
        "WHERE j.MEMBER_KEY = ? AND j.ANSWERED_YES IS NOT NULL",
        params=[key],
    ).to_pandas()
    answers.columns = [str(c).upper() for c in answers.columns]
    session.sql("DELETE FROM ML.BEHAVIOUR_EFFECTS WHERE MEMBER_KEY = ?", params=[key]).collect()
    if answers.empty:
        return 0
    answers["DATE_KEY"] = answers["DATE_KEY"].astype(int)
    answers = answers.drop_duplicates(["DATE_KEY", "QUESTION_TEXT"], keep="last")
    days = features[["DATE_KEY", "DAY_STRAIN_SCORE", "NEXT_DAY_OF_WEEK", "TARGET_RECOVERY"]]
    out = journal.effects(days, answers)
    rows = [
        [
            key,
            r.QUESTION_TEXT,
            r.STATUS,
            r.EFFECT,
            r.CI_LOW,
            r.CI_HIGH,
            int(r.N_YES),
            int(r.N_NO),
            r.P_VALUE,
            r.Q_VALUE,
            ADJUSTED_FOR,
            None if r.SIGNIFICANT is None else bool(r.SIGNIFICANT),
            computed_at,
        ]
        for r in out.itertuples(index=False)
    ]
    casts = ["STRING", "STRING", "STRING", "FLOAT", "FLOAT", "FLOAT", "NUMBER", "NUMBER", "FLOAT", "FLOAT", "STRING"]
    return _insert(session, "ML.BEHAVIOUR_EFFECTS", EFFECT_COLUMNS, [*casts, "BOOLEAN", "TIMESTAMP_NTZ"], rows)


def backtest(session: Session, member: str) -> dict[str, Any]:
    """Walk-forward evaluation of one member (no writes): metrics per predictor and the serving decision."""
    keys = _members(session, member)
    key = next(iter(keys))
    everyone = pooling.by_member(load_features(session))  # the prior is fit on the other members' days
    features = everyone[key] if key in everyone else load_features(session, key)
    prior = pooling.out_of_fold_priors(everyone).get(key)
    walked = forecast.walk_forward(features, forecast.history_needed(prior), RETRAIN_EVERY, prior)
    evaluation = forecast.evaluate(walked)
    return {"member": member, "model_name": forecast.MODEL_NAME, **evaluation.to_dict()}


def train(session: Session, member: str | None = None) -> dict[str, Any]:
    """OPS.TRAIN_ML(MEMBER): evaluate, record, refit and register per member."""
    return train_members(session, _members(session, member))


def newcomers(session: Session) -> dict[str, str]:
    """Members (key -> name) whose forecasts would otherwise wait for the weekly retrain: enough days for a
    walk-forward prediction (forecast.MIN_HISTORY, plus the day it forecasts) but no next-day evaluation that made
    one — a member who has just connected or imported an export, or just reached their first two weeks."""
    query = f"""
WITH evaluated AS (
    SELECT DISTINCT e.MEMBER_KEY
    FROM ML.EVALUATIONS AS e
    WHERE e.MODEL_NAME = '{forecast.MODEL_NAME}' AND e.PREDICTOR = 'model' AND e.N_PREDICTIONS > 0
),
history AS (
    SELECT r.MEMBER_KEY, COUNT(DISTINCT r.DATE_KEY) AS DAYS
    FROM GOLD.FACT_DAILY_RECOVERY AS r
    WHERE r.RECOVERY_SCORE IS NOT NULL
    GROUP BY r.MEMBER_KEY
)
SELECT m.MEMBER_KEY, m.MEMBER_NAME
FROM GOLD.DIM_MEMBER AS m
JOIN history AS h ON h.MEMBER_KEY = m.MEMBER_KEY
LEFT JOIN evaluated AS v ON v.MEMBER_KEY = m.MEMBER_KEY
WHERE v.MEMBER_KEY IS NULL AND h.DAYS > {forecast.MIN_HISTORY + 1}
ORDER BY m.MEMBER_NAME
"""
    return {str(r[0]): str(r[1]) for r in session.sql(query).collect()}


def train_members(session: Session, members: dict[str, str]) -> dict[str, Any]:
    """Evaluate, record, refit and register each member (key -> name), all under one registry version."""
    registry = open_registry(session)
    now = _now()
    version, evaluated_at = version_name(now), now.isoformat()
    summary: dict[str, Any] = {"version": version, "members": {}}
    rows = []
    everyone = pooling.by_member(load_features(session))  # one query; each member's prior is the others' fit
    priors = pooling.out_of_fold_priors(everyone)
    for key, name in members.items():
        features = everyone[key] if key in everyone else load_features(session, key)
        prior = priors.get(key)
        start = forecast.history_needed(prior)
        evaluation = forecast.evaluate(forecast.walk_forward(features, start, RETRAIN_EVERY, prior))
        rows += _evaluation_rows(key, forecast.MODEL_NAME, version, evaluation, evaluated_at, start, RETRAIN_EVERY)
        frame = forecast.model_frame(features)
        if frame[forecast.LABEL].notna().sum() >= start:
            estimator = forecast.fit(frame, prior)
            metrics = {"served_by": evaluation.served_by, "skill": evaluation.skill, **evaluation.metrics["model"]}
            registry.log_model(estimator, model_name=model_name_for(key), version_name=version, metrics=metrics)
        tonight = forecast.evaluate(
            sleep_tonight.walk_forward(features, MIN_HISTORY, RETRAIN_EVERY), sleep_tonight.BASELINES
        )
        rows += _evaluation_rows(key, sleep_tonight.MODEL_NAME, version, tonight, evaluated_at)
        evening = sleep_tonight.tonight_frame(features)
        if evening[sleep_tonight.LABEL].notna().sum() >= MIN_HISTORY:
            registry.log_model(
                sleep_tonight.fit(evening),
                model_name=model_name_for(key, sleep_tonight.MODEL_NAME),
                version_name=version,
                metrics={"served_by": tonight.served_by, "skill": tonight.skill, **tonight.metrics["model"]},
            )
        history = keep_history(
            session,
            key,
            {
                forecast.MODEL_NAME: history_rows(key, forecast.MODEL_NAME, version, evaluation, evaluated_at),
                sleep_tonight.MODEL_NAME: history_rows(key, sleep_tonight.MODEL_NAME, version, tonight, evaluated_at),
            },
        )
        explained, driver_rows = train_drivers(registry, key, version, features, evaluated_at)
        rows += driver_rows
        effects = behaviour_effects(session, key, features, evaluated_at)
        summary["members"][name] = {
            "served_by": evaluation.served_by,
            "skill": json_value(evaluation.skill),
            "interval_coverage": json_value(evaluation.interval()["coverage"]),
            "sleep_tonight_served_by": tonight.served_by,
            "sleep_tonight_skill": json_value(tonight.skill),
            "drivers_served_by": explained.served_by,
            "drivers_holdout_mae": json_value(explained.metrics["model"]["mae"]),
            "behaviour_effects": effects,
            "history_predictions": history,
        }
    _insert(
        session,
        "ML.EVALUATIONS",
        [
            "MEMBER_KEY",
            "MODEL_NAME",
            "MODEL_VERSION",
            "PREDICTOR",
            "MAE",
            "RMSE",
            "N_PREDICTIONS",
            "SKILL",
            "IS_BEST_BASELINE",
            "IS_SERVED",
            "SERVING_REASON",
            "RESIDUAL_Q10",
            "RESIDUAL_Q90",
            "MIN_HISTORY_DAYS",
            "RETRAIN_EVERY_DAYS",
            "EVALUATED_AT",
            "INTERVAL_COVERAGE",
            "INTERVAL_N",
        ],
        [
            "STRING",
            "STRING",
            "STRING",
            "STRING",
            "FLOAT",
            "FLOAT",
            "NUMBER",
            "FLOAT",
            "BOOLEAN",
            "BOOLEAN",
            "STRING",
            "FLOAT",
            "FLOAT",
            "NUMBER",
            "NUMBER",
            "TIMESTAMP_NTZ",
            "FLOAT",
            "NUMBER",
        ],
        rows,
    )
    return summary


def train_drivers(
    registry: Any, key: str, version: str, features: pd.DataFrame, evaluated_at: str
) -> tuple[Any, list[list[Any]]]:
    """The morning drivers model of one member: held-out evaluation (later 30 % of the days) against the
    no-morning-signal baselines → ML.EVALUATIONS rows, and a refit on all days logged to the registry."""
    usable = drivers.usable(drivers.driver_frame(features))
    if len(usable) >= MIN_HISTORY:
        held_out, trained_on, _ = drivers.holdout(features)
    else:  # too short a history to hold days out: no model, a baseline is served
        held_out, trained_on = pd.DataFrame(columns=["DATE_KEY", "ACTUAL", "model", *drivers.BASELINES]), 0
    evaluation = forecast.evaluate(held_out, drivers.BASELINES)
    rows = _evaluation_rows(key, drivers.MODEL_NAME, version, evaluation, evaluated_at, trained_on, None)
    if len(usable) >= MIN_HISTORY:
        registry.log_model(
            drivers.fit(usable),
            model_name=model_name_for(key, drivers.MODEL_NAME),
            version_name=version,
            metrics={"served_by": evaluation.served_by, "skill": evaluation.skill, **evaluation.metrics["model"]},
        )
    return evaluation, rows


DRIVER_COLUMNS = ["MEMBER_KEY", *drivers.EXPLANATION_COLUMNS, "MODEL_NAME", "MODEL_VERSION", "COMPUTED_AT"]
DRIVER_CASTS = ["STRING", "NUMBER", "STRING", *["FLOAT"] * 8, "STRING", "STRING", "TIMESTAMP_NTZ"]


def explain_drivers(session: Session, registry: Any, decision: Any, features: pd.DataFrame, computed_at: str) -> int:
    """What drove the member's newest recovery → ML.FACT_RECOVERY_DRIVERS, one row per driver; the
    member-day's earlier rows (an earlier run, or another model version) are replaced."""
    name = model_name_for(decision.MEMBER_KEY, drivers.MODEL_NAME)
    model = registry.get_model(name).version(decision.MODEL_VERSION).load()
    explained = drivers.explain_latest(model, features)
    if explained.empty:
        return 0
    day = int(explained["DATE_KEY"].iloc[0])
    session.sql(
        "DELETE FROM ML.FACT_RECOVERY_DRIVERS WHERE MEMBER_KEY = ? AND DATE_KEY = ?", params=[decision.MEMBER_KEY, day]
    ).collect()
    rows = [
        [decision.MEMBER_KEY, *r, drivers.MODEL_NAME, decision.MODEL_VERSION, computed_at]
        for r in explained.itertuples(index=False)
    ]
    return _insert(session, "ML.FACT_RECOVERY_DRIVERS", DRIVER_COLUMNS, DRIVER_CASTS, rows)


PREDICTION_COLUMNS = [
    "MEMBER_KEY",
    "TARGET_DATE_KEY",
    "MODEL_NAME",
    "MODEL_VERSION",
    "SERVED_BY",
    "PREDICTION",
    "INTERVAL_LOW",
    "INTERVAL_HIGH",
    "PREDICTED_AT",
    "KIND",
]
PREDICTION_TYPES = [
    "STRING",
    "NUMBER",
    "STRING",
    "STRING",
    "STRING",
    "FLOAT",
    "FLOAT",
    "FLOAT",
    "TIMESTAMP_NTZ",
    "STRING",
]
FORECAST = "FORECAST"  # scored by SCORE_ML before the target day
WALK_FORWARD = "WALK_FORWARD"  # kept by TRAIN_ML: the served predictor's out-of-sample history


def history_rows(
    key: str, model: str, version: str, evaluation: forecast.Evaluation, written_at: str
) -> list[list[Any]]:
    """The served predictor's walk-forward predictions of one member and model as ML.FACT_PREDICTIONS rows (KIND
    WALK_FORWARD): each made by a fit on the days before it only, with the 80 % interval it would have been served
    with (from the residuals known by then; NULL until 30 were, forecast.walk_forward_intervals)."""
    predictions = evaluation.predictions
    if predictions is None or predictions.empty:
        return []
    served = evaluation.served_by
    ordered = predictions.sort_values("DATE_KEY", kind="stable").reset_index(drop=True)
    bounds = forecast.walk_forward_intervals(ordered, served)  # same order: DATE_KEY, stable
    rows = []
    for target, value, low, high in zip(
        ordered["TARGET_DATE_KEY"], ordered[served], bounds["LOW"], bounds["HIGH"], strict=True
    ):
        if not math.isfinite(float(value)):
            continue
        rows.append([key, int(target), model, version, served, float(value), low, high, written_at, WALK_FORWARD])
    return rows


def keep_history(session: Session, key: str, rows_by_model: dict[str, list[list[Any]]]) -> int:
    """Replace the member's walk-forward history of each model (whatever version wrote it) with `rows_by_model`:
    a retrain leaves one history per member and model, the new version's."""
    for model in rows_by_model:
        session.sql(
            "DELETE FROM ML.FACT_PREDICTIONS WHERE MEMBER_KEY = ? AND MODEL_NAME = ? AND KIND = 'WALK_FORWARD'",
            params=[key, model],
        ).collect()
    rows = [row for model_rows in rows_by_model.values() for row in model_rows]
    return _insert(session, "ML.FACT_PREDICTIONS", PREDICTION_COLUMNS, PREDICTION_TYPES, rows)


def _served(session: Session) -> pd.DataFrame:
    """The newest evaluation's served predictor per member and model (unquoted names: upper-case columns)."""
    return session.sql(
        """
WITH newest AS (
    SELECT e.MEMBER_KEY, e.MODEL_NAME, MAX(e.EVALUATED_AT) AS EVALUATED_AT
    FROM ML.EVALUATIONS AS e
    GROUP BY e.MEMBER_KEY, e.MODEL_NAME
)
SELECT e.MEMBER_KEY, e.MODEL_NAME, e.MODEL_VERSION, e.PREDICTOR, e.RESIDUAL_Q10, e.RESIDUAL_Q90
FROM ML.EVALUATIONS AS e
JOIN newest AS n
    ON n.MEMBER_KEY = e.MEMBER_KEY AND n.MODEL_NAME = e.MODEL_NAME AND n.EVALUATED_AT = e.EVALUATED_AT
WHERE e.IS_SERVED
"""
    ).to_pandas()


def _interval(value: float, q10: Any, q90: Any) -> tuple[float, float]:
    """The served 80 % interval, clipped to 0–100; a bound without a residual quantile (too few walk-forward
    residuals for that order statistic: stored as NULL) is the end of the scale."""
    low = float(q10) if q10 is not None and math.isfinite(float(q10)) else -math.inf
    high = float(q90) if q90 is not None and math.isfinite(float(q90)) else math.inf
    return forecast.clipped_interval(value, low, high)


_SERVABLE = {forecast.MODEL_NAME, sleep_tonight.MODEL_NAME}


def score(session: Session) -> dict[str, Any]:
    """OPS.SCORE_ML(): tomorrow's recovery per member from the newest evaluation → ML.FACT_PREDICTIONS, and
    what drove each member's newest recovery → ML.FACT_RECOVERY_DRIVERS (both idempotent). Newcomers are trained
    first (`newcomers`): a member is forecast from their first two weeks, not from the next weekly retrain."""
    arrived = newcomers(session)
    failed: Exception | None = None
    if arrived:
        try:
            train_members(session, arrived)
        except Exception as e:  # the others are still scored; the failure is raised once they are
            failed = e
    registry = open_registry(session)
    predicted_at = _now().isoformat()
    rows = []
    explained = 0
    loaded: dict[str, pd.DataFrame] = {}
    for decision in _served(session).itertuples(index=False):
        if decision.MODEL_NAME not in _SERVABLE and decision.MODEL_NAME != drivers.MODEL_NAME:
            continue
        if decision.MEMBER_KEY not in loaded:
            loaded[decision.MEMBER_KEY] = load_features(session, decision.MEMBER_KEY)
        features = loaded[decision.MEMBER_KEY]
        if decision.MODEL_NAME == drivers.MODEL_NAME:
            if decision.PREDICTOR == "model":  # a baseline explains nothing: no drivers for that member
                explained += explain_drivers(session, registry, decision, features, predicted_at)
            continue
        if decision.MODEL_NAME == sleep_tonight.MODEL_NAME:
            module, latest = sleep_tonight, sleep_tonight.tonight_frame(features).iloc[[-1]]
            frame = latest
        else:
            module, latest = forecast, features.iloc[[-1]]
            frame = forecast.model_frame(latest)
        if decision.PREDICTOR == "model":
            name = model_name_for(decision.MEMBER_KEY, decision.MODEL_NAME)
            model = registry.get_model(name).version(decision.MODEL_VERSION).load()
            value = float(module.predict(model, frame)[0])
        else:
            value = float(latest[module.BASELINES[decision.PREDICTOR]].iloc[0])
        if not math.isfinite(value):
            continue
        low, high = _interval(value, decision.RESIDUAL_Q10, decision.RESIDUAL_Q90)
        rows.append(
            [
                decision.MEMBER_KEY,
                int(latest["TARGET_DATE_KEY"].iloc[0]),
                decision.MODEL_NAME,
                decision.MODEL_VERSION,
                decision.PREDICTOR,
                value,
                low,
                high,
                predicted_at,
                FORECAST,
            ]
        )
    if rows:  # one forecast per member, target day and model: a re-run replaces it, also after a retrain (the
        # newest model's number is the one shown), in one DELETE … USING the rows
        # https://docs.snowflake.com/en/sql-reference/sql/delete (USING)
        keys = PREDICTION_COLUMNS[:3]
        session.sql(
            f"DELETE FROM ML.FACT_PREDICTIONS AS p USING ({flattened(PREDICTION_TYPES[:3], keys)}) AS n "
            f"WHERE p.KIND = '{FORECAST}' AND " + " AND ".join(f"p.{k} = n.{k}" for k in keys),
            params=[rows_json([row[:3] for row in rows])],
        ).collect()
    written = _insert(session, "ML.FACT_PREDICTIONS", PREDICTION_COLUMNS, PREDICTION_TYPES, rows)
    if failed is not None:
        names = ", ".join(sorted(arrived.values()))
        raise RuntimeError(f"scored {written} forecast(s), but training the new member(s) {names} failed: {failed}")
    return {"predictions": written, "driver_rows": explained, "trained": sorted(arrived.values())}


def detect_anomalies(session: Session) -> dict[str, Any]:
    """OPS.DETECT_ANOMALIES_ML(): flagged nights per member → ML.FACT_ANOMALIES (rebuilt per run)."""
    features = load_features(session)
    if features.empty:
        return {"anomalies": 0}
    detected = anomalies.detect(features)
    flagged = detected[detected["FLAGGED"]]
    detected_at = _now().isoformat()
    rows = [
        [
            r.MEMBER_KEY,
            int(r.DATE_KEY),
            ",".join(r.SIGNALS),
            r.Z_HRV_DOWN,
            r.Z_RHR_UP,
            r.Z_RESP_UP,
            r.Z_SKIN_TEMP_UP,
            r.IF_SCORE,
            r.REASON,
            detected_at,
        ]
        for r in flagged.itertuples(index=False)
    ]
    session.sql("DELETE FROM ML.FACT_ANOMALIES").collect()
    written = _insert(
        session,
        "ML.FACT_ANOMALIES",
        [
            "MEMBER_KEY",
            "DATE_KEY",
            "SIGNALS",
            "Z_HRV_DOWN",
            "Z_RHR_UP",
            "Z_RESP_UP",
            "Z_SKIN_TEMP_UP",
            "IF_SCORE",
            "REASON",
            "DETECTED_AT",
        ],
        ["STRING", "NUMBER", "STRING", "FLOAT", "FLOAT", "FLOAT", "FLOAT", "FLOAT", "STRING", "TIMESTAMP_NTZ"],
        rows,
    )
    return {"anomalies": written}


def what_if_frame(latest: pd.DataFrame, planned_sleep_hours: float) -> pd.DataFrame:
    """The newest feature row with last night's sleep replaced by the planned hours (the 28-day
    baseline it is compared with is left as it is)."""
    planned = latest.copy()
    planned["TOTAL_SLEEP_MINUTES"] = float(planned_sleep_hours) * 60.0
    return forecast.model_frame(planned)


def what_if_sleep(session: Session, member: str, planned_sleep_hours: float) -> dict[str, Any]:
    """OPS.WHAT_IF_SLEEP(MEMBER, PLANNED_SLEEP_HOURS): tomorrow's recovery if tonight's sleep were the plan.

    Uses the served next-day model with its sleep input (SLEEP_Z, the newest night's total sleep vs the
    28-day baseline) set to the plan. The model learned how a night's sleep moves the following day's
    recovery, so this is an approximation of tonight's effect; where a baseline is served it does not
    depend on sleep and the baseline is returned with `uses_sleep` FALSE and a note saying so."""
    if planned_sleep_hours is None or not 0 <= float(planned_sleep_hours) <= 24:
        raise ValueError("PLANNED_SLEEP_HOURS must be between 0 and 24")
    key = next(iter(_members(session, member)))
    served = _served(session)
    served = served[(served["MEMBER_KEY"] == key) & (served["MODEL_NAME"] == forecast.MODEL_NAME)]
    if served.empty:
        raise ValueError(f"no evaluation for {member!r} yet: run OPS.TRAIN_ML first")
    decision = served.iloc[0]
    latest = load_features(session, key).iloc[[-1]]
    out: dict[str, Any] = {
        "member": member,
        "planned_sleep_hours": float(planned_sleep_hours),
        "target_date_key": int(latest["TARGET_DATE_KEY"].iloc[0]),
        "model_version": decision["MODEL_VERSION"],
        "served_by": decision["PREDICTOR"],
    }
    if decision["PREDICTOR"] == "model":
        name = model_name_for(key)
        model: Any = open_registry(session).get_model(name).version(decision["MODEL_VERSION"]).load()  # a Ridge
        value = float(forecast.predict(model, what_if_frame(latest, planned_sleep_hours))[0])
        coef = dict(zip(forecast.INPUTS, map(float, model.to_sklearn().coef_.ravel()), strict=True))
        out.update(uses_sleep=True, sleep_coefficient=coef["SLEEP_Z"], note="served model, sleep input set to the plan")
    else:
        value = float(latest[forecast.BASELINES[decision["PREDICTOR"]]].iloc[0])
        out.update(
            uses_sleep=False,
            sleep_coefficient=None,
            note=f"{decision['PREDICTOR']} is served (the model did not beat it); the plan does not change it",
        )
    low, high = _interval(value, decision["RESIDUAL_Q10"], decision["RESIDUAL_Q90"])
    out.update(prediction=json_value(value), interval_low=json_value(low), interval_high=json_value(high))
    return out
