"""Deleting transcripts and their photos: after the retention period, or on a customer's request."""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from bot import uploads
from bot.conversations.clock import utc_now
from bot.conversations.tables import conversations, messages
from bot.customers import links, offers
from bot.customers.store import erase_email


@dataclass(frozen=True)
class Deleted:
    conversations: int
    messages: int
    photos: int = 0
    offers: int = 0


async def purge(
    engine: AsyncEngine, *, days: int, upload_dir: Path, now: datetime | None = None
) -> Deleted:
    """Delete conversations whose last message is older than ``days`` days, and their photos.

    Photos older than that go too, also those whose conversation never got a
    transcript (uploaded, then never sent).
    """
    cutoff = (now or utc_now()) - timedelta(days=days)
    async with engine.begin() as conn:
        ids = list(
            await conn.scalars(
                select(conversations.c.id).where(conversations.c.last_message_at < cutoff)
            )
        )
        deleted = await _delete(conn, ids, upload_dir)
        # "Continue in Telegram" codes nobody used in time link nothing.
        await links.purge_expired(conn, now=now)
    old = await asyncio.to_thread(uploads.delete_older_than, upload_dir, cutoff)
    return Deleted(deleted.conversations, deleted.messages, deleted.photos + old)


async def erase(
    engine: AsyncEngine,
    *,
    upload_dir: Path,
    customer: str | None = None,
    sender_id: str | None = None,
) -> Deleted:
    """Delete every conversation of one customer (right to erasure), with its photos.

    By email: conversations labelled with it, those where the customer typed
    it, and the chats linked to these (the same customer on another channel).
    By sender id: that one chat (its photos even without a transcript).
    """
    if bool(customer) == bool(sender_id):
        raise ValueError("Give exactly one of customer or sender_id")
    offers_deleted = 0
    async with engine.begin() as conn:
        if sender_id:
            ids = list(
                await conn.scalars(
                    select(conversations.c.id).where(conversations.c.sender_id == sender_id)
                )
            )
        else:
            email = (customer or "").strip()
            ids = await _with_linked(conn, await _conversations_of(conn, email))
            # issue 20: the goodwill offers made to this email go too, and the
            # customer's record with every chat where they were remembered.
            offers_deleted = await offers.erase_email(conn, email)
            await erase_email(conn, email)
        deleted = await _delete(conn, ids, upload_dir)
        if sender_id and not ids:  # codes of a chat without a transcript
            await links.forget_senders(conn, [sender_id])
    if sender_id and not ids:
        photos = await asyncio.to_thread(uploads.delete_conversations, upload_dir, [sender_id])
        return Deleted(0, 0, photos)
    return replace(deleted, offers=offers_deleted)


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


async def _with_linked(conn: AsyncConnection, ids: list[int]) -> list[int]:
    """`ids` and the conversations linked to them: the same customer's chats on other
    channels ("Continue in Telegram"), where the email may never have been typed."""
    if not ids:
        return ids
    senders = list(
        await conn.scalars(select(conversations.c.sender_id).where(conversations.c.id.in_(ids)))
    )
    linked: set[str] = set()
    for sender in senders:
        linked.update(await links.linked_senders(conn, sender))
    more = await conn.scalars(
        select(conversations.c.id).where(conversations.c.sender_id.in_(sorted(linked)))
    )
    return sorted(set(ids) | set(more))


async def _delete(conn: AsyncConnection, ids: list[int], upload_dir: Path) -> Deleted:
    if not ids:
        return Deleted(conversations=0, messages=0)
    senders = list(
        await conn.scalars(select(conversations.c.sender_id).where(conversations.c.id.in_(ids)))
    )
    # Messages first and explicitly: SQLite only cascades with foreign keys on.
    removed_messages = await conn.execute(
        delete(messages).where(messages.c.conversation_id.in_(ids))
    )
    removed = await conn.execute(delete(conversations).where(conversations.c.id.in_(ids)))
    # The "Continue in Telegram" codes made or used in these chats link them: gone too.
    await links.forget_senders(conn, senders)
    # Only here are the sender ids still known, which name the photos.
    photos = await asyncio.to_thread(uploads.delete_conversations, upload_dir, senders)
    return Deleted(removed.rowcount, removed_messages.rowcount, photos)
