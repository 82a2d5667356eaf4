"""Small pure pieces: id parsing, money formatting, names shared with openapi.yaml."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from bot.shop import models
from bot.shop.clock import to_iso
from bot.shop.money import format_cents
from bot.shop.openapi import load_spec


def test_status_names_in_code_match_the_openapi_document() -> None:
    schemas = load_spec()["components"]["schemas"]
    assert tuple(schemas["OrderStatus"]["enum"]) == models.ORDER_STATUSES
    assert tuple(schemas["ReturnStatus"]["enum"]) == models.RETURN_STATUSES
    assert tuple(schemas["RefundStatus"]["enum"]) == models.REFUND_STATUSES
    assert tuple(schemas["TicketCategory"]["enum"]) == models.TICKET_CATEGORIES


@pytest.mark.parametrize(
    ("cents", "text"),
    [(0, "0.00"), (5, "0.05"), (4990, "49.90"), (249900, "2499.00"), (-150, "-1.50")],
)
def test_format_cents(cents: int, text: str) -> None:
    assert format_cents(cents) == text


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("10001", 10001),
        ("abc", None),
        ("", None),
        ("0", None),
        ("-5", None),
        ("١٢٣", None),
        ("2147483647", 2147483647),
        ("2147483648", None),
        ("99999999999999999999", None),
    ],
)
def test_parse_order_id(raw: str, expected: int | None) -> None:
    assert models.parse_order_id(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("R-000123", 123),
        ("r123", 123),
        ("123", 123),
        (" R-7 ", 7),
        ("R-", None),
        ("T-1", None),
        ("R-0", None),
        ("R-99999999999", None),
    ],
)
def test_parse_return_id(raw: str, expected: int | None) -> None:
    assert models.parse_return_id(raw) == expected


def test_ids_are_formatted_with_six_digits() -> None:
    assert models.format_return_id(123) == "R-000123"
    assert models.format_ticket_id(45) == "T-000045"
    assert models.parse_ticket_id(models.format_ticket_id(45)) == 45


def test_timestamps_are_utc_with_z() -> None:
    assert to_iso(datetime(2025, 1, 2, 3, 4, 5, 678)) == "2025-01-02T03:04:05Z"
    aware = datetime(2025, 1, 2, 3, 4, 5, tzinfo=timezone.utc)
    assert to_iso(aware) == "2025-01-02T03:04:05Z"
    assert to_iso(None) is None
