"""Deleting transcripts: after the retention period, or on a customer's request."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from bot.conversations.clock import utc_now
from bot.conversations.tables import conversations, messages


@dataclass(frozen=True)
class Deleted:
    conversations: int
    messages: int


async def purge(engine: AsyncEngine, *, days: int, now: datetime | None = None) -> Deleted:
    """Delete conversations whose last message is older than ``days`` days."""
    cutoff = (now or utc_now()) - timedelta(days=days)
    async with engine.begin() as conn:
        ids = list(
            await conn.scalars(
                select(conversations.c.id).where(conversations.c.last_message_at < cutoff)
            )
        )
        return await _delete(conn, ids)


async def erase(
    engine: AsyncEngine, *, customer: str | None = None, sender_id: str | None = None
) -> Deleted:
    """Delete every conversation of one customer (right to erasure).

    By email: conversations labelled with it, and those where the customer
    typed it. By sender id: that one chat.
    """
    if bool(customer) == bool(sender_id):
        raise ValueError("Give exactly one of customer or sender_id")
    async with engine.begin() as conn:
        if sender_id:
            ids = list(
                await conn.scalars(
                    select(conversations.c.id).where(conversations.c.sender_id == sender_id)
                )
            )
        else:
            ids = await _conversations_of(conn, (customer or "").strip())
        return await _delete(conn, ids)


async def _conversations_of(conn: AsyncConnection, email: str) -> list[int]:
    if not email:
        return []
    labelled = select(conversations.c.id).where(
        func.lower(conversations.c.customer) == email.lower()
    )
    ids = set(await conn.scalars(labelled))
    # LIKE narrows it down; the regex then insists on the whole address, so
    # erasing a@shop.com leaves a chat about ba@shop.com alone.
    whole_address = re.compile(rf"(?<![\w.+-]){re.escape(email)}(?![\w-])", re.IGNORECASE)
    candidates = await conn.execute(
        select(messages.c.conversation_id, messages.c.text).where(
            messages.c.direction == "customer",
            func.lower(messages.c.text).contains(email.lower(), autoescape=True),
        )
    )
    ids.update(row.conversation_id for row in candidates if whole_address.search(row.text))
    return sorted(ids)


async def _delete(conn: AsyncConnection, ids: list[int]) -> Deleted:
    if not ids:
        return Deleted(conversations=0, messages=0)
    # Messages first and explicitly: SQLite only cascades with foreign keys on.
    removed_messages = await conn.execute(
        delete(messages).where(messages.c.conversation_id.in_(ids))
    )
    removed = await conn.execute(delete(conversations).where(conversations.c.id.in_(ids)))
    return Deleted(conversations=removed.rowcount, messages=removed_messages.rowcount)
