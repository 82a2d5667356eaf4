"""The dashboard's numbers for the last N days (UTC), computed in the database."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.conversations.clock import utc_now
from bot.conversations.models import FALLBACK_INTENT, OUT_OF_SCOPE_INTENT
from bot.conversations.tables import conversations, messages
from bot.customers import offers
from bot.customers.offers import OfferCounts

TOP_INTENTS = 10
NO_OFFERS = OfferCounts(made=0, accepted=0, redeemed=0)


@dataclass(frozen=True)
class Dashboard:
    days: int
    per_day: list[tuple[date, int]]
    conversations: int
    handed_off: int
    handoffs_by_reason: list[tuple[str, int]]
    ratings: dict[int, int]
    top_intents: list[tuple[str, int]]
    customer_messages: int
    # Customer messages the bot could not serve: the NLU was unsure (nlu_fallback)
    # or understood a request outside what the shop's bot does (out_of_scope).
    fallback_messages: int
    out_of_scope_messages: int = 0
    # issue 20: goodwill offers made in the period, and how many were accepted and used.
    offers: OfferCounts = NO_OFFERS

    @property
    def containment(self) -> float | None:
        """Share of conversations the bot handled alone (never handed off)."""
        if not self.conversations:
            return None
        return (self.conversations - self.handed_off) / self.conversations

    @property
    def rated(self) -> int:
        return sum(self.ratings.values())

    @property
    def average_rating(self) -> float | None:
        if not self.rated:
            return None
        return sum(stars * count for stars, count in self.ratings.items()) / self.rated

    @property
    def not_understood(self) -> int:
        return self.fallback_messages + self.out_of_scope_messages

    @property
    def fallback_rate(self) -> float | None:
        """Share of customer messages the bot could not serve (``nlu_fallback``
        or ``out_of_scope``)."""
        if not self.customer_messages:
            return None
        return self.not_understood / self.customer_messages


def period_start(days: int, today: date | None = None) -> datetime:
    """The first moment (UTC) of the dashboard's last `days` days."""
    today = today or utc_now().date()
    return datetime.combine(today - timedelta(days=days - 1), time.min)


async def dashboard(engine: AsyncEngine, *, days: int = 14, today: date | None = None) -> Dashboard:
    since = period_start(days, today)
    in_period = conversations.c.created_at >= since
    customer_in_period = (messages.c.direction == "customer") & (messages.c.created_at >= since)
    async with engine.connect() as conn:
        day = func.date(conversations.c.created_at)
        counted = {
            str(row.day)[:10]: int(row.count)
            for row in await conn.execute(
                select(day.label("day"), func.count().label("count")).where(in_period).group_by(day)
            )
        }
        totals = (
            await conn.execute(
                select(func.count(), func.count(conversations.c.handoff_at)).where(in_period)
            )
        ).one()
        by_reason = await conn.execute(
            select(conversations.c.handoff_reason, func.count().label("count"))
            .where(in_period, conversations.c.handoff_at.is_not(None))
            .group_by(conversations.c.handoff_reason)
            .order_by(func.count().desc(), conversations.c.handoff_reason)
        )
        reasons = [(row.handoff_reason or "other", int(row.count)) for row in by_reason]
        ratings = {stars: 0 for stars in range(1, 6)}
        for row in await conn.execute(
            select(conversations.c.rating, func.count().label("count"))
            .where(in_period, conversations.c.rating.is_not(None))
            .group_by(conversations.c.rating)
        ):
            if row.rating in ratings:
                ratings[row.rating] = int(row.count)
        intents = await conn.execute(
            select(messages.c.intent, func.count().label("count"))
            .where(customer_in_period, messages.c.intent.is_not(None))
            .group_by(messages.c.intent)
            .order_by(func.count().desc(), messages.c.intent)
            .limit(TOP_INTENTS)
        )
        top_intents = [(row.intent, int(row.count)) for row in intents]
        customer_messages, fallback_messages, out_of_scope_messages = (
            await conn.execute(
                select(
                    func.count(),
                    func.count().filter(messages.c.intent == FALLBACK_INTENT),
                    func.count().filter(messages.c.intent == OUT_OF_SCOPE_INTENT),
                ).where(customer_in_period)
            )
        ).one()
    offer_counts = await offers.counts(engine, since)
    dates = [since.date() + timedelta(days=offset) for offset in range(days)]
    per_day = [(each, counted.get(each.isoformat(), 0)) for each in dates]
    return Dashboard(
        days=days,
        per_day=per_day,
        conversations=int(totals[0]),
        handed_off=int(totals[1]),
        handoffs_by_reason=reasons,
        ratings=ratings,
        top_intents=top_intents,
        customer_messages=int(customer_messages),
        fallback_messages=int(fallback_messages),
        out_of_scope_messages=int(out_of_scope_messages),
        offers=offer_counts,
    )
