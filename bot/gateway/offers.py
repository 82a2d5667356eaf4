"""The bot's offer markers (issue 20) in the gateway: `{"offer": {...}}` when the bot
made a goodwill offer, `{"offer_accepted": {"code": ...}}` when the customer took it.

The gateway never shows them to the customer: it records them in the offers
table (bot/customers/offers.py) and as a system line agents read.
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from bot.conversations import store
from bot.customers import offers
from bot.customers.offers import NewOffer

logger = logging.getLogger(__name__)

KINDS = ("discount", "free_return_shipping")


def _custom(reply: dict[str, Any], key: str) -> dict[str, Any] | None:
    custom = reply.get("custom")
    found = custom.get(key) if isinstance(custom, dict) else None
    return found if isinstance(found, dict) else None


def offer_of(reply: dict[str, Any]) -> NewOffer | None:
    """The offer an `offer` marker reports (short strings only), if it is one."""
    raw = _custom(reply, "offer")
    if raw is None or not raw.get("code"):
        return None
    kind = str(raw.get("kind"))
    return NewOffer(
        rule=str(raw.get("rule") or "other")[:64],
        kind=kind if kind in KINDS else "discount",
        code=str(raw["code"])[:64],
        order_id=str(raw.get("order_id") or "")[:32],
    )


def accepted_code(reply: dict[str, Any]) -> str | None:
    """The code of an `offer_accepted` marker, if it is one."""
    raw = _custom(reply, "offer_accepted")
    return str(raw["code"])[:64] if raw and raw.get("code") else None


def offer_line(reply: dict[str, Any]) -> store.NewMessage | None:
    """An offer marker as the system line agents read, if it is one."""
    offer = offer_of(reply)
    if offer is not None:
        what = "free return shipping" if offer.kind == "free_return_shipping" else "discount"
        for_order = f" after order {offer.order_id}" if offer.order_id else ""
        return store.NewMessage(
            "system",
            f"Offer made: {what} code {offer.code} ({offer.rule}{for_order})",
            payload={"event": "offer", "code": offer.code, "rule": offer.rule, "kind": offer.kind},
        )
    code = accepted_code(reply)
    if code is not None:
        return store.NewMessage(
            "system",
            f"Customer accepted offer {code}",
            payload={"event": "offer_accepted", "code": code},
        )
    return None


async def record(
    engine: AsyncEngine, sender_id: str, email: str | None, replies: list[dict[str, Any]]
) -> None:
    """Writes this turn's offers and acceptances to the offers table."""
    for reply in replies:
        offer = offer_of(reply)
        if offer is not None:
            if not email:
                # The bot offers only after verifying an order, so this is a bug, not a customer.
                logger.warning("Offer %s in %s without the customer's email", offer.code, sender_id)
                continue
            await offers.record_offer(engine, email=email, sender_id=sender_id, offer=offer)
        code = accepted_code(reply)
        if code is not None:
            await offers.mark_accepted(engine, sender_id=sender_id, code=code)
