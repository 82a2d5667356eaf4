"""One customer across channels, for agents: the conversation's other chats and the whole
history of all of them in time order (bot/customers/links.py says which chats are linked)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncEngine

from bot.conversations import store
from bot.conversations.models import Conversation, Message
from bot.customers import links


@dataclass(frozen=True)
class HistoryLine:
    """A transcript line and the conversation (channel) it was written in."""

    conversation: Conversation
    message: Message


async def linked_conversations(
    engine: AsyncEngine, conversation: Conversation
) -> list[Conversation]:
    """The customer's other conversations (any channel) that have a transcript, oldest first."""
    async with store.unwrapped(engine) as conn:
        senders = await links.linked_senders(conn, conversation.sender_id)
    found = await asyncio.gather(*(store.conversation_by_sender(engine, s) for s in senders))
    return sorted((c for c in found if c is not None), key=lambda c: (c.created_at, c.id))


async def whole_history(
    engine: AsyncEngine, conversations: list[Conversation]
) -> list[HistoryLine]:
    """Every line of these conversations, merged in the order it was written."""
    transcripts = await asyncio.gather(*(store.list_messages(engine, c.id) for c in conversations))
    lines = [
        HistoryLine(conversation, message)
        for conversation, transcript in zip(conversations, transcripts, strict=True)
        for message in transcript
    ]
    return sorted(lines, key=lambda line: (line.message.created_at, line.message.id))
