"""Fixtures for the shop backend tests: a fresh app on a fresh SQLite file per test."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from bot.settings import Settings
from bot.shop.app import create_app

API_KEY = "test-shop-key"
SHOP_URL = "http://shop.test"


def make_settings(database_url: str, **extra: str) -> Settings:
    # An explicit env mapping: the developer's own environment never leaks in.
    return Settings.from_env(
        {
            "KRAMAR_HOST": "127.0.0.1",
            "SHOP_API_KEY": API_KEY,
            "SHOP_DATABASE_URL": database_url,
            "SHOP_URL": SHOP_URL,
            **extra,
        }
    )


def sqlite_url(path: Path) -> str:
    return f"sqlite+aiosqlite:///{path}"


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return make_settings(sqlite_url(tmp_path / "shop.db"))


@pytest.fixture
def app(settings: Settings) -> web.Application:
    return create_app(settings)


@pytest_asyncio.fixture
async def server(app: web.Application) -> AsyncIterator[TestServer]:
    test_server = TestServer(app)
    await test_server.start_server()
    yield test_server
    await test_server.close()


@pytest_asyncio.fixture
async def client(server: TestServer) -> AsyncIterator[TestClient]:
    """A client that sends the right API key."""
    test_client = TestClient(server, headers={"X-API-Key": API_KEY})
    yield test_client
    await test_client.close()


@pytest_asyncio.fixture
async def anon_client(server: TestServer) -> AsyncIterator[TestClient]:
    """A client on the same server that sends no API key."""
    test_client = TestClient(server)
    yield test_client
    await test_client.close()
