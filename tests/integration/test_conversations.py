"""Conversation tests: the multi-turn dialogues in tests/conversations/*.yml.

Each turn sends `user` through the REST channel and checks that the bot's
reply contains every text in `bot` and none in `not`. Placeholders such as
`{10001.customer.email}` are filled from the shop backend, so the expected
answers are the shop's real data.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.support.chat import Chat
from tests.support.shop import ShopApi

FOLDER = Path(__file__).resolve().parent.parent / "conversations"
PLACEHOLDER = re.compile(r"\{(\d{5})\.([\w.]+)\}")


def load() -> list[Any]:
    cases = []
    for path in sorted(FOLDER.glob("*.yml")):
        for conversation in yaml.safe_load(path.read_text(encoding="utf-8"))["conversations"]:
            cases.append(pytest.param(conversation, id=f"{path.stem}: {conversation['name']}"))
    return cases


def fill(text: str, shop_api: ShopApi) -> str:
    def value(match: re.Match[str]) -> str:
        node: Any = shop_api.order(int(match.group(1)))
        for key in match.group(2).split("."):
            node = node[int(key)] if isinstance(node, list) else node[key]
        return str(node)

    return PLACEHOLDER.sub(value, text)


@pytest.mark.parametrize("conversation", load())
def test_conversation(conversation: dict[str, Any], rasa_url: str, shop_api: ShopApi) -> None:
    chat = Chat(rasa_url)
    for number, turn in enumerate(conversation["turns"], start=1):
        reply = chat.say(fill(turn["user"], shop_api))
        for expected in turn.get("bot", []):
            assert fill(expected, shop_api) in reply, (
                f"turn {number}: {turn['user']!r} -> {reply!r}"
            )
        for unexpected in turn.get("not", []):
            assert fill(unexpected, shop_api) not in reply, (
                f"turn {number}: {turn['user']!r} -> {reply!r}"
            )
