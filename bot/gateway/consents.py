"""What the bot's consent markers change, in the turn that produced them.

An action reports a customer's choice as a custom message the customer never
sees (`{"updates": {"on": true}}`, `{"followup": {...}}`); the gateway knows
the sender and channel, applies the choice and returns the system line
agents read in the transcript. One handler per marker key.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from bot.conversations import store
from bot.conversations.clock import utc_now
from bot.customers import notifications

logger = logging.getLogger(__name__)

MarkerHandler = Callable[[AsyncEngine, str, dict[str, Any]], Awaitable[store.NewMessage | None]]


async def updates(
    engine: AsyncEngine, sender: str, marker: dict[str, Any]
) -> store.NewMessage | None:
    """Order updates on or off in this chat; nothing when the chat is not a remembered one
    (the bot's text already asked the customer to be remembered first)."""
    on = marker.get("on") is True
    if not await notifications.set_updates(engine, sender, on):
        return None
    text = "Customer opted in to order updates" if on else "Customer opted out of order updates"
    return store.NewMessage("system", text, payload={"event": "updates", "on": on})


async def followup(
    engine: AsyncEngine, sender: str, marker: dict[str, Any]
) -> store.NewMessage | None:
    """The answer to "is everything all right now?", on the follow-up it answers."""
    answer = str(marker.get("answer"))
    try:
        notification_id = int(marker.get("notification_id"))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    recorded = await notifications.record_answer(
        engine, notification_id=notification_id, sender_id=sender, answer=answer, now=utc_now()
    )
    if not recorded:
        return None
    text = "Follow-up: all right now" if answer == "good" else "Follow-up: still not all right"
    return store.NewMessage(
        "system",
        text,
        payload={"event": "followup", "answer": answer, "notification_id": notification_id},
    )


HANDLERS: dict[str, MarkerHandler] = {
    "updates": updates,
    "followup": followup,
}


async def apply(
    engine: AsyncEngine, sender: str, replies: list[dict[str, Any]]
) -> list[store.NewMessage]:
    """Applies every consent marker among the bot's replies; the transcript's system lines."""
    lines = []
    for reply in replies:
        custom = reply.get("custom")
        if not isinstance(custom, dict):
            continue
        for key, handler in HANDLERS.items():
            if isinstance(custom.get(key), dict):
                line = await handler(engine, sender, custom[key])
                if line is not None:
                    lines.append(line)
    return lines
