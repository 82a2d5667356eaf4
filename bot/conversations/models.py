"""Plain value objects shared by the store, the web layer and the gateway."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

STATES = ("bot", "waiting", "assigned", "closed")
DIRECTIONS = ("customer", "bot", "agent", "system")
HANDOFF_REASONS = (
    "low_confidence",
    "asked_for_person",
    "upset_customer",
    "verification_failed",
    "backend_failure",
    "bot_not_helpful",
    "followup_unhappy",
    "other",
)
# The intent Rasa's FallbackClassifier predicts when it is unsure.
FALLBACK_INTENT = "nlu_fallback"
# The bot could not serve a message with either intent: the dashboard counts both.
OUT_OF_SCOPE_INTENT = "out_of_scope"
NOT_UNDERSTOOD_INTENTS = (FALLBACK_INTENT, OUT_OF_SCOPE_INTENT)
# Intents in domain.yml that no customer types: the channel and the gateway send
# them to run the bot around events. They are not what a customer meant.
EVENT_INTENTS = (
    "empty_message",
    "handoff_queued",
    "handback",
    "conversation_closed",
    "rating_received",
    "continued_from_web",  # issue 20: crosschannel
)
# What happened in a conversation, as the inbox records it in its system lines
# (payload {"event": ...}), and how each reads in the review page's filter.
EVENT_LABELS = {
    "handoff": "Handed to a person",
    "claimed": "Claimed by an agent",
    "handed_back": "Handed back to the bot",
    "closed": "Closed by an agent",
    "rating": "Rated",
    "ticket": "Complaint ticket opened",  # written by the gateway (the bot's ticket marker)
    "continued": "Continued in another channel",  # the gateway, "Continue in Telegram"
    # issue 20: updates (the gateway applies the bot's consent markers)
    "updates": "Order updates turned on or off",
    "followup": "Follow-up answered",
}
MAX_REPLY_LENGTH = 4000


@dataclass(frozen=True)
class Agent:
    id: int
    username: str
    display_name: str
    is_admin: bool
    created_at: datetime


@dataclass(frozen=True)
class Conversation:
    id: int
    sender_id: str
    channel: str
    language: str | None
    customer: str | None
    order_id: str | None
    state: str
    handoff_reason: str | None
    handoff_at: datetime | None
    assigned_agent_id: int | None
    assigned_agent_name: str | None
    closed_at: datetime | None
    rating: int | None
    rating_comment: str | None
    created_at: datetime
    last_message_at: datetime


@dataclass(frozen=True)
class Message:
    id: int
    conversation_id: int
    direction: str
    text: str
    payload: dict[str, Any] | None
    intent: str | None
    confidence: float | None
    agent_name: str | None
    created_at: datetime
    misunderstood: bool = False
    corrected_intent: str | None = None


# How each reason and state reads for an agent (English: the team's language).
REASON_LABELS = {
    "low_confidence": "Bot was unsure",
    "asked_for_person": "Asked for a person",
    "upset_customer": "Upset customer",
    "verification_failed": "Verification failed",
    "backend_failure": "Shop system error",
    "bot_not_helpful": "Bot not helpful",
    "followup_unhappy": "Not all right after a resolved case",
    "other": "Other",
}
STATE_LABELS = {
    "bot": "With the bot",
    "waiting": "Waiting",
    "assigned": "Assigned",
    "closed": "Closed",
}
