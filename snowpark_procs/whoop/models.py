"""Pydantic models of WHOOP v2 payloads, at the API boundary.

They validate what the ingest relies on (ids, times, score state) and accept explicit nulls;
unknown new fields are allowed and the raw payload is what lands in Bronze, so nothing is lost
when WHOOP adds a field.
"""

from __future__ import annotations

from dataclasses import dataclass
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


class RecoveryScore(_Payload):
    user_calibrating: bool | None = None
    recovery_score: float | None = Field(None, ge=0, le=100)
    resting_heart_rate: float | None = None
    hrv_rmssd_milli: float | None = None
    spo2_percentage: float | None = None
    skin_temp_celsius: float | None = None


class Recovery(_Payload):
    cycle_id: int
    sleep_id: str
    user_id: int
    created_at: datetime
    updated_at: datetime
    score_state: ScoreState
    score: RecoveryScore | None = None


class SleepStageSummary(_Payload):
    total_in_bed_time_milli: int | None = None
    total_awake_time_milli: int | None = None
    total_no_data_time_milli: int | None = None
    total_light_sleep_time_milli: int | None = None
    total_slow_wave_sleep_time_milli: int | None = None
    total_rem_sleep_time_milli: int | None = None
    sleep_cycle_count: int | None = None
    disturbance_count: int | None = None


class SleepNeeded(_Payload):
    baseline_milli: int | None = None
    need_from_sleep_debt_milli: int | None = None
    need_from_recent_strain_milli: int | None = None
    need_from_recent_nap_milli: int | None = None


class SleepScore(_Payload):
    stage_summary: SleepStageSummary | None = None
    sleep_needed: SleepNeeded | None = None
    respiratory_rate: float | None = None
    sleep_performance_percentage: float | None = None
    sleep_consistency_percentage: float | None = None
    sleep_efficiency_percentage: float | None = None


class Sleep(_Payload):
    id: str
    cycle_id: int | None = None
    user_id: int
    created_at: datetime
    updated_at: datetime
    start: datetime
    end: datetime
    timezone_offset: str
    nap: bool
    score_state: ScoreState
    score: SleepScore | None = None


class ZoneDurations(_Payload):
    zone_zero_milli: int | None = None
    zone_one_milli: int | None = None
    zone_two_milli: int | None = None
    zone_three_milli: int | None = None
    zone_four_milli: int | None = None
    zone_five_milli: int | None = None


class WorkoutScore(_Payload):
    strain: float | None = None
    average_heart_rate: int | None = None
    max_heart_rate: int | None = None
    kilojoule: float | None = None
    # documented as 0-100 but reported as a 0-1 fraction: both are accepted, Silver stores one scale
    percent_recorded: float | None = Field(None, ge=0, le=100)
    distance_meter: float | None = None
    altitude_gain_meter: float | None = None
    altitude_change_meter: float | None = None
    zone_durations: ZoneDurations | None = None


class Workout(_Payload):
    id: str
    user_id: int
    created_at: datetime
    updated_at: datetime
    start: datetime
    end: datetime
    timezone_offset: str
    sport_name: str
    sport_id: int | None = None
    score_state: ScoreState
    score: WorkoutScore | None = None


class Profile(_Payload):
    user_id: int
    email: str
    first_name: str
    last_name: str


class BodyMeasurement(_Payload):
    height_meter: float
    weight_kilogram: float
    max_heart_rate: int


class Page(_Payload):
    """One page of a collection: the records as received plus the token of the next page."""

    records: list[dict[str, Any]] = Field(default_factory=list)
    next_token: str | None = None


@dataclass(frozen=True)
class Resource:
    """A WHOOP resource the ingest reads: its API path, payload model, and whether it is a collection."""

    name: str
    path: str
    model: type[_Payload]
    collection: bool = True


RESOURCES: dict[str, Resource] = {
    r.name: r
    for r in (
        Resource("cycle", "/v2/cycle", Cycle),
        Resource("recovery", "/v2/recovery", Recovery),
        Resource("sleep", "/v2/activity/sleep", Sleep),
        Resource("workout", "/v2/activity/workout", Workout),
        Resource("profile", "/v2/user/profile/basic", Profile, collection=False),
        Resource("body", "/v2/user/measurement/body", BodyMeasurement, collection=False),
    )
}


def record_key(resource: str, record: dict[str, Any], user_id: int | None = None) -> str:
    """The natural key: cycle id; recovery by its cycle; sleep and workout uuid; snapshots by member."""
    if resource == "recovery":
        return str(record["cycle_id"])
    if resource in ("profile", "body"):
        return str(record.get("user_id", user_id))
    return str(record["id"])
