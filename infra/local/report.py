"""What the `whoop` CLI prints, as lines: each job returns its result, the CLI prints these (and nothing else
prints). Kept apart from cli.py so the wording of every command's output is in one place."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from snowpark_procs.run_status import FINALIZER

RUN_HEADER = "running the pipeline: ingest of every member, Silver, data quality, Gold refresh, then scoring…"
LAYERS = ("BRONZE", "SILVER", "GOLD", "ML", "OPS", "CONFIG")


def deployed(result: dict[str, Any]) -> list[str]:
    return [
        f"installed the app {result['app']} ({len(result['files'])} SQL files on its stage) "
        f"on {result['warehouse_url']}",
        f"applied {len(result['applied'])} migrations to {result['reporting_database']} "
        f"(up to date: {not result['applied']})",
    ]


def run(result: dict[str, Any]) -> list[str]:
    """Per member what the ingest did, the tasks in one line (each failure on its own), Gold and quality counts."""
    from snowpark_procs.run_status import member_reason

    lines = []
    for m in result["members"]:
        if m["status"] == "SUCCEEDED":
            lines.append(f"  {m['member']}: {m['records']} records read, {m['new_versions']} new versions")
        else:
            lines.append(f"  {member_reason(m)}")
    states: dict[str, int] = {}
    for t in result["tasks"]:
        states[t["state"]] = states.get(t["state"], 0) + 1
    lines.append("  tasks: " + ", ".join(f"{n} {state.lower()}" for state, n in sorted(states.items())))
    members_failed = any(m["status"] != "SUCCEEDED" for m in result["members"])
    for t in result["tasks"]:
        if t["state"] != "FAILED":
            continue
        if members_failed and t["task"].split(".")[-1] == FINALIZER:
            why = "it wrote the quality results, then failed the run because a member's ingest failed"
        else:
            why = " ".join(str(t["error"]).split())[:300]
        lines.append(f"  task {t['task']}: FAILED ({why})")
    refreshed = result["dynamic_tables_refreshed"]
    if refreshed is None:
        lines.append("  Gold: the dynamic tables refresh on their target lag")
    else:
        lines.append(f"  refreshed {len(refreshed)} dynamic table(s)")
    quality = result["data_quality"]
    if quality["checks"]:
        lines.append(
            f"  data quality: {quality['checks']} checks, {quality['failed']} failed "
            f"({quality['failed_error']} error, {quality['failed_warn']} warn)"
        )
    return lines


def imported(result: dict[str, Any]) -> list[str]:
    return [
        f"  {name}: {counts['rows']} rows, {counts['new']} new (staged at {counts['staged']})"
        for name, counts in result["files"].items()
    ]


def demo(summary: dict[str, Any], home: Path) -> list[str]:
    lines = [
        "WHOOP platform demo: local stack, sandbox members through Bronze → Silver → Gold",
        f"  warehouse {summary['warehouse_url']}   sandbox {summary['sandbox_url']}",
        f"  members: {', '.join(summary['members'])}",
    ]
    if summary.get("export_imported"):
        exported = summary["export_imported"]
        lines.append(f"  CSV export of {exported['member']} imported from {exported['folder']}")
    for t in summary["tasks"]:
        lines.append(f"  task {t['task']}: {t['state']}")
    if summary.get("data_quality"):
        dq = summary["data_quality"]
        errors, warnings = dq.get("failed_error"), dq.get("failed_warn")
        lines.append(f"  data quality: {dq.get('checks')} checks, {errors} failed (error), {warnings} failed (warning)")
    if summary.get("ml"):
        ml = summary["ml"]
        served = ", ".join(sorted({s["served_by"] for s in ml["served"]})) or "nothing yet"
        lines.append(f"  ML: {ml['predictions']} predictions, {ml['anomalies']} anomalies; served: {served}")
        drivers = ml.get("recovery_drivers") or {}
        if drivers.get("rows"):
            mae = drivers.get("holdout_mae")
            held_out = f"; held-out MAE {float(mae):.1f} (target < 10)" if mae is not None else ""
            rows = f"{drivers['rows']} driver rows for {drivers['members']} member(s)"
            lines.append(f"  ML: what drove the newest recovery: {rows}{held_out}")
        else:
            lines.append(
                "  ML: no recovery drivers (no member has enough history, or the model did not beat the baselines)"
            )
    lines.append(f"  {'layer':<8} {'table':<28} {'rows':>8}")
    for layer in LAYERS:
        for table, n in summary["rows"].get(layer, {}).items():
            lines.append(f"  {layer:<8} {table:<28} {n:>8}")
    lines.append(f"  elapsed {summary['elapsed_seconds']} s; summary JSON in {home / 'demo-summary.json'}")
    return lines


def backtest(member: str, result: dict[str, Any]) -> list[str]:
    lines = [f"member {member}: next-day recovery, walk-forward ({result['metrics']['model']['n']} predictions)"]
    for name, m in result["metrics"].items():
        served = "  <- served" if name == result["served_by"] else ""
        lines.append(f"  {name:<18} MAE {m['mae']:6.2f}  RMSE {m['rmse']:6.2f}  n {m['n']}{served}")
    lines.append(f"  skill vs {result['best_baseline']}: {result['skill']:.3f} ({result['reason']})")
    interval = result["interval"]
    coverage = interval["coverage"]
    # None (NaN before JSON): no prediction had enough earlier residuals for an interval
    if interval["n"] and coverage is not None and coverage == coverage:
        lines.append(
            f"  {interval['level']:.0%} interval held {coverage:.0%} of {interval['n']} walk-forward actuals "
            f"(served by {result['served_by']})"
        )
    return lines


def _percent(value: Any) -> str:
    return "n/a" if value is None else f"{float(value):+.1%}"


def trained(result: dict[str, Any]) -> list[str]:
    """`whoop ml train`: the version, then per member what is served and its walk-forward skill over the baseline."""
    lines = [f"trained version {result['version']} for {len(result['members'])} member(s)"]
    for name, m in sorted(result["members"].items()):
        mae = m.get("drivers_holdout_mae")
        drivers = f"drivers MAE {float(mae):.1f}" if mae is not None else "drivers: too few days"
        lines.append(
            f"  {name}: next-day recovery {m['served_by']} (skill {_percent(m['skill'])}), tonight's sleep "
            f"{m['sleep_tonight_served_by']} (skill {_percent(m['sleep_tonight_skill'])}), {drivers}"
        )
    return lines


def scored(result: dict[str, Any]) -> list[str]:
    """`whoop ml score`: what the scoring and anomaly procedures wrote (and whom scoring trained first)."""
    lines = []
    if result.get("trained"):
        lines.append(f"  trained first (no model yet): {', '.join(result['trained'])}")
    lines.append(
        f"  {result['predictions']} forecast(s), {result['driver_rows']} recovery-driver row(s), "
        f"{result['anomalies']} anomal{'y' if result['anomalies'] == 1 else 'ies'}"
    )
    return lines


def status(result: dict[str, Any]) -> list[str]:
    """`whoop status`: the app and where, its pipeline, each member's freshness, the last run, failed checks."""
    lines = [f"app {result['app']} on {result['where']}: pipeline {result['pipeline'].lower()}"]
    members = result["members"]
    lines.append(f"  members: {len(members)}")
    for m in members:
        last = (
            f"last ingest {m['last_ingest_status'].lower()} at {m['last_ingest_at']}"
            if m["last_ingest_at"]
            else "no ingest yet"
        )
        newest = f"; newest cycle {m['newest_cycle_at']}" if m["newest_cycle_at"] else ""
        lines.append(f"    {m['member']:<16} {m['status'].lower():<22} {last}{newest}")
    run = result["last_run"]
    if run["status"] == "NO_RUN":
        lines.append("  last run: none yet")
    else:
        lines.append(
            f"  last run: {run['status'].lower()} ({run['started_at']} to {run['completed_at']}): {run['reason']}"
        )
    quality = result["quality"]
    if not quality["checks"]:
        lines.append("  data quality: no checks run yet")
    else:
        lines.append(
            f"  data quality at {quality['checked_at']}: {quality['checks']} checks, {quality['failed']} failed "
            f"({quality['failed_error']} error, {quality['failed_warn']} warn)"
        )
        for c in quality["failed_checks"]:
            detail = " ".join(str(c["detail"] or "").split())[:120]
            lines.append(
                f"    {c['severity']:<5} {c['table']} {c['check']}: {c['failures']} failure(s) {detail}".rstrip()
            )
    return lines


def sign_in(member: str, url: str, browser_opened: bool) -> list[str]:
    """`whoop -c NAME auth`: where the member signs in (the URL carries no secret: client id, scopes, state)."""
    opened = "a browser was opened at it; " if browser_opened else ""
    return [
        f"sign in to WHOOP as {member} and consent ({opened}open it on any device):",
        f"  {url}",
    ]


SIGN_IN_PROMPT = "paste the URL WHOOP redirected the browser to (from its address bar), then press Enter: "


def authorized_on_connection(result: dict[str, Any]) -> str:
    return (
        f"authorized member {result['member']} in app {result['app']} on {result['where']} "
        "(Snowflake-managed OAuth: Snowflake refreshes the WHOOP token); the pipeline is started"
    )
