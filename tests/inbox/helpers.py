"""Small helpers shared by the inbox tests that need data at known dates."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.conversations.clock import utc_now
from bot.conversations.tables import conversations, messages


async def backdate(engine: AsyncEngine, conversation_id: int, days: int) -> None:
    """Move a conversation and all its messages ``days`` days into the past."""
    when = utc_now() - timedelta(days=days)
    async with engine.begin() as conn:
        await conn.execute(
            update(conversations)
            .where(conversations.c.id == conversation_id)
            .values(created_at=when, last_message_at=when)
        )
        await conn.execute(
            update(messages)
            .where(messages.c.conversation_id == conversation_id)
            .values(created_at=when)
        )
