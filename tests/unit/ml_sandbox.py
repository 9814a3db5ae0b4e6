"""Sandbox members as the daily frame Gold would give the ML code (no warehouse needed)."""

from __future__ import annotations

from datetime import datetime, timedelta

import pandas as pd

from infra.local.sandbox.members import MemberData


def _local_wake_date(sleep: dict) -> str:
    end = datetime.fromisoformat(sleep["end"].replace("Z", "+00:00"))
    offset = sleep["timezone_offset"].replace("UTC", "").replace("Z", "").replace(":", "")
    minutes = 0
    if offset:
        sign = -1 if offset.startswith("-") else 1
        digits = offset.lstrip("+-").ljust(4, "0")
        minutes = sign * (int(digits[:2]) * 60 + int(digits[2:4]))
    return (end + timedelta(minutes=minutes)).strftime("%Y%m%d")


def daily_frame(member: MemberData) -> pd.DataFrame:
    """One row per calendar day (gaps kept as empty rows): HRV, RHR, skin temperature, respiratory rate."""
    sleeps = {s["id"]: s for s in member.sleeps if not s["nap"] and s.get("score")}
    rows = {}
    for rec in member.recoveries:
        sleep = sleeps.get(rec["sleep_id"])
        if not rec.get("score") or sleep is None:
            continue
        score = rec["score"]
        rows[int(_local_wake_date(sleep))] = {
            "HRV_RMSSD_MS": score["hrv_rmssd_milli"],
            "RESTING_HEART_RATE_BPM": score["resting_heart_rate"],
            "SKIN_TEMP_CELSIUS": score.get("skin_temp_celsius"),
            "RESPIRATORY_RATE": sleep["score"]["respiratory_rate"],
        }
    days = pd.date_range(str(min(rows)), str(max(rows)), freq="D")
    frame = pd.DataFrame({"DATE_KEY": [int(d.strftime("%Y%m%d")) for d in days]})
    values = pd.DataFrame.from_dict(rows, orient="index")
    frame = frame.join(values, on="DATE_KEY")
    frame.insert(0, "MEMBER_KEY", member.name)
    return frame
