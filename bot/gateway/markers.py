"""The bot's markers: custom messages for the gateway only, never shown to the customer.

An action reports what only the gateway can act on, because only the gateway
knows the chat: a handoff (`{"handoff": {"reason"}}`, the router queues the
conversation), a complaint ticket, and issue 20's consents and offers. Each
marker key has one handler; it applies the marker and returns the system line
agents read in the transcript. A new marker is one entry in `HANDLERS`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from bot.conversations import store
from bot.gateway import known, offers, order_updates
from bot.gateway.chat import Chat

Handler = Callable[[AsyncEngine, Chat, dict[str, Any]], Awaitable[store.NewMessage | None]]


def handoff_reason(reply: dict[str, Any]) -> str | None:
    """The reason of a handoff marker, if the reply is one."""
    custom = reply.get("custom")
    if isinstance(custom, dict) and isinstance(custom.get("handoff"), dict):
        return str(custom["handoff"].get("reason") or "other")
    return None


def ticket_line(ticket: dict[str, Any]) -> store.NewMessage:
    """A ticket marker (the complaint action opened a ticket) as a system line."""
    # Short strings only: the line is shown to agents and filtered on, nothing more.
    ticket_id, order_id = str(ticket.get("id") or "?")[:64], str(ticket.get("order_id") or "")[:32]
    store_name = "kramar" if ticket.get("store") == "kramar" else "shop"
    category = str(ticket.get("category") or "other")[:32]
    kept_by = "Kramar" if store_name == "kramar" else "the shop"
    for_order = f" for order {order_id}" if order_id else ""
    return store.NewMessage(
        "system",
        f"Complaint ticket {ticket_id} opened{for_order} (kept by {kept_by})",
        payload={
            "event": "ticket",
            "ticket_id": ticket_id,
            "store": store_name,
            "category": category,
            "order_id": order_id,
        },
    )


async def ticket(engine: AsyncEngine, chat: Chat, marker: dict[str, Any]) -> store.NewMessage:
    return ticket_line(marker)


HANDLERS: dict[str, Handler] = {
    "ticket": ticket,
    "customer": known.customer,  # remember me, forget me
    "updates": order_updates.updates,
    "followup": order_updates.followup,
    "offer": offers.offer_made,
    "offer_accepted": offers.offer_accepted,
}
# A handoff has no handler here: the router queues the conversation, and the
# inbox writes its own line.
MARKER_KEYS = ("handoff", *HANDLERS)


def is_marker(reply: dict[str, Any]) -> bool:
    """Whether a reply is for the gateway only (a custom message with a marker key)."""
    custom = reply.get("custom")
    return isinstance(custom, dict) and any(key in custom for key in MARKER_KEYS)


def for_customer(replies: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The replies a customer sees: all but the markers."""
    return [reply for reply in replies if not is_marker(reply)]


def bot_line(reply: dict[str, Any]) -> store.NewMessage:
    """A bot reply as a transcript line: its text, and buttons, image or custom data aside."""
    payload = {k: v for k, v in reply.items() if k not in ("text", "recipient_id")}
    return store.NewMessage("bot", str(reply.get("text") or ""), payload=payload or None)


async def transcript(
    engine: AsyncEngine, chat: Chat, replies: list[dict[str, Any]]
) -> list[store.NewMessage]:
    """The bot's replies as transcript lines, in order, applying each marker on the way."""
    lines = []
    for reply in replies:
        if not is_marker(reply):
            lines.append(bot_line(reply))
            continue
        custom = reply["custom"]
        for key, handler in HANDLERS.items():
            if isinstance(custom.get(key), dict):
                line = await handler(engine, chat, custom[key])
                if line is not None:
                    lines.append(line)
    return lines
