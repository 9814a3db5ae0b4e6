"""What the `whoop` CLI does on the local stack: deploy, authorize members, run the task graph, demo.

Deploy installs the Native App as Snowflake does: the local warehouse runs app/setup_script.sql whole from
the app's stage (snowflake.yml's artifacts, infra/app_stage.py), as the application, with only the
manifest's privileges (infra/local/warehouse/application.py). Only the adapter settings differ locally (the
API base URL points at the sandbox, and the sandbox's client credentials are stored in the app's secret).
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import requests
import snowflake.connector

from infra.local import migrations, reach, stack
from infra.local.errors import WhoopError, warehouse_failure
from infra.local.settings import REPO_ROOT, Settings
from snowpark_procs.pipeline_state import STARTED, STATE_KEY, STOPPED

DATABASE = "WHOOP"
SETUP_SCRIPT = REPO_ROOT / "app" / "setup_script.sql"
REDIRECT_URI = "http://127.0.0.1/whoop/callback"
SCOPES = "offline read:recovery read:cycles read:workout read:sleep read:profile read:body_measurement"
ROOT_TASK = "OPS.WHOOP_PIPELINE_ROOT"
FINALIZER = "DATA_QUALITY_TASK"  # the graph's finalizer (sql/quality/01_data_quality.sql)
# app/README.md, "Two privileges are yours to grant": READ SESSION (the Setup page's role check) and EXECUTE ALERT
# (the data-quality alert, created by OPS.START_PIPELINE when the app holds it)
CONSUMER_GRANTS = ("READ SESSION", "EXECUTE ALERT")
LAYERS = ("BRONZE", "SILVER", "GOLD", "ML", "OPS", "CONFIG")
RAW_API = ("RAW_CYCLE", "RAW_RECOVERY", "RAW_SLEEP", "RAW_WORKOUT", "RAW_PROFILE", "RAW_BODY")  # the ingest's tables


def connect(settings: Settings, **extra: Any) -> snowflake.connector.SnowflakeConnection:
    """A real connector session on the local warehouse, in the app's database.

    An absent warehouse fails at once, and one that dies while connected within seconds, with one line
    (infra/local/reach.py); a slow statement is still waited for."""
    reach.check(settings.warehouse_url)
    try:
        return snowflake.connector.connect(
            account="local",
            user="whoop",
            password="local",
            host=settings.host,
            port=settings.warehouse_port,
            protocol="http",
            database=DATABASE,
            schema="PUBLIC",
            session_parameters={"CLIENT_OUT_OF_BAND_TELEMETRY_ENABLED": False, "QUERY_TAG": "whoop-cli"},
            **{"network_timeout": reach.STATEMENT_SECONDS, **reach.connector_options(settings.warehouse_url), **extra},
        )
    except snowflake.connector.errors.Error as e:
        raise warehouse_failure(e, settings.warehouse_url) or WhoopError(
            f"cannot connect to the local warehouse at {settings.warehouse_url}: {' '.join(str(e.msg).split())}"
        ) from None


def _tick(settings: Settings) -> dict[str, Any]:
    """The local scheduler's beat: refresh the dynamic tables (a refresh may take minutes; connecting may not)."""
    url = f"{settings.warehouse_url}/_local/tick"
    return requests.post(url, timeout=(reach.CONNECT_SECONDS, reach.STATEMENT_SECONDS)).json()


def _install_app(cur: Any, settings: Settings) -> list[str]:
    """Install (or upgrade) the app from its stage: the warehouse runs the setup script whole, as the app."""
    from infra import app_stage
    from infra.native_app_zip import build_zip

    build_zip()  # the handler archive the stage holds at python/snowpark_procs.zip (snowflake.yml artifacts)
    try:
        stage = app_stage.build_stage(settings.home / "app_stage")
    except FileNotFoundError as e:
        raise WhoopError(str(e)) from None
    cur.execute(f"SELECT COUNT(*) FROM WHOOP_LOCAL.CATALOG.OBJECTS WHERE KIND = 'APPLICATION' AND NAME = '{DATABASE}'")
    (installed,) = cur.fetchone()
    using = f"USING 'file://{stage}'"
    try:
        if installed:
            cur.execute(f"ALTER APPLICATION {DATABASE} UPGRADE {using}")
        else:
            cur.execute(f"CREATE APPLICATION {DATABASE} FROM APPLICATION PACKAGE {DATABASE}_PKG {using}")
    except snowflake.connector.errors.ProgrammingError as e:
        raise WhoopError(f"{SETUP_SCRIPT.relative_to(REPO_ROOT)}: {' '.join(str(e.msg).split())}") from None
    return sorted(p.relative_to(stage).as_posix() for p in stage.rglob("*.sql"))


def deploy_local(settings: Settings, quiet: bool = False, start_stack: bool = True) -> list[str]:
    """Install the app (its setup script, run as the app) and point its adapters at the sandbox."""
    if start_stack:
        _ensure_stack(settings)
    conn = connect(settings)
    try:
        cur = conn.cursor()
        names = _install_app(cur, settings)
        # then, as the consumer, the privileges app/README.md asks the installer to grant (not automatic)
        for privilege in CONSUMER_GRANTS:
            cur.execute(f"GRANT {privilege} ON ACCOUNT TO APPLICATION {DATABASE}")
        cur.execute(f"USE DATABASE {DATABASE}")
        _set_local_adapters(conn, settings)
        # then what lives outside the app: the schemachange scripts, rendered with the local variables
        applied = migrations.deploy(conn, migrations.local_vars(DATABASE))
    finally:
        conn.close()
    if not quiet:
        print(f"installed the app {DATABASE} ({len(names)} SQL files on its stage) on {settings.warehouse_url}")
        print(f"applied {len(applied)} migrations to {migrations.REPORTING_DATABASE} (up to date: {not applied})")
    return names


def _set_local_adapters(conn: Any, settings: Settings) -> None:
    from infra.local.sandbox.config import SandboxConfig

    values = {
        "api_base_url": f"{settings.sandbox_url}/developer",
        "token_url": f"{settings.sandbox_url}/oauth/oauth2/token",
        "authorize_url": f"{settings.sandbox_url}/oauth/oauth2/auth",
    }
    cur = conn.cursor()
    for key, value in values.items():
        cur.execute(
            "UPDATE CONFIG.SETTINGS SET SETTING_VALUE = %s, UPDATED_AT = SYSDATE() WHERE SETTING_KEY = %s", (value, key)
        )
    # the ML procedures' model registry: files under WHOOP_HOME (Snowflake's Model Registry has no local mode)
    cur.execute("DELETE FROM CONFIG.SETTINGS WHERE SETTING_KEY = 'ml_registry_path'")
    cur.execute(
        "INSERT INTO CONFIG.SETTINGS (SETTING_KEY, SETTING_VALUE, UPDATED_AT) "
        "VALUES ('ml_registry_path', %s, SYSDATE())",
        (str(settings.home / "ml" / "registry"),),
    )
    sandbox = SandboxConfig(seed=settings.seed)
    bound = connect(settings, paramstyle="qmark")  # server-side binding: the secret is not in the SQL text
    try:
        bound.cursor().execute("CALL OPS.SET_WHOOP_CLIENT(?, ?)", [sandbox.client_id, sandbox.secret])
    finally:
        bound.close()


def _ensure_stack(settings: Settings) -> None:
    if not all(s.running for s in stack.status(settings)):
        stack.up(settings)


def sandbox_members(settings: Settings) -> list[str]:
    response = requests.get(f"{settings.sandbox_url}/_sandbox/members", timeout=10)
    response.raise_for_status()
    body = response.json()
    items = body["members"] if isinstance(body, dict) else body
    return [m["name"] if isinstance(m, dict) else m for m in items]


def auth(
    settings: Settings,
    member: str | None = None,
    client_id: str | None = None,
    client_secret: str | None = None,
    auth_url: str | None = None,
    token_url: str | None = None,
    quiet: bool = False,
    open_browser: Callable[[str], Any] | None = None,
    timeout: float = 300.0,
    snowflake_managed: bool = False,
) -> list[str]:
    """Authorize members and register them with the app.

    Without client credentials: every sandbox member (or one), through the sandbox's login hint.
    With them: one member through a real browser sign-in at `auth_url` (WHOOP's, or any compatible
    server), the code arriving at a loopback callback; the credentials are stored with the app too.
    `snowflake_managed`: sandbox members through the app's OAUTH2 secrets instead (DESIGN §3): the
    SQL an installer runs in Snowflake, with the sandbox's login hint standing in for the browser.
    """
    from infra.local.sandbox.config import SandboxConfig

    if snowflake_managed:
        if client_id:
            raise WhoopError("--snowflake-managed authorizes sandbox members; for WHOOP run the SQL in app/README.md")
        members = [member] if member else sandbox_members(settings)
        _connect_snowflake_managed(settings, members)
        if not quiet:
            print(f"authorized {len(members)} member(s) through OAUTH2 secrets: {', '.join(members)}")
        return members
    if client_id:
        if not (member and client_secret and auth_url and token_url):
            raise WhoopError("--client-id needs --member, --client-secret, --auth-url and --token-url")
        tokens = _browser_flow(client_id, client_secret, auth_url, token_url, open_browser, timeout, quiet)
        api_base = f"{urlparse(token_url).scheme}://{urlparse(token_url).netloc}/developer"
        _register(settings, [(member, tokens, api_base)], client=(client_id, client_secret))
        if not quiet:
            print(f"authorized member {member}")
        return [member]
    sandbox = SandboxConfig(seed=settings.seed)
    members = [member] if member else sandbox_members(settings)
    sandbox_auth = f"{settings.sandbox_url}/oauth/oauth2/auth"
    sandbox_token = f"{settings.sandbox_url}/oauth/oauth2/token"
    granted = [
        (
            name,
            _code_flow(name, sandbox.client_id, sandbox.secret, sandbox_auth, sandbox_token),
            f"{settings.sandbox_url}/developer",
        )
        for name in members
    ]
    _register(settings, granted)
    if not quiet:
        print(f"authorized {len(members)} member(s): {', '.join(members)}")
    return members


def _register(
    settings: Settings, granted: list[tuple[str, dict[str, Any], str]], client: tuple[str, str] | None = None
) -> None:
    """Store each member's refresh token through OPS.REGISTER_MEMBER (only a procedure can write secrets)."""
    conn = connect(settings, paramstyle="qmark")
    try:
        cur = conn.cursor()
        if client:
            cur.execute("CALL OPS.SET_WHOOP_CLIENT(?, ?)", list(client))
        for name, tokens, api_base in granted:
            profile = requests.get(
                f"{api_base}/v2/user/profile/basic",
                headers={"Authorization": f"Bearer {tokens['access_token']}"},
                timeout=10,
            )
            if profile.status_code != 200:
                raise WhoopError(f"could not read {name}'s WHOOP profile (HTTP {profile.status_code})")
            cur.execute("CALL OPS.REGISTER_MEMBER(?, ?, ?)", [name, tokens["refresh_token"], profile.json()["user_id"]])
        if granted:
            _start_pipeline(cur)
    finally:
        conn.close()


def _start_pipeline(cur: Any) -> None:
    """What the Setup page's Start button does once a member exists: resume the app's tasks and dynamic tables."""
    try:
        cur.execute("CALL OPS.START_PIPELINE()")
    except snowflake.connector.errors.ProgrammingError as e:
        raise WhoopError(f"starting the pipeline failed: {' '.join(str(e.msg).split())}") from None


def pipeline_state(cur: Any) -> str:
    cur.execute("SELECT MAX(SETTING_VALUE) FROM CONFIG.SETTINGS WHERE SETTING_KEY = %s", (STATE_KEY,))
    return cur.fetchone()[0] or STOPPED


def _connect_snowflake_managed(settings: Settings, members: list[str]) -> None:
    """CONNECT_MEMBER_OAUTH, then the app's START_MEMBER_OAUTH and FINISH_MEMBER_OAUTH in one session: the secret
    is the app's, so the app runs Snowflake's OAuth flow on it (the consumer cannot name it)."""
    listed = requests.get(f"{settings.sandbox_url}/_sandbox/members", timeout=10)
    listed.raise_for_status()
    user_ids = {m["name"]: m["user_id"] for m in listed.json()}
    conn = connect(settings, paramstyle="qmark")
    try:
        cur = conn.cursor()
        for name in members:
            if name not in user_ids:
                raise WhoopError(f"the sandbox has no member {name}")
            cur.execute("CALL OPS.CONNECT_MEMBER_OAUTH(?, ?)", [name, user_ids[name]])
            cur.fetchone()
            cur.execute("CALL OPS.START_MEMBER_OAUTH(?)", [name])
            url = cur.fetchone()[0]
            # the member's consent: the sandbox's login hint stands in for signing in at the browser
            consent = requests.get(url, params={"login_hint": name}, allow_redirects=False, timeout=10)
            if consent.status_code != 302:
                raise WhoopError(f"authorization for {name} failed (HTTP {consent.status_code})")
            cur.execute("CALL OPS.FINISH_MEMBER_OAUTH(?)", [urlparse(consent.headers["Location"]).query])
    except snowflake.connector.errors.ProgrammingError as e:
        raise WhoopError(f"connecting members through OAUTH2 secrets failed: {e.msg}") from None
    finally:
        conn.close()


def _browser_flow(
    client_id: str,
    client_secret: str,
    auth_url: str,
    token_url: str,
    open_browser: Callable[[str], Any] | None,
    timeout: float,
    quiet: bool,
) -> dict[str, Any]:
    import webbrowser

    from infra.local.oauth_callback import CallbackServer, authorize_url, new_state

    state = new_state()
    with CallbackServer() as callback:
        url = authorize_url(auth_url, client_id, callback.redirect_uri, SCOPES, state)
        if not quiet:
            print(f"Sign in to WHOOP in your browser (register {callback.redirect_uri} as a redirect URI):\n  {url}")
        (open_browser or webbrowser.open)(url)
        code = callback.wait_for_code(state, timeout)
        return _exchange(code, callback.redirect_uri, client_id, client_secret, token_url, "the member")


def _code_flow(member: str, client_id: str, client_secret: str, auth_url: str, token_url: str) -> dict[str, Any]:
    from infra.local.oauth_callback import new_state

    state = new_state()
    response = requests.get(
        auth_url,
        params={
            "client_id": client_id,
            "redirect_uri": REDIRECT_URI,
            "response_type": "code",
            "scope": SCOPES,
            "state": state,
            "login_hint": member,
        },
        allow_redirects=False,
        timeout=10,
    )
    if response.status_code != 302:
        raise WhoopError(f"authorization for {member} failed (HTTP {response.status_code}: {response.text[:200]})")
    query = parse_qs(urlparse(response.headers["Location"]).query)
    if query.get("state", [""])[0] != state or "code" not in query:
        raise WhoopError(f"authorization for {member} returned no code")
    return _exchange(query["code"][0], REDIRECT_URI, client_id, client_secret, token_url, member)


def _exchange(code: str, redirect_uri: str, client_id: str, client_secret: str, token_url: str, who: str) -> dict:
    token = requests.post(
        token_url,
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": redirect_uri,
            "client_id": client_id,
            "client_secret": client_secret,
        },
        timeout=10,
    )
    if token.status_code != 200:
        raise WhoopError(f"token exchange for {who} failed (HTTP {token.status_code})")
    body = token.json()
    if "refresh_token" not in body:
        raise WhoopError(f"no refresh token for {who}: the grant needs the `offline` scope")
    return body


def step(message: str) -> None:
    """A progress line, written at once: a terminal and a plain log both show where long work is."""
    print(message, flush=True)


def run_once(settings: Settings, quiet: bool = False, progress: bool | None = None) -> dict[str, Any]:
    """One firing of the task graph (EXECUTE TASK on the root), then the scheduler's refresh of Gold.

    What each member's ingest and each task did comes from OPS.RUN_STATUS for this firing. A skipped firing (another
    run of the graph still executing) raises at once; a failed member or task raises after Gold is refreshed (the
    other members' data is loaded): one line naming who and why. With `progress` (default: unless quiet), a line as
    each member's ingest and the ingest as a whole finish, while the graph runs (a first run is a backfill).
    """
    progress = not quiet if progress is None else progress
    if not quiet:
        step("running the pipeline: ingest of every member, Silver, data quality, Gold refresh…")
    conn = connect(settings)
    try:
        cur = conn.cursor()
        if pipeline_state(cur) != STARTED:
            raise WhoopError(
                "the pipeline is not started: authorize a member (`whoop auth`) or import an export, "
                "which start it, or CALL OPS.START_PIPELINE()"
            )
        root = f"{DATABASE}.{ROOT_TASK}"
        history = "WHOOP_LOCAL.CATALOG.TASK_HISTORY"
        cur.execute(f"SELECT DISTINCT RUN_ID FROM {history} WHERE ROOT_TASK = %s", (root,))
        before = {r[0] for r in cur.fetchall()}
        issued = datetime.now(UTC)
        watcher = _RunWatcher(settings, issued) if progress else None
        try:
            cur.execute(f"EXECUTE TASK {ROOT_TASK}")
        finally:
            if watcher:
                watcher.finish()
        # this firing: the first new graph run that started after EXECUTE TASK was issued (a run that overlapped it
        # started earlier; one skipped while it ran started later)
        cur.execute(
            f"SELECT RUN_ID, QUERY_START_TIME FROM {history} WHERE NAME = %s ORDER BY QUERY_START_TIME", (root,)
        )
        new = [(run_id, started) for run_id, started in cur.fetchall() if run_id not in before]
        ours = [run_id for run_id, started in new if _aware(started) >= issued] or [run_id for run_id, _ in new]
        if not ours:
            raise WhoopError(f"EXECUTE TASK {ROOT_TASK} left no run in the task history")
        run_id = ours[0]
        cur.execute(
            f"SELECT NAME, STATE, ERROR_MESSAGE, RETURN_VALUE FROM {history} WHERE RUN_ID = %s "
            "ORDER BY QUERY_START_TIME",
            (run_id,),
        )
        tasks = [{"task": n, "state": s, "error": e, "returned": r} for n, s, e, r in cur.fetchall()]
        cur.execute("CALL OPS.RUN_STATUS(%s)", (run_id,))
        status = json.loads(cur.fetchone()[0])
        if status["status"] == "SKIPPED":
            raise WhoopError(f"the pipeline did not run: {status['reason']}; try again once it has finished")
        quality = _quality_summary(cur)
    finally:
        conn.close()
    tick = _tick(settings)
    if not tick.get("success"):
        raise WhoopError(f"dynamic table refresh failed: {tick.get('message')}")
    result = {
        "tasks": tasks,
        "status": status["status"],
        "reason": status["reason"],
        "members": status["members"],
        "dynamic_tables_refreshed": tick["refreshed"],
        "data_quality": quality,
    }
    if not quiet:
        _print_run(result)
    if status["status"] != "SUCCEEDED":
        raise WhoopError(f"the pipeline run failed: {status['reason']}{_hint(status['members'])}")
    return result


class _RunWatcher(threading.Thread):
    """While EXECUTE TASK runs (synchronously here), print a line as each member's ingest ends (its OPS.INGEST_RUNS
    row), the record versions written to Bronze so far when nothing else was said for `quiet_for` seconds (a
    backfill waits on the API's rate limit), and when the ingest as a whole has ended (the root's TASK_HISTORY row);
    from a connection of its own."""

    def __init__(self, settings: Settings, since: datetime, every: float = 1.0, quiet_for: float = 10.0) -> None:
        super().__init__(name="whoop-run-progress", daemon=True)
        self.settings, self.since, self.every, self.quiet_for = settings, since, every, quiet_for
        self.done = threading.Event()
        self.start()

    def run(self) -> None:
        try:
            conn = connect(self.settings)
        except WhoopError:
            return  # progress is a courtesy; the run itself reports a lost warehouse
        try:
            cur = conn.cursor()
            cur.execute("SELECT COUNT(*) FROM CONFIG.MEMBERS WHERE STATUS = 'ACTIVE'")
            total, seen, ingested = int(cur.fetchone()[0]), set(), False
            since = self.since.replace(tzinfo=None).isoformat(sep=" ")
            written = "SELECT " + " + ".join(
                f"(SELECT COUNT(*) FROM BRONZE.{t} WHERE LOADED_AT >= %(since)s)" for t in RAW_API
            )
            said = time.monotonic()
            while not self.done.wait(self.every) and not ingested:
                if time.monotonic() - said >= self.quiet_for:
                    cur.execute(written, {"since": since})
                    step(f"  ingest: {cur.fetchone()[0]} new record versions in Bronze so far, {len(seen)}/{total} "
                         "members done")  # fmt: skip
                    said = time.monotonic()
                cur.execute(
                    "SELECT MEMBER_NAME, STATUS, NEW_VERSIONS FROM OPS.INGEST_RUNS WHERE STARTED_AT >= %s "
                    "ORDER BY FINISHED_AT",
                    (since,),
                )
                for member, status, new in cur.fetchall():
                    if member not in seen:
                        seen.add(member)
                        what = f"{new} new versions" if status == "SUCCEEDED" else status
                        step(f"  ingest: {len(seen)}/{total} members done ({member}: {what})")
                        said = time.monotonic()
                cur.execute(
                    "SELECT COUNT(*) FROM WHOOP_LOCAL.CATALOG.TASK_HISTORY WHERE NAME = %s AND QUERY_START_TIME >= %s",
                    (f"{DATABASE}.{ROOT_TASK}", self.since.isoformat()),
                )
                if cur.fetchone()[0]:
                    ingested = True
                    step("  ingest finished; Silver tasks and quality checks running…")
        except snowflake.connector.errors.Error:
            pass  # as above: the run's own statements report what went wrong
        finally:
            conn.close()

    def finish(self) -> None:
        self.done.set()
        self.join(timeout=30)


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _print_run(result: dict[str, Any]) -> None:
    """Per member what the ingest did, the tasks in one line (each failure on its own), Gold and quality counts."""
    for m in result["members"]:
        if m["status"] == "SUCCEEDED":
            print(f"  {m['member']}: {m['records']} records read, {m['new_versions']} new versions")
        else:
            from snowpark_procs.run_status import member_reason

            print(f"  {member_reason(m)}")
    states: dict[str, int] = {}
    for t in result["tasks"]:
        states[t["state"]] = states.get(t["state"], 0) + 1
    print("  tasks: " + ", ".join(f"{n} {state.lower()}" for state, n in sorted(states.items())))
    members_failed = any(m["status"] != "SUCCEEDED" for m in result["members"])
    for t in result["tasks"]:
        if t["state"] != "FAILED":
            continue
        if members_failed and t["task"].endswith(f".{FINALIZER}"):
            why = "it wrote the quality results, then failed the run because a member's ingest failed"
        else:
            why = " ".join(str(t["error"]).split())[:300]
        print(f"  task {t['task']}: FAILED ({why})")
    print(f"  refreshed {len(result['dynamic_tables_refreshed'])} dynamic table(s)")
    quality = result["data_quality"]
    if quality["checks"]:
        print(
            f"  data quality: {quality['checks']} checks, {quality['failed']} failed "
            f"({quality['failed_error']} error, {quality['failed_warn']} warn)"
        )


def _hint(members: list[dict[str, Any]]) -> str:
    """What to do about the first failed member, when the CLI can say it."""
    failed = [m for m in members if m["status"] != "SUCCEEDED"]
    if failed and failed[0]["status"] == "NEEDS_REAUTHORIZATION":
        return f"; re-authorize with `whoop auth --member {failed[0]['member']}`"
    return ""


def _quality_summary(cur: Any) -> dict[str, int]:
    """Counts of the newest data quality run (the graph's finalizer writes it): checks, failed, by severity."""
    cur.execute(
        "SELECT COUNT(*), COUNT_IF(NOT PASSED), COUNT_IF(NOT PASSED AND SEVERITY = 'error'), "
        "COUNT_IF(NOT PASSED AND SEVERITY = 'warn') FROM OPS.DQ_RESULTS "
        "WHERE RUN_ID = (SELECT MAX_BY(RUN_ID, STARTED_AT) FROM OPS.DQ_RUNS)"
    )
    checks, failed, failed_error, failed_warn = (int(v or 0) for v in cur.fetchone())
    return {"checks": checks, "failed": failed, "failed_error": failed_error, "failed_warn": failed_warn}


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


def demo(settings: Settings) -> dict[str, Any]:
    """Start the stack, deploy, authorize the sandbox members, run the pipeline, print a summary."""
    started = time.monotonic()
    step(f"starting the local stack (warehouse {settings.warehouse_url}, WHOOP sandbox {settings.sandbox_url})…")
    stack.up(settings)
    step("deploying the app (setup script, migrations)…")
    deployed = deploy_local(settings, quiet=True)
    step(f"  {len(deployed)} SQL files on the app's stage")
    known = sandbox_members(settings)
    step(f"authorizing {len(known)} sandbox member(s): {', '.join(known)}…")
    members = auth(settings, quiet=True)
    step("running the pipeline (first run: every member's full history)…")
    run = run_once(settings, quiet=True, progress=True)
    step(f"  {sum(m['new_versions'] for m in run['members'])} new record versions in Bronze")
    exported = None
    if members:
        step(f"importing the CSV export of {members[0]}…")
        exported = _demo_export(settings, members[0])
        step(f"  {len(exported['files'])} file(s) imported; running the pipeline again…")
        run = run_once(settings, quiet=True)  # the export's journal and any older history reach Gold
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
    _print_summary(summary, settings)
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


def _print_summary(summary: dict[str, Any], settings: Settings) -> None:
    print("WHOOP platform demo: local stack, sandbox members through Bronze → Silver → Gold")
    print(f"  warehouse {summary['warehouse_url']}   sandbox {summary['sandbox_url']}")
    print(f"  members: {', '.join(summary['members'])}")
    if summary.get("export_imported"):
        exported = summary["export_imported"]
        print(f"  CSV export of {exported['member']} imported from {exported['folder']}")
    for t in summary["tasks"]:
        print(f"  task {t['task']}: {t['state']}")
    if summary.get("data_quality"):
        dq = summary["data_quality"]
        errors, warnings = dq.get("failed_error"), dq.get("failed_warn")
        print(f"  data quality: {dq.get('checks')} checks, {errors} failed (error), {warnings} failed (warning)")
    if summary.get("ml"):
        ml = summary["ml"]
        served = ", ".join(sorted({s["served_by"] for s in ml["served"]})) or "nothing yet"
        print(f"  ML: {ml['predictions']} predictions, {ml['anomalies']} anomalies; served: {served}")
        drivers = ml.get("recovery_drivers") or {}
        if drivers.get("rows"):
            mae = drivers.get("holdout_mae")
            held_out = f"; held-out MAE {float(mae):.1f} (target < 10)" if mae is not None else ""
            rows = f"{drivers['rows']} driver rows for {drivers['members']} member(s)"
            print(f"  ML: what drove the newest recovery: {rows}{held_out}")
        else:
            print("  ML: no recovery drivers (no member has enough history, or the model did not beat the baselines)")
    print(f"  {'layer':<8} {'table':<28} {'rows':>8}")
    for layer in LAYERS:
        for table, n in summary["rows"].get(layer, {}).items():
            print(f"  {layer:<8} {table:<28} {n:>8}")
    print(f"  elapsed {summary['elapsed_seconds']} s; summary JSON in {settings.home / 'demo-summary.json'}")


def ml_backtest(settings: Settings, member: str, as_json: bool = False) -> dict[str, Any]:
    """Walk-forward backtest of one member's next-day recovery model vs the naive baselines (no writes)."""
    from snowpark_procs.ml.procs import backtest

    session = _snowpark(settings)
    try:
        try:
            result = backtest(session, member)
        except ValueError as e:
            raise WhoopError(str(e)) from None
    finally:
        session.close()
    if as_json:
        print(json.dumps(result, indent=2, default=str))
        return result
    print(f"member {member}: next-day recovery, walk-forward ({result['metrics']['model']['n']} predictions)")
    for name, m in result["metrics"].items():
        served = "  <- served" if name == result["served_by"] else ""
        print(f"  {name:<18} MAE {m['mae']:6.2f}  RMSE {m['rmse']:6.2f}  n {m['n']}{served}")
    print(f"  skill vs {result['best_baseline']}: {result['skill']:.3f} ({result['reason']})")
    interval = result["interval"]
    coverage = interval["coverage"]
    if interval["n"] and coverage == coverage:  # NaN: no prediction had enough earlier residuals for an interval
        print(
            f"  {interval['level']:.0%} interval held {coverage:.0%} of {interval['n']} walk-forward actuals "
            f"(served by {result['served_by']})"
        )
    return result


def _snowpark(settings: Settings) -> Any:
    """A Snowpark session on the local warehouse (what a procedure handler gets), as quick to fail as `connect`."""
    import atexit

    from snowflake.snowpark import Session

    reach.check(settings.warehouse_url)
    try:
        session = Session.builder.configs(
            {
                "account": "local",
                "user": "whoop",
                "password": "local",
                "host": settings.host,
                "port": settings.warehouse_port,
                "protocol": "http",
                "database": DATABASE,
                "schema": "PUBLIC",
                "session_parameters": {"CLIENT_OUT_OF_BAND_TELEMETRY_ENABLED": False},
                **reach.connector_options(settings.warehouse_url),
            }
        ).create()
    except Exception as e:
        raise warehouse_failure(e, settings.warehouse_url) or WhoopError(
            f"cannot open a Snowpark session on the local warehouse at {settings.warehouse_url}: "
            f"{' '.join(str(e).split())[:300]}"
        ) from None
    atexit.unregister(session._close_at_exit)
    return session


def bench(settings: Settings) -> list[dict[str, Any]]:
    from bench.run import main as run_bench

    return run_bench(settings)


def import_export(settings: Settings, path: Path, member: str, new_member: bool = False) -> dict:
    """Load a WHOOP app export (its ZIP or folder, the files it has) for a member through the app's procedure
    (PUT to its stage, CALL OPS.IMPORT_EXPORT: new rows only, all or nothing, the pipeline started); the member must
    be known unless `new_member`."""
    from infra.local import export_import

    path = Path(path)
    step(f"checking the export of {member} in {path}…")
    # a ZIP's export files go to a folder under WHOOP_HOME for the PUT, removed when the import ends
    with export_import.unpacked(path, settings.run_dir) as folder:
        files = sorted(export_import.check_folder(folder))  # a bad export fails before the warehouse is needed
        step(f"importing {len(files)} CSV file(s) ({', '.join(files)}) for {member}, all or nothing…")
        conn = connect(settings)
        try:
            result = export_import.import_export(conn, folder, member, new_member, workdir=settings.run_dir)
        finally:
            conn.close()
    for name, counts in result["files"].items():
        print(f"  {name}: {counts['rows']} rows, {counts['new']} new (staged at {counts['staged']})")
    return result
