"""Every text a customer reads exists in English, Ukrainian, Polish and Czech: the bot's
responses (domain.yml, a variation per `language` slot value) and the Telegram channel's
own lines (bot/gateway/telegram_texts.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.gateway.telegram_texts import LANGUAGES, TEXTS

DOMAIN = yaml.safe_load((Path(__file__).parents[2] / "domain.yml").read_text(encoding="utf-8"))
OTHER_LANGUAGES = set(LANGUAGES) - {"en"}  # English is the variation without a condition


def languages_of(variations: list[dict[str, Any]]) -> tuple[set[str], int]:
    """The languages a response's variations are conditioned on, and how many have none."""
    conditioned, defaults = set(), 0
    for variation in variations:
        values = [
            c["value"]
            for c in variation.get("condition") or []
            if c.get("type") == "slot" and c.get("name") == "language"
        ]
        conditioned.update(values)
        defaults += not values
    return conditioned, defaults


# utter_faq/<question> only names the question for the ResponseSelector; the answers
# come from bot/shop_policy.yml in every language (action_answer_faq).
SPOKEN = sorted(name for name in DOMAIN["responses"] if not name.startswith("utter_faq/"))


@pytest.mark.parametrize("name", SPOKEN)
def test_every_response_speaks_every_language(name: str) -> None:
    conditioned, defaults = languages_of(DOMAIN["responses"][name])
    # English is the default; it may also be conditioned together with another
    # slot (a known customer's greeting).
    assert OTHER_LANGUAGES <= conditioned <= set(LANGUAGES), (name, conditioned)
    assert defaults >= 1, (name, defaults)


@pytest.mark.parametrize("key", sorted(TEXTS))
def test_every_telegram_line_speaks_every_language(key: str) -> None:
    assert set(TEXTS[key]) == set(LANGUAGES)
    assert all(TEXTS[key][language].strip() for language in LANGUAGES)
