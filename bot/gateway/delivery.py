"""Agents' actions, carried into the customer's chat (the inbox's Delivery)."""

from __future__ import annotations

import logging

from bot.gateway.rasa_client import RasaClient, RasaError
from bot.gateway.router import Router
from bot.inbox import store
from bot.inbox.store import Conversation

logger = logging.getLogger(__name__)


class GatewayDelivery:
    """Delivers through the conversation's own channel and keeps Rasa's tracker whole.

    Rasa's own "send a message into a conversation" API does not reach socket.io
    clients on other workers nor Telegram, so the gateway delivers itself and
    only appends the event to the tracker.
    """

    def __init__(self) -> None:
        self.router: Router | None = None
        self.rasa: RasaClient | None = None

    def _ready(self) -> tuple[Router, RasaClient]:
        assert self.router is not None and self.rasa is not None, "gateway not started"
        return self.router, self.rasa

    async def send_agent_reply(
        self, conversation: Conversation, text: str, agent_name: str
    ) -> None:
        router, rasa = self._ready()
        await store.record_message(
            router.engine,
            sender_id=conversation.sender_id,
            channel=conversation.channel,
            direction="agent",
            text=text,
            payload={"agent": agent_name},
            agent_id=conversation.assigned_agent_id,
        )
        await router.push(
            conversation.sender_id, conversation.channel, [{"text": text, "agent": agent_name}]
        )
        try:
            await rasa.append(
                conversation.sender_id,
                [{"event": "bot", "text": text, "metadata": {"agent": agent_name}}],
            )
        except RasaError:
            logger.warning(
                "Could not add an agent reply to the tracker of %s", conversation.sender_id
            )

    async def hand_back(self, conversation: Conversation) -> None:
        router, rasa = self._ready()
        replies = await rasa.trigger(conversation.sender_id, "handback")
        await router.deliver(conversation.sender_id, conversation.channel, replies)

    async def close(self, conversation: Conversation) -> None:
        router, rasa = self._ready()
        replies = await rasa.trigger(conversation.sender_id, "conversation_closed")
        await router.deliver(conversation.sender_id, conversation.channel, replies)
