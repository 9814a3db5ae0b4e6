"""Handlers of OPS.TRAIN_ML, OPS.SCORE_ML and OPS.DETECT_ANOMALIES_ML, and the CLI's backtest.

TRAIN_ML (weekly): per member, walk-forward evaluation → ML.EVALUATIONS (one row per predictor), then
the model refit on all known rows and logged to the registry with its metrics. SCORE_ML (daily): per
member, tomorrow's recovery from the newest evaluation's serving decision — the model only where it
beat the best baseline — with an 80 % interval from that predictor's walk-forward residuals.
Rows are written with one INSERT … SELECT over a JSON array (Snowpark DataFrame writes are not
available on the local warehouse, and one statement per batch is cheaper in Snowflake too).
"""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime
from typing import Any

import pandas as pd

from snowpark_procs.ml import anomalies, forecast
from snowpark_procs.ml.features import load_features, member_key_for
from snowpark_procs.ml.registry import open_registry

MIN_HISTORY = 60
RETRAIN_EVERY = 14


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def _clean(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _insert(session: Any, table: str, columns: list[str], casts: list[str], rows: list[list[Any]]) -> int:
    if not rows:
        return 0
    select = ", ".join(f"r.value[{i}]::{cast}" for i, cast in enumerate(casts))
    payload = json.dumps([[_clean(v) for v in row] for row in rows], default=str)
    session.sql(
        f"INSERT INTO {table} ({', '.join(columns)}) SELECT {select} FROM TABLE(FLATTEN(INPUT => PARSE_JSON(?))) AS r",
        params=[payload],
    ).collect()
    return len(rows)


def _members(session: Any, member: str | None) -> dict[str, str]:
    """member key -> name, for one member or all of Gold's."""
    if member:
        key = member_key_for(session, member)
        if key is None:
            raise ValueError(f"no member {member!r} in GOLD.DIM_MEMBER")
        return {key: member}
    rows = session.sql("SELECT m.MEMBER_KEY, m.MEMBER_NAME FROM GOLD.DIM_MEMBER AS m ORDER BY m.MEMBER_NAME").collect()
    return {str(r[0]): str(r[1]) for r in rows}


def model_name_for(member_key: str) -> str:
    return f"{forecast.MODEL_NAME}_{member_key[:12].upper()}"


def backtest(session: Any, member: str) -> dict[str, Any]:
    """Walk-forward evaluation of one member (no writes): metrics per predictor and the serving decision."""
    keys = _members(session, member)
    key = next(iter(keys))
    features = load_features(session, key)
    evaluation = forecast.evaluate(forecast.walk_forward(features, MIN_HISTORY, RETRAIN_EVERY))
    return {"member": member, "model_name": forecast.MODEL_NAME, **evaluation.to_dict()}


def train(session: Any, member: str | None = None) -> dict[str, Any]:
    """OPS.TRAIN_ML(MEMBER): evaluate, record, refit and register per member."""
    registry = open_registry(session)
    version = "V" + _now().strftime("%Y%m%d_%H%M%S")
    evaluated_at = _now().isoformat()
    summary: dict[str, Any] = {"version": version, "members": {}}
    rows = []
    for key, name in _members(session, member).items():
        features = load_features(session, key)
        evaluation = forecast.evaluate(forecast.walk_forward(features, MIN_HISTORY, RETRAIN_EVERY))
        for predictor, m in evaluation.metrics.items():
            low, high = evaluation.residual_quantiles[predictor]
            rows.append(
                [
                    key,
                    forecast.MODEL_NAME,
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
                    MIN_HISTORY,
                    RETRAIN_EVERY,
                    evaluated_at,
                ]
            )
        frame = forecast.model_frame(features)
        if frame[forecast.LABEL].notna().sum() >= MIN_HISTORY:
            estimator = forecast.fit(frame)
            metrics = {"served_by": evaluation.served_by, "skill": evaluation.skill, **evaluation.metrics["model"]}
            registry.log_model(estimator, model_name=model_name_for(key), version_name=version, metrics=metrics)
        summary["members"][name] = {"served_by": evaluation.served_by, "skill": _clean(evaluation.skill)}
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
        ],
        rows,
    )
    return summary


def _served(session: Any) -> pd.DataFrame:
    """The newest evaluation's served predictor per member."""
    frame = session.sql(
        """
WITH newest AS (
    SELECT e.MEMBER_KEY, MAX(e.EVALUATED_AT) AS EVALUATED_AT
    FROM ML.EVALUATIONS AS e
    GROUP BY e.MEMBER_KEY
)
SELECT e.MEMBER_KEY, e.MODEL_NAME, e.MODEL_VERSION, e.PREDICTOR, e.RESIDUAL_Q10, e.RESIDUAL_Q90
FROM ML.EVALUATIONS AS e
JOIN newest AS n ON n.MEMBER_KEY = e.MEMBER_KEY AND n.EVALUATED_AT = e.EVALUATED_AT
WHERE e.IS_SERVED
"""
    ).to_pandas()
    frame.columns = [str(c).upper() for c in frame.columns]
    return frame


def score(session: Any) -> dict[str, Any]:
    """OPS.SCORE_ML(): tomorrow's recovery per member from the newest evaluation → ML.FACT_PREDICTIONS."""
    registry = open_registry(session)
    predicted_at = _now().isoformat()
    rows = []
    for decision in _served(session).itertuples(index=False):
        features = load_features(session, decision.MEMBER_KEY)
        latest = features.iloc[[-1]]
        if decision.PREDICTOR == "model":
            model = registry.get_model(model_name_for(decision.MEMBER_KEY)).version(decision.MODEL_VERSION).load()
            value = float(forecast.predict(model, forecast.model_frame(latest))[0])
        else:
            value = float(latest[forecast.BASELINES[decision.PREDICTOR]].iloc[0])
        if not math.isfinite(value):
            continue
        low = min(max(value + float(decision.RESIDUAL_Q10), 0.0), 100.0)
        high = min(max(value + float(decision.RESIDUAL_Q90), 0.0), 100.0)
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
            ]
        )
    for row in rows:  # a re-run for the same target and version replaces its prediction
        session.sql(
            "DELETE FROM ML.FACT_PREDICTIONS WHERE MEMBER_KEY = ? AND TARGET_DATE_KEY = ? AND MODEL_VERSION = ?",
            params=[row[0], row[1], row[3]],
        ).collect()
    written = _insert(
        session,
        "ML.FACT_PREDICTIONS",
        [
            "MEMBER_KEY",
            "TARGET_DATE_KEY",
            "MODEL_NAME",
            "MODEL_VERSION",
            "SERVED_BY",
            "PREDICTION",
            "INTERVAL_LOW",
            "INTERVAL_HIGH",
            "PREDICTED_AT",
        ],
        ["STRING", "NUMBER", "STRING", "STRING", "STRING", "FLOAT", "FLOAT", "FLOAT", "TIMESTAMP_NTZ"],
        rows,
    )
    return {"predictions": written}


def detect_anomalies(session: Any) -> dict[str, Any]:
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
