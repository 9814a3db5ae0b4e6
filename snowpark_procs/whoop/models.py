"""Pydantic models of WHOOP v2 payloads, at the API boundary.

They validate what the ingest relies on (ids, times, score state) and accept explicit nulls;
unknown new fields are allowed and the raw payload is what lands in Bronze, so nothing is lost
when WHOOP adds a field.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

ScoreState = Literal["SCORED", "PENDING_SCORE", "UNSCORABLE"]


class _Payload(BaseModel):
    model_config = ConfigDict(extra="allow")


class CycleScore(_Payload):
    strain: float | None = None
    kilojoule: float | None = None
    average_heart_rate: int | None = None
    max_heart_rate: int | None = None


class Cycle(_Payload):
    id: int
    user_id: int
    created_at: datetime
    updated_at: datetime
    start: datetime
    end: datetime | None = None
    timezone_offset: str
    score_state: ScoreState
    score: CycleScore | None = None


class Page(_Payload):
    """One page of a collection: the records as received plus the token of the next page."""

    records: list[dict[str, Any]] = Field(default_factory=list)
    next_token: str | None = None


# The collections the ingest reads, by resource name: (API path, payload model or None when the
# payload is validated only for its id and updated_at until its model lands).
RESOURCES: dict[str, tuple[str, type[_Payload] | None]] = {
    "cycle": ("/v2/cycle", Cycle),
}


def record_key(resource: str, record: dict[str, Any]) -> str:
    """The natural key of a record: cycle id; recovery by its cycle; sleep and workout uuid."""
    if resource == "recovery":
        return str(record["cycle_id"])
    return str(record["id"])
