"""Wrong emails for one order number are limited across all clients, never for good."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio
from aiohttp.test_utils import TestClient, TestServer

from bot.shop.app import create_app
from tests.shop.conftest import API_KEY, make_settings, sqlite_url

pytestmark = pytest.mark.asyncio

OWNER = "olena.kovalenko@example.com"  # of order 10001
WRONG = "someone@else.example"
FAILURES, WINDOW = 3, 2.0


@pytest_asyncio.fixture
async def client(tmp_path: Path) -> AsyncIterator[TestClient]:
    settings = make_settings(
        sqlite_url(tmp_path / "shop.db"),
        SHOP_VERIFICATION_FAILURES_PER_ORDER=str(FAILURES),
        SHOP_VERIFICATION_WINDOW_SECONDS=str(WINDOW),
    )
    server = TestServer(create_app(settings))
    await server.start_server()
    test_client = TestClient(server, headers={"X-API-Key": API_KEY})
    yield test_client
    await test_client.close()
    await server.close()


async def check(client: TestClient, order: int, email: str) -> int:
    response = await client.get(f"/api/orders/{order}", params={"email": email})
    return response.status


async def test_after_too_many_wrong_emails_even_the_owner_waits_then_gets_in(
    client: TestClient,
) -> None:
    assert [await check(client, 10001, WRONG) for _ in range(FAILURES)] == [404] * FAILURES
    refused = await client.get("/api/orders/10001", params={"email": OWNER})
    assert refused.status == 429  # the right guess is not even checked now
    assert 1 <= int(refused.headers["Retry-After"]) <= WINDOW
    assert (await refused.json())["error"] == "too_many_attempts"
    # Other order numbers, and reads without an email (no verification), are not held up.
    assert await check(client, 10002, WRONG) == 404
    assert (await client.get("/api/orders/10001")).status == 200
    # A decaying window: once it has passed, the owner succeeds.
    started = time.monotonic()
    await asyncio.sleep(WINDOW)
    assert await check(client, 10001, OWNER) == 200
    assert time.monotonic() - started < WINDOW + 1


async def test_unknown_order_numbers_count_too(client: TestClient) -> None:
    statuses = [await check(client, 99999, WRONG) for _ in range(FAILURES + 1)]
    assert statuses == [404] * FAILURES + [429]


async def test_the_owners_own_checks_never_count(client: TestClient) -> None:
    assert [await check(client, 10001, OWNER) for _ in range(FAILURES * 3)] == [200] * FAILURES * 3
    assert await check(client, 10001, WRONG) == 404
