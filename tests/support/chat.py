"""A customer talking to the bot through the REST channel."""

from __future__ import annotations

import uuid
from typing import Any

import requests


class Chat:
    """One conversation: a fresh sender id, messages in, bot replies out."""

    def __init__(self, rasa_url: str, sender: str | None = None) -> None:
        self.url = f"{rasa_url}/webhooks/rest/webhook"
        self.sender = sender or f"test-{uuid.uuid4().hex}"

    def send(self, message: Any) -> list[dict[str, Any]]:
        response = requests.post(
            self.url, json={"sender": self.sender, "message": message}, timeout=60
        )
        assert response.status_code == 200, response.text
        return response.json()

    def say(self, message: str) -> str:
        """The bot's reply texts, joined by newlines (button titles included)."""
        return render(self.send(message))


def render(replies: list[dict[str, Any]]) -> str:
    lines = []
    for reply in replies:
        if reply.get("text"):
            lines.append(reply["text"])
        lines += [f"[{button['title']}]" for button in reply.get("buttons", [])]
    return "\n".join(lines)
