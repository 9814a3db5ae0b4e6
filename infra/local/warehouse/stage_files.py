"""Staged files read and written from Snowpark: GET (`session.file.get`, `get_stream`, SnowflakeFile) and the PUT of
`session.file.put_stream`, what OPS.IMPORT_EXPORT and the Setup page's upload run.

fakesnow 0.12.1 has PUT but no GET. Snowflake answers `GET @stage/path 'file://dir'` with a download command the
client carries out (https://docs.snowflake.com/en/sql-reference/sql/get); here the command names the stage's own
folder as a local file system location (LOCAL_FS), so the connector copies the files itself. That needs the client
to share the warehouse's file system, which holds for what reads a stage locally: procedure handlers (they run in the
warehouse's process, as OPS.IMPORT_EXPORT does) and the CLI on the same machine. A path with no file fails as
Snowflake's GET does on a missing file; a path leaving the stage is refused.

`put_stream` sends `PUT file://<name> ?` with the stage location bound as a quoted string ('@stage/path'), which
Snowflake accepts; fakesnow inlines the binding and refuses the quoted location for not starting with @. The quotes
are taken off that location, nothing else changes.

`GRANT`/`REVOKE <privileges> ON STAGE <name>`: Snowflake refuses a stage that does not exist and a privilege a stage
does not have (USAGE, READ, WRITE, OWNERSHIP, ALL: https://docs.snowflake.com/en/user-guide/security-access-control-
privileges#stage-privileges); so does this check, before account_objects records the grant.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import fakesnow.transforms as fs_transforms
import fakesnow.transforms.stage as fs_stage
from sqlglot import exp

from infra.local.warehouse.base import LocalSession, Outcome
from infra.local.warehouse.errors import LocalSqlError
from infra.local.warehouse.persistence import staged

if TYPE_CHECKING:
    from infra.local.warehouse.engine import Engine

STAGE_PRIVILEGES = frozenset({"USAGE", "READ", "WRITE", "OWNERSHIP", "ALL", "ALL PRIVILEGES"})
_original_put_stage = fs_transforms.put_stage


def _put_stage_unquoted(expression: Any, *args: Any) -> Any:
    """fakesnow's PUT with the stage location as Snowpark binds it: '@stage/path' (quoted, inlined with the binding)."""
    target = expression.args.get("target") if isinstance(expression, exp.Put) else None
    if isinstance(target, exp.Var):
        text = target.text("this")
        if len(text) > 2 and text[0] == text[-1] == "'" and text[1] == "@":
            target.set("this", text[1:-1])
    return _original_put_stage(expression, *args)


def register(engine: Engine) -> None:
    fs_transforms.put_stage = _put_stage_unquoted
    engine.on(
        r"^GET\s+'?@(?P<stage>[^\s/']+)(?P<path>/[^\s']*)?'?\s+'?(?P<target>file://[^\s']+)'?(?P<options>.*)$", _get
    )
    grant = r"^(?:GRANT|REVOKE)\s+(?:GRANT\s+OPTION\s+FOR\s+)?(?P<privs>.+?)\s+ON\s+STAGE\s+(?P<name>[^\s]+)\s+"
    engine.on(grant + r"(?:TO|FROM)\s+.+$", _check_stage_grant)


def _check_stage_grant(engine: Engine, session: LocalSession, text: str, m: re.Match[str]) -> None:
    """Refuse a grant on a stage that does not exist or of a privilege a stage does not have; else record it
    (None: account_objects' GRANT/REVOKE handler runs the statement)."""
    wrong = [p for p in (" ".join(p.split()).upper() for p in m["privs"].split(",")) if p not in STAGE_PRIVILEGES]
    if wrong:
        raise LocalSqlError(
            f"SQL compilation error:\nInvalid privilege {', '.join(wrong)} for a stage (a stage has USAGE, READ, "
            "WRITE, OWNERSHIP)",
            errno=3001,
        )
    parts = list(fs_stage.parts_from_var(m["name"], session.database, session.schema))
    where = "database_name = ? AND schema_name = ? AND name = ?"
    if not engine.catalog.query(f"SELECT 1 FROM _fs_global._fs_information_schema._fs_stages WHERE {where}", parts):
        raise LocalSqlError(
            f"SQL compilation error:\nStage '{'.'.join(parts)}' does not exist or not authorized.", 2003
        )


def _get(engine: Engine, session: LocalSession, text: str, m: re.Match[str]) -> Outcome:
    _, root, _, files = staged(session, m["stage"], m["path"])
    if not files:
        raise LocalSqlError(f"File '@{m['stage']}{m['path'] or ''}' does not exist or not authorized.", errno=253006)
    return Outcome(
        sql="SELECT 1",
        response={
            "command": "DOWNLOAD",
            "src_locations": sorted(files),
            "localLocation": m["target"].removeprefix("file://"),
            "stageInfo": {"locationType": "LOCAL_FS", "location": root, "creds": {}},
            "encryptionMaterial": [],
            "parallel": 1,
        },
    )
