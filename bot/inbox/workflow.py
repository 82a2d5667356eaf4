"""What agents do to a conversation: claim, hand back, close, and correct intents.

Every state change is one conditional UPDATE (``... WHERE state = ...``), so
two agents racing for the same conversation cannot both win.
"""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.conversations.clock import utc_now
from bot.conversations.models import STATE_LABELS, Agent, Conversation, Message
from bot.conversations.store import (
    find_conversation,
    get_conversation,
    insert_system_message,
    list_messages,
)
from bot.conversations.tables import conversations, messages
from bot.inbox.errors import (
    AlreadyClaimed,
    Conflict,
    ConversationNotFound,
    InvalidRequest,
    MessageNotFound,
    NotYourConversation,
)


async def claim(engine: AsyncEngine, conversation_id: int, agent: Agent) -> Conversation:
    now = utc_now()
    async with engine.begin() as conn:
        won = await conn.execute(
            update(conversations)
            .where(conversations.c.id == conversation_id, conversations.c.state == "waiting")
            .values(state="assigned", assigned_agent_id=agent.id)
        )
        if won.rowcount == 1:
            await insert_system_message(
                conn,
                conversation_id,
                f"{agent.display_name} joined the conversation",
                {"event": "claimed"},
                now=now,
                agent_id=agent.id,
            )
    current = await get_conversation(engine, conversation_id)
    if won.rowcount == 1 or (current.state == "assigned" and current.assigned_agent_id == agent.id):
        return current
    if current.state == "assigned":
        raise AlreadyClaimed(
            f"{current.assigned_agent_name or 'Another agent'} has already claimed this conversation"
        )
    raise Conflict(_not_with_a_person(current))


async def require_assignee(engine: AsyncEngine, conversation_id: int, agent: Agent) -> Conversation:
    """The conversation, if ``agent`` is the one handling it; else a clear 404/409."""
    current = await find_conversation(engine, conversation_id)
    if current is None:
        raise ConversationNotFound(conversation_id)
    _check_assignee(current, agent)
    return current


async def hand_back(engine: AsyncEngine, conversation_id: int, agent: Agent) -> Conversation:
    return await _finish(
        engine,
        conversation_id,
        agent,
        changes={"state": "bot"},
        line=f"{agent.display_name} handed the conversation back to the bot",
        event="handed_back",
    )


async def close(engine: AsyncEngine, conversation_id: int, agent: Agent) -> Conversation:
    return await _finish(
        engine,
        conversation_id,
        agent,
        changes={"state": "closed", "closed_at": utc_now()},
        line=f"{agent.display_name} closed the conversation",
        event="closed",
    )


async def mark_misunderstood(
    engine: AsyncEngine, message_id: int, corrected_intent: str | None
) -> Message:
    """Flag a customer message with the intent it should have had (None clears the flag)."""
    async with engine.begin() as conn:
        found = (
            await conn.execute(
                select(messages.c.conversation_id, messages.c.direction).where(
                    messages.c.id == message_id
                )
            )
        ).one_or_none()
        if found is None:
            raise MessageNotFound(message_id)
        if found.direction != "customer":
            raise InvalidRequest("Only customer messages can be marked as misunderstood")
        await conn.execute(
            update(messages)
            .where(messages.c.id == message_id)
            .values(misunderstood=corrected_intent is not None, corrected_intent=corrected_intent)
        )
    updated = await list_messages(engine, found.conversation_id, after_id=message_id - 1)
    return updated[0]


async def _finish(
    engine: AsyncEngine,
    conversation_id: int,
    agent: Agent,
    *,
    changes: dict[str, object],
    line: str,
    event: str,
) -> Conversation:
    now = utc_now()
    async with engine.begin() as conn:
        done = await conn.execute(
            update(conversations)
            .where(
                conversations.c.id == conversation_id,
                conversations.c.state == "assigned",
                conversations.c.assigned_agent_id == agent.id,
            )
            .values(last_message_at=now, **changes)
        )
        if done.rowcount == 1:
            await insert_system_message(
                conn, conversation_id, line, {"event": event}, now=now, agent_id=agent.id
            )
    current = await get_conversation(engine, conversation_id)
    if done.rowcount != 1:
        _check_assignee(current, agent)
    return current


def _check_assignee(current: Conversation, agent: Agent) -> None:
    if current.state == "assigned" and current.assigned_agent_id == agent.id:
        return
    if current.state == "assigned":
        raise NotYourConversation(
            f"{current.assigned_agent_name or 'Another agent'} is handling this conversation"
        )
    if current.state == "waiting":
        raise NotYourConversation("Claim this conversation first")
    raise Conflict(_not_with_a_person(current))


def _not_with_a_person(current: Conversation) -> str:
    return f"This conversation is no longer with a person ({STATE_LABELS[current.state].lower()})"
