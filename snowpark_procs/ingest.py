"""INGEST_WHOOP: pull every registered member's WHOOP data into Bronze.

Runs as the task graph's root (owner's rights, external access to the WHOOP API). Per member and
resource it reads from the watermark minus an overlap window (records are rescored and edited after
the fact), writes each distinct payload version once, then moves the watermark. One member's
failure does not stop the others; every run writes one log row per member.
"""

from __future__ import annotations

import hashlib
import json
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from snowpark_procs import secrets
from snowpark_procs.whoop.client import RateLimiter, WhoopClient
from snowpark_procs.whoop.errors import ReauthorizationRequired, WhoopApiError
from snowpark_procs.whoop.models import RESOURCES, record_key
from snowpark_procs.whoop.tokens import AppManagedTokens, SnowflakeManagedTokens, TokenProvider

API_VERSION = "v2"
CLIENT_ALIAS = "whoop_client"
TOKENS_ALIAS = "whoop_tokens"
TOKENS_SECRET = "CONFIG.WHOOP_REFRESH_TOKENS"
APP_MANAGED = "APP_MANAGED"
SNOWFLAKE_MANAGED = "SNOWFLAKE_MANAGED"
_MEMBER_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,63}$")
BRONZE_TABLES = {
    "cycle": "BRONZE.RAW_CYCLE",
    "recovery": "BRONZE.RAW_RECOVERY",
    "sleep": "BRONZE.RAW_SLEEP",
    "workout": "BRONZE.RAW_WORKOUT",
    "profile": "BRONZE.RAW_PROFILE",
    "body": "BRONZE.RAW_BODY",
}
_COLUMNS = (
    "INGEST_BATCH_ID, LOADED_AT, MEMBER_ID, SOURCE, API_VERSION, RECORD_KEY, RECORD_UPDATED_AT, PAYLOAD_HASH, PAYLOAD"
)


@dataclass
class MemberResult:
    member: str
    status: str = "SUCCEEDED"
    records: int = 0
    new_versions: int = 0
    error: str | None = None
    per_resource: dict[str, int] = field(default_factory=dict)


def oauth_alias(member: str) -> str:
    """The SECRETS alias of a Snowflake-managed member's OAUTH2 secret (derived, so nothing maps it)."""
    return f"whoop_oauth_{_identifier_part(member).lower()}"


def oauth_secret(member: str) -> str:
    """The member's OAUTH2 secret, schema-qualified: CONFIG.WHOOP_OAUTH_<MEMBER>."""
    return f"CONFIG.WHOOP_OAUTH_{_identifier_part(member).upper()}"


def _identifier_part(member: str) -> str:
    # the name becomes part of an identifier and of SQL text: only plain identifier characters pass
    if not _MEMBER_NAME.match(member):
        raise ValueError(f"member name {member!r} must be a letter then up to 63 letters, digits or underscores")
    return member


def main(session: Any, resources: str = "all", backfill_from: str | None = None, overlap_days: int = 3) -> dict:
    """Handler of the INGEST_WHOOP procedure; returns a summary of the run."""
    run_id = uuid.uuid4().hex
    wanted = list(RESOURCES) if resources.strip().lower() == "all" else [r.strip() for r in resources.split(",")]
    wanted = [r for r in wanted if r]
    unknown = [r for r in wanted if r not in RESOURCES]
    if unknown:
        raise ValueError(f"unknown resources: {', '.join(unknown)}; known: {', '.join(RESOURCES)}")
    settings = dict(session.sql("SELECT SETTING_KEY, SETTING_VALUE FROM CONFIG.SETTINGS").collect())
    client_conf = json.loads(secrets.read_generic(CLIENT_ALIAS) or "{}")
    refresh_tokens: dict[str, str] = json.loads(secrets.read_generic(TOKENS_ALIAS) or "{}")
    limiter = RateLimiter()  # one per run: WHOOP's limit is per app, across members
    rows = session.sql(
        "SELECT MEMBER_NAME, WHOOP_USER_ID, AUTH_MODE FROM CONFIG.MEMBERS WHERE STATUS = 'ACTIVE'"
    ).collect()
    members = {r[0]: r[1] for r in rows}
    modes = {r[0]: r[2] or APP_MANAGED for r in rows}
    since = datetime.fromisoformat(backfill_from).replace(tzinfo=UTC) if backfill_from else None
    results = []
    for member in sorted(members):
        started = _now()
        result = MemberResult(member)
        client = None
        try:
            tokens = token_provider(session, member, modes[member], settings, client_conf, refresh_tokens)
            read_timeout = float(settings.get("http_read_timeout_seconds", 30))
            client = WhoopClient(settings["api_base_url"], tokens, limiter=limiter, timeout=(5.0, read_timeout))
            for resource in wanted:
                _ingest_resource(
                    session, client, run_id, member, members[member], resource, since, overlap_days, result
                )
        except ReauthorizationRequired as e:
            result.status, result.error = "NEEDS_REAUTHORIZATION", str(e)
            session.sql(
                "UPDATE CONFIG.MEMBERS SET STATUS = 'NEEDS_REAUTHORIZATION', STATUS_REASON = ? WHERE MEMBER_NAME = ?",
                params=[str(e)[:500], member],
            ).collect()
        except (WhoopApiError, ValueError, KeyError) as e:
            result.status, result.error = "FAILED", f"{type(e).__name__}: {e}"
        _log_run(session, run_id, member, started, result, wanted, client)
        results.append(result)
    return {
        "run_id": run_id,
        "members": len(results),
        "failed": sum(r.status != "SUCCEEDED" for r in results),
        "records": sum(r.records for r in results),
        "new_versions": sum(r.new_versions for r in results),
        "by_member": {
            r.member: {"status": r.status, "new_versions": r.new_versions, "error": r.error} for r in results
        },
    }


def token_provider(
    session: Any,
    member: str,
    mode: str,
    settings: dict[str, str],
    client_conf: dict[str, str],
    refresh_tokens: dict[str, str],
) -> TokenProvider:
    """The member's token source by CONFIG.MEMBERS.AUTH_MODE (DESIGN §3: two modes, one interface)."""
    if mode == SNOWFLAKE_MANAGED:
        return SnowflakeManagedTokens(_oauth_reader(oauth_alias(member)))
    if mode != APP_MANAGED:
        raise ValueError(f"unknown AUTH_MODE {mode!r} (APP_MANAGED or SNOWFLAKE_MANAGED)")
    if member not in refresh_tokens:
        raise ReauthorizationRequired("no refresh token stored for this member")

    def stored() -> str | None:
        return json.loads(secrets.read_generic(TOKENS_ALIAS) or "{}").get(member)

    def save(token: str) -> None:
        # merge into the map as stored now, so a concurrent run's rotation of another member survives
        current = json.loads(secrets.read_generic(TOKENS_ALIAS) or "{}")
        current[member] = token
        secrets.write_generic(session, TOKENS_SECRET, json.dumps(current, sort_keys=True))

    return AppManagedTokens(
        settings["token_url"],
        client_conf.get("client_id", ""),
        client_conf.get("client_secret", ""),
        refresh_tokens[member],
        save,
        stored_refresh_token=stored,
    )


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


def _ingest_resource(
    session: Any,
    client: WhoopClient,
    run_id: str,
    member: str,
    user_id: int | None,
    resource: str,
    since: datetime | None,
    overlap_days: int,
    result: MemberResult,
) -> None:
    spec = RESOURCES[resource]
    before = result.records
    if not spec.collection:  # a snapshot (profile, body): one record, a new row only when it changed
        record = client.get(spec.path)
        spec.model.model_validate(record)
        result.records += 1
        result.new_versions += _write_bronze(session, run_id, resource, spec.path, [record], user_id)
        result.per_resource[resource] = 1
        return
    start = since
    if start is None:
        row = session.sql(
            "SELECT MAX(HIGH_WATER) FROM OPS.WATERMARKS WHERE MEMBER_NAME = ? AND RESOURCE = ?",
            params=[member, resource],
        ).collect()
        if row and row[0][0] is not None:
            start = row[0][0].replace(tzinfo=UTC) - timedelta(days=overlap_days)
    high_water: datetime | None = None
    for records in client.pages(spec.path, start=start):
        for record in records:
            spec.model.model_validate(record)
        result.records += len(records)
        result.new_versions += _write_bronze(session, run_id, resource, spec.path, records, user_id)
        for record in records:
            # recoveries have no start of their own; their creation follows their cycle's start
            began = datetime.fromisoformat(str(record.get("start") or record["created_at"]).replace("Z", "+00:00"))
            high_water = began if high_water is None or began > high_water else high_water
    result.per_resource[resource] = result.records - before
    if high_water is not None:
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


def _write_bronze(
    session: Any, run_id: str, resource: str, path: str, records: list[dict], user_id: int | None = None
) -> int:
    """Insert the page's payload versions that Bronze does not hold yet; returns how many were new."""
    if not records:
        return 0
    loaded_at = _now().isoformat()
    rows, params = [], []
    for record in records:
        canonical = json.dumps(record, sort_keys=True, separators=(",", ":"))
        rows.append("(?, ?, ?, ?, ?, ?, ?, ?, ?)")
        params += [
            run_id,
            loaded_at,
            int(record.get("user_id", user_id)),
            path,
            API_VERSION,
            record_key(resource, record, user_id),
            str(record["updated_at"]).replace("Z", "") if record.get("updated_at") else None,
            hashlib.md5(canonical.encode()).hexdigest(),
            canonical,
        ]
    table = BRONZE_TABLES[resource]
    inserted = session.sql(
        f"INSERT INTO {table} ({_COLUMNS}) "
        "SELECT v.BATCH, v.LOADED::TIMESTAMP_NTZ, v.MEMBER, v.SRC, v.API, v.RKEY, v.UPDATED::TIMESTAMP_NTZ, "
        "v.HASH, PARSE_JSON(v.BODY) "
        f"FROM (VALUES {', '.join(rows)}) AS v (BATCH, LOADED, MEMBER, SRC, API, RKEY, UPDATED, HASH, BODY) "
        f"WHERE NOT EXISTS (SELECT 1 FROM {table} AS b WHERE b.PAYLOAD_HASH = v.HASH)",
        params=params,
    ).collect()
    return int(inserted[0][0]) if inserted else 0


def _log_run(
    session: Any,
    run_id: str,
    member: str,
    started: datetime,
    result: MemberResult,
    resources: list[str],
    client: WhoopClient | None,
) -> None:
    stats = client.stats if client else None
    session.sql(
        "INSERT INTO OPS.INGEST_RUNS (RUN_ID, MEMBER_NAME, STARTED_AT, FINISHED_AT, STATUS, RESOURCES, REQUESTS, "
        "PAGES, RECORDS, NEW_VERSIONS, RETRIES, WAITS, WAIT_SECONDS, ERROR_MESSAGE) "
        "SELECT ?, ?, CAST(? AS TIMESTAMP_NTZ), CAST(? AS TIMESTAMP_NTZ), ?, ?, ?, ?, ?, ?, ?, ?, ?, ?",
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
        ],
    ).collect()


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)
