"""Every text a customer reads exists in English, Ukrainian, Polish and Czech, with
the same placeholders and buttons in each (issue 20 added order updates and follow-ups)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from actions.texts import LABELS, LANGUAGES

DOMAIN = yaml.safe_load((Path(__file__).parents[2] / "domain.yml").read_text(encoding="utf-8"))
RESPONSES: dict[str, list[dict[str, Any]]] = DOMAIN["responses"]
PLACEHOLDER = re.compile(r"\{(\w+)\}")
# issue 20: updates
UPDATE_TEXTS = (
    "utter_updates_on", "utter_updates_need_known", "utter_updates_off", "utter_offer_updates",
    "utter_update_shipped", "utter_update_tracking_link", "utter_update_delivered",
    "utter_update_return_received", "utter_update_refund_paid", "utter_followup_check",
    "utter_followup_glad", "utter_followup_sorry",
)  # fmt: skip


def by_language(name: str) -> dict[str, dict[str, Any]]:
    variations: dict[str, dict[str, Any]] = {}
    for variation in RESPONSES[name]:
        conditions = variation.get("condition") or []
        language = next((c["value"] for c in conditions if c.get("name") == "language"), "en")
        variations[language] = variation
    return variations


# The FAQ answers come from bot/shop_policy.yml (bot.policy checks their languages).
SPOKEN = sorted(name for name in RESPONSES if not name.startswith("utter_faq/"))


@pytest.mark.parametrize("name", SPOKEN)
def test_each_response_speaks_every_language_alike(name: str) -> None:
    variations = by_language(name)
    assert set(variations) == set(LANGUAGES), name
    english = variations["en"]
    for language, variation in variations.items():
        assert variation.get("text", "").strip(), (name, language)
        assert set(PLACEHOLDER.findall(variation["text"])) == set(
            PLACEHOLDER.findall(english["text"])
        ), (name, language)
        # Some buttons send text in the customer's language: compare how many.
        buttons = variation.get("buttons") or []
        assert len(buttons) == len(english.get("buttons") or []), (name, language)
        assert all(b["title"].strip() for b in buttons), (name, language)


def test_the_order_update_texts_exist() -> None:
    assert set(UPDATE_TEXTS) <= set(RESPONSES)


@pytest.mark.parametrize("key", sorted(LABELS))
def test_each_button_label_exists_in_every_language(key: str) -> None:
    assert set(LABELS[key]) == set(LANGUAGES)
    assert all(LABELS[key][language].strip() for language in LANGUAGES)
