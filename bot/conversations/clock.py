"""Time helpers: the database stores naive UTC, JSON and HTML speak ISO 8601 with Z.

Naive UTC keeps SQLite and PostgreSQL (``timestamp without time zone``) in step.
"""

from __future__ import annotations

from datetime import datetime, timezone


def utc_now() -> datetime:
    # Microseconds kept: message order within one second must survive.
    return datetime.now(timezone.utc).replace(tzinfo=None)


def to_iso(value: datetime | None) -> str | None:
    if value is None:
        return None
    if value.tzinfo is not None:
        value = value.astimezone(timezone.utc).replace(tzinfo=None)
    return value.replace(microsecond=0).isoformat() + "Z"
