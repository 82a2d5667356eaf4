"""Conversations and messages: the functions the gateway calls, and the reads
the inbox needs. Plain async functions over an AsyncEngine, no HTTP here."""

from __future__ import annotations

import contextlib
import functools
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, ParamSpec, TypeVar

from sqlalchemy import and_, bindparam, cast, func, or_, select, union_all, update
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import Row
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from sqlalchemy.sql import ColumnElement, Executable, Select

from bot.conversations.clock import utc_now
from bot.conversations.models import (
    DIRECTIONS,
    HANDOFF_REASONS,
    REASON_LABELS,
    Conversation,
    Message,
)
from bot.conversations.tables import agents, conversations, messages

log = logging.getLogger(__name__)


class ConversationNotFound(LookupError):
    def __init__(self, reference: int | str) -> None:
        super().__init__(f"Conversation {reference} was not found")


P = ParamSpec("P")
T = TypeVar("T")

HANDED_OFF = ("waiting", "assigned")
MAX_COMMENT_LENGTH = 2000
UNKNOWN_CHANNEL = "unknown"


@contextlib.asynccontextmanager
async def unwrapped(engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    """A connection without a transaction around its statements: for reads and for
    single statements (PostgreSQL would otherwise get a BEGIN and a ROLLBACK or
    COMMIT around every look-up and write of every turn)."""
    async with engine.connect() as conn:
        yield await conn.execution_options(isolation_level="AUTOCOMMIT")


def retried_on_disconnect(call: Callable[P, Awaitable[T]]) -> Callable[P, Awaitable[T]]:
    """Runs `call` again, once, when it met a connection that PostgreSQL dropped.

    The pool hands out connections without pinging them first (that cost a
    round trip, a BEGIN and a ROLLBACK per use). After a restart the first
    statement fails on a dead connection before reaching PostgreSQL; SQLAlchemy
    then renews every pooled connection, so the second try is on a fresh one.
    Only for reads and single-statement writes. A write whose connection
    drops after PostgreSQL committed it but before the answer came back would
    be written twice; a restart's dead connections fail before that point.
    """

    @functools.wraps(call)
    async def once_more(*args: P.args, **kwargs: P.kwargs) -> T:
        try:
            return await call(*args, **kwargs)
        except DBAPIError as error:
            if not error.connection_invalidated:
                raise
            log.warning("The transcript's connection was dropped (%s); trying again", error.orig)
            return await call(*args, **kwargs)

    return once_more


# ---------------------------------------------------------------- the gateway's calls


async def record_message(
    engine: AsyncEngine,
    *,
    sender_id: str,
    channel: str,
    direction: str,
    text: str,
    payload: dict[str, Any] | None = None,
    intent: str | None = None,
    confidence: float | None = None,
    agent_id: int | None = None,
    language: str | None = None,
) -> Message:
    """Append one message, creating the conversation (state ``bot``) on the first."""
    if direction not in DIRECTIONS:
        raise ValueError(f"direction must be one of {', '.join(DIRECTIONS)}, got {direction!r}")
    now = utc_now()
    conversation_id = await _ensure_conversation(engine, sender_id, channel, now)
    async with engine.begin() as conn:
        inserted = await conn.execute(
            messages.insert().values(
                conversation_id=conversation_id,
                direction=direction,
                text=text,
                payload=payload,
                intent=intent,
                confidence=confidence,
                agent_id=agent_id,
                created_at=now,
            )
        )
        changes: dict[str, Any] = {"last_message_at": now}
        if language:
            changes["language"] = language
        await conn.execute(
            update(conversations).where(conversations.c.id == conversation_id).values(**changes)
        )
        row = (
            await conn.execute(
                messages_query().where(messages.c.id == inserted.inserted_primary_key[0])
            )
        ).one()
    return row_to_message(row)


@dataclass(frozen=True)
class NewMessage:
    """A transcript line to record (see ``record_messages``)."""

    direction: str
    text: str
    payload: dict[str, Any] | None = None
    intent: str | None = None
    confidence: float | None = None


@retried_on_disconnect
async def record_messages(
    engine: AsyncEngine,
    *,
    sender_id: str,
    channel: str,
    lines: Sequence[NewMessage],
    language: str | None = None,
    conversation_id: int | None = None,
) -> tuple[int, int]:
    """Append a turn's lines in order, in one transaction; (conversation id, last message id).

    Creates the conversation (state ``bot``) when ``conversation_id`` is not
    given and the sender has none yet.
    """
    if not lines:
        raise ValueError("record_messages needs at least one line")
    for line in lines:
        if line.direction not in DIRECTIONS:
            raise ValueError(f"direction must be one of {', '.join(DIRECTIONS)}, got {line!r}")
    now = utc_now()
    if conversation_id is None and engine.dialect.name == "postgresql":
        conversation_id = await _created_conversation(engine, sender_id, channel, now)
    elif conversation_id is None:
        conversation_id = await _ensure_conversation(engine, sender_id, channel, now)
    if engine.dialect.name == "postgresql":
        # One statement, atomic by itself: no BEGIN and COMMIT round trips.
        values = {"turn_conversation": conversation_id, "turn_now": now, "turn_language": language}
        for number, line in enumerate(lines):
            values |= {f"{column}_{number}": getattr(line, column) for column in LINE_COLUMNS}
        async with unwrapped(engine) as conn:
            last = int(await conn.scalar(turn_statement(len(lines), bool(language)), values))
        return conversation_id, last
    rows = [
        {
            "conversation_id": conversation_id,
            "direction": line.direction,
            "text": line.text,
            "payload": line.payload,
            "intent": line.intent,
            "confidence": line.confidence,
            "created_at": now,
        }
        for line in lines
    ]
    changes: dict[str, Any] = {"last_message_at": now}
    if language:
        changes["language"] = language
    touch = update(conversations).where(conversations.c.id == conversation_id).values(**changes)
    async with engine.begin() as conn:  # SQLAlchemy 1.4 has no RETURNING for SQLite
        for row in rows:
            last = (await conn.execute(messages.insert().values(row))).inserted_primary_key[0]
        await conn.execute(touch)
    return conversation_id, last


# What a turn's lines set; the conversation and the time are the turn's.
LINE_COLUMNS = ("direction", "text", "payload", "intent", "confidence")


@functools.lru_cache(maxsize=64)
def turn_statement(lines: int, with_language: bool) -> Executable:
    """PostgreSQL's one statement for a turn of `lines` lines: inserts them in order
    (a SELECT per line, UNION ALL), then touches the conversation, returning the
    last line's id. Built once per shape with named parameters: SQLAlchemy
    cannot cache a multi-row VALUES, so it compiled that anew on every turn (an
    eighth of the gateway's CPU under load); this one compiles once.
    """

    def parameter(name: str, column: str) -> ColumnElement[Any]:
        # Typed: PostgreSQL cannot infer a parameter's type in a SELECT list.
        return cast(bindparam(name, type_=messages.c[column].type), messages.c[column].type)

    rows = [
        select(
            parameter("turn_conversation", "conversation_id"),
            *(parameter(f"{column}_{number}", column) for column in LINE_COLUMNS),
            parameter("turn_now", "created_at"),
        )
        for number in range(lines)
    ]
    inserted = (
        messages.insert()
        .from_select(["conversation_id", *LINE_COLUMNS, "created_at"], union_all(*rows))
        .returning(messages.c.id)
        .cte("inserted")
    )
    changes: dict[str, Any] = {"last_message_at": bindparam("turn_now")}
    if with_language:
        changes["language"] = bindparam("turn_language")
    return (
        update(conversations)
        .where(conversations.c.id == bindparam("turn_conversation"))
        .values(**changes)
        .returning(select(func.max(inserted.c.id)).scalar_subquery())
    )


async def open_handoff(
    engine: AsyncEngine,
    *,
    sender_id: str,
    reason: str,
    language: str | None,
    customer: str | None,
    order_id: str | None,
) -> Conversation:
    """Put the conversation in the queue (``waiting``).

    Idempotent while it is already waiting or assigned: the first reason and
    hand-off time stay; a customer label or order id learnt since fills a gap.
    """
    if reason not in HANDOFF_REASONS:
        # A hand-off must never fail over a label: file it under "other".
        log.warning("Unknown hand-off reason %r for %s; stored as 'other'", reason, sender_id)
        reason = "other"
    now = utc_now()
    conversation_id = await _ensure_conversation(engine, sender_id, UNKNOWN_CHANNEL, now)
    async with engine.begin() as conn:
        changes: dict[str, Any] = {
            "state": "waiting",
            "handoff_reason": reason,
            "handoff_at": now,
            "assigned_agent_id": None,
            "closed_at": None,
            "last_message_at": now,
        }
        if customer:
            changes["customer"] = customer
        if order_id:
            changes["order_id"] = order_id
        if language:
            changes["language"] = language
        opened = await conn.execute(
            update(conversations)
            .where(
                conversations.c.id == conversation_id, conversations.c.state.in_(("bot", "closed"))
            )
            .values(**changes)
        )
        if opened.rowcount == 1:
            await insert_system_message(
                conn,
                conversation_id,
                f"Handed off to a person: {REASON_LABELS[reason]}",
                {"event": "handoff", "reason": reason},
                now=now,
            )
        else:
            gaps: dict[str, Any] = {}
            if customer:
                gaps["customer"] = func.coalesce(conversations.c.customer, customer)
            if order_id:
                gaps["order_id"] = func.coalesce(conversations.c.order_id, order_id)
            if gaps:
                await conn.execute(
                    update(conversations)
                    .where(conversations.c.id == conversation_id)
                    .values(**gaps)
                )
    return await get_conversation(engine, conversation_id)


@retried_on_disconnect
async def conversation_by_sender(engine: AsyncEngine, sender_id: str) -> Conversation | None:
    async with unwrapped(engine) as conn:
        row = (await conn.execute(_BY_SENDER, {"sender_id": sender_id})).one_or_none()
    return None if row is None else row_to_conversation(row)


async def queue_position(engine: AsyncEngine, sender_id: str) -> int:
    """1-based place among waiting conversations (oldest hand-off first); 0 if not waiting."""
    async with unwrapped(engine) as conn:
        own = (
            await conn.execute(
                select(conversations.c.id, conversations.c.handoff_at).where(
                    conversations.c.sender_id == sender_id, conversations.c.state == "waiting"
                )
            )
        ).one_or_none()
        if own is None:
            return 0
        ahead_or_same = or_(
            conversations.c.handoff_at < own.handoff_at,
            and_(conversations.c.handoff_at == own.handoff_at, conversations.c.id <= own.id),
        )
        count = await conn.scalar(
            select(func.count())
            .select_from(conversations)
            .where(conversations.c.state == "waiting", ahead_or_same)
        )
    return int(count or 0)


async def set_rating(
    engine: AsyncEngine, *, sender_id: str, rating: int, comment: str | None
) -> None:
    """Store the customer's 1-5 rating (a later one replaces it) and note it in the transcript."""
    if isinstance(rating, bool) or not isinstance(rating, int) or not 1 <= rating <= 5:
        raise ValueError(f"rating must be a whole number from 1 to 5, got {rating!r}")
    comment = (comment or "").strip()[:MAX_COMMENT_LENGTH] or None
    now = utc_now()
    async with engine.begin() as conn:
        conversation_id = await conn.scalar(
            select(conversations.c.id).where(conversations.c.sender_id == sender_id)
        )
        if conversation_id is None:
            raise ConversationNotFound(sender_id)
        await conn.execute(
            update(conversations)
            .where(conversations.c.id == conversation_id)
            .values(rating=rating, rating_comment=comment, last_message_at=now)
        )
        text = f"Customer rated {rating}/5" + (f": {comment}" if comment else "")
        await insert_system_message(
            conn, conversation_id, text, {"event": "rating", "rating": rating}, now=now
        )


# ---------------------------------------------------------------- reads for the inbox


@retried_on_disconnect
async def find_conversation(engine: AsyncEngine, conversation_id: int) -> Conversation | None:
    async with unwrapped(engine) as conn:
        row = (
            await conn.execute(conversations_query().where(conversations.c.id == conversation_id))
        ).one_or_none()
    return None if row is None else row_to_conversation(row)


async def get_conversation(engine: AsyncEngine, conversation_id: int) -> Conversation:
    found = await find_conversation(engine, conversation_id)
    if found is None:
        raise ConversationNotFound(conversation_id)
    return found


@retried_on_disconnect
async def list_messages(
    engine: AsyncEngine, conversation_id: int, *, after_id: int = 0
) -> list[Message]:
    """The transcript in order; ``after_id`` returns only what came later (live updates)."""
    async with unwrapped(engine) as conn:
        rows = await conn.execute(
            messages_query()
            .where(messages.c.conversation_id == conversation_id, messages.c.id > after_id)
            .order_by(messages.c.id)
        )
        return [row_to_message(row) for row in rows]


async def handed_off(engine: AsyncEngine) -> list[Conversation]:
    """The queue: waiting conversations first, each group oldest hand-off first."""
    waiting_first = (conversations.c.state != "waiting").label("not_waiting")
    async with unwrapped(engine) as conn:
        rows = await conn.execute(
            conversations_query()
            .add_columns(waiting_first)
            .where(conversations.c.state.in_(HANDED_OFF))
            .order_by(waiting_first, conversations.c.handoff_at, conversations.c.id)
        )
        return [row_to_conversation(row) for row in rows]


# ---------------------------------------------------------------- shared helpers


async def insert_system_message(
    conn: AsyncConnection,
    conversation_id: int,
    text: str,
    payload: dict[str, Any],
    *,
    now: Any,
    agent_id: int | None = None,
) -> None:
    """A line in the transcript about what happened (hand-off, claim, close, rating)."""
    await conn.execute(
        messages.insert().values(
            conversation_id=conversation_id,
            direction="system",
            text=text,
            payload=payload,
            agent_id=agent_id,
            created_at=now,
        )
    )


async def _created_conversation(engine: AsyncEngine, sender_id: str, channel: str, now: Any) -> int:
    """PostgreSQL: creates the conversation in one statement, for a turn whose caller
    found none (its first message: `_ensure_conversation` took a look-up, a BEGIN, an
    INSERT and a COMMIT). If it exists after all, its id."""
    create = (
        postgresql.insert(conversations)
        .values(sender_id=sender_id, channel=channel, state="bot", created_at=now)
        .values(last_message_at=now)
        .on_conflict_do_nothing(index_elements=[conversations.c.sender_id])
        .returning(conversations.c.id)
    )
    async with unwrapped(engine) as conn:
        created = await conn.scalar(create)
        if created is None:
            created = await conn.scalar(
                select(conversations.c.id).where(conversations.c.sender_id == sender_id)
            )
    return int(created)


async def _ensure_conversation(engine: AsyncEngine, sender_id: str, channel: str, now: Any) -> int:
    lookup = select(conversations.c.id).where(conversations.c.sender_id == sender_id)
    async with unwrapped(engine) as conn:
        existing = await conn.scalar(lookup)
    if existing is not None:
        return int(existing)
    try:
        async with engine.begin() as conn:
            inserted = await conn.execute(
                conversations.insert().values(
                    sender_id=sender_id,
                    channel=channel,
                    state="bot",
                    created_at=now,
                    last_message_at=now,
                )
            )
            return int(inserted.inserted_primary_key[0])
    except IntegrityError:
        # Another request created it between our look-up and insert.
        async with unwrapped(engine) as conn:
            return int(await conn.scalar(lookup))


def conversations_query() -> Select:
    return select(conversations, agents.c.display_name.label("assigned_agent_name")).select_from(
        conversations.outerjoin(agents, agents.c.id == conversations.c.assigned_agent_id)
    )


# Every customer message looks its conversation up: built once, so SQLAlchemy
# finds its compiled form without rebuilding the query and its cache key.
_BY_SENDER = conversations_query().where(conversations.c.sender_id == bindparam("sender_id"))


def row_to_conversation(row: Row) -> Conversation:
    return Conversation(
        id=row.id,
        sender_id=row.sender_id,
        channel=row.channel,
        language=row.language,
        customer=row.customer,
        order_id=row.order_id,
        state=row.state,
        handoff_reason=row.handoff_reason,
        handoff_at=row.handoff_at,
        assigned_agent_id=row.assigned_agent_id,
        assigned_agent_name=row.assigned_agent_name,
        closed_at=row.closed_at,
        rating=row.rating,
        rating_comment=row.rating_comment,
        created_at=row.created_at,
        last_message_at=row.last_message_at,
    )


def messages_query() -> Select:
    return select(messages, agents.c.display_name.label("agent_name")).select_from(
        messages.outerjoin(agents, agents.c.id == messages.c.agent_id)
    )


def row_to_message(row: Row) -> Message:
    agent_name = row.agent_name
    if agent_name is None and row.direction == "agent" and isinstance(row.payload, dict):
        # A reply recorded without agent_id may still name its author in the payload.
        named = row.payload.get("agent")
        agent_name = named if isinstance(named, str) else None
    return Message(
        id=row.id,
        conversation_id=row.conversation_id,
        direction=row.direction,
        text=row.text,
        payload=row.payload,
        intent=row.intent,
        confidence=row.confidence,
        agent_name=agent_name,
        created_at=row.created_at,
        misunderstood=bool(row.misunderstood),
        corrected_intent=row.corrected_intent,
    )
