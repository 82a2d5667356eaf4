"""Turning request parts (path, query, JSON body) into checked values."""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from bot.conversations.models import MAX_REPLY_LENGTH
from bot.inbox.errors import ConversationNotFound, InvalidRequest, MessageNotFound

# Larger ids cannot exist, and PostgreSQL would reject them as out of range.
MAX_ID = 2**31 - 1


def conversation_id(request: web.Request) -> int:
    raw = request.match_info["conversation_id"]
    if not raw.isdigit() or not 0 < int(raw) <= MAX_ID:
        raise ConversationNotFound(raw)
    return int(raw)


def message_id(request: web.Request) -> int:
    raw = request.match_info["message_id"]
    if not raw.isdigit() or not 0 < int(raw) <= MAX_ID:
        raise MessageNotFound(0)
    return int(raw)


def after_id(request: web.Request) -> int:
    raw = request.query.get("after", "0")
    return min(int(raw), MAX_ID) if raw.isdigit() else 0


async def json_object(request: web.Request) -> dict[str, Any]:
    try:
        body = await request.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise InvalidRequest("The request body must be JSON") from None
    if not isinstance(body, dict):
        raise InvalidRequest("The request body must be a JSON object")
    return body


def reply_text(body: dict[str, Any]) -> str:
    text = body.get("text")
    if not isinstance(text, str):
        raise InvalidRequest("'text' is required and must be a string")
    text = text.strip()
    if not text:
        raise InvalidRequest("The reply is empty")
    if len(text) > MAX_REPLY_LENGTH:
        raise InvalidRequest(f"The reply is longer than {MAX_REPLY_LENGTH} characters")
    return text
