"""Messages Kramar sends unasked: order updates the shop reports and follow-ups after
a resolved case, to the chats where a remembered customer opted in.

Plain async functions over the customers room's tables (`tables`); no HTTP here.
The gateway's webhook receiver records events and schedules notifications;
its sender claims the due ones (each exactly once, whatever the number of
gateway processes) and records follow-up answers.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from bot.customers.tables import customer_links, customers, notifications, shop_events

ORDER_UPDATE = "order_update"
FOLLOWUP = "followup"
ANSWERS = ("good", "bad")


@dataclass(frozen=True)
class Link:
    """A chat where a customer opted in to order updates."""

    customer_id: int
    sender_id: str
    channel: str


@dataclass(frozen=True)
class Notification:
    id: int
    customer_id: int
    sender_id: str
    kind: str
    payload: dict[str, Any]
    due_at: datetime


class ReplayedEvent(Exception):
    """The shop's event id came before: nothing may change (the transaction rolls back)."""


async def record_event(
    conn: AsyncConnection, *, event_id: str, event_type: str, order_id: str | None, now: datetime
) -> None:
    """Remembers a webhook delivery; the first statement of the receiver's transaction."""
    try:
        await conn.execute(
            shop_events.insert().values(
                event_id=event_id, type=event_type, order_id=order_id, received_at=now
            )
        )
    except IntegrityError:
        raise ReplayedEvent(event_id) from None


async def forget_old_events(engine: AsyncEngine, before: datetime) -> None:
    """Drops event ids received before `before`: a replay that old fails the signature's
    time window anyway, so they protect nothing any more."""
    async with engine.begin() as conn:
        await conn.execute(shop_events.delete().where(shop_events.c.received_at < before))


async def opted_in_links(conn: AsyncConnection, email: str) -> list[Link]:
    """The chats of the customer with this email that want order updates."""
    rows = await conn.execute(
        select(customer_links.c.customer_id, customer_links.c.sender_id, customer_links.c.channel)
        .select_from(customer_links.join(customers))
        .where(
            func.lower(customers.c.email) == email.strip().lower(),
            customer_links.c.updates.is_(True),
        )
        .order_by(customer_links.c.sender_id)
    )
    return [Link(row.customer_id, row.sender_id, row.channel) for row in rows]


async def schedule(
    conn: AsyncConnection,
    link: Link,
    *,
    kind: str,
    payload: dict[str, Any],
    now: datetime,
    due_at: datetime,
) -> int:
    result = await conn.execute(
        notifications.insert().values(
            customer_id=link.customer_id,
            sender_id=link.sender_id,
            kind=kind,
            payload=payload,
            created_at=now,
            due_at=due_at,
        )
    )
    return int(result.inserted_primary_key[0])


async def set_updates(engine: AsyncEngine, sender_id: str, on: bool) -> bool:
    """Opts this chat in or out of order updates; False when it is not a remembered chat.

    Opting out also drops what was waiting to be sent there.
    """
    async with engine.begin() as conn:
        changed = await conn.execute(
            update(customer_links).where(customer_links.c.sender_id == sender_id).values(updates=on)
        )
        if not on:
            await conn.execute(
                notifications.delete().where(
                    notifications.c.sender_id == sender_id,
                    notifications.c.sent_at.is_(None),
                )
            )
    return bool(changed.rowcount)


async def wants_updates(engine: AsyncEngine, sender_id: str) -> str | None:
    """The channel of this chat if it is still opted in, else None."""
    async with engine.connect() as conn:
        channel = await conn.scalar(
            select(customer_links.c.channel).where(
                customer_links.c.sender_id == sender_id, customer_links.c.updates.is_(True)
            )
        )
    return None if channel is None else str(channel)


async def claim_due(engine: AsyncEngine, now: datetime, limit: int = 50) -> list[Notification]:
    """Notifications due by `now`, each marked sent by exactly one caller.

    The conditional UPDATE is the claim: with two gateway processes (or a
    restart mid-way) a row goes to whoever's UPDATE matched it, never to both.
    """
    async with engine.connect() as conn:
        rows = (
            await conn.execute(
                select(notifications)
                .where(notifications.c.sent_at.is_(None), notifications.c.due_at <= now)
                .order_by(notifications.c.due_at, notifications.c.id)
                .limit(limit)
            )
        ).all()
    claimed = []
    for row in rows:
        async with engine.begin() as conn:
            result = await conn.execute(
                update(notifications)
                .where(notifications.c.id == row.id, notifications.c.sent_at.is_(None))
                .values(sent_at=now)
            )
        if result.rowcount == 1:
            claimed.append(
                Notification(
                    row.id, row.customer_id, row.sender_id, row.kind, dict(row.payload), row.due_at
                )
            )
    return claimed


async def release(engine: AsyncEngine, notification_id: int) -> None:
    """Puts a claimed notification back (it could not be sent; the next round retries)."""
    async with engine.begin() as conn:
        await conn.execute(
            update(notifications).where(notifications.c.id == notification_id).values(sent_at=None)
        )


async def record_answer(
    engine: AsyncEngine, *, notification_id: int, sender_id: str, answer: str, now: datetime
) -> bool:
    """A follow-up's answer, once, and only from the chat it was sent to."""
    if answer not in ANSWERS:
        return False
    async with engine.begin() as conn:
        result = await conn.execute(
            update(notifications)
            .where(
                notifications.c.id == notification_id,
                notifications.c.sender_id == sender_id,
                notifications.c.kind == FOLLOWUP,
                notifications.c.sent_at.is_not(None),
                notifications.c.answer.is_(None),
            )
            .values(answer=answer, answered_at=now)
        )
    return bool(result.rowcount)


async def followup_answers(engine: AsyncEngine, since: datetime) -> dict[str, int]:
    """Follow-ups sent since `since`: how many were answered good, bad, or not at all."""
    async with engine.connect() as conn:
        rows = await conn.execute(
            select(notifications.c.answer, func.count())
            .where(
                notifications.c.kind == FOLLOWUP,
                notifications.c.sent_at.is_not(None),
                notifications.c.sent_at >= since,
            )
            .group_by(notifications.c.answer)
        )
        counts = {answer or "none": int(count) for answer, count in rows}
    return {key: counts.get(key, 0) for key in (*ANSWERS, "none")}
