"""Setup (admin only): members with status and auth mode, last runs, run the pipeline now, connect a member (OAuth),
import a member's WHOOP CSV export."""

from __future__ import annotations

import io
import json
import re
import uuid

import queries
import streamlit as st
import ui
import whoop_session

ROOT_TASK = "OPS.WHOOP_PIPELINE_ROOT"
EXPORT_STAGE = "BRONZE.EXPORT_STAGE"  # app_admin holds READ, WRITE on it (sql/ops/12_import_export.sql)
EXPORT_FILES = ("physiological_cycles.csv", "sleeps.csv", "workouts.csv", "journal_entries.csv")
# the procedure checks the name too; here it also names the stage folder the files go to, so it is checked first
MEMBER_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.@-]*$")

st.set_page_config(layout="wide")  # page_title/page_icon: unsupported in a Native App
st.title("Setup")
session = ui.session()
admin = whoop_session.admin_check(session)
if admin.unknown:
    grant = whoop_session.READ_SESSION_GRANT.format(app=whoop_session.app_name(session))
    st.warning(
        "Setup cannot tell whether you hold the app's APP_ADMIN application role: the app has not been granted "
        "the READ SESSION privilege it needs to call IS_APPLICATION_ROLE_IN_SESSION. An account administrator "
        "(ACCOUNTADMIN) grants it once, then reload this page:"
    )
    st.code(grant, language="sql")
    st.caption(f"Snowflake said: {admin.unknown}")
    st.stop()
if not admin.is_admin:
    st.warning("Setup is for administrators: it needs the app's APP_ADMIN application role.")
    st.stop()
st.caption("Signed in with APP_ADMIN")
ui.require("CONFIG.MEMBERS", "OPS.INGEST_RUNS", what="the setup page", hint="the app's setup script has not run")

data = ui.load(queries.setup())
members, last_runs = data["members"], data["last_runs"]
pipeline_state = str(data["pipeline"]["PIPELINE_STATE"].iloc[0]) if not data["pipeline"].empty else "STOPPED"

st.subheader("Pipeline")
if pipeline_state == "STARTED":
    st.success("Started: the ingest runs every 30 minutes, Silver and the quality checks after it, then Gold.")
    if st.button("Stop the pipeline", key="stop_pipeline"):
        try:
            whoop_session.call(lambda s: s.sql("CALL OPS.STOP_PIPELINE()").collect())
        except Exception as exc:
            st.warning(f"Stopping failed: {' '.join(str(exc).split())[:300]}")
        else:
            ui.clear_memo()
            st.rerun()
else:
    st.info(
        "Stopped: nothing runs and the app's warehouse stays suspended. Before starting: approve the 'WHOOP API "
        "egress' app specification (the app's Security tab, or ALTER APPLICATION … APPROVE SPECIFICATION), store "
        "your WHOOP client with OPS.SET_WHOOP_CLIENT and connect at least one member below."
    )
    if st.button("Start the pipeline", type="primary", key="start_pipeline"):
        try:
            result = whoop_session.call(lambda s: s.sql("CALL OPS.START_PIPELINE()").collect())[0][0]
        except Exception as exc:
            st.warning(f"The pipeline could not start: {' '.join(str(exc).split())[:300]}")
        else:
            alert = (json.loads(result) if isinstance(result, str) else result or {}).get("alert", "")
            ui.clear_memo()
            st.success(f"Started. Data-quality alert: {alert}")

if ui.section("Members", members, "No members yet: connect one below (or `whoop auth` locally)."):
    c1, c2, c3 = st.columns(3)
    status = members["STATUS"].astype(str)
    c1.metric("Members", f"{len(members)}")
    c2.metric("Active", f"{int((status == 'ACTIVE').sum())}")
    c3.metric("Need re-authorization", f"{int((status == 'NEEDS_REAUTHORIZATION').sum())}")
    st.dataframe(members, hide_index=True, width="stretch")

if ui.section("Last runs", last_runs, "The pipeline has not run yet."):
    st.dataframe(last_runs, hide_index=True, width="stretch")

st.subheader("Run the pipeline now")
st.write(f"Fires the task graph once (`EXECUTE TASK {ROOT_TASK}`): ingest, Silver, data quality; Gold follows its lag.")
if st.button("Run now", type="primary", key="run_now"):
    try:
        whoop_session.call(lambda s: s.sql(f"EXECUTE TASK {ROOT_TASK}").collect())
    except Exception as exc:
        st.warning(f"The task could not be started: {' '.join(str(exc).split())[:300]}")
    else:
        ui.clear_memo()
        st.success(f"{ROOT_TASK} started; refresh this page for the new runs.")

st.subheader("Connect a member (Snowflake-managed OAuth)")
st.markdown(
    "1. Enter the member's name and WHOOP user id and press **Prepare**: `OPS.CONNECT_MEMBER_OAUTH` creates the "
    "member's OAUTH2 secret and returns the statement that starts the WHOOP sign-in.\n"
    "2. Run `CALL <app>.OPS.START_MEMBER_OAUTH('<member>')` in a worksheet, open the URL it returns and sign in.\n"
    "3. In the same worksheet session run `CALL <app>.OPS.FINISH_MEMBER_OAUTH('<query string of the redirect URL>')`."
    "\n\nFrom a terminal the three steps are one command: `whoop -c <connection> --app <app> auth --member <member> "
    "--user-id <id>` (it prints the URL and asks for the redirect URL)."
)
with st.form("connect"):
    name = st.text_input("Member name")
    user_id = st.text_input("WHOOP user id")
    submitted = st.form_submit_button("Prepare")
if submitted:
    if not name.strip() or not user_id.strip().isdigit():
        st.warning("Enter a member name and a numeric WHOOP user id.")
    else:
        try:
            params = [name.strip(), int(user_id.strip())]
            rows = whoop_session.call(lambda s: s.sql("CALL OPS.CONNECT_MEMBER_OAUTH(?, ?)", params=params).collect())
            result = json.loads(rows[0][0]) if isinstance(rows[0][0], str) else rows[0][0]
        except Exception as exc:
            st.warning(f"Connecting {name} failed: {' '.join(str(exc).split())[:300]}")
        else:
            st.success(f"Secret {result.get('secret')} is ready. Run in a worksheet:")
            st.code("\n".join(result.get("next_steps", [])), language="sql")

st.subheader("Import a WHOOP export")
st.write(
    "The CSV export from the WHOOP app (journal answers and history older than the API serves): the ZIP as WHOOP "
    "sends it, or its CSV files (any of physiological_cycles.csv, sleeps.csv, workouts.csv, journal_entries.csv). "
    "Every file is checked before anything is written; importing the same export again adds nothing. From a "
    "terminal the same import is `whoop import-export PATH --member NAME --connection NAME` (the same stage and "
    "procedure)."
)
with st.form("import_export"):
    export_member = st.text_input("Member name", key="export_member")
    export_new = st.checkbox("Create the member if the app does not know it yet (export only)", key="export_new")
    uploads = st.file_uploader(
        "The export's ZIP or CSV files", type=["zip", "csv"], accept_multiple_files=True, key="export_files"
    )
    import_clicked = st.form_submit_button("Import")


def _stage_name(upload) -> str:
    """The name a file gets on the stage: one of the export's own, or export.zip (the procedure unpacks it)."""
    name = str(upload.name).replace("\\", "/").rsplit("/", 1)[-1]
    return "export.zip" if name.lower().endswith(".zip") else name


def _import_export(member: str, files: list, new_member: bool) -> dict:
    """Put the files under <member>/<batch>/ of the app's stage and call OPS.IMPORT_EXPORT on them. st.file_uploader
    runs in Streamlit in Snowflake (https://docs.snowflake.com/en/release-notes/2025/other/2025-03-12-sis); the files
    reach the stage with session.file.put_stream (https://docs.snowflake.com/en/developer-guide/snowpark/reference/
    python/latest/snowpark/api/snowflake.snowpark.FileOperation.put_stream), as the app, which owns the stage."""
    batch = uuid.uuid4().hex

    def run(s) -> dict:
        for upload in files:
            name = _stage_name(upload)
            s.file.put_stream(
                io.BytesIO(upload.getvalue()),
                f"@{EXPORT_STAGE}/{member}/{batch}/{name}",
                auto_compress=not name.endswith(".zip"),  # a ZIP is read as it is; CSV files are gzipped like PUT's
                overwrite=True,
            )
        rows = s.sql("CALL OPS.IMPORT_EXPORT(?, ?, ?)", params=[member, f"{member}/{batch}", new_member]).collect()
        return json.loads(rows[0][0]) if isinstance(rows[0][0], str) else rows[0][0]

    return whoop_session.call(run)


if import_clicked:
    member = export_member.strip()
    export_files = [u for u in uploads or [] if _stage_name(u) in (*EXPORT_FILES, "export.zip")]
    if not MEMBER_NAME.match(member):
        st.warning("Enter the member's name (letters, digits and _ . @ - only).")
    elif not export_files:
        st.warning("Choose the export's ZIP or at least one of its CSV files: " + ", ".join(EXPORT_FILES) + ".")
    else:
        try:
            result = _import_export(member, export_files, export_new)
        except Exception as exc:
            st.error(f"The import failed: {' '.join(str(exc).split())[:300]}")
        else:
            if not result.get("ok"):
                st.error(result.get("error") or "The import failed; nothing was imported.")
            else:
                ui.clear_memo()
                counts = "; ".join(f"{n}: {c['rows']} rows, {c['new']} new" for n, c in result["files"].items())
                st.success(
                    f"Imported for {member}: {counts}. The rows reach Silver and Gold on the pipeline's next run."
                )
