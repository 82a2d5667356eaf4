"""A conversation carried over from the website into another channel with a one-time code.

The code (from "Continue in Telegram" in the widget) is redeemed once; the bot
then knows in the new chat what it knew on the website: the language, the
order being discussed and the email that proved it, the topic and, in the
middle of a request, its answers so far (the question is asked again). A
known customer stays known there. Both transcripts get a line pointing at the
other, and the customer a short "we're continuing ..." from the bot.
"""

from __future__ import annotations

import logging
from typing import Any

from bot.conversations import store
from bot.customers import links
from bot.gateway.router import Router

logger = logging.getLogger(__name__)

INTENT = "continued_from_web"
# How agents read a channel's name in the transcript lines.
CHANNEL_NAMES = {"web": "website", "telegram": "Telegram"}
# What the bot knows about the customer and their order. Verification
# failures travel too: a new chat must not reset the lock after three.
CARRIED_SLOTS = (
    "language",
    "topic",
    "order_id",
    "email",
    "verified_order_id",
    "verification_failures",
    "customer_name",
    "known_customer",
)
# The carried slots open a new session of the chat, so that no session start
# (Rasa's, or a custom one that drops personal slots) runs after them and
# forgets them, whether the chat is new or idle for longer than a session.
SESSION_START = [
    {"event": "action", "name": "action_session_start"},
    {"event": "session_started"},
    {"event": "action", "name": "action_listen"},
]
# A request's answers so far, carried only while its form is open.
REQUEST_SLOTS = (
    "return_items",
    "return_reason",
    "new_address",
    "confirm",
    "complaint_category",
    "complaint_description",
    "complaint_photo",
)


def carried_events(tracker: dict[str, Any]) -> tuple[list[dict[str, Any]], bool]:
    """The slot events that carry `tracker` (Rasa's state of the website chat) over, and
    whether a request was under way there."""
    slots = tracker.get("slots") or {}
    in_request = bool((tracker.get("active_loop") or {}).get("name"))
    names = CARRIED_SLOTS + (REQUEST_SLOTS if in_request else ())
    events = [
        {"event": "slot", "name": name, "value": slots[name]}
        for name in names
        if slots.get(name) is not None
    ]
    return events, in_request


async def continue_conversation(
    router: Router, *, code: str, sender: str, channel: str, language: str | None = None
) -> list[dict[str, Any]] | None:
    """Carries the website chat `code` was made for over to `sender`; the bot's replies
    (already recorded in the transcript). None: the code is unknown, used or expired.

    `language`: the new channel's hint (Telegram's app language), for a website
    chat where nothing was said yet (its language slot is only the default)."""
    source = await links.redeem(router.engine, code, sender)
    if source is None:
        return None
    said_something = await store.conversation_by_sender(router.engine, source) is not None
    if said_something:
        events, in_request = carried_events(await router.rasa.state(source))
    else:
        events, in_request = [], False
        if language:
            events = [{"event": "slot", "name": "language", "value": language}]
    await router.rasa.append(sender, SESSION_START + events)
    customer_id = await links.link_same_customer(
        router.engine, from_sender=source, to_sender=sender, channel=channel
    )
    await _note_both(router, source=source, sender=sender, channel=channel)
    logger.info(
        "Continued %s in %s (%s)", source, sender, "known customer" if customer_id else "anonymous"
    )
    return await router.rasa.trigger(
        sender, INTENT, {"resume_request": "yes"} if in_request else {}
    )


async def _note_both(router: Router, *, source: str, sender: str, channel: str) -> None:
    """A line for agents in each transcript, naming the other conversation."""
    origin = await store.conversation_by_sender(router.engine, source)
    origin_channel = origin.channel if origin else "web"
    there = CHANNEL_NAMES.get(origin_channel, origin_channel)
    await store.record_messages(
        router.engine,
        sender_id=sender,
        channel=channel,
        lines=[
            store.NewMessage(
                "system",
                f"Continued from the customer's {there} conversation"
                + (f" #{origin.id}" if origin else ""),
                payload={"event": "continued", "from_sender": source},
            )
        ],
    )
    here = await store.conversation_by_sender(router.engine, sender)
    if origin is not None and here is not None:
        await store.record_messages(
            router.engine,
            sender_id=source,
            channel=origin_channel,
            lines=[
                store.NewMessage(
                    "system",
                    f"The customer continued this conversation in "
                    f"{CHANNEL_NAMES.get(channel, channel)} (#{here.id})",
                    payload={"event": "continued", "to_sender": sender},
                )
            ],
            conversation_id=origin.id,
        )
