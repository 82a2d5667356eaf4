"""The small pieces of judgement behind the service flows."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from actions.changes import parse_address
from actions.complaints import category_of, photo_of
from actions.mood import is_upset
from actions.returns import blocker, match_items
from actions.shops import Address, Order, OrderItem
from bot.gateway.markers import handoff_reason
from bot.gateway.tokens import conversation_token, new_conversation_id, token_is_valid
from bot.policy import load_policy, next_opening, support_open


def order(status: str = "delivered", delivered_days_ago: int = 3, items: int = 2) -> Order:
    now = datetime.now(timezone.utc)
    return Order(
        id=10002, status=status, currency="PLN", total="10.00",
        customer_email="a@example.com", customer_name="Anna Nowak",
        items=tuple(
            OrderItem(sku=f"SKU-{i}", name=name, quantity=1, unit_price="5.00")
            for i, name in enumerate(["Bluetooth headphones", "Ceramic mug", "Wool socks"][:items])
        ),
        shipment=None,
        delivered_at=now - timedelta(days=delivered_days_ago) if status == "delivered" else None,
        cancelled_at=None,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("text", "skus"),
    [
        ("Bluetooth headphones", ["SKU-0"]),
        ("the mug", ["SKU-1"]),
        ("headphnes", ["SKU-0"]),
        ("2", ["SKU-1"]),
        ("all", ["SKU-0", "SKU-1"]),
        ("обидва", ["SKU-0", "SKU-1"]),
        ("wszystkie", ["SKU-0", "SKU-1"]),
        ("a sofa", []),
    ],
)
def test_items_are_matched_as_customers_name_them(text: str, skus: list[str]) -> None:
    assert match_items(text, order()) == skus


def test_return_window_comes_from_the_policy() -> None:
    window = load_policy().return_window_days
    assert blocker(order(delivered_days_ago=window - 1), "en") is None
    closed = blocker(order(delivered_days_ago=window + 1), "en")
    assert closed and closed.response == "utter_return_window_closed"
    assert closed.values["window_days"] == window
    assert blocker(order(status="shipped"), "en").response == "utter_return_not_delivered"


def test_a_changed_policy_file_changes_the_window(tmp_path: Path, monkeypatch) -> None:
    text = (Path(__file__).parents[2] / "bot" / "shop_policy.yml").read_text(encoding="utf-8")
    changed = tmp_path / "policy.yml"
    changed.write_text(text.replace("window_days: 30", "window_days: 2"), encoding="utf-8")
    monkeypatch.setenv("SHOP_POLICY_FILE", str(changed))
    load_policy.cache_clear()
    try:
        assert blocker(order(delivered_days_ago=3), "en").response == "utter_return_window_closed"
        assert "2 days" in load_policy().answer("return_policy", "en")
    finally:
        monkeypatch.delenv("SHOP_POLICY_FILE")
        load_policy.cache_clear()


CURRENT = Address(
    name="Anna Nowak", street="Old 1", city="Kraków", postal_code="30-001", country="PL"
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ul. Długa 5/3, 31-147 Kraków", ("ul. Długa 5/3", "Kraków", "31-147", "PL")),
        ("vul. Khreshchatyk 22, kv. 14, 01001 Kyiv, Ukraine",
         ("vul. Khreshchatyk 22, kv. 14", "Kyiv", "01001", "UA")),
        ("Vinohradská 12, 120 00 Praha", ("Vinohradská 12", "Praha", "120 00", "CZ")),
        ("Marszałkowska 10\n00-590\nWarszawa", ("Marszałkowska 10", "Warszawa", "00-590", "PL")),
    ],
)  # fmt: skip
def test_addresses_are_read_from_free_text(text: str, expected: tuple[str, ...]) -> None:
    address = parse_address(text, CURRENT)
    assert address is not None
    assert (address.street, address.city, address.postal_code, address.country) == expected
    assert address.name == "Anna Nowak"


@pytest.mark.parametrize("text", ["Kraków", "somewhere nice", "Długa, Kraków", "12345"])
def test_incomplete_addresses_are_refused(text: str) -> None:
    assert parse_address(text, CURRENT) is None


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("the mug arrived broken", "damaged"),
        ("товар пошкоджений", "damaged"),
        ("przyszedł inny produkt", "wrong_item"),
        ("brakuje jednej skarpetki", "missing_item"),
        ("the parcel is two weeks late", "late_delivery"),
        ("Обслуговування", "service"),
        ("hello", None),
    ],
)
def test_complaint_categories(text: str, category: str | None) -> None:
    assert category_of(text) == category


def test_photo_answers() -> None:
    assert photo_of("here: https://x.example/p.jpg thanks") == "https://x.example/p.jpg"
    assert photo_of("Pomiń") == "none"
    assert photo_of("my photo") is None


@pytest.mark.parametrize(
    ("text", "upset"),
    [
        ("THIS IS RIDICULOUS, WHERE IS MY PARCEL", True),
        ("this is the third time I write", True),
        ("жахливий сервіс", True),
        ("to skandal!!", True),
        ("the mug arrived with a small crack", False),
        ("Dzień dobry, paczka jest uszkodzona", False),
    ],
)
def test_upset_customers(text: str, upset: bool) -> None:
    assert is_upset(text) is upset


def test_support_hours() -> None:
    policy = load_policy()
    monday_noon = datetime(2026, 11, 23, 11, 0, tzinfo=timezone.utc)  # 12:00 in Warsaw
    sunday = datetime(2026, 11, 29, 11, 0, tzinfo=timezone.utc)
    assert support_open(policy, monday_noon)
    assert not support_open(policy, sunday)
    assert next_opening(policy, sunday).strftime("%a %H:%M") == "Mon 09:00"


def test_conversation_tokens() -> None:
    conversation = new_conversation_id()
    token = conversation_token("secret", conversation)
    assert token_is_valid("secret", conversation, token)
    assert not token_is_valid("secret", new_conversation_id(), token)
    assert not token_is_valid("other", conversation, token)


def test_handoff_markers() -> None:
    assert handoff_reason({"custom": {"handoff": {"reason": "low_confidence"}}}) == "low_confidence"
    assert handoff_reason({"text": "hi"}) is None
