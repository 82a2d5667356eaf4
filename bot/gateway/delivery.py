"""Agents' actions, carried into the customer's chat (the inbox's Delivery)."""

from __future__ import annotations

import asyncio
import logging
import weakref

from sqlalchemy.ext.asyncio import AsyncEngine

from bot.conversations import store
from bot.conversations.store import Conversation
from bot.gateway.announcements import ANNOUNCEMENT, agent_joined_text
from bot.gateway.rasa_client import RasaClient, RasaError
from bot.gateway.router import Router

logger = logging.getLogger(__name__)


class GatewayDelivery:
    """Delivers through the conversation's own channel and keeps Rasa's tracker whole.

    Rasa's own "send a message into a conversation" API does not reach socket.io
    clients on other workers nor Telegram, so the gateway delivers itself and
    only appends the event to the tracker.
    """

    def __init__(self, router: Router, rasa: RasaClient) -> None:
        self.router, self.rasa = router, rasa
        # One announcement at a time per conversation (the claim's and a first reply's).
        self._locks: weakref.WeakValueDictionary[str, asyncio.Lock] = weakref.WeakValueDictionary()

    async def claimed(self, conversation: Conversation) -> None:
        """An agent claimed the conversation: the customer hears who joined."""
        try:
            await self.announce_agent(conversation)
        except Exception:  # the claim itself succeeded; only the courtesy line is lost
            logger.exception("Could not tell the customer of %s who joined", conversation.id)

    async def announce_agent(self, conversation: Conversation) -> None:
        """Tells the customer, in their language, which agent has joined; once per claim."""
        lock = self._locks.setdefault(conversation.sender_id, asyncio.Lock())
        async with lock:
            current = await store.find_conversation(self.router.engine, conversation.id)
            if current is None or current.state != "assigned" or not current.assigned_agent_name:
                return
            if await _announced(self.router.engine, current.id):
                return
            line = agent_joined_text(current.assigned_agent_name, current.language)
            await store.record_message(
                self.router.engine,
                sender_id=current.sender_id,
                channel=current.channel,
                direction="bot",
                text=line,
                payload={"announcement": ANNOUNCEMENT},
            )
            await self.router.push(current.sender_id, current.channel, [{"text": line}])
        try:
            await self.rasa.append(current.sender_id, [{"event": "bot", "text": line}])
        except RasaError:
            logger.warning(
                "Could not add the agent's arrival to the tracker of %s", current.sender_id
            )

    async def send_agent_reply(
        self, conversation: Conversation, text: str, agent_name: str
    ) -> None:
        # The customer learns who is writing before the first words (a claim's line may lag).
        await self.announce_agent(conversation)
        await store.record_message(
            self.router.engine,
            sender_id=conversation.sender_id,
            channel=conversation.channel,
            direction="agent",
            text=text,
            payload={"agent": agent_name},
            agent_id=conversation.assigned_agent_id,
        )
        await self.router.push(
            conversation.sender_id, conversation.channel, [{"text": text, "agent": agent_name}]
        )
        try:
            await self.rasa.append(
                conversation.sender_id,
                [{"event": "bot", "text": text, "metadata": {"agent": agent_name}}],
            )
        except RasaError:
            logger.warning(
                "Could not add an agent reply to the tracker of %s", conversation.sender_id
            )

    async def hand_back(self, conversation: Conversation) -> None:
        replies = await self.rasa.trigger(conversation.sender_id, "handback")
        await self.router.deliver(conversation.sender_id, conversation.channel, replies)

    async def close(self, conversation: Conversation) -> None:
        replies = await self.rasa.trigger(conversation.sender_id, "conversation_closed")
        await self.router.deliver(conversation.sender_id, conversation.channel, replies)


async def _announced(engine: AsyncEngine, conversation_id: int) -> bool:
    """Whether the latest claim of the conversation was announced to the customer."""
    announced = False
    for message in await store.list_messages(engine, conversation_id):
        payload = message.payload or {}
        if message.direction == "system" and payload.get("event") == "claimed":
            announced = False
        elif message.direction == "bot" and payload.get("announcement") == ANNOUNCEMENT:
            announced = True
    return announced
