"""The bot's order-update markers (issue 20): `{"updates": {"on": true|false}}` when
the customer turns order updates on or off in this chat, and `{"followup": {...}}`
when they answer "is everything all right now?". Handlers for bot/gateway/markers.py.
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from bot.conversations import store
from bot.conversations.clock import utc_now
from bot.customers import notifications
from bot.gateway.chat import Chat

logger = logging.getLogger(__name__)


async def updates(
    engine: AsyncEngine, chat: Chat, marker: dict[str, Any]
) -> store.NewMessage | None:
    """Order updates on or off in this chat; nothing when the chat is not a remembered one
    (the bot's text already asked the customer to be remembered first)."""
    on = marker.get("on") is True
    if not await notifications.set_updates(engine, chat.sender, on):
        return None
    text = "Customer opted in to order updates" if on else "Customer opted out of order updates"
    return store.NewMessage("system", text, payload={"event": "updates", "on": on})


async def followup(
    engine: AsyncEngine, chat: Chat, marker: dict[str, Any]
) -> store.NewMessage | None:
    """The answer to "is everything all right now?", on the follow-up it answers."""
    answer = str(marker.get("answer"))
    try:
        notification_id = int(marker.get("notification_id"))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    recorded = await notifications.record_answer(
        engine, notification_id=notification_id, sender_id=chat.sender, answer=answer, now=utc_now()
    )
    if not recorded:
        return None
    text = "Follow-up: all right now" if answer == "good" else "Follow-up: still not all right"
    return store.NewMessage(
        "system",
        text,
        payload={"event": "followup", "answer": answer, "notification_id": notification_id},
    )
