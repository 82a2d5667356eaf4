"""Offers (issue 20): when a delivery is late, when a customer is upset and
unseen, and every offer text in every language."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
import yaml

from actions.offers import is_late, upset_and_unseen
from actions.shops import Order
from bot.policy import LANGUAGES, load_policy

DOMAIN = yaml.safe_load((Path(__file__).parents[2] / "domain.yml").read_text(encoding="utf-8"))
NOW = datetime(2026, 12, 7, 12, 0, tzinfo=timezone.utc)
LATE = load_policy().offer_rule("late_delivery")


def order(status: str, placed_days_ago: int, delivered_days_ago: int | None = None) -> Order:
    return Order(
        id=10001,
        status=status,
        currency="UAH",
        total="100.00",
        customer_email="a@example.com",
        customer_name="A B",
        items=(),
        shipment=None,
        delivered_at=NOW - timedelta(days=delivered_days_ago)
        if delivered_days_ago is not None
        else None,
        cancelled_at=None,
        placed_at=NOW - timedelta(days=placed_days_ago),
    )


@pytest.mark.parametrize(
    ("status", "placed", "delivered", "late"),
    [
        ("shipped", 3, None, False),
        ("shipped", 8, None, True),  # promised within 7 days, still on its way
        ("packed", 10, None, True),
        ("delivered", 10, 1, True),  # arrived 9 days after it was placed
        ("delivered", 5, 1, False),
        ("delivered", 80, 60, False),  # late, but too long ago to offer now
        ("cancelled", 30, None, False),
        ("refunded", 30, 10, False),
    ],
)
def test_late_follows_the_policy(
    status: str, placed: int, delivered: int | None, late: bool
) -> None:
    assert LATE is not None and LATE.settings["late_after_days"] == 7
    assert is_late(order(status, placed, delivered), LATE, NOW) is late


def handoff(reason: str) -> dict[str, Any]:
    return {"event": "bot", "data": {"custom": {"handoff": {"reason": reason}}}}


def user(intent: str) -> dict[str, Any]:
    return {"event": "user", "parse_data": {"intent": {"name": intent}}}


def test_an_upset_customer_gets_no_offer_until_an_agent_has_seen_the_case() -> None:
    assert not upset_and_unseen([user("complaint")])
    assert upset_and_unseen([user("complaint"), handoff("upset_customer")])
    assert upset_and_unseen([handoff("upset_customer"), user("complaint")])
    # Another reason for a person is no reason to withhold an offer.
    assert not upset_and_unseen([handoff("asked_for_person"), user("complaint")])
    # The agent handed it back, or closed it: a person has seen the case.
    assert not upset_and_unseen([handoff("upset_customer"), user("handback"), user("complaint")])
    assert not upset_and_unseen([handoff("upset_customer"), user("conversation_closed")])
    assert upset_and_unseen(
        [handoff("upset_customer"), user("handback"), handoff("upset_customer")]
    )


# Goodwill offers' texts (utter_offer_updates and utter_offer_remember offer other things).
OFFER_RESPONSES = [
    name
    for name in DOMAIN["responses"]
    if name.startswith("utter_offer_")
    and name not in ("utter_offer_updates", "utter_offer_remember")
]


def test_every_offer_kind_has_its_texts() -> None:
    kinds = {load_policy().offer_rule(name).kind for name in load_policy().raw["offers"]["rules"]}  # type: ignore[union-attr]
    for kind in kinds:
        assert f"utter_offer_{kind}" in OFFER_RESPONSES
        assert f"utter_offer_how_to_use_{kind}" in OFFER_RESPONSES
    assert "utter_offer_none" in OFFER_RESPONSES


@pytest.mark.parametrize("response", [n for n in OFFER_RESPONSES if n != "utter_offer_person"])
def test_every_offer_text_exists_in_every_language(response: str) -> None:
    variations = DOMAIN["responses"][response]
    by_language = {(v.get("condition") or [{"value": "en"}])[0]["value"]: v for v in variations}
    assert set(by_language) == set(LANGUAGES)
    texts = {language: v["text"] for language, v in by_language.items()}
    assert len(set(texts.values())) == len(LANGUAGES)  # translated, not copied
    placeholders = {language: set(re.findall(r"\{(\w+)\}", t)) for language, t in texts.items()}
    assert len({frozenset(p) for p in placeholders.values()}) == 1, placeholders
    buttons = {language: v.get("buttons", []) for language, v in by_language.items()}
    assert {len(b) for b in buttons.values()} in ({0}, {1})
    assert all(b[0]["payload"] == "/accept_offer" for b in buttons.values() if b)
