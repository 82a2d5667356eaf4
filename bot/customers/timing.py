"""When unasked messages may go out: quiet hours and the follow-up delay, from shop_policy.yml.

Times in the database are naive UTC; quiet hours are the shop's local time
(`support.timezone`).
"""

from __future__ import annotations

from datetime import datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from bot.policy import Policy


def quiet_hours(policy: Policy) -> tuple[time, time] | None:
    """`notifications.quiet_hours` ("21:00-08:00"), or None when the shop has none."""
    raw = (policy.raw.get("notifications") or {}).get("quiet_hours")
    if not raw:
        return None
    start, end = (time.fromisoformat(part.strip()) for part in str(raw).split("-"))
    return start, end


def is_quiet(policy: Policy, now: datetime) -> bool:
    """Whether `now` (naive UTC) falls in the shop's quiet hours."""
    hours = quiet_hours(policy)
    if hours is None:
        return False
    zone = ZoneInfo(str(policy.lookup("support.timezone")))
    local = now.replace(tzinfo=timezone.utc).astimezone(zone).time()
    start, end = hours
    if start <= end:
        return start <= local < end
    return local >= start or local < end  # over midnight


def followup_delay(policy: Policy) -> timedelta:
    """How long after a refund the customer is asked whether all is well (default a day)."""
    hours = (policy.raw.get("notifications") or {}).get("followup_after_hours", 24)
    return timedelta(hours=float(hours))
