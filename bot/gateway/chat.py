"""The chat a turn happened in, as the handlers of the bot's markers see it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Chat:
    sender: str  # Rasa's sender id: `tg-<chat id>` or the widget conversation's id
    channel: str  # the gateway's channel name (web, telegram, rest)
    slots: Mapping[str, Any] = field(default_factory=dict)  # the turn's slots, if known
