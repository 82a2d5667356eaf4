"""Sending what is due unasked (order updates, follow-ups) to the chats that opted in.

A background task (cleanup_ctx) wakes when the shop's webhook scheduled
something and at least every `NOTIFICATIONS_POLL_SECONDS`; it claims the due
rows in the database (so a restart loses nothing and two gateway processes
never send one twice), asks the bot for the text in the customer's language
(an intent with entities, as the handoff announcement does) and delivers it
through the router: Telegram at once, the widget at once while it is open,
else on the next visit. Nothing goes out in the shop's quiet hours.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from aiohttp import web

from bot.conversations.clock import utc_now
from bot.customers import notifications
from bot.customers.notifications import Notification
from bot.customers.timing import is_quiet, quiet_hours
from bot.gateway.keys import GATEWAY
from bot.gateway.rasa_client import RasaError
from bot.policy import load_policy

logger = logging.getLogger(__name__)

Clock = Callable[[], datetime]
# Event ids older than this are dropped (the signature's window is five minutes).
EVENTS_KEPT = timedelta(days=1)


@dataclass
class Proactive:
    """The sender's state: the clock (tests set their own), and the wake-up call."""

    webhook_secret: str
    poll_seconds: float
    clock: Clock = utc_now
    wake: asyncio.Event = field(default_factory=asyncio.Event)


PROACTIVE = web.AppKey("proactive", Proactive)

# Entities the bot gets with `order_update`; each short, never the customer's email.
UPDATE_ENTITIES = (
    "update_event", "order_id", "carrier", "tracking_number", "tracking_url",
    "return_id", "amount", "currency",
)  # fmt: skip


def setup_proactive(app: web.Application, secret: str, env: Mapping[str, str]) -> None:
    quiet_hours(load_policy())  # a malformed `notifications.quiet_hours` stops the start
    poll = float(env.get("NOTIFICATIONS_POLL_SECONDS", "").strip() or 30)
    app[PROACTIVE] = Proactive(webhook_secret=secret, poll_seconds=poll)
    app.cleanup_ctx.append(_sender)


async def _sender(app: web.Application) -> AsyncIterator[None]:
    task = asyncio.create_task(_send_forever(app))
    yield
    task.cancel()
    with suppress(asyncio.CancelledError):
        await task


async def _send_forever(app: web.Application) -> None:
    state = app[PROACTIVE]
    while True:
        try:
            await send_due(app)
        except Exception:  # the next round tries again; the loop must not die
            logger.exception("Sending due notifications failed")
        with suppress(asyncio.TimeoutError):
            await asyncio.wait_for(state.wake.wait(), state.poll_seconds)
        state.wake.clear()


async def send_due(app: web.Application) -> int:
    """Sends every notification due now (none in quiet hours); how many went out."""
    now = app[PROACTIVE].clock()
    if is_quiet(load_policy(), now):
        return 0
    router = app[GATEWAY].router
    await notifications.forget_old_events(router.engine, before=now - EVENTS_KEPT)
    sent = 0
    for due in await notifications.claim_due(router.engine, now):
        channel = await notifications.wants_updates(router.engine, due.sender_id)
        if channel is None:
            continue  # opted out (or forgotten) since: stays claimed, never sent
        try:
            replies = await _texts(app, due)
        except RasaError:
            logger.warning("No text for notification %d; retrying later", due.id)
            await notifications.release(router.engine, due.id)
            continue
        await router.deliver(due.sender_id, channel, replies)
        sent += 1
    return sent


async def _texts(app: web.Application, due: Notification) -> list[dict[str, Any]]:
    """The bot's message for a notification, in the conversation's language."""
    rasa = app[GATEWAY].router.rasa
    if due.kind == notifications.FOLLOWUP:
        entities = {
            "followup_id": str(due.id),
            "update_order": str(due.payload.get("order_id", "")),
        }
        return await rasa.trigger(due.sender_id, "followup_check", entities)
    entities = {
        # `update_order`, not `order_id`: the update must not change the order being discussed.
        ("update_order" if name == "order_id" else name): str(due.payload[name])[:200]
        for name in UPDATE_ENTITIES
        if due.payload.get(name) not in (None, "")
    }
    return await rasa.trigger(due.sender_id, "order_update", entities)
