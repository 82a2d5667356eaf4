"""Every text issue 20's known customers added exists in English, Ukrainian, Polish
and Czech, with the same placeholders and buttons in each (read from domain.yml)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from actions.texts import LANGUAGES, STATUS_LABELS, status_label

DOMAIN = yaml.safe_load((Path(__file__).parents[2] / "domain.yml").read_text(encoding="utf-8"))
RESPONSES: dict[str, list[dict[str, Any]]] = DOMAIN["responses"]
# The responses of issue 20, points 1 and 2 (the domain's "issue 20: known customers" block).
KNOWN = (
    "utter_offer_remember",
    "utter_remembered",
    "utter_not_remembered",
    "utter_forgotten",
    "utter_nothing_to_forget",
    "utter_orders_verify_first",
    "utter_orders_list",
    "utter_no_orders",
)


def language_of(variation: dict[str, Any]) -> str:
    """The language a variation is for; the one without a language condition is English."""
    for condition in variation.get("condition") or []:
        if condition["name"] == "language":
            return str(condition["value"])
    return "en"


def shape(variation: dict[str, Any]) -> tuple[set[str], list[str]]:
    """Placeholders and buttons (intents; a typed payload is in the language): what
    must not differ between languages."""
    placeholders = set(re.findall(r"{(\w+)}", variation["text"]))
    payloads = [b["payload"] for b in variation.get("buttons") or []]
    return placeholders, [p if p.startswith("/") else "typed" for p in payloads]


@pytest.mark.parametrize("name", KNOWN)
def test_every_new_response_exists_in_every_language(name: str) -> None:
    variations = RESPONSES[name]
    by_language = {language_of(v): v for v in variations}
    assert sorted(by_language) == sorted(LANGUAGES) and len(variations) == len(LANGUAGES)
    english = shape(by_language["en"])
    for language, variation in by_language.items():
        assert variation["text"].strip(), (name, language)
        assert shape(variation) == english, (name, language)


def test_a_known_customer_is_welcomed_by_name_in_every_language() -> None:
    welcome = [
        v
        for v in RESPONSES["utter_greet"]
        if {"name": "known_customer", "type": "slot", "value": True} in (v.get("condition") or [])
    ]
    assert sorted(language_of(v) for v in welcome) == sorted(LANGUAGES)
    assert all("{customer_name}" in v["text"] for v in welcome)
    assert all([b["payload"] for b in v["buttons"]] == ["/my_orders"] for v in welcome)


def test_every_order_status_has_a_label_in_every_language() -> None:
    for status, names in STATUS_LABELS.items():
        assert sorted(names) == sorted(LANGUAGES), status
        assert all(names.values()), status
    assert status_label("shipped", "pl") == "w drodze"
    assert status_label("on_hold", "cs") == "on_hold"  # a platform's own status, as it is
