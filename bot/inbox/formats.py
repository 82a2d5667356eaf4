"""How the inbox writes durations, shares and dates, and reads the dates agents type.

One date format everywhere: dd.mm.yyyy (the shop's markets: Ukraine, Poland,
Czechia), times as 24-hour HH:MM. ``static/inbox.js`` mirrors ``wait_duration``,
``wait_level`` and the date formats for what it renders live.
"""

from __future__ import annotations

import re
from datetime import date, datetime

DATE_FORMAT = "%d.%m.%Y"
DATE_TIME_FORMAT = "%d.%m.%Y %H:%M"
# What an agent types in a date filter: 5.3.2025, 05.03.2025 (also 05/03/2025,
# 05-03-2025). ISO 2025-03-05 is read too, for links made before.
DATE_HINT = "dd.mm.yyyy"
_TYPED_DATE = re.compile(r"(\d{1,2})[./-](\d{1,2})[./-](\d{4})")
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")

# A waiting conversation stands out after this long, and more so after the second.
WAIT_LONG_SECONDS = 10 * 60
WAIT_OVERDUE_SECONDS = 30 * 60


def wait_duration(seconds: float) -> str:
    """How long someone has waited: "< 1 min", "2 min", "20 h 10 min", "3 d 4 h"."""
    minutes = max(0, int(seconds)) // 60
    hours, minutes = divmod(minutes, 60)
    days, hours = divmod(hours, 24)
    if days:
        return f"{days} d {hours} h"
    if hours:
        return f"{hours} h {minutes} min"
    return f"{minutes} min" if minutes else "< 1 min"


def wait_level(seconds: float) -> str:
    """ "overdue", "long" or "ok": how much a waiting conversation should stand out."""
    if seconds >= WAIT_OVERDUE_SECONDS:
        return "overdue"
    if seconds >= WAIT_LONG_SECONDS:
        return "long"
    return "ok"


def percent(share: float | None) -> str:
    """A share as a percentage that is never 0% unless nothing counted: 0.2%, <0.1%, 33%."""
    if share is None:
        return "—"
    if share <= 0:
        return "0%"
    if share < 0.001:
        return "<0.1%"
    if share < 0.1:
        return f"{share * 100:.1f}%"
    return f"{share * 100:.0f}%"


def day(value: date | datetime | str | None) -> str:
    """dd.mm.yyyy; a string is read as ISO 8601 (as the shop's API sends dates)."""
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        try:
            return date.fromisoformat(value[:10]).strftime(DATE_FORMAT)
        except ValueError:
            return value
    return value.strftime(DATE_FORMAT)


def date_time(value: datetime | None) -> str:
    return "" if value is None else value.strftime(DATE_TIME_FORMAT)


def parse_day(raw: str) -> date:
    """A date an agent typed, as dd.mm.yyyy. Raises ValueError with a message to show."""
    text = raw.strip()
    try:
        if _ISO_DATE.fullmatch(text):
            return date.fromisoformat(text)
        found = _TYPED_DATE.fullmatch(text)
        if found:
            day_, month, year = (int(part) for part in found.groups())
            return date(year, month, day_)
    except ValueError:
        raise ValueError(f"{text!r} is not a date in the calendar") from None
    raise ValueError(f"{text!r} is not a date as {DATE_HINT}")
