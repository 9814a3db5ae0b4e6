"""`whoop deploy --local`: install the Native App on the local warehouse as Snowflake does, and point its adapters
at the sandbox.

The local warehouse runs app/setup_script.sql whole from the app's stage (snowflake.yml's artifacts,
infra/app_stage.py), as the application, with only the manifest's privileges (infra/local/warehouse/application.py).
Only the adapter settings differ locally (the API base URL points at the sandbox, and the sandbox's client
credentials are stored in the app's secret). On an account the app is installed by `snow app run` (app/README.md).
"""

from __future__ import annotations

from typing import Any

import snowflake.connector

from infra.local import migrations, stack
from infra.local.connection import LOCAL_APP, Target
from infra.local.errors import WhoopError
from infra.local.settings import REPO_ROOT, Settings

DATABASE = LOCAL_APP
SETUP_SCRIPT = REPO_ROOT / "app" / "setup_script.sql"
# app/README.md, "Two privileges are yours to grant": READ SESSION (the Setup page's role check) and EXECUTE ALERT
# (the data-quality alert, created by OPS.START_PIPELINE when the app holds it)
CONSUMER_GRANTS = ("READ SESSION", "EXECUTE ALERT")


def connect(settings: Settings, **extra: Any) -> snowflake.connector.SnowflakeConnection:
    """A connector session on the local warehouse, in the app's database (infra/local/connection.py)."""
    return Target(settings).connect(**extra)


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


def deploy_local(settings: Settings, start_stack: bool = True) -> dict[str, Any]:
    """Install the app (its setup script, run as the app) and point its adapters at the sandbox; returns the SQL
    files on the app's stage and the migrations applied."""
    if start_stack:
        ensure_stack(settings)
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
    return {
        "app": DATABASE,
        "files": names,
        "applied": applied,
        "warehouse_url": settings.warehouse_url,
        "reporting_database": migrations.REPORTING_DATABASE,
    }


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


def ensure_stack(settings: Settings) -> None:
    if not all(s.running for s in stack.status(settings)):
        stack.up(settings)
