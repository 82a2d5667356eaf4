"""The contract every shop backend passes (run once per platform, against its real
server): what the actions read and change must mean the same on every platform,
so a customer sees no difference. A new platform's acceptance test (docs/shops.md).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator
from datetime import datetime, timezone
from decimal import Decimal

import pytest
import requests
from aiohttp import web
from aiohttp.test_utils import TestServer

from actions.shops import (
    Address,
    NotFound,
    Order,
    Refused,
    ShopBackend,
    ShopUnavailable,
)
from actions.shops.base import (
    RETURN_CANCELLED,
    RETURN_EXISTS,
    RETURN_NOT_DELIVERED,
    RETURN_WINDOW_CLOSED,
)
from tests.shops.conftest import READ_ONLY_CASES, ShopUnderTest
from tests.support.shop import ShopApi
from tests.support.stack import free_port

# Medusa's set-up (migrate, seed, start: about 2.5 minutes on 2 busy cores)
# counts against the first test that needs it.
pytestmark = pytest.mark.timeout(600)

# case -> (the bot's status, why a return is refused or None)
EXPECTED = {
    "pending_payment": ("pending_payment", RETURN_NOT_DELIVERED),
    "paid": ("paid", RETURN_NOT_DELIVERED),
    "packed": ("packed", RETURN_NOT_DELIVERED),
    "shipped": ("shipped", RETURN_NOT_DELIVERED),
    "delivered": ("delivered", None),
    "delivered_long_ago": ("delivered", RETURN_WINDOW_CLOSED),
    "return_in_progress": ("return_in_progress", RETURN_EXISTS),
    "refunded": ("refunded", RETURN_EXISTS),
    "cancelled": ("cancelled", RETURN_CANCELLED),
}


async def verified(shop: ShopBackend, target: ShopUnderTest, case: str) -> Order:
    seeded = target.orders[case]
    return await shop.find_order(seeded.number, seeded.email)


@pytest.mark.parametrize("case", READ_ONLY_CASES)
async def test_every_state_reads_the_same(
    backend: ShopBackend, shop_under_test: ShopUnderTest, case: str
) -> None:
    order = await verified(backend, shop_under_test, case)
    status, return_blocker = EXPECTED[case]
    assert order.id == shop_under_test.orders[case].number
    assert order.status == status
    assert backend.return_blocker(order) == return_blocker
    assert order.items and all(i.sku and i.name and i.quantity > 0 for i in order.items)
    assert Decimal(order.total) > 0 and len(order.currency) == 3
    assert order.first_name
    assert order.shipping_address is not None and order.shipping_address.city
    if status in ("shipped", "delivered", "return_in_progress", "refunded"):
        assert order.shipment is not None and order.shipment.tracking_number
        assert order.shipment.carrier
    else:
        assert order.shipment is None
    if status in ("delivered", "return_in_progress", "refunded"):
        assert order.delivered_at is not None and order.delivered_at < datetime.now(timezone.utc)
    else:
        assert order.delivered_at is None
    assert (order.cancelled_at is not None) == (status == "cancelled")


async def test_ownership_needs_the_orders_own_email(
    backend: ShopBackend, shop_under_test: ShopUnderTest
) -> None:
    seeded = shop_under_test.orders["shipped"]
    other = shop_under_test.orders["paid"]
    # Case and spaces do not matter; another customer's email is as good as none.
    found = await backend.find_order(seeded.number, f"  {seeded.email.upper()} ")
    assert found.id == seeded.number and found.belongs_to(seeded.email)
    with pytest.raises(NotFound):
        await backend.find_order(seeded.number, other.email)


async def test_a_customers_orders_are_listed_by_their_email(
    backend: ShopBackend, shop_under_test: ShopUnderTest
) -> None:
    seeded = shop_under_test.orders["shipped"]
    mine = await backend.orders_of(f" {seeded.email.upper()} ")
    assert seeded.number in [order.id for order in mine]
    assert all(order.belongs_to(seeded.email) for order in mine)
    assert all(order.first_name for order in mine)
    assert len({order.id for order in mine}) == len(mine)
    assert await backend.orders_of("nobody-at-all@example.com") == []


async def test_an_unknown_number_is_not_found(
    backend: ShopBackend, shop_under_test: ShopUnderTest
) -> None:
    seeded = shop_under_test.orders["shipped"]
    for number in (99999, 98765432):
        with pytest.raises(NotFound):
            await backend.find_order(number, seeded.email)
        with pytest.raises(NotFound):
            await backend.get_order(number)


@pytest.mark.parametrize(
    ("case", "refund_status"),
    [("return_in_progress", "pending"), ("refunded", "refunded"), ("delivered", None)],
)
async def test_refund_status(
    backend: ShopBackend, shop_under_test: ShopUnderTest, case: str, refund_status: str | None
) -> None:
    order = await verified(backend, shop_under_test, case)
    latest = await backend.latest_return(order)
    if refund_status is None:
        assert latest is None
        return
    assert latest is not None and latest.order_id == order.id and latest.id
    assert latest.refund_status == refund_status
    assert Decimal(latest.refund_amount) > 0 and latest.currency == order.currency
    if refund_status == "refunded":
        assert latest.refunded_at is not None
    else:
        assert latest.refunded_at is None and latest.refund_expected_at is not None


async def test_cancel_follows_the_platforms_rules(
    backend: ShopBackend, shop_under_test: ShopUnderTest
) -> None:
    order = await verified(backend, shop_under_test, "to_cancel")
    assert order.status in backend.cancellable
    cancelled = await backend.cancel_order(order, "Cancelled by the customer in chat", "c-1")
    assert cancelled.status == "cancelled" and cancelled.cancelled_at is not None
    # The same request again (a retried turn) leaves it cancelled, whatever it says.
    with contextlib.suppress(Refused):
        await backend.cancel_order(order, "Cancelled by the customer in chat", "c-1")
    assert (await backend.get_order(order.id)).status == "cancelled"

    for case in ("packed", "shipped", "delivered"):
        other = await verified(backend, shop_under_test, case)
        if other.status in backend.cancellable:
            continue  # the reference shop cancels a packed order, Medusa does not
        with pytest.raises(Refused):
            await backend.cancel_order(other, "Cancelled by the customer in chat", f"c-{case}")
        assert (await backend.get_order(other.id)).status == other.status


async def test_address_change_until_it_ships(
    backend: ShopBackend, shop_under_test: ShopUnderTest
) -> None:
    order = await verified(backend, shop_under_test, "to_readdress")
    assert order.status in backend.readdressable
    new = Address(
        name=order.customer_name,
        street="Długa 7",
        city="Gdańsk",
        postal_code="80-827",
        country="PL",
    )
    changed = await backend.change_address(order, new, "a-1")
    again = await backend.change_address(order, new, "a-1")  # a retried turn
    for seen in (changed, again, await backend.get_order(order.id)):
        assert seen.shipping_address is not None
        assert seen.shipping_address.as_text() == "Długa 7, 80-827 Gdańsk, PL"
        assert seen.status == order.status

    shipped = await verified(backend, shop_under_test, "shipped")
    with pytest.raises(Refused):
        await backend.change_address(shipped, new, "a-2")
    after = await backend.get_order(shipped.id)
    assert after.shipping_address == shipped.shipping_address


async def test_a_return_is_created_once_per_key(
    backend: ShopBackend, shop_under_test: ShopUnderTest
) -> None:
    order = await verified(backend, shop_under_test, "to_return")
    assert backend.return_blocker(order) is None
    item = order.items[0]
    created = await backend.create_return(order, [(item.sku, 1)], "Too small", "r-1")
    repeated = await backend.create_return(order, [(item.sku, 1)], "Too small", "r-1")
    assert created.id and repeated.id == created.id
    assert created.order_id == order.id and created.status == "requested"
    assert created.refund_status == "pending" and Decimal(created.refund_amount) > 0
    after = await backend.get_order(order.id)
    assert after.status == "return_in_progress" and created.id in after.return_ids
    assert [r.id for r in await backend.list_returns(after)] == [created.id]
    assert backend.return_blocker(after) == RETURN_EXISTS


async def test_a_return_outside_the_rules_is_refused(
    backend: ShopBackend, shop_under_test: ShopUnderTest
) -> None:
    for case in ("delivered_long_ago", "shipped"):
        order = await verified(backend, shop_under_test, case)
        with pytest.raises(Refused):
            await backend.create_return(order, [(order.items[0].sku, 1)], "Late", f"r-{case}")
        assert await backend.list_returns(order) == []


async def test_a_complaint_becomes_one_ticket(
    backend: ShopBackend, shop_under_test: ShopUnderTest
) -> None:
    order = await verified(backend, shop_under_test, "to_complain")
    ticket = await backend.create_ticket(order, "damaged", "The lamp arrived cracked.", None, "t-1")
    again = await backend.create_ticket(order, "damaged", "The lamp arrived cracked.", None, "t-1")
    other = await backend.create_ticket(order, "quality", "It flickers.", "https://x.test/p", "t-2")
    assert ticket.id and again.id == ticket.id and other.id != ticket.id
    assert ticket.status == "open"
    assert ticket.expected_response_by is not None
    assert ticket.expected_response_by > datetime.now(timezone.utc)


async def test_a_goodwill_code_is_made_once_per_key_and_listed_for_its_customer(
    backend: ShopBackend, shop_under_test: ShopUnderTest
) -> None:
    order = await verified(backend, shop_under_test, "to_complain")
    email = order.customer_email
    code = await backend.create_discount(email, "percent", 10, 30, "complaint", order, "d-1")
    again = await backend.create_discount(email, "percent", 10, 30, "complaint", order, "d-1")
    assert code.code and again.code == code.code
    assert (code.kind, code.percent, code.reason, code.redeemed_at) == (
        "percent",
        10,
        "complaint",
        None,
    )
    assert code.email.casefold() == email.casefold()
    assert 29 <= (code.expires_at - code.created_at).days <= 30
    assert [found.code for found in await backend.list_discounts(email.upper())] == [code.code]
    assert await backend.list_discounts("nobody@example.com") == []
    assert (await backend.get_discount(code.code)).code == code.code
    with pytest.raises(NotFound):
        await backend.get_discount("KR-NOSUCH1")
    if shop_under_test.platform == "reference":
        # A checkout uses it; the actions and the gateway read that back.
        api = ShopApi(shop_under_test.env["SHOP_URL"], shop_under_test.env["SHOP_API_KEY"])
        used = requests.post(
            f"{api.url}/api/discounts/{code.code}/redeem",
            headers={"X-API-Key": api.api_key},
            timeout=10,
        )
        assert used.status_code == 200, used.text
        assert (await backend.get_discount(code.code)).redeemed_at is not None


async def test_orders_are_counted_per_customer_with_when_they_were_placed(
    backend: ShopBackend, shop_under_test: ShopUnderTest
) -> None:
    order = await verified(backend, shop_under_test, "shipped")
    assert order.placed_at is not None and order.placed_at < datetime.now(timezone.utc)
    assert await backend.count_orders(order.customer_email) >= 1
    assert await backend.count_orders("nobody@example.com") == 0


# --- A shop that is down or slow ---------------------------------------------


@pytest.fixture
async def slow_server() -> AsyncIterator[str]:
    """A real server that answers every request, but only after 3 seconds."""

    async def slow(request: web.Request) -> web.Response:
        await asyncio.sleep(3)
        return web.json_response({})

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", slow)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    yield str(server.make_url("")).rstrip("/")
    await server.close()


@pytest.mark.parametrize("where", ["down", "slow"])
async def test_a_shop_down_or_slow_is_unavailable_soon(
    shop_under_test: ShopUnderTest, slow_server: str, where: str
) -> None:
    url = f"http://127.0.0.1:{free_port()}" if where == "down" else slow_server
    shop = shop_under_test.backend(
        **{shop_under_test.url_variable: url, "SHOP_TIMEOUT_SECONDS": "0.5"}
    )
    seeded = shop_under_test.orders["paid"]
    started = time.monotonic()
    try:
        with pytest.raises(ShopUnavailable):
            await shop.find_order(seeded.number, seeded.email)
        # Two tries of half a second each, and the backoff between them.
        assert time.monotonic() - started < 2.5
    finally:
        await shop.close()
