"""What the bot remembers about a conversation (its slots), from Rasa's tracker API."""

from __future__ import annotations

import asyncio
import logging
from urllib.parse import quote

import aiohttp

from bot.inbox.config import InboxSettings

log = logging.getLogger(__name__)

# Bookkeeping slots that tell an agent nothing.
_HIDDEN_SLOTS = frozenset({"requested_slot", "session_started_metadata"})
RASA_TIMEOUT_SECONDS = 2.0


async def fetch_slots(
    http: aiohttp.ClientSession, settings: InboxSettings, sender_id: str
) -> dict[str, str] | None:
    """Filled slots as display strings, or None when Rasa cannot be asked."""
    url = f"{settings.rasa_url}/conversations/{quote(sender_id, safe='')}/tracker"
    params = {"include_events": "NONE"}
    if settings.rasa_token:
        params["token"] = settings.rasa_token
    try:
        async with http.get(
            url, params=params, timeout=aiohttp.ClientTimeout(total=RASA_TIMEOUT_SECONDS)
        ) as response:
            if response.status != 200:
                return None
            tracker = await response.json()
    except (aiohttp.ClientError, asyncio.TimeoutError, ValueError) as error:
        log.info("Cannot read the Rasa tracker of %s: %r", sender_id, error)
        return None
    slots = tracker.get("slots") if isinstance(tracker, dict) else None
    if not isinstance(slots, dict):
        return None
    return {
        str(name): str(value)
        for name, value in sorted(slots.items())
        if value not in (None, "", [], {}) and name not in _HIDDEN_SLOTS
    }
