"""Where a customer's message goes: to the bot, or to the agents while handed off.

Every message in and out is recorded in the inbox's store, so the transcript
agents read is complete: customer messages with the bot's understanding,
the bot's replies, agents' replies and what happened in between.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.conversations import store
from bot.gateway.chat import Chat
from bot.gateway.known import with_known_customer
from bot.gateway.markers import for_customer, handoff_reason, transcript
from bot.gateway.outbox import Outbox
from bot.gateway.rasa_client import RasaClient, RasaError
from bot.inbox import ENGINE, agents_online, notify
from bot.policy import load_policy

logger = logging.getLogger(__name__)

WITH_AGENT = ("waiting", "assigned")
RATINGS = {"1", "2", "3", "4", "5"}


@dataclass(frozen=True)
class Answer:
    """What one customer message produced."""

    replies: list[dict[str, Any]]  # to show the customer now
    last_id: int  # the transcript's newest line after it (REST clients poll from there)


# A channel that can push messages to a customer unasked (Telegram, the widget).
Pusher = Callable[[str, list[dict[str, Any]]], Awaitable[None]]


class Router:
    def __init__(self, app: web.Application, rasa: RasaClient, outbox: Outbox):
        self.app, self.rasa, self.outbox = app, rasa, outbox
        # REST clients poll (the outbox wakes them); pushing channels register.
        self._pushers: dict[str, Pusher] = {}

    @property
    def engine(self) -> AsyncEngine:
        """The transcript's database (the inbox opens it when the app is set up)."""
        return self.app[ENGINE]

    def add_pusher(self, channel: str, pusher: Pusher) -> None:
        """`channel` can send customers messages unasked (agents' replies, the bot resuming)."""
        self._pushers[channel] = pusher

    def remove_pusher(self, channel: str) -> None:
        self._pushers.pop(channel, None)

    async def handle(
        self, sender: str, channel: str, text: str, metadata: dict[str, Any]
    ) -> Answer:
        """One customer message: the replies to show now (none while with an agent)."""
        conversation = await store.conversation_by_sender(self.engine, sender)
        if conversation and conversation.state in WITH_AGENT:
            return await self._to_agent(sender, channel, text, conversation.id)
        if conversation and conversation.state == "closed" and conversation.rating is None:
            if text.strip() in RATINGS:
                return await self._rate(sender, channel, text.strip())
        elif (
            conversation and conversation.state == "closed" and conversation.rating_comment is None
        ):
            await store.set_rating(
                self.engine, sender_id=sender, rating=conversation.rating or 0, comment=text[:2000]
            )
        return await self._to_bot(
            sender, channel, text, metadata, conversation.id if conversation else None
        )

    async def _to_agent(self, sender: str, channel: str, text: str, conversation_id: int) -> Answer:
        message = await store.record_message(
            self.engine, sender_id=sender, channel=channel, direction="customer", text=text
        )
        await notify(self.app, "message", conversation_id)
        try:  # keep Rasa's tracker complete for when the bot takes over again
            await self.rasa.append(sender, [{"event": "user", "text": text}])
        except RasaError:
            logger.warning("Could not add a customer message to the tracker of %s", sender)
        return Answer([], message.id)

    async def _rate(self, sender: str, channel: str, rating: str) -> Answer:
        await store.set_rating(self.engine, sender_id=sender, rating=int(rating), comment=None)
        message = await store.record_message(
            self.engine, sender_id=sender, channel=channel, direction="customer", text=rating
        )
        thanks = await self.rasa.trigger(sender, "rating_received")
        last = await self._bot_says(sender, channel, thanks)
        return Answer(for_customer(thanks), last or message.id)

    async def _to_bot(
        self,
        sender: str,
        channel: str,
        text: str,
        metadata: dict[str, Any],
        conversation_id: int | None,
    ) -> Answer:
        metadata = await with_known_customer(self.engine, sender, metadata)
        turn = await self.rasa.turn(sender, text, metadata)
        reasons = [reason for reason in map(handoff_reason, turn.replies) if reason]
        shown = for_customer(turn.replies)
        understood = store.NewMessage(
            "customer", text, intent=turn.intent, confidence=turn.confidence
        )
        replies = await transcript(self.engine, Chat(sender, channel, turn.slots), turn.replies)
        conversation_id, last = await store.record_messages(
            self.engine,
            sender_id=sender,
            channel=channel,
            lines=[understood, *replies],
            language=turn.slots.get("language"),
            conversation_id=conversation_id,
        )
        if reasons:
            announced = await self._hand_off(sender, channel, reasons[0], turn.slots)
            shown += announced.replies
            last = max(last, announced.last_id)
        await notify(self.app, "message", conversation_id)
        return Answer(shown, last)

    async def _hand_off(
        self, sender: str, channel: str, reason: str, slots: dict[str, Any]
    ) -> Answer:
        conversation = await store.open_handoff(
            self.engine,
            sender_id=sender,
            reason=reason,
            language=slots.get("language"),
            customer=slots.get("email"),
            order_id=slots.get("verified_order_id") or slots.get("order_id"),
        )
        await notify(self.app, "handoff", conversation.id)
        position = await store.queue_position(self.engine, sender)
        minutes = max(1, position) * int(load_policy().lookup("support.minutes_per_conversation"))
        announced = await self.rasa.trigger(
            sender,
            "handoff_queued",
            {"wait_minutes": str(minutes), "agents_online": "yes" if self.agents_online else "no"},
        )
        last = await self._bot_says(sender, channel, announced)
        return Answer(for_customer(announced), last)

    @property
    def agents_online(self) -> bool:
        """Whether an agent is signed in with the inbox open (its live-update socket)."""
        return agents_online(self.app)

    async def _bot_says(self, sender: str, channel: str, replies: list[dict[str, Any]]) -> int:
        """Records the bot's replies in the transcript; the last one's id (0: none)."""
        lines = await transcript(self.engine, Chat(sender, channel), replies)
        if not lines:
            return 0
        _, last = await store.record_messages(
            self.engine, sender_id=sender, channel=channel, lines=lines
        )
        return last

    async def deliver(self, sender: str, channel: str, replies: list[dict[str, Any]]) -> None:
        """Bot messages that did not answer a customer's message (handback, rating)."""
        await self._bot_says(sender, channel, replies)
        await self.push(sender, channel, for_customer(replies))

    async def push(self, sender: str, channel: str, messages: list[dict[str, Any]]) -> None:
        """Sends unasked messages through the conversation's own channel."""
        await self.outbox.wake(sender)
        pusher = self._pushers.get(channel)
        if pusher and messages:
            try:
                await pusher(sender, messages)
            except Exception:  # a channel failure must not break the agent's action
                logger.exception(
                    "Could not push %d messages to %s on %s", len(messages), sender, channel
                )
