"""`whoop import-export`: a member's WHOOP app export (ZIP or folder) into the app's Bronze, all or nothing
(infra/local/export_import.py does the checking and loading)."""

from __future__ import annotations

from pathlib import Path

import snowflake.connector

from infra.local.connection import Target
from infra.local.deploy import connect
from infra.local.errors import WhoopError
from infra.local.run import Progress, start_pipeline
from infra.local.settings import Settings


def import_export(
    settings: Settings,
    path: Path,
    member: str,
    new_member: bool = False,
    progress: Progress | None = None,
    target: Target | None = None,
) -> dict:
    """Load a WHOOP app export (its ZIP or folder, the files it has) for a member into Bronze (stage, COPY INTO,
    new rows only), all or nothing; the member must be known unless `new_member`. `target` is the CLI's
    connection (infra/local/connection.py): the local stack's import is the only one so far."""
    from infra.local import export_import

    (target or Target(settings)).require_local("whoop import-export")
    step = progress or (lambda _line: None)
    path = Path(path)
    step(f"checking the export of {member} in {path}…")
    # a ZIP's export files go to a folder under WHOOP_HOME for the PUT, removed when the import ends
    with export_import.unpacked(path, settings.run_dir) as folder:
        files = sorted(export_import.check_folder(folder))  # a bad export fails before the warehouse is needed
        step(f"importing {len(files)} CSV file(s) ({', '.join(files)}) for {member}, all or nothing…")
        conn = connect(settings)
        try:
            result = export_import.import_export(conn, folder, member, new_member)
            start_pipeline(conn.cursor())  # an export is a member's data arriving, like a registration
        except snowflake.connector.errors.ProgrammingError as e:
            raise WhoopError(f"importing {path} failed: {' '.join(str(e.msg).split())}") from None
        finally:
            conn.close()
    return result
