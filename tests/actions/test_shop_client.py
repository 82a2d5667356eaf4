"""The shop client against a real (deliberately bad) HTTP server."""

from __future__ import annotations

import asyncio
import time
from collections import Counter

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from actions.shop_client import NotFound, ShopClient, ShopUnavailable
from bot.settings import Settings

ORDER = {
    "id": 2,
    "status": "shipped",
    "currency": "PLN",
    "total": "99.00",
    "customer": {"email": "Anna@Example.com", "name": "Anna Nowak"},
    "items": [{"sku": "A", "name": "Mug", "quantity": 2, "unit_price": "49.50"}],
    "shipment": {
        "carrier": "InPost",
        "tracking_number": "T1",
        "tracking_url": "http://t/1",
        "shipped_at": "2026-11-20T10:00:00+00:00",
    },
    "delivered_at": None,
    "cancelled_at": None,
}


@pytest.fixture
async def bad_shop():
    calls: Counter[str] = Counter()

    async def slow(request: web.Request) -> web.Response:
        calls["slow"] += 1
        await asyncio.sleep(5)
        return web.json_response(ORDER)

    async def flaky(request: web.Request) -> web.Response:
        calls["flaky"] += 1
        if calls["flaky"] < 3:
            return web.json_response({"error": "internal_error"}, status=500)
        assert request.headers["X-API-Key"] == "secret"
        return web.json_response(ORDER)

    async def missing(request: web.Request) -> web.Response:
        calls["missing"] += 1
        return web.json_response({"error": "not_found"}, status=404)

    app = web.Application()
    app.router.add_get("/api/orders/1", slow)
    app.router.add_get("/api/orders/2", flaky)
    app.router.add_get("/api/orders/3", missing)
    server = TestServer(app)
    await server.start_server()
    yield server, calls
    await server.close()


def client_for(url: str) -> ShopClient:
    env = {
        "SHOP_URL": url,
        "SHOP_API_KEY": "secret",
        "SHOP_TIMEOUT_SECONDS": "0.3",
        "SHOP_READ_RETRIES": "2",
    }
    return ShopClient(Settings.from_env(env))


async def test_slow_shop_times_out_after_bounded_retries(bad_shop) -> None:
    server, calls = bad_shop
    client = client_for(str(server.make_url("")).rstrip("/"))
    started = time.monotonic()
    with pytest.raises(ShopUnavailable):
        await client.get_order(1)
    assert calls["slow"] == 3
    assert time.monotonic() - started < 3
    await client.close()


async def test_server_errors_are_retried_for_reads(bad_shop) -> None:
    server, calls = bad_shop
    client = client_for(str(server.make_url("")).rstrip("/"))
    order = await client.get_order(2)
    assert calls["flaky"] == 3
    assert order.belongs_to("  anna@example.COM ")
    assert not order.belongs_to("anna@example.co")
    assert order.items[0].quantity == 2 and order.shipment and order.shipment.carrier == "InPost"
    await client.close()


async def test_not_found_is_not_retried(bad_shop) -> None:
    server, calls = bad_shop
    client = client_for(str(server.make_url("")).rstrip("/"))
    with pytest.raises(NotFound):
        await client.get_order(3)
    assert calls["missing"] == 1
    await client.close()


async def test_shop_down_is_unavailable() -> None:
    client = client_for("http://127.0.0.1:9")  # discard port: nothing listens
    with pytest.raises(ShopUnavailable):
        await client.get_order(1)
    await client.close()
