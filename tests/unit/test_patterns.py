"""Order numbers and emails as customers type them."""

from __future__ import annotations

import pytest

from bot.nlu.patterns import find_emails, find_order_numbers, normalise_email


@pytest.mark.parametrize(
    "text",
    [
        "10482",
        "#10482",
        "ORD-10482",
        "ord10482",
        "order 10482",
        "order no. 10482",
        "nr 10482",
        "zamówienie 10482",
        "замовлення №10482",
        "where is 10482?",
    ],
)
def test_order_number_formats(text: str) -> None:
    assert [number for number, _, _ in find_order_numbers(text)] == ["10482"]


@pytest.mark.parametrize(
    "text",
    [
        "call me at +48 600 700 800",
        "my phone is 0671234567",
        "it cost 1999.50",
        "anna10482@example.com",
        "on 2025-11-20",
        "12",
        "I paid 300 zł",
    ],
)
def test_not_order_numbers(text: str) -> None:
    assert find_order_numbers(text) == []


def test_marked_short_numbers_count() -> None:
    assert [n for n, _, _ in find_order_numbers("order #482")] == ["482"]


def test_emails_are_found_and_lower_cased() -> None:
    assert [e for e, _, _ in find_emails("it's Olena.K+shop@Example.COM, thanks")] == [
        "olena.k+shop@example.com"
    ]


@pytest.mark.parametrize("text", ["olena@@example", "olena at gmail", "a@b", "x@y.z", ""])
def test_malformed_emails_are_rejected(text: str) -> None:
    assert normalise_email(text) is None


def test_two_emails_are_ambiguous() -> None:
    assert normalise_email("a@example.com or b@example.com") is None
