"""A subset of WHOOP's sport catalogue: (sport_id, v2 sport_name, export activity name, traits).

Ids are WHOOP's real (deprecated, still sent) sport ids; names are the v2 lower-case spelling.
`gps` sports carry distance, `climb` sports carry altitude gain/change.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Sport:
    sport_id: int
    name: str
    label: str
    intensity: float  # typical activity strain, 0-21
    gps: bool = False
    climb: bool = False


SPORTS: tuple[Sport, ...] = (
    Sport(0, "running", "Running", 11.5, gps=True, climb=True),
    Sport(1, "cycling", "Cycling", 12.0, gps=True, climb=True),
    Sport(33, "swimming", "Swimming", 10.0),
    Sport(44, "yoga", "Yoga", 5.5),
    Sport(45, "weightlifting", "Weightlifting", 8.5),
    Sport(48, "functional-fitness", "Functional Fitness", 11.0),
    Sport(52, "hiking/rucking", "Hiking/Rucking", 9.0, gps=True, climb=True),
    Sport(63, "walking", "Walking", 6.0, gps=True),
    Sport(96, "hiit", "HIIT", 12.5),
    Sport(97, "spin", "Spin", 12.0),
    Sport(43, "pilates", "Pilates", 6.5),
    Sport(34, "tennis", "Tennis", 11.0),
    Sport(57, "mountain-biking", "Mountain Biking", 13.0, gps=True, climb=True),
    Sport(-1, "activity", "Activity", 7.0),
)
