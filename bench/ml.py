"""ML figures (issue 5): next-day recovery skill over the best naive baseline, and the time to train
(walk-forward evaluation + final fit + registry) and score one member-year.

Set-up as in bench/medallion.py: the sandbox generator's year of payloads is loaded into Bronze and
built to Gold (not measured); then OPS.TRAIN_ML and OPS.SCORE_ML are called as the tasks would call them.
"""

from __future__ import annotations

import json
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path

from bench.harness import Recorder, free_port, serve
from bench.medallion import _build, _load, _payloads
from infra.local import pipeline
from infra.local.settings import Settings


def run(rec: Recorder, quick: bool = False) -> None:
    from infra.local.warehouse.server import create_app as warehouse_app

    days = 120 if quick else 365
    history, newest, ids = _payloads(11, ["m000"], days)
    for table, rows in newest.items():
        history.setdefault(table, []).extend(rows)
    with ExitStack() as stack, tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        settings = Settings(home=home, host="127.0.0.1", warehouse_port=free_port(), sandbox_port=free_port(), seed=11)
        stack.enter_context(serve(warehouse_app(home / "warehouse", settings.warehouse_url), settings.warehouse_port))
        pipeline.deploy_local(settings, quiet=True, start_stack=False)
        conn = pipeline.connect(settings)
        try:
            cur = conn.cursor()
            for name, user_id in ids.items():
                cur.execute(
                    "INSERT INTO CONFIG.MEMBERS (MEMBER_NAME, WHOOP_USER_ID, STATUS, AUTHORIZED_AT) "
                    "SELECT %s, %s, 'ACTIVE', SYSDATE()",
                    (name, user_id),
                )
            _load(cur, history)
            _build(settings)
            start = time.perf_counter()
            cur.execute("CALL OPS.TRAIN_ML(NULL)")
            version = json.loads(cur.fetchone()[0])["version"]
            train = time.perf_counter() - start
            start = time.perf_counter()
            cur.execute("CALL OPS.SCORE_ML()")
            score = time.perf_counter() - start
            cur.execute(
                "SELECT PREDICTOR, MAE, N_PREDICTIONS, SKILL, IS_SERVED FROM ML.EVALUATIONS WHERE MODEL_VERSION = %s",
                (version,),
            )
            evaluation = {row[0]: row[1:] for row in cur.fetchall()}
        finally:
            conn.close()
    model = evaluation["model"]
    baselines = {k: v for k, v in evaluation.items() if k != "model"}
    best = min(baselines, key=lambda k: baselines[k][0])
    served = next(k for k, v in evaluation.items() if v[3])
    rec.add(
        "ml_next_day_recovery_skill",
        float(model[2]),
        "ratio",
        f"1 − MAE(model) / MAE({best}) over {int(model[1])} walk-forward days of one member",
        note=f"model MAE {model[0]:.2f} vs {best} {baselines[best][0]:.2f}; served: {served}; "
        "honest gains are single digits to ~20 %",
    )
    rec.add(
        "ml_train_seconds_per_member_year",
        train * 365 / days,
        "s",
        "OPS.TRAIN_ML for one member: walk-forward (60-day minimum, retrain every 14 days), refit, registry",
    )
    rec.add("ml_score_seconds_per_member", score, "s", "OPS.SCORE_ML for one member: features, serve, insert")
