"""The same app on PostgreSQL (asyncpg), in a throw-away database.

Skipped only when no PostgreSQL server answers; set SHOP_TEST_POSTGRES_URL
(a URL to an existing database, user allowed to CREATE DATABASE) to point
elsewhere than 127.0.0.1:5432.
"""

from __future__ import annotations

import asyncio
import os
import secrets
from collections.abc import AsyncIterator

import asyncpg
import pytest
import pytest_asyncio
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy.engine import make_url

from bot.shop.app import create_app
from tests.shop.conftest import API_KEY, make_settings

pytestmark = pytest.mark.asyncio

CANDIDATES = [
    "postgresql+asyncpg://postgres@127.0.0.1:5432/test",
    "postgresql+asyncpg://root@127.0.0.1:5432/test",
]


async def _connect_admin() -> tuple[asyncpg.Connection, str]:
    override = os.environ.get("SHOP_TEST_POSTGRES_URL")
    urls = [override] if override else CANDIDATES
    unreachable: list[str] = []
    auth_errors: list[Exception] = []
    for url in urls:
        dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
        try:
            return await asyncpg.connect(dsn, timeout=5), url
        except (OSError, TimeoutError, asyncpg.CannotConnectNowError) as error:
            unreachable.append(f"{make_url(url)!r}: {error}")
        except asyncpg.PostgresError as error:  # reachable, but e.g. unknown role
            auth_errors.append(error)
    if not auth_errors:
        pytest.skip("PostgreSQL is unreachable: " + "; ".join(unreachable))
    raise auth_errors[0]


@pytest_asyncio.fixture
async def postgres_url() -> AsyncIterator[str]:
    """A URL to a brand-new database, dropped afterwards."""
    admin, url = await _connect_admin()
    name = f"kramar_shop_test_{secrets.token_hex(4)}"
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
        yield make_url(url).set(database=name).render_as_string(hide_password=False)
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


async def test_app_on_postgres(postgres_url: str) -> None:
    app = create_app(make_settings(postgres_url))
    async with TestClient(TestServer(app), headers={"X-API-Key": API_KEY}) as client:
        response = await client.get("/api/orders/10001")
        assert response.status == 200
        order = await response.json()
        assert order["status"] == "shipped"
        assert order["customer"]["email"] == "olena.kovalenko@example.com"
        assert (await client.get("/api/orders/99999999999")).status == 404

        listed = await (await client.get("/api/orders?email=OLENA.KOVALENKO@example.com")).json()
        assert {10001, 10007} <= {o["id"] for o in listed["orders"]}

        assert (await client.post("/api/orders/10003/cancel")).status == 200
        assert (await client.post("/api/orders/10001/cancel")).status == 409

        body = {"order_id": 10002, "items": [{"sku": "KR-MUG-350", "quantity": 1}], "reason": "x"}
        headers = {"Idempotency-Key": "pg-1"}
        first = await client.post("/api/returns", json=body, headers=headers)
        second = await client.post("/api/returns", json=body, headers=headers)
        assert (first.status, second.status) == (201, 200)
        created = await first.json()
        assert created["id"] == "R-000019"  # the sequence continues after the seed's eighteen
        assert (await client.get(f"/api/returns/{created['id']}")).status == 200

        # Row locks keep concurrent requests honest on PostgreSQL too.
        race = {**body, "items": [{"sku": "KR-SOCKS-3P", "quantity": 1}]}
        twins = await asyncio.gather(
            *(
                client.post("/api/returns", json=race, headers={"Idempotency-Key": "pg-2"})
                for _ in range(4)
            )
        )
        assert sorted(r.status for r in twins) == [200, 200, 200, 201]
        rivals = await asyncio.gather(*(client.post("/api/returns", json=race) for _ in range(3)))
        assert sorted(r.status for r in rivals) == [201, 422, 422]  # only 2 socks were bought

        ticket = {"email": "a@example.com", "category": "other", "description": "hi"}
        response = await client.post("/api/tickets", json=ticket)
        assert response.status == 201
        assert (await response.json())["id"] == "T-000001"
