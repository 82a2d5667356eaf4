"""Value objects -> JSON-ready dicts, the shapes the inbox's JavaScript reads."""

from __future__ import annotations

import functools
import json
from typing import Any

from aiohttp import web

from bot.conversations.clock import to_iso
from bot.conversations.models import REASON_LABELS, STATE_LABELS, Conversation, Message

# Customers write Ukrainian and Polish: keep it readable on the wire.
_dumps = functools.partial(json.dumps, ensure_ascii=False)


def json_response(data: Any, *, status: int = 200) -> web.Response:
    return web.json_response(data, status=status, dumps=_dumps)


def error_json(code: str, message: str) -> dict[str, str]:
    return {"error": code, "message": message}


def conversation_json(conversation: Conversation) -> dict[str, Any]:
    return {
        "id": conversation.id,
        "sender_id": conversation.sender_id,
        "channel": conversation.channel,
        "language": conversation.language,
        "customer": conversation.customer,
        "order_id": conversation.order_id,
        "state": conversation.state,
        "state_label": STATE_LABELS.get(conversation.state, conversation.state),
        "handoff_reason": conversation.handoff_reason,
        "handoff_reason_label": (
            REASON_LABELS.get(conversation.handoff_reason, conversation.handoff_reason)
            if conversation.handoff_reason
            else None
        ),
        "handoff_at": to_iso(conversation.handoff_at),
        "assigned_agent_id": conversation.assigned_agent_id,
        "assigned_agent_name": conversation.assigned_agent_name,
        "closed_at": to_iso(conversation.closed_at),
        "rating": conversation.rating,
        "rating_comment": conversation.rating_comment,
        "created_at": to_iso(conversation.created_at),
        "last_message_at": to_iso(conversation.last_message_at),
    }


def message_json(message: Message) -> dict[str, Any]:
    return {
        "id": message.id,
        "conversation_id": message.conversation_id,
        "direction": message.direction,
        "text": message.text,
        "payload": message.payload,
        "buttons": button_titles(message),
        "intent": message.intent,
        "confidence": message.confidence,
        "agent_name": message.agent_name,
        "created_at": to_iso(message.created_at),
        "misunderstood": message.misunderstood,
        "corrected_intent": message.corrected_intent,
    }


def button_titles(message: Message) -> list[str]:
    """The titles of a bot message's buttons, whatever else its payload holds."""
    payload = message.payload or {}
    buttons = payload.get("buttons") if isinstance(payload, dict) else None
    if not isinstance(buttons, list):
        return []
    titles = []
    for button in buttons:
        if isinstance(button, dict) and button.get("title"):
            titles.append(str(button["title"]))
        elif isinstance(button, str):
            titles.append(button)
    return titles
