"""One customer across channels: "Continue in Telegram" codes and the conversations they link.

A widget conversation asks for a code; the customer opens the bot's deep link
(`/start <code>`) in Telegram and the code, once, links that chat to the widget
conversation. Only the code's SHA-256 is stored, so the table cannot be used to
open a conversation; a used row stays as the link between the two chats.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Iterable
from datetime import datetime, timedelta

from sqlalchemy import delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from bot.conversations.clock import utc_now
from bot.customers.tables import customer_links, link_codes

CODE_LIFETIME = timedelta(minutes=10)
# Telegram's start parameter allows 1-64 of A-Z a-z 0-9 _ -; the prefix tells it
# from the order links ("order_10001"). 16 random bytes: not guessable in 10 minutes.
CODE_PREFIX = "web_"
CODE_FORMAT = re.compile(r"web_[A-Za-z0-9_-]{22}")
# Links are followed this many hops (widget -> Telegram -> another widget ...).
MAX_LINKED = 50


def hash_code(code: str) -> str:
    return hashlib.sha256(code.encode()).hexdigest()


def looks_like_code(text: str) -> bool:
    return CODE_FORMAT.fullmatch(text) is not None


async def create_code(
    engine: AsyncEngine, from_sender: str, *, now: datetime | None = None
) -> tuple[str, datetime]:
    """A new one-time code for `from_sender`'s conversation, and when it expires."""
    now = now or utc_now()
    code = CODE_PREFIX + secrets.token_urlsafe(16)
    expires = now + CODE_LIFETIME
    async with engine.begin() as conn:
        await conn.execute(
            link_codes.insert().values(
                code_hash=hash_code(code),
                from_sender=from_sender,
                created_at=now,
                expires_at=expires,
            )
        )
    return code, expires


async def redeem(
    engine: AsyncEngine, code: str, to_sender: str, *, now: datetime | None = None
) -> str | None:
    """The conversation `code` came from, marking the code used by `to_sender`; None when
    the code is unknown, used or expired. One statement decides, so of two racing
    redemptions exactly one wins."""
    if not looks_like_code(code):
        return None
    now, code_hash = now or utc_now(), hash_code(code)
    async with engine.begin() as conn:
        taken = await conn.execute(
            update(link_codes)
            .where(
                link_codes.c.code_hash == code_hash,
                link_codes.c.used_at.is_(None),
                link_codes.c.expires_at > now,
                link_codes.c.from_sender != to_sender,
            )
            .values(used_at=now, to_sender=to_sender)
        )
        if taken.rowcount != 1:
            return None
        return await conn.scalar(
            select(link_codes.c.from_sender).where(link_codes.c.code_hash == code_hash)
        )


async def link_same_customer(
    engine: AsyncEngine, *, from_sender: str, to_sender: str, channel: str
) -> int | None:
    """Remembers `to_sender` as the customer `from_sender` is remembered as (if any): the
    customer said yes on the widget and proved this chat is theirs with the code.
    The customer's id, or None when `from_sender` is not a known customer."""
    async with engine.begin() as conn:
        customer_id = await conn.scalar(
            select(customer_links.c.customer_id).where(customer_links.c.sender_id == from_sender)
        )
        if customer_id is None:
            return None
        # A chat belongs to one customer: this one now (re-linked, never duplicated).
        await conn.execute(delete(customer_links).where(customer_links.c.sender_id == to_sender))
        await conn.execute(
            customer_links.insert().values(
                sender_id=to_sender, customer_id=customer_id, channel=channel, created_at=utc_now()
            )
        )
    return int(customer_id)


async def linked_senders(conn: AsyncConnection, sender_id: str) -> list[str]:
    """The other chats of the same customer: joined by used codes (any number of hops) or
    remembered as the same known customer. Sorted, `sender_id` itself left out."""
    found, frontier = {sender_id}, {sender_id}
    while frontier and len(found) < MAX_LINKED:
        codes = await conn.execute(
            select(link_codes.c.from_sender, link_codes.c.to_sender).where(
                link_codes.c.used_at.is_not(None),
                or_(
                    link_codes.c.from_sender.in_(frontier),
                    link_codes.c.to_sender.in_(frontier),
                ),
            )
        )
        customers = select(customer_links.c.customer_id).where(
            customer_links.c.sender_id.in_(frontier)
        )
        same_customer = await conn.scalars(
            select(customer_links.c.sender_id).where(customer_links.c.customer_id.in_(customers))
        )
        reached = {s for row in codes for s in row if s} | set(same_customer)
        frontier = reached - found
        found |= frontier
    found.discard(sender_id)
    return sorted(found)[:MAX_LINKED]


async def forget_senders(conn: AsyncConnection, senders: Iterable[str]) -> int:
    """Deletes the codes made by or used in these chats (their transcripts are being erased)."""
    senders = list(senders)
    if not senders:
        return 0
    removed = await conn.execute(
        delete(link_codes).where(
            or_(link_codes.c.from_sender.in_(senders), link_codes.c.to_sender.in_(senders))
        )
    )
    return int(removed.rowcount or 0)


async def purge_expired(conn: AsyncConnection, *, now: datetime | None = None) -> int:
    """Deletes the codes that expired unused (used ones stay: they link two chats)."""
    removed = await conn.execute(
        delete(link_codes).where(
            link_codes.c.used_at.is_(None), link_codes.c.expires_at <= (now or utc_now())
        )
    )
    return int(removed.rowcount or 0)
