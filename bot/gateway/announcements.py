"""What the gateway itself tells a customer about their conversation: an agent joining.

The bot (domain.yml) says everything else. This line is the gateway's because an
agent's claim happens in the inbox, between two customer messages, when the
bot has no turn. The wording avoids the agent's grammatical gender (uk, pl, cs).
"""

from __future__ import annotations

DEFAULT_LANGUAGE = "en"
AGENT_JOINED = {
    "en": "{agent} from our team has joined the conversation.",
    "uk": "До розмови долучається {agent} з нашої команди.",
    "pl": "Do rozmowy dołącza {agent} z naszego zespołu.",
    "cs": "K rozhovoru se připojuje {agent} z našeho týmu.",
}
# Marks the line in the transcript (bot message payload), so a claim is announced once.
ANNOUNCEMENT = "agent_joined"


def agent_joined_text(agent: str, language: str | None) -> str:
    template = AGENT_JOINED.get(language or DEFAULT_LANGUAGE, AGENT_JOINED[DEFAULT_LANGUAGE])
    return template.format(agent=agent)
