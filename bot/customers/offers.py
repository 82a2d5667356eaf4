"""Goodwill offers the bot made (issue 20): made, accepted, redeemed.

The gateway writes them from the bot's markers (`offer`, `offer_accepted`) and
the shop's `discount.redeemed` webhook; the inbox's dashboard counts them and
its erasure deletes them with the customer's email. Timestamps are naive UTC.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from bot.conversations.clock import utc_now
from bot.customers.tables import offers


@dataclass(frozen=True)
class NewOffer:
    """An offer as the bot's marker reports it."""

    rule: str
    kind: str  # "discount" | "free_return_shipping"
    code: str
    order_id: str


@dataclass(frozen=True)
class OfferCounts:
    made: int
    accepted: int
    redeemed: int


def _naive(at: datetime | None) -> datetime:
    at = at or utc_now()
    return at if at.tzinfo is None else at.astimezone(timezone.utc).replace(tzinfo=None)


async def record_offer(
    engine: AsyncEngine, *, email: str, sender_id: str, offer: NewOffer, at: datetime | None = None
) -> bool:
    """Records an offer once per code (a retried turn reports it again); True if new."""
    async with engine.begin() as conn:
        exists = await conn.scalar(select(offers.c.id).where(offers.c.code == offer.code))
        if exists is not None:
            return False
        await conn.execute(
            insert(offers).values(
                customer_email=email.strip().lower(),
                sender_id=sender_id,
                rule=offer.rule,
                kind=offer.kind,
                code=offer.code,
                order_id=offer.order_id or None,
                created_at=_naive(at),
            )
        )
    return True


async def mark_accepted(
    engine: AsyncEngine, *, sender_id: str, code: str, at: datetime | None = None
) -> bool:
    """The customer said they will use the code; only the conversation it was offered
    in can accept it, and only once. True when it changed something."""
    async with engine.begin() as conn:
        result = await conn.execute(
            update(offers)
            .where(
                offers.c.code == code,
                offers.c.sender_id == sender_id,
                offers.c.accepted_at.is_(None),
            )
            .values(accepted_at=_naive(at))
        )
    return bool(result.rowcount)


async def mark_redeemed(conn: AsyncConnection, code: str, at: datetime | None = None) -> bool:
    """A checkout used the code (the shop's `discount.redeemed` event). True when it
    changed something: a repeated event, or a code Kramar never offered, changes nothing."""
    result = await conn.execute(
        update(offers)
        .where(offers.c.code == code.strip().upper(), offers.c.redeemed_at.is_(None))
        .values(redeemed_at=_naive(at))
    )
    return bool(result.rowcount)


async def counts(engine: AsyncEngine, since: datetime) -> OfferCounts:
    """Offers made since `since`, and how many of those were accepted and redeemed."""
    async with engine.connect() as conn:
        made, accepted, redeemed = (
            await conn.execute(
                select(
                    func.count(),
                    func.count(offers.c.accepted_at),
                    func.count(offers.c.redeemed_at),
                ).where(offers.c.created_at >= since)
            )
        ).one()
    return OfferCounts(int(made), int(accepted), int(redeemed))


async def erase_email(conn: AsyncConnection, email: str) -> int:
    """Deletes every offer made to `email` (right to erasure); how many."""
    if not email.strip():
        return 0
    result = await conn.execute(
        delete(offers).where(func.lower(offers.c.customer_email) == email.strip().lower())
    )
    return int(result.rowcount)
