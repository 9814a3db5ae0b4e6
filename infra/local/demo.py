"""`whoop demo`: the whole local path in one command: stack, deploy, sandbox members, a run, an export, the ML.

Local only (it starts the local stack and authorizes the sandbox's members). Each step is a progress event; the
summary is returned (and written to WHOOP_HOME/demo-summary.json) for the CLI to print.
"""

from __future__ import annotations

import json
import time
from typing import Any

import requests
import snowflake.connector

from infra.local import stack
from infra.local.auth import auth, sandbox_members
from infra.local.deploy import DATABASE, connect, deploy_local
from infra.local.errors import WhoopError
from infra.local.importing import import_export
from infra.local.run import Progress, run_local
from infra.local.settings import Settings

LAYERS = ("BRONZE", "SILVER", "GOLD", "ML", "OPS", "CONFIG")


def table_counts(settings: Settings) -> dict[str, dict[str, int]]:
    """Rows per table in each pipeline layer."""
    conn = connect(settings)
    try:
        cur = conn.cursor()
        cur.execute(
            f"SELECT TABLE_SCHEMA, TABLE_NAME FROM {DATABASE}.INFORMATION_SCHEMA.TABLES "
            f"WHERE TABLE_SCHEMA IN ({', '.join(repr(s) for s in LAYERS)}) AND TABLE_TYPE = 'BASE TABLE' "
            "ORDER BY TABLE_SCHEMA, TABLE_NAME"
        )
        counts: dict[str, dict[str, int]] = {}
        for schema, table in cur.fetchall():
            cur.execute(f'SELECT COUNT(*) FROM {DATABASE}."{schema}"."{table}"')
            counts.setdefault(schema, {})[table] = int(cur.fetchone()[0])
        return counts
    finally:
        conn.close()


def demo(settings: Settings, progress: Progress | None = None) -> dict[str, Any]:
    """Start the stack, deploy, authorize the sandbox members, run the pipeline, train the models; returns the
    summary (also written to WHOOP_HOME/demo-summary.json)."""
    step = progress or (lambda _line: None)
    started = time.monotonic()
    step(f"starting the local stack (warehouse {settings.warehouse_url}, WHOOP sandbox {settings.sandbox_url})…")
    stack.up(settings)
    step("deploying the app (setup script, migrations)…")
    deployed = deploy_local(settings)["files"]
    step(f"  {len(deployed)} SQL files on the app's stage")
    known = sandbox_members(settings)
    step(f"authorizing {len(known)} sandbox member(s): {', '.join(known)}…")
    members = auth(settings)
    step("running the pipeline (first run: every member's full history)…")
    run = run_local(settings, progress)
    step(f"  {sum(m['new_versions'] for m in run['members'])} new record versions in Bronze")
    exported = None
    if members:
        step(f"importing the CSV export of {members[0]}…")
        exported = _demo_export(settings, members[0])
        step(f"  {len(exported['files'])} file(s) imported; running the pipeline again…")
        run = run_local(settings)  # the export's journal and any older history reach Gold
    step("training, scoring and explaining the ML models…")
    ml = _demo_ml(settings)
    step("counting rows per layer…")
    counts = table_counts(settings)
    summary = {
        "elapsed_seconds": round(time.monotonic() - started, 1),
        "warehouse_url": settings.warehouse_url,
        "sandbox_url": settings.sandbox_url,
        "sql_files_deployed": len(deployed),
        "members": members,
        "export_imported": exported,
        "tasks": run["tasks"],
        "data_quality": run.get("data_quality"),
        "ml": ml,
        "dynamic_tables_refreshed": run["dynamic_tables_refreshed"],
        "rows": counts,
    }
    settings.home.mkdir(parents=True, exist_ok=True)
    (settings.home / "demo-summary.json").write_text(json.dumps(summary, indent=2, default=str))
    return summary


def _demo_export(settings: Settings, member: str) -> dict[str, Any]:
    """The member's WHOOP app export, as the sandbox writes it, imported like `whoop import-export`."""
    from infra.local.sandbox.export import write_export

    truth = requests.get(f"{settings.sandbox_url}/_sandbox/truth/{member}", timeout=60)
    truth.raise_for_status()
    folder = settings.home / "exports" / member
    folder.mkdir(parents=True, exist_ok=True)
    write_export(truth.json(), folder)
    result = import_export(settings, folder, member)
    return {"member": member, "folder": str(folder), "files": result["files"]}


def _demo_ml(settings: Settings) -> dict[str, Any]:
    """What the weekly retrain and the daily scoring tasks do, once: train (walk-forward backtest, serving
    rule, registry), score tomorrow and explain the newest recovery, detect anomalies; returns what is served
    per member and the recovery drivers written (rows, members, held-out MAE of the drivers model)."""
    conn = connect(settings)
    try:
        cur = conn.cursor()
        for statement in ("CALL OPS.TRAIN_ML(NULL)", "CALL OPS.SCORE_ML()", "CALL OPS.DETECT_ANOMALIES_ML()"):
            cur.execute(statement)
        cur.execute(
            "SELECT MEMBER_KEY, MODEL_NAME, PREDICTOR, SKILL FROM ML.EVALUATIONS WHERE IS_SERVED "
            "QUALIFY ROW_NUMBER() OVER (PARTITION BY MEMBER_KEY, MODEL_NAME ORDER BY EVALUATED_AT DESC) = 1"
        )
        served = [{"member_key": k, "model": m, "served_by": p, "skill": sk} for k, m, p, sk in cur.fetchall()]
        cur.execute("SELECT COUNT(*) FROM ML.FACT_PREDICTIONS")
        predictions = cur.fetchone()[0]
        cur.execute("SELECT COUNT(*) FROM ML.FACT_ANOMALIES")
        anomalies = cur.fetchone()[0]
        cur.execute("SELECT COUNT(*), COUNT(DISTINCT MEMBER_KEY) FROM ML.FACT_RECOVERY_DRIVERS")
        driver_rows, explained = cur.fetchone()
        cur.execute(
            "SELECT AVG(e.MAE) FROM (SELECT MAE FROM ML.EVALUATIONS WHERE MODEL_NAME = 'RECOVERY_DRIVERS' "
            "AND PREDICTOR = 'model' QUALIFY ROW_NUMBER() OVER (PARTITION BY MEMBER_KEY ORDER BY EVALUATED_AT DESC) = 1"
            ") AS e"
        )
        drivers_mae = cur.fetchone()[0]
    except snowflake.connector.errors.ProgrammingError as e:
        raise WhoopError(f"the ML step failed: {' '.join(str(e.msg).split())}") from None
    finally:
        conn.close()
    drivers = {"rows": driver_rows, "members": explained, "holdout_mae": drivers_mae}
    return {"served": served, "predictions": predictions, "anomalies": anomalies, "recovery_drivers": drivers}
