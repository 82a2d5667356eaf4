"""The bot's offer markers (issue 20) in the gateway: `{"offer": {...}}` when the bot
made a goodwill offer, `{"offer_accepted": {"code": ...}}` when the customer took it.

The gateway never shows them to the customer: it records them in the offers
table (bot/customers/offers.py) and as a system line agents read (handlers
for bot/gateway/markers.py).
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from bot.conversations import store
from bot.customers import offers
from bot.customers.offers import NewOffer
from bot.gateway.chat import Chat

logger = logging.getLogger(__name__)

KINDS = ("discount", "free_return_shipping")


def offer_of(raw: dict[str, Any]) -> NewOffer | None:
    """The offer an `offer` marker reports (short strings only)."""
    if not raw.get("code"):
        return None
    kind = str(raw.get("kind"))
    return NewOffer(
        rule=str(raw.get("rule") or "other")[:64],
        kind=kind if kind in KINDS else "discount",
        code=str(raw["code"])[:64],
        order_id=str(raw.get("order_id") or "")[:32],
    )


async def offer_made(
    engine: AsyncEngine, chat: Chat, marker: dict[str, Any]
) -> store.NewMessage | None:
    """Records the goodwill offer the bot made; the system line agents read."""
    offer = offer_of(marker)
    if offer is None:
        return None
    email = chat.slots.get("email")
    if email:
        await offers.record_offer(engine, email=email, sender_id=chat.sender, offer=offer)
    else:  # the bot offers only after verifying an order: a bug, not a customer
        logger.warning("Offer %s in %s without the customer's email", offer.code, chat.sender)
    what = "free return shipping" if offer.kind == "free_return_shipping" else "discount"
    for_order = f" after order {offer.order_id}" if offer.order_id else ""
    return store.NewMessage(
        "system",
        f"Offer made: {what} code {offer.code} ({offer.rule}{for_order})",
        payload={"event": "offer", "code": offer.code, "rule": offer.rule, "kind": offer.kind},
    )


async def offer_accepted(
    engine: AsyncEngine, chat: Chat, marker: dict[str, Any]
) -> store.NewMessage | None:
    """The customer took the offer ("use it"): counted once, in the chat it was made in."""
    code = str(marker.get("code") or "")[:64]
    if not code:
        return None
    await offers.mark_accepted(engine, sender_id=chat.sender, code=code)
    return store.NewMessage(
        "system",
        f"Customer accepted offer {code}",
        payload={"event": "offer_accepted", "code": code},
    )
