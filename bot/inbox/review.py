"""Finding past conversations: free-text search, filters and pagination."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import and_, exists, func, or_, select
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.sql.elements import ColumnElement

from bot.conversations.models import EVENT_LABELS, HANDOFF_REASONS, STATES, Conversation
from bot.conversations.store import conversations_query, row_to_conversation
from bot.conversations.tables import conversations, messages
from bot.inbox.formats import DATE_HINT, day, parse_day

PER_PAGE = 25
PREVIEW_LENGTH = 140


@dataclass(frozen=True)
class ReviewFilter:
    q: str = ""
    date_from: date | None = None
    date_to: date | None = None
    reason: str | None = None
    intent: str | None = None
    event: str | None = None
    language: str | None = None
    channel: str | None = None
    rating: int | None = None
    state: str | None = None
    # The date fields as typed, shown again when they could not be read.
    from_text: str = ""
    to_text: str = ""
    errors: tuple[str, ...] = ()

    @classmethod
    def from_query(cls, query: Mapping[str, str]) -> ReviewFilter:
        """Read the filter form; a value that makes no sense is dropped, not an error."""

        def text(name: str, limit: int = 100) -> str | None:
            return query.get(name, "").strip()[:limit] or None

        reason = text("reason")
        state = text("state")
        event = text("event")
        errors: list[str] = []
        date_from, from_text = _date(query.get("from", ""), "From", errors)
        date_to, to_text = _date(query.get("to", ""), "To", errors)
        return cls(
            q=query.get("q", "").strip()[:200],
            date_from=date_from,
            date_to=date_to,
            reason=reason if reason in HANDOFF_REASONS else None,
            intent=text("intent"),
            event=event if event in EVENT_LABELS else None,
            language=text("language", 8),
            channel=text("channel", 32),
            rating=_rating(query.get("rating", "")),
            state=state if state in STATES else None,
            from_text=from_text,
            to_text=to_text,
            errors=tuple(errors),
        )

    def as_query(self) -> dict[str, str]:
        """Back to query parameters (for pagination links), leaving out empty ones."""
        values = {
            "q": self.q,
            "from": day(self.date_from),
            "to": day(self.date_to),
            "reason": self.reason or "",
            "intent": self.intent or "",
            "event": self.event or "",
            "language": self.language or "",
            "channel": self.channel or "",
            "rating": str(self.rating) if self.rating else "",
            "state": self.state or "",
        }
        return {key: value for key, value in values.items() if value}


@dataclass(frozen=True)
class ReviewRow:
    conversation: Conversation
    message_count: int
    preview: str | None


@dataclass(frozen=True)
class ReviewPage:
    rows: list[ReviewRow]
    total: int
    page: int
    pages: int


async def search(engine: AsyncEngine, wanted: ReviewFilter, *, page: int = 1) -> ReviewPage:
    conditions = _conditions(wanted)
    message_count = (
        select(func.count())
        .where(messages.c.conversation_id == conversations.c.id)
        .scalar_subquery()
        .label("message_count")
    )
    preview = (
        select(messages.c.text)
        .where(
            messages.c.conversation_id == conversations.c.id,
            messages.c.direction == "customer",
        )
        .order_by(messages.c.id)
        .limit(1)
        .scalar_subquery()
        .label("preview")
    )
    async with engine.connect() as conn:
        total = int(
            await conn.scalar(
                select(func.count()).select_from(conversations).where(and_(True, *conditions))
            )
            or 0
        )
        pages = max(1, math.ceil(total / PER_PAGE))
        page = min(max(1, page), pages)
        rows = await conn.execute(
            conversations_query()
            .add_columns(message_count, preview)
            .where(and_(True, *conditions))
            .order_by(conversations.c.last_message_at.desc(), conversations.c.id.desc())
            .limit(PER_PAGE)
            .offset((page - 1) * PER_PAGE)
        )
        found = [
            ReviewRow(
                conversation=row_to_conversation(row),
                message_count=int(row.message_count),
                preview=_shorten(row.preview),
            )
            for row in rows
        ]
    return ReviewPage(rows=found, total=total, page=page, pages=pages)


async def facet_values(engine: AsyncEngine) -> tuple[list[str], list[str]]:
    """The languages and channels that occur, to offer them in the filter form."""
    async with engine.connect() as conn:
        languages = await conn.scalars(
            select(conversations.c.language)
            .where(conversations.c.language.is_not(None))
            .distinct()
            .order_by(conversations.c.language)
        )
        channels = await conn.scalars(
            select(conversations.c.channel).distinct().order_by(conversations.c.channel)
        )
        return list(languages), list(channels)


async def misunderstood_examples(engine: AsyncEngine) -> list[tuple[str, str]]:
    """(corrected intent, customer text) of every message marked misunderstood."""
    async with engine.connect() as conn:
        rows = await conn.execute(
            select(messages.c.corrected_intent, messages.c.text)
            .where(messages.c.misunderstood.is_(True), messages.c.corrected_intent.is_not(None))
            .order_by(messages.c.corrected_intent, messages.c.id)
        )
        return [(row.corrected_intent, row.text) for row in rows]


def _conditions(wanted: ReviewFilter) -> list[ColumnElement[bool]]:
    found: list[ColumnElement[bool]] = []
    if wanted.q:
        pattern = f"%{_escape_like(wanted.q)}%"
        in_messages = exists().where(
            messages.c.conversation_id == conversations.c.id,
            messages.c.text.ilike(pattern, escape="\\"),
        )
        found.append(
            or_(
                in_messages,
                conversations.c.customer.ilike(pattern, escape="\\"),
                conversations.c.sender_id == wanted.q,
                conversations.c.order_id == wanted.q,
            )
        )
    if wanted.date_from:
        found.append(conversations.c.created_at >= datetime.combine(wanted.date_from, time.min))
    if wanted.date_to:
        next_day = datetime.combine(wanted.date_to + timedelta(days=1), time.min)
        found.append(conversations.c.created_at < next_day)
    if wanted.reason:
        found.append(conversations.c.handoff_reason == wanted.reason)
    if wanted.intent:
        found.append(
            exists().where(
                messages.c.conversation_id == conversations.c.id,
                messages.c.direction == "customer",
                messages.c.intent == wanted.intent,
            )
        )
    if wanted.event:
        found.append(
            exists().where(
                messages.c.conversation_id == conversations.c.id,
                messages.c.direction == "system",
                messages.c.payload["event"].as_string() == wanted.event,
            )
        )
    if wanted.language:
        found.append(conversations.c.language == wanted.language)
    if wanted.channel:
        found.append(conversations.c.channel == wanted.channel)
    if wanted.rating:
        found.append(conversations.c.rating == wanted.rating)
    if wanted.state:
        found.append(conversations.c.state == wanted.state)
    return found


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _date(raw: str, label: str, errors: list[str]) -> tuple[date | None, str]:
    """The date and the text to show in its field; a date that cannot be read is
    reported in ``errors`` and not filtered on."""
    text = raw.strip()[:40]
    if not text:
        return None, ""
    try:
        found = parse_day(text)
    except ValueError:
        errors.append(f"{label}: “{text}” is not a date. Write it as {DATE_HINT}, e.g. 05.03.2025.")
        return None, text
    return found, day(found)


def _rating(raw: str) -> int | None:
    raw = raw.strip()
    return int(raw) if raw in {"1", "2", "3", "4", "5"} else None


def _shorten(text: str | None) -> str | None:
    if text is None or len(text) <= PREVIEW_LENGTH:
        return text
    return text[: PREVIEW_LENGTH - 1].rstrip() + "…"
