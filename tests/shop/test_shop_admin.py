"""Staff endpoints of the reference shop and the signed webhooks they send (issue 20)."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest_asyncio
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from bot.shop.app import create_app
from tests.shop.conftest import API_KEY, make_settings, sqlite_url
from tests.support.stack import free_port

ADMIN = "test-admin-token"
SECRET = "test-webhook-secret"


class Receiver:
    """A real HTTP endpoint standing where the gateway's /hooks/shop would be."""

    def __init__(self, failures: int = 0) -> None:
        self.received: list[tuple[dict[str, str], bytes]] = []
        self.failures = failures  # answer 503 this many times first
        self.arrived = asyncio.Event()

    async def handle(self, request: web.Request) -> web.Response:
        if self.failures:
            self.failures -= 1
            return web.Response(status=503)
        self.received.append((dict(request.headers), await request.read()))
        self.arrived.set()
        return web.json_response({"ok": True})

    def events(self) -> list[dict[str, Any]]:
        return [json.loads(body) for _, body in self.received]


@pytest_asyncio.fixture
async def receiver() -> AsyncIterator[tuple[Receiver, str]]:
    found = Receiver(failures=1)
    app = web.Application()
    app.router.add_post("/hooks/shop", found.handle)
    server = TestServer(app)
    await server.start_server()
    yield found, str(server.make_url("/hooks/shop"))
    await server.close()


async def _shop(tmp_path: Path, webhook_url: str) -> tuple[TestServer, TestClient]:
    settings = make_settings(
        sqlite_url(tmp_path / "shop.db"),
        SHOP_ADMIN_TOKEN=ADMIN,
        SHOP_WEBHOOK_URL=webhook_url,
        SHOP_WEBHOOK_SECRET=SECRET,
    )
    app = create_app(settings)
    server = TestServer(app)
    await server.start_server()
    # Quick retries for the test (production waits longer between attempts).
    from bot.shop.webhooks import WEBHOOKS_KEY

    app[WEBHOOKS_KEY].retry_delays = (0.1, 0.1, 0.1)
    return server, TestClient(server, headers={"X-Admin-Token": ADMIN})


def _verify(headers: dict[str, str], body: bytes) -> bool:
    parts = dict(part.split("=", 1) for part in headers["Kramar-Signature"].split(","))
    expected = hmac.new(SECRET.encode(), f"{parts['t']}.".encode() + body, hashlib.sha256)
    return abs(time.time() - int(parts["t"])) < 300 and hmac.compare_digest(
        parts["v1"], expected.hexdigest()
    )


async def test_ship_deliver_receive_refund_each_send_a_signed_webhook(
    tmp_path: Path, receiver: tuple[Receiver, str]
) -> None:
    found, url = receiver
    server, admin = await _shop(tmp_path, url)
    try:
        shipped = await admin.post(
            "/api/admin/orders/10003/ship",
            json={
                "carrier": "PPL",
                "tracking_number": "CZ123",
                "tracking_url": "https://ppl.cz/t/CZ123",
            },
        )
        assert shipped.status == 200, await shipped.text()
        assert (await shipped.json())["status"] == "shipped"
        assert (await admin.post("/api/admin/orders/10003/deliver")).status == 200
        assert (await admin.post("/api/admin/returns/R-000001/receive")).status == 200
        refunded = await admin.post("/api/admin/returns/R-000001/refund")
        assert refunded.status == 200
        assert (await refunded.json())["refund_status"] == "refunded"
        for _ in range(100):
            if len(found.received) == 4:
                break
            await asyncio.sleep(0.05)
        # The first attempt met a 503: its retry comes after the others.
        events = {e["type"]: e for e in found.events()}
        assert set(events) == {"order.shipped", "order.delivered", "return.received", "refund.paid"}
        assert all(_verify(headers, body) for headers, body in found.received)
        assert len({e["id"] for e in events.values()}) == 4
        assert events["order.shipped"]["data"] == {
            "order_id": "10003",
            "email": "emily.carter@example.com",
            "carrier": "PPL",
            "tracking_number": "CZ123",
            "tracking_url": "https://ppl.cz/t/CZ123",
        }
        assert events["refund.paid"]["data"]["return_id"] == "R-000001"
        assert events["refund.paid"]["data"]["email"] == "iryna.bondarenko@example.com"
        assert events["refund.paid"]["data"]["currency"] == "UAH"
        order = await admin.get("/api/orders/10008", headers={"X-API-Key": API_KEY})
        assert (await order.json())["status"] == "refunded"
    finally:
        await admin.close()
        await server.close()


async def test_staff_changes_succeed_while_the_assistant_is_down(tmp_path: Path) -> None:
    server, admin = await _shop(tmp_path, f"http://127.0.0.1:{free_port()}/hooks/shop")
    try:
        response = await admin.post(
            "/api/admin/orders/10005/ship", json={"carrier": "PPL", "tracking_number": "X1"}
        )
        assert response.status == 200
    finally:
        await admin.close()
        await server.close()


async def test_staff_endpoints_need_the_admin_token_not_the_api_key(tmp_path: Path) -> None:
    server, admin = await _shop(tmp_path, "")
    try:
        body = {"carrier": "PPL", "tracking_number": "X1"}
        with_key = await admin.post(
            "/api/admin/orders/10005/ship",
            json=body,
            headers={"X-API-Key": API_KEY, "X-Admin-Token": "wrong"},
        )
        assert with_key.status == 401
        assert (await with_key.json())["error"] == "unauthorized"
        # The staff token opens no customer data either.
        assert (await admin.get("/api/orders/10001")).status == 401
        conflict = await admin.post("/api/admin/orders/10001/ship", json=body)
        assert conflict.status == 409  # already shipped
        bad = await admin.post("/api/admin/orders/10005/ship", json={"carrier": " "})
        assert bad.status == 422
        missing = await admin.post("/api/admin/returns/R-999999/refund")
        assert missing.status == 404
        early = await admin.post("/api/admin/returns/R-000001/refund")
        assert early.status == 409  # not received yet
    finally:
        await admin.close()
        await server.close()


async def test_without_an_admin_token_staff_endpoints_are_closed(tmp_path: Path) -> None:
    app = create_app(make_settings(sqlite_url(tmp_path / "shop.db")))
    server = TestServer(app)
    await server.start_server()
    client = TestClient(server, headers={"X-Admin-Token": ""})
    try:
        assert (await client.post("/api/admin/orders/10005/deliver")).status == 401
    finally:
        await client.close()
        await server.close()
