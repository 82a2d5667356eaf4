"""How the inbox reaches the customer: through the gateway, behind a Protocol.

The gateway (bot/gateway) passes the real implementation to ``setup_inbox``.
``RecordOnlyDelivery`` is for running the inbox alone (``python -m bot.inbox
serve``): it keeps the transcript right but reaches no customer.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncEngine

from bot.conversations import store
from bot.conversations.models import Conversation

log = logging.getLogger(__name__)


class Delivery(Protocol):
    async def claimed(self, conversation: Conversation) -> None:
        """An agent claimed the conversation: tell the customer who joined."""

    async def send_agent_reply(
        self, conversation: Conversation, text: str, agent_name: str
    ) -> None:
        """Deliver an agent's reply into the customer's chat and record it (direction agent)."""

    async def hand_back(self, conversation: Conversation) -> None:
        """The bot resumes the conversation with a short line."""

    async def close(self, conversation: Conversation) -> None:
        """The bot asks the customer for a 1-5 rating."""


class RecordOnlyDelivery:
    """Records agent replies in the transcript; nobody receives them."""

    def __init__(self, engine: Callable[[], AsyncEngine]) -> None:
        self._engine = engine

    async def send_agent_reply(
        self, conversation: Conversation, text: str, agent_name: str
    ) -> None:
        log.warning(
            "No gateway: the reply to conversation %s is recorded but not delivered",
            conversation.id,
        )
        await store.record_message(
            self._engine(),
            sender_id=conversation.sender_id,
            channel=conversation.channel,
            direction="agent",
            text=text,
            agent_id=conversation.assigned_agent_id,
        )

    async def claimed(self, conversation: Conversation) -> None:
        log.warning(
            "No gateway: conversation %s claimed, the customer is not told", conversation.id
        )

    async def hand_back(self, conversation: Conversation) -> None:
        log.warning("No gateway: conversation %s handed back, no bot line sent", conversation.id)

    async def close(self, conversation: Conversation) -> None:
        log.warning("No gateway: conversation %s closed, no rating asked", conversation.id)
