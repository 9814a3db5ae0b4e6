"""INGEST_WHOOP: pull every registered member's WHOOP data into Bronze.

Runs as the task graph's root (owner's rights, external access to the WHOOP API). Per member and
resource it reads from the watermark minus an overlap window (records are rescored and edited after
the fact), writes each distinct payload version once, then moves the watermark. One member's
failure does not stop the others (their data still reaches Silver); every run writes one log row per member,
naming the task graph run it belongs to and, for a failure, where it stopped. In a task run the summary is also
the task's return value (SYSTEM$SET_RETURN_VALUE), so TASK_HISTORY shows per member what happened; the graph's
finalizer (OPS.FINISH_PIPELINE_RUN) then fails the graph run when a member failed.

The HTTP side (rate-limited paging) runs on a worker thread, so the waits the rate limit imposes
overlap the Bronze writes instead of adding to them; the Snowpark session stays on the procedure's
thread, which writes the pages in the order they were fetched (those that queued up meanwhile in one
statement) and moves a resource's watermark only after all its pages are written.
"""

from __future__ import annotations

import hashlib
import json
import queue
import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import closing
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, TypeVar

from snowpark_procs import member_names, secrets, task_run
from snowpark_procs.json_rows import insert_json_rows
from snowpark_procs.whoop.client import RateLimiter, WhoopClient
from snowpark_procs.whoop.errors import ReauthorizationRequired, WhoopApiError
from snowpark_procs.whoop.models import RESOURCES, record_key
from snowpark_procs.whoop.tokens import AppManagedTokens, SnowflakeManagedTokens, TokenProvider

if TYPE_CHECKING:
    from snowflake.snowpark import Session

API_VERSION = "v2"
CLIENT_ALIAS = "whoop_client"
APP_MANAGED = "APP_MANAGED"
SNOWFLAKE_MANAGED = "SNOWFLAKE_MANAGED"
BRONZE_TABLES = {
    "cycle": "BRONZE.RAW_CYCLE",
    "recovery": "BRONZE.RAW_RECOVERY",
    "sleep": "BRONZE.RAW_SLEEP",
    "workout": "BRONZE.RAW_WORKOUT",
    "profile": "BRONZE.RAW_PROFILE",
    "body": "BRONZE.RAW_BODY",
}
_COLUMNS = [
    "INGEST_BATCH_ID",
    "LOADED_AT",
    "MEMBER_ID",
    "SOURCE",
    "API_VERSION",
    "RECORD_KEY",
    "RECORD_UPDATED_AT",
    "PAYLOAD_HASH",
    "PAYLOAD",
]


@dataclass
class MemberResult:
    member: str
    status: str = "SUCCEEDED"
    records: int = 0
    new_versions: int = 0
    error: str | None = None
    per_resource: dict[str, int] = field(default_factory=dict)
    failed_resource: str | None = None  # "token" or the resource being read when the member's part failed


def token_alias(member: str) -> str:
    """The SECRETS alias of an app-managed member's refresh-token secret (derived, so nothing maps it)."""
    return f"whoop_token_{_identifier_part(member).lower()}"


def token_secret(member: str) -> str:
    """The app-managed member's own GENERIC_STRING secret: CONFIG.WHOOP_TOKEN_<MEMBER>, holding only their
    current refresh token. One secret per member, so a save after a rotation writes that member's token
    and nothing else: no member's save can carry another member's stale token (whatever a procedure sees
    of its own ALTER SECRET during the call, which Snowflake does not document)."""
    return f"CONFIG.WHOOP_TOKEN_{_identifier_part(member).upper()}"


def oauth_alias(member: str) -> str:
    """The SECRETS alias of a Snowflake-managed member's OAUTH2 secret (derived, so nothing maps it)."""
    return f"whoop_oauth_{_identifier_part(member).lower()}"


def oauth_secret(member: str) -> str:
    """The member's OAUTH2 secret, schema-qualified: CONFIG.WHOOP_OAUTH_<MEMBER>."""
    return f"CONFIG.WHOOP_OAUTH_{_identifier_part(member).upper()}"


def _identifier_part(member: str) -> str:
    # the name becomes part of an identifier and of SQL text: only plain identifier characters pass
    return member_names.check(member)


def main(session: Session, resources: str = "all", backfill_from: str | None = None, overlap_days: int = 3) -> dict:
    """Handler of the INGEST_WHOOP procedure; returns a summary of the run."""
    run_id = uuid.uuid4().hex
    wanted = list(RESOURCES) if resources.strip().lower() == "all" else [r.strip() for r in resources.split(",")]
    wanted = [r for r in wanted if r]
    unknown = [r for r in wanted if r not in RESOURCES]
    if unknown:
        raise ValueError(f"unknown resources: {', '.join(unknown)}; known: {', '.join(RESOURCES)}")
    settings = dict(session.sql("SELECT SETTING_KEY, SETTING_VALUE FROM CONFIG.SETTINGS").collect())
    client_conf = json.loads(secrets.read_generic(CLIENT_ALIAS) or "{}")
    limiter = RateLimiter()  # one per run: WHOOP's limit is per app, across members
    rows = session.sql(
        "SELECT MEMBER_NAME, WHOOP_USER_ID, AUTH_MODE FROM CONFIG.MEMBERS WHERE STATUS = 'ACTIVE'"
    ).collect()
    members = {r[0]: r[1] for r in rows}
    modes = {r[0]: r[2] or APP_MANAGED for r in rows}
    since = datetime.fromisoformat(backfill_from).replace(tzinfo=UTC) if backfill_from else None
    graph_run_id = task_run.graph_run_id(session)
    results = []
    for member in sorted(members):
        started = _now()
        result = MemberResult(member)
        client = None
        fetcher = PageFetcher()  # HTTP on a worker thread, overlapping the Bronze writes
        reading = False
        try:
            tokens = token_provider(session, member, modes[member], settings, client_conf, fetcher.on_session_thread)
            read_timeout = float(settings.get("http_read_timeout_seconds", 30))
            client = WhoopClient(settings["api_base_url"], tokens, limiter=limiter, timeout=(5.0, read_timeout))
            tokens.access_token()  # a first refresh (and its save) here, on the session's thread
            reading = True
            _ingest_member(
                session, client, run_id, member, members[member], wanted, since, overlap_days, result, fetcher
            )
        except ReauthorizationRequired as e:
            result.status, result.error = "NEEDS_REAUTHORIZATION", str(e)
            session.sql(
                "UPDATE CONFIG.MEMBERS SET STATUS = 'NEEDS_REAUTHORIZATION', STATUS_REASON = ? WHERE MEMBER_NAME = ?",
                params=[str(e)[:500], member],
            ).collect()
        except (WhoopApiError, ValueError, KeyError) as e:
            result.status, result.error = "FAILED", f"{type(e).__name__}: {e}"
        if result.status != "SUCCEEDED":
            # resources are read in order, so the failing one is the first not finished
            unfinished = [r for r in wanted if r not in result.per_resource]
            result.failed_resource = (unfinished[0] if unfinished else None) if reading else "token"
        _log_run(session, run_id, member, started, result, wanted, client, graph_run_id)
        results.append(result)
    summary = {
        "run_id": run_id,
        "graph_run_id": graph_run_id,
        "members": len(results),
        "failed": sum(r.status != "SUCCEEDED" for r in results),
        "records": sum(r.records for r in results),
        "new_versions": sum(r.new_versions for r in results),
        "by_member": {
            r.member: {
                "status": r.status,
                "new_versions": r.new_versions,
                "error": r.error,
                "failed_resource": r.failed_resource,
            }
            for r in results
        },
    }
    if graph_run_id is not None:
        session.sql("CALL SYSTEM$SET_RETURN_VALUE(?)", params=[task_return_value(summary)]).collect()
    return summary


RETURN_VALUE_BYTES = 10 * 1024  # SYSTEM$SET_RETURN_VALUE takes at most 10 kB of UTF-8


def task_return_value(summary: dict[str, Any]) -> str:
    """The run summary as the root task's return value (TASK_HISTORY.RETURN_VALUE): counts, and the failed members
    with their reason, shortened until it fits Snowflake's 10 kB
    (https://docs.snowflake.com/en/sql-reference/functions/system_set_return_value)."""
    failed = {m: r for m, r in summary["by_member"].items() if r["status"] != "SUCCEEDED"}
    for error_chars in (300, 80, 0):
        value = {
            "run_id": summary["run_id"],
            "members": summary["members"],
            "failed": summary["failed"],
            "new_versions": summary["new_versions"],
            "failed_members": {
                m: {"status": r["status"], "resource": r["failed_resource"], "error": (r["error"] or "")[:error_chars]}
                for m, r in failed.items()
            },
        }
        text = json.dumps(value, separators=(",", ":"))
        if len(text.encode()) <= RETURN_VALUE_BYTES:
            return text
    # too many failed members to name each: the counts, and as many names as fit
    counts = {k: summary[k] for k in ("run_id", "members", "failed", "new_versions")}
    names = sorted(failed)
    while True:
        text = json.dumps({**counts, "failed_members": names}, separators=(",", ":"))
        if len(text.encode()) <= RETURN_VALUE_BYTES or not names:
            return text
        names = names[: len(names) // 2]


def token_provider(
    session: Session,
    member: str,
    mode: str,
    settings: dict[str, str],
    client_conf: dict[str, str],
    on_session_thread: Callable[[Callable[[], Any]], Any] = lambda fn: fn(),
    http: Any = None,
) -> TokenProvider:
    """The member's token source by CONFIG.MEMBERS.AUTH_MODE (DESIGN §3: two modes, one interface).

    App-managed: the member's own secret (token_secret) holds their current refresh token. It is read
    once here; after a rotation the token in memory is the truth and the save writes only this member's
    secret (ALTER SECRET, no read-modify-write of anything shared). The secret is read again only to find
    a token another run rotated to (stored_refresh_token); if Snowflake served that read stale, the
    provider ignores tokens it already rotated away and reports re-authorization, as before.

    Secret reads and writes go through `on_session_thread`: a refresh may be needed by the page-fetching
    worker, but `_snowflake` and the Snowpark session belong to the procedure's thread.
    """
    if mode == SNOWFLAKE_MANAGED:
        read = _oauth_reader(oauth_alias(member))
        return SnowflakeManagedTokens(lambda: on_session_thread(read))
    if mode != APP_MANAGED:
        raise ValueError(f"unknown AUTH_MODE {mode!r} (APP_MANAGED or SNOWFLAKE_MANAGED)")
    alias, secret = token_alias(member), token_secret(member)
    current = _own_token(alias)
    if not current:
        raise ReauthorizationRequired("no refresh token stored for this member")

    def stored() -> str | None:
        return on_session_thread(lambda: _own_token(alias))

    def save(token: str) -> None:
        on_session_thread(lambda: secrets.write_generic(session, secret, token))

    return AppManagedTokens(
        settings["token_url"],
        client_conf.get("client_id", ""),
        client_conf.get("client_secret", ""),
        current,
        save,
        http=http,
        stored_refresh_token=stored,
    )


def _own_token(alias: str) -> str | None:
    """The member's stored refresh token, or None when the secret is empty or not bound (not registered)."""
    try:
        return secrets.read_generic(alias) or None
    except Exception:  # Snowflake documents no error types for an unbound alias
        return None


def _oauth_reader(alias: str) -> Callable[[], str]:
    """Reads the OAUTH2 secret's access token; Snowflake refreshes it (and keeps the rotated refresh token).

    Snowflake documents no error types for this call: a failure to reach the token endpoint is a
    transient API error (retried next run), anything else (no refresh token yet, the provider refused
    it, the alias not bound) means the member must go through the OAuth flow again.
    """

    def read() -> str:
        try:
            token = secrets.read_oauth(alias)
        except (ConnectionError, TimeoutError) as e:
            raise WhoopApiError(f"Snowflake could not refresh {alias}: {type(e).__name__}", path="token") from None
        except Exception as e:
            raise ReauthorizationRequired(
                f"no usable token in {alias} ({type(e).__name__}: {str(e)[:200]}); run the OAuth flow again",
                path="token",
            ) from None
        if not token:
            raise ReauthorizationRequired(f"no access token in {alias}; run the OAuth flow again", path="token")
        return token

    return read


def _ingest_member(
    session: Session,
    client: WhoopClient,
    run_id: str,
    member: str,
    user_id: int | None,
    wanted: list[str],
    since: datetime | None,
    overlap_days: int,
    result: MemberResult,
    fetcher: PageFetcher,
) -> None:
    """Write every page the fetcher brings, in order; a resource's watermark moves after its last page."""
    starts: dict[str, datetime | None] = dict.fromkeys(wanted, since)
    if since is None:
        rows = session.sql(
            "SELECT RESOURCE, MAX(HIGH_WATER) FROM OPS.WATERMARKS WHERE MEMBER_NAME = ? GROUP BY RESOURCE",
            params=[member],
        ).collect()
        for resource, high in rows:
            if resource in starts and high is not None:
                starts[resource] = high.replace(tzinfo=UTC) - timedelta(days=overlap_days)

    def produce(put: Callable[[tuple[str, list[dict] | None]], None]) -> None:
        """HTTP only (the worker thread never touches the session): every page of every wanted resource."""
        for resource in wanted:
            spec = RESOURCES[resource]
            if spec.collection:
                for records in client.pages(spec.path, start=starts[resource]):
                    put((resource, records))
            else:  # a snapshot (profile, body): one record
                put((resource, [client.get(spec.path)]))
            put((resource, None))

    high_water: datetime | None = None
    before = result.records
    with closing(fetcher.run(produce)) as batches:  # closed at once on an error: the worker stops too
        for batch in batches:  # the pages fetched meanwhile, in order: consecutive ones are written together
            i = 0
            while i < len(batch):
                resource, pages = batch[i][0], []
                while i < len(batch) and batch[i][1] is not None:
                    pages.append(batch[i][1])
                    i += 1
                high_water = _write_pages(session, run_id, resource, pages, user_id, result, high_water)
                if i < len(batch):  # the resource's end: all its rows are written
                    i += 1
                    result.per_resource[resource] = result.records - before
                    if high_water is not None:
                        _move_watermark(session, member, resource, high_water)
                    high_water, before = None, result.records


def _write_pages(
    session: Session,
    run_id: str,
    resource: str,
    pages: list[list[dict]],
    user_id: int | None,
    result: MemberResult,
    high_water: datetime | None,
) -> datetime | None:
    """Validate and write pages of one resource in one statement; returns the resource's high water so far."""
    spec = RESOURCES[resource]
    records = [record for page in pages for record in page]
    for record in records:
        spec.model.model_validate(record)
    result.records += len(records)
    result.new_versions += _write_bronze(session, run_id, resource, spec.path, records, user_id)
    if spec.collection:
        for record in records:
            # recoveries have no start of their own; their creation follows their cycle's start
            began = _instant(record.get("start") or record["created_at"])
            high_water = began if high_water is None or began > high_water else high_water
    return high_water


def _move_watermark(session: Session, member: str, resource: str, high_water: datetime) -> None:
    session.sql(
        "MERGE INTO OPS.WATERMARKS AS w "
        "USING (SELECT ? AS MEMBER_NAME, ? AS RESOURCE, CAST(? AS TIMESTAMP_NTZ) AS HIGH_WATER) s "
        "ON w.MEMBER_NAME = s.MEMBER_NAME AND w.RESOURCE = s.RESOURCE "
        "WHEN MATCHED AND s.HIGH_WATER > w.HIGH_WATER THEN UPDATE SET HIGH_WATER = s.HIGH_WATER, "
        "UPDATED_AT = SYSDATE() "
        "WHEN NOT MATCHED THEN INSERT (MEMBER_NAME, RESOURCE, HIGH_WATER, UPDATED_AT) "
        "VALUES (s.MEMBER_NAME, s.RESOURCE, s.HIGH_WATER, SYSDATE())",
        params=[member, resource, high_water.astimezone(UTC).replace(tzinfo=None).isoformat()],
    ).collect()


class _Stopped(Exception):
    """The consumer stopped reading: the worker gives up."""


@dataclass
class _Call:
    """Work the worker hands to the session's thread (reading or saving a token), and its outcome."""

    fn: Callable[[], Any]
    done: threading.Event = field(default_factory=threading.Event)
    value: Any = None
    error: BaseException | None = None

    def run(self) -> None:
        try:
            self.value = self.fn()
        except BaseException as e:  # handed back to the worker, which raises it where the call was made
            self.error = e
        finally:
            self.done.set()


@dataclass
class _Failed:
    error: BaseException


_END = object()
MAX_PAGES_PER_WRITE = 8  # pages that queued up while the previous write ran go to Bronze in one statement
_T = TypeVar("_T")


class PageFetcher:
    """Fetches pages on a worker thread while the session's thread writes the previous ones.

    The worker does only rate-limited HTTP; the Snowpark session stays on the thread that created the
    fetcher. What the worker needs done with the session (saving a rotated refresh token) it hands over
    with `on_session_thread` and waits for. Items arrive in the order they were fetched; an error of
    the worker is raised at the point of the stream where it happened. When the reader stops early (an
    error while writing), the worker stops as it hands over its next page, so at most the request in
    flight is still made, and any call it handed over still runs.
    """

    def __init__(self) -> None:
        self._owner = threading.get_ident()
        self._items: queue.Queue[Any] = queue.Queue()
        self._stop = threading.Event()

    def on_session_thread(self, fn: Callable[[], _T]) -> _T:
        """`fn()` on the session's thread: at once when called there, else handed over and waited for."""
        if threading.get_ident() == self._owner:
            return fn()
        call = _Call(fn)
        self._items.put(call)
        call.done.wait()
        if call.error is not None:
            raise call.error
        return call.value

    def run(self, produce: Callable[[Callable[[Any], None]], None], most: int = MAX_PAGES_PER_WRITE) -> Iterator[list]:
        """The items `produce` puts, in order, as lists of what arrived meanwhile (at least one, at most `most`)."""

        def put(item: Any) -> None:
            if self._stop.is_set():
                raise _Stopped
            self._items.put(item)

        def work() -> None:
            try:
                produce(put)
            except _Stopped:
                pass
            except BaseException as e:  # raised again on the session's thread, in stream order
                self._items.put(_Failed(e))
            finally:
                self._items.put(_END)

        self._stop.clear()
        worker = threading.Thread(target=work, name="ingest-fetch", daemon=True)
        worker.start()
        try:
            item = self._next()
            while item is not _END:
                batch: list[Any] = []
                while item is not None and item is not _END and len(batch) < most:
                    if isinstance(item, _Failed):
                        if batch:  # what came before the failure is written first
                            yield batch
                        raise item.error
                    batch.append(item)
                    item = self._next(timeout=0)
                yield batch
                if item is None:
                    item = self._next()
        finally:
            self._stop.set()
            # the worker may be saving a token through us, or blocked in a rate-limit wait: serve it until it ends
            while worker.is_alive() or not self._items.empty():
                self._next(timeout=0.05)

    def _next(self, timeout: float | None = None) -> Any:
        """The next item for the reader; calls handed over are run here, in order."""
        while True:
            try:
                item = self._items.get(timeout=timeout)
            except queue.Empty:
                return None
            if not isinstance(item, _Call):
                return item
            item.run()


def _write_bronze(
    session: Session, run_id: str, resource: str, path: str, records: list[dict], user_id: int | None = None
) -> int:
    """Insert the payload versions (of one or more pages) that Bronze does not hold yet; returns how many were new.

    One statement whatever the number of records: the rows travel as one JSON array, so the text stays
    the same (the warehouse reuses its plan) and the check against the versions already stored is
    part of the same INSERT. A version twice in `records` is sent once.
    """
    if not records:
        return 0
    loaded_at = _now().isoformat()
    rows, hashes = [], set()
    for record in records:
        canonical = json.dumps(record, sort_keys=True, separators=(",", ":"))
        digest = hashlib.md5(canonical.encode()).hexdigest()
        if digest in hashes:
            continue
        hashes.add(digest)
        rows.append(
            [
                run_id,
                loaded_at,
                int(record.get("user_id", user_id)),
                path,
                API_VERSION,
                record_key(resource, record, user_id),
                str(record["updated_at"]).replace("Z", "") if record.get("updated_at") else None,
                digest,
                record,
            ]
        )
    table = BRONZE_TABLES[resource]
    return insert_json_rows(
        session,
        table,
        _COLUMNS,
        ["STRING", "TIMESTAMP_NTZ", "NUMBER", "STRING", "STRING", "STRING", "TIMESTAMP_NTZ", "STRING", None],
        rows,  # payloads travel as canonical as they are hashed (json_rows.rows_json sorts keys)
        where=f"NOT EXISTS (SELECT 1 FROM {table} AS b WHERE b.PAYLOAD_HASH = r.value[7]::STRING)",
    )


def _log_run(
    session: Session,
    run_id: str,
    member: str,
    started: datetime,
    result: MemberResult,
    resources: list[str],
    client: WhoopClient | None,
    graph_run_id: str | None = None,
) -> None:
    stats = client.stats if client else None
    session.sql(
        "INSERT INTO OPS.INGEST_RUNS (RUN_ID, MEMBER_NAME, STARTED_AT, FINISHED_AT, STATUS, RESOURCES, REQUESTS, "
        "PAGES, RECORDS, NEW_VERSIONS, RETRIES, WAITS, WAIT_SECONDS, ERROR_MESSAGE, GRAPH_RUN_ID, FAILED_RESOURCE) "
        "SELECT ?, ?, CAST(? AS TIMESTAMP_NTZ), CAST(? AS TIMESTAMP_NTZ), ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?",
        params=[
            run_id,
            member,
            started.isoformat(),
            _now().isoformat(),
            result.status,
            ",".join(resources),
            stats.requests if stats else 0,
            stats.pages if stats else 0,
            result.records,
            result.new_versions,
            stats.retries if stats else 0,
            stats.waits if stats else 0,
            round(stats.wait_seconds, 3) if stats else 0.0,
            (result.error or None) and result.error[:2000],
            graph_run_id,
            result.failed_resource,
        ],
    ).collect()


def _instant(value: object) -> datetime:
    return datetime.fromisoformat(str(value).replace("Z", "+00:00"))


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)
