"""The seed: deterministic, covering every status, with the documented fixed layout."""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime, time, timedelta
from pathlib import Path

import pytest

from bot.shop import repository
from bot.shop.db import create_engine, create_tables
from bot.shop.models import ORDER_STATUSES
from bot.shop.seed import CUSTOMERS, build_seed, seed_if_empty
from tests.shop.conftest import SHOP_URL, sqlite_url

TODAY = date(2025, 3, 14)

FIXED_LAYOUT = {
    10001: ("shipped", "olena.kovalenko@example.com"),
    10002: ("delivered", "piotr.kowalski@example.com"),
    10003: ("paid", "emily.carter@example.com"),
    10004: ("pending_payment", "taras.shevchuk@example.com"),
    10005: ("packed", "jana.novakova@example.com"),
    10006: ("cancelled", "katarzyna.wisniewska@example.com"),
    10007: ("delivered", "olena.kovalenko@example.com"),
    10008: ("return_in_progress", "iryna.bondarenko@example.com"),
    10009: ("refunded", "tomasz.wojcik@example.com"),
    10010: ("shipped", "petr.svoboda@example.com"),
}


def test_build_seed_is_deterministic() -> None:
    assert build_seed(TODAY) == build_seed(TODAY)
    assert build_seed(TODAY, seed=1) != build_seed(TODAY)


def test_dates_move_with_today_but_nothing_else_does() -> None:
    now, later = build_seed(TODAY), build_seed(TODAY + timedelta(days=100))
    for a, b in zip(now.orders, later.orders, strict=True):
        assert b["created_at"] - a["created_at"] == timedelta(days=100)
        assert {k: v for k, v in a.items() if not k.endswith("_at")} == {
            k: v for k, v in b.items() if not k.endswith("_at")
        }


def test_ids_statuses_and_fixed_layout() -> None:
    data = build_seed(TODAY)
    by_id = {order["id"]: order for order in data.orders}
    assert sorted(by_id) == list(range(10001, 10091))
    counts = Counter(order["status"] for order in data.orders)
    assert set(counts) == set(ORDER_STATUSES)
    assert min(counts.values()) >= 3, counts
    for order_id, (status, email) in FIXED_LAYOUT.items():
        assert (by_id[order_id]["status"], by_id[order_id]["customer_email"]) == (status, email)


def test_fixed_dates() -> None:
    by_id = {order["id"]: order for order in build_seed(TODAY).orders}
    assert by_id[10002]["delivered_at"].date() == TODAY - timedelta(days=3)
    assert by_id[10007]["delivered_at"].date() == TODAY - timedelta(days=200)
    assert by_id[10001]["tracking_number"] and by_id[10001]["tracking_url"]
    assert by_id[10010]["carrier"] == "PPL"


def test_shape_of_the_data() -> None:
    data = build_seed(TODAY)
    start_of_today = datetime.combine(TODAY, time())
    delivered_days_ago = []
    for order in data.orders:
        lines = [i for i in data.order_items if i["order_id"] == order["id"]]
        assert lines
        assert order["total_cents"] == sum(i["quantity"] * i["unit_price_cents"] for i in lines)
        moments = [v for k, v in order.items() if k.endswith("_at") and v is not None]
        assert all(moment < start_of_today for moment in moments)  # nothing in the future
        assert order["ship_country"] in {"UA", "PL", "CZ"}
        if order["status"] in {"shipped", "delivered", "return_in_progress", "refunded"}:
            assert order["carrier"] and order["tracking_number"] and order["tracking_url"]
            assert order["created_at"] < order["shipped_at"]
        if order["status"] == "delivered":
            assert order["shipped_at"] < order["delivered_at"]
            delivered_days_ago.append((TODAY - order["delivered_at"].date()).days)
        if order["status"] == "cancelled":
            assert order["cancelled_at"] and order["cancel_reason"]
    assert any(2 <= days <= 10 for days in delivered_days_ago)
    assert any(60 <= days <= 400 for days in delivered_days_ago)
    assert (
        sum(
            1
            for order in data.orders
            if len([i for i in data.order_items if i["order_id"] == order["id"]]) >= 2
        )
        >= 10
    )

    returned = Counter(r["order_id"] for r in data.returns)
    for order in data.orders:
        has_return = order["status"] in {"return_in_progress", "refunded"}
        assert (returned[order["id"]] == 1) == has_return, order["id"]
    for row in data.returns:
        assert (row["refund_status"] == "refunded") == (row["refunded_at"] is not None)


def test_customers() -> None:
    assert len(CUSTOMERS) >= 20
    assert len({c.email for c in CUSTOMERS}) == len(CUSTOMERS)
    assert {c.language for c in CUSTOMERS} == {"en", "uk", "pl"}
    assert all(c.email == c.email.strip().lower() for c in CUSTOMERS)


@pytest.mark.asyncio
async def test_seeding_two_databases_gives_identical_orders(tmp_path: Path) -> None:
    orders = []
    for name in ("a.db", "b.db"):
        engine = create_engine(sqlite_url(tmp_path / name))
        try:
            await create_tables(engine)
            assert await seed_if_empty(engine, today=TODAY, label_base_url=SHOP_URL)
            assert not await seed_if_empty(engine, today=TODAY, label_base_url=SHOP_URL)
            assert await repository.count_orders(engine) == 90
            orders.append([await repository.get_order(engine, i) for i in range(10001, 10091)])
        finally:
            await engine.dispose()
    assert orders[0] == orders[1]
