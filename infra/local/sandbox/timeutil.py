"""Time helpers shared by the generator, the API and the export: WHOOP's timestamp and offset formats."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def ms_to_iso(ms: int) -> str:
    """WHOOP's wire format: UTC, millisecond precision, 'Z' suffix."""
    dt = EPOCH + timedelta(milliseconds=int(ms))
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}Z"


def iso_to_ms(text: str) -> int:
    """Parse an ISO 8601 date-time (with 'Z' or an offset; naive means UTC) to epoch milliseconds."""
    value = text.strip()
    if value.endswith(("Z", "z")):
        value = value[:-1] + "+00:00"
    dt = datetime.fromisoformat(value)
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return round((dt - EPOCH).total_seconds() * 1000)


def date_to_ms(day: date) -> int:
    """Midnight UTC of a date in epoch milliseconds."""
    return int((datetime(day.year, day.month, day.day, tzinfo=UTC) - EPOCH).total_seconds() * 1000)


def format_offset(minutes: int) -> str:
    """'+hh:mm' / '-hh:mm', and 'Z' for UTC (the contract allows all three)."""
    if minutes == 0:
        return "Z"
    sign = "+" if minutes > 0 else "-"
    hours, mins = divmod(abs(minutes), 60)
    return f"{sign}{hours:02d}:{mins:02d}"


def parse_offset(text: str) -> int:
    """Inverse of format_offset, in minutes east of UTC."""
    if text in ("Z", "z"):
        return 0
    sign = 1 if text[0] == "+" else -1
    hours, mins = text[1:].split(":")
    return sign * (int(hours) * 60 + int(mins))


def local_text(ms: int, offset_text: str) -> str:
    """Local wall time 'YYYY-MM-DD HH:MM:SS' as the CSV export writes it."""
    dt = EPOCH + timedelta(milliseconds=int(ms) + parse_offset(offset_text) * 60_000)
    return dt.strftime("%Y-%m-%d %H:%M:%S")


def export_zone(offset_text: str) -> str:
    """The export's timezone column: 'UTC+hh:mm' / 'UTC-hh:mm'."""
    minutes = parse_offset(offset_text)
    sign = "+" if minutes >= 0 else "-"
    hours, mins = divmod(abs(minutes), 60)
    return f"UTC{sign}{hours:02d}:{mins:02d}"


def nth_sunday(year: int, month: int, n: int) -> date:
    """The n-th Sunday of a month; n = -1 is the last one."""
    if n > 0:
        first = date(year, month, 1)
        return first + timedelta(days=(6 - first.weekday()) % 7 + 7 * (n - 1))
    nxt = date(year + (month == 12), month % 12 + 1, 1)
    last = nxt - timedelta(days=1)
    return last - timedelta(days=(last.weekday() - 6) % 7)


def is_dst(day: date, rule: str) -> bool:
    """Daylight saving on a local date under the US or EU rule (day granularity is enough here)."""
    if rule == "us":
        return nth_sunday(day.year, 3, 2) <= day < nth_sunday(day.year, 11, 1)
    if rule == "eu":
        return nth_sunday(day.year, 3, -1) <= day < nth_sunday(day.year, 10, -1)
    return False
