"""Moving a conversation an hour ahead, so its next message starts a new Rasa session."""

from __future__ import annotations

import time

import requests

from bot.launcher import Stack

# The seeded customer of orders 10001 (shipped) and 10007 (delivered long ago).
OLENA = "olena.kovalenko@example.com"


def an_hour_later(stack: Stack, sender: str) -> None:
    """Moves the conversation's last message back past the 60-minute session expiry,
    so the next message starts a new session (as it would an hour later)."""
    earlier = time.time() - 2 * 3600
    response = requests.post(
        f"http://127.0.0.1:{stack.settings.rasa_port}/conversations/{sender}/tracker/events",
        params={"token": stack.settings.rasa_token},
        json=[
            {
                "event": "user",
                "text": "thanks",
                "timestamp": earlier,
                "parse_data": {"intent": {"name": "thank", "confidence": 1.0}, "entities": []},
            },
            {"event": "action", "name": "action_listen", "timestamp": earlier},
        ],
        timeout=30,
    )
    assert response.status_code == 200, response.text
