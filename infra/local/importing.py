"""`whoop import-export`: a member's WHOOP app export (ZIP or folder) into the app, all or nothing, through the
app's own procedure (PUT to its stage, CALL OPS.IMPORT_EXPORT), so the local stack and an account take the same
path (infra/local/export_import.py does the checking, the PUT and the CALL)."""

from __future__ import annotations

from pathlib import Path

import snowflake.connector

from infra.local.connection import Target
from infra.local.errors import WhoopError
from infra.local.run import Progress
from infra.local.settings import Settings


def import_export(
    settings: Settings,
    path: Path,
    member: str,
    new_member: bool = False,
    progress: Progress | None = None,
    target: Target | None = None,
) -> dict:
    """Load a WHOOP app export (its ZIP or folder, the files it has) for a member: every file checked before anything
    is written, new rows only, the pipeline started by the procedure; the member must be known unless `new_member`.
    `target` is the CLI's connection (infra/local/connection.py): the local stack or an account's installed app."""
    from infra.local import export_import

    target = target or Target(settings)
    step = progress or (lambda _line: None)
    path = Path(path)
    step(f"checking the export of {member} in {path}…")
    # a ZIP's export files go to a folder under WHOOP_HOME for the PUT, removed when the import ends
    with export_import.unpacked(path, settings.run_dir) as folder:
        files = sorted(export_import.check_folder(folder))  # a bad export fails before the warehouse is needed
        step(f"importing {len(files)} CSV file(s) ({', '.join(files)}) for {member} into {target.label}…")
        conn = target.connect()
        try:
            return export_import.import_export(conn, folder, member, new_member, workdir=settings.run_dir)
        except snowflake.connector.errors.ProgrammingError as e:
            raise WhoopError(f"importing {path} failed: {' '.join(str(e.msg).split())}") from None
        finally:
            conn.close()
