"""Fixtures for the inbox tests: the real app on a real port, a fresh SQLite
file per test module, a fake shop API, and a Delivery that records calls.

Async fixtures here are module-scoped and run on the module's event loop:
every test module sets ``pytestmark = pytest.mark.asyncio(loop_scope="module")``.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import pytest_asyncio
from aiohttp import web
from cryptography.fernet import Fernet
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.conversations import store
from bot.conversations.models import Conversation
from bot.inbox import agents
from bot.inbox.app import create_app
from bot.inbox.config import InboxSettings
from bot.inbox.keys import ENGINE
from tests.support.stack import free_port

SHOP_KEY = "test-shop-key"
PASSWORD = "correct horse battery"
ORDER = {
    "id": 10001,
    "status": "shipped",
    "created_at": "2025-03-01T10:00:00Z",
    "currency": "EUR",
    "total": "54.90",
    "customer": {"email": "olena@example.com", "name": "Olena", "language": "uk"},
    "items": [
        {"sku": "KR-MUG-350", "name": "Ceramic mug 350 ml", "quantity": 2, "unit_price": "12.45"},
        {"sku": "KR-TEE-M", "name": "Tee <b>M</b>", "quantity": 1, "unit_price": "30.00"},
    ],
    "shipment": {
        "carrier": "Nova Poshta",
        "tracking_number": "NP123456",
        "tracking_url": "https://track.example/NP123456",
        "shipped_at": "2025-03-02T09:00:00Z",
    },
    "delivered_at": None,
}


@dataclass
class RecordingDelivery:
    """The gateway's side of the contract, minus the gateway: remembers every call
    and records agent replies through the store, as the real one does."""

    engine: AsyncEngine | None = None
    calls: list[tuple[str, int, str | None]] = field(default_factory=list)
    fail: bool = False

    async def send_agent_reply(
        self, conversation: Conversation, text: str, agent_name: str
    ) -> None:
        if self.fail:
            raise RuntimeError("gateway down")
        assert self.engine is not None
        self.calls.append(("reply", conversation.id, text))
        await store.record_message(
            self.engine,
            sender_id=conversation.sender_id,
            channel=conversation.channel,
            direction="agent",
            text=text,
            agent_id=conversation.assigned_agent_id,
        )

    async def claimed(self, conversation: Conversation) -> None:
        self.calls.append(("claimed", conversation.id, conversation.state))

    async def hand_back(self, conversation: Conversation) -> None:
        self.calls.append(("hand_back", conversation.id, conversation.state))

    async def close(self, conversation: Conversation) -> None:
        self.calls.append(("close", conversation.id, conversation.state))


@dataclass
class Inbox:
    url: str
    app: web.Application
    delivery: RecordingDelivery
    settings: InboxSettings

    @property
    def engine(self) -> AsyncEngine:
        return self.app[ENGINE]


class AgentClient:
    """A logged-in browser, minus the browser: cookie jar plus the CSRF token."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        # unsafe=True: aiohttp otherwise refuses cookies from an IP address host.
        self.http = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))
        self.csrf = ""

    async def login(self, username: str, password: str = PASSWORD) -> aiohttp.ClientResponse:
        self.csrf = await self.token_from("/login")
        response = await self.http.post(
            self.base_url + "/login",
            data={"username": username, "password": password, "csrf_token": self.csrf},
            allow_redirects=False,
        )
        if response.status == 302:
            self.csrf = await self.token_from("/")
        return response

    async def token_from(self, path: str) -> str:
        async with self.http.get(self.base_url + path) as response:
            page = await response.text()
        found = re.search(r'<meta name="csrf-token" content="([^"]+)"', page)
        assert found, page[:500]
        return found.group(1)

    async def get(self, path: str, **kwargs: Any) -> aiohttp.ClientResponse:
        return await self.http.get(self.base_url + path, allow_redirects=False, **kwargs)

    async def post(
        self, path: str, body: Any = None, *, csrf: bool = True
    ) -> aiohttp.ClientResponse:
        headers = {"X-CSRF-Token": self.csrf} if csrf else {}
        return await self.http.post(
            self.base_url + path, json=body, headers=headers, allow_redirects=False
        )

    async def close(self) -> None:
        await self.http.close()


def fake_shop() -> web.Application:
    async def order(request: web.Request) -> web.Response:
        if request.headers.get("X-API-Key") != SHOP_KEY:
            return web.json_response({"error": "unauthorized"}, status=401)
        if request.match_info["order_id"] != "10001":
            return web.json_response({"error": "order_not_found"}, status=404)
        return web.json_response(ORDER)

    app = web.Application()
    app.router.add_get("/api/orders/{order_id}", order)
    return app


def inbox_env(database: Path, shop_url: str) -> dict[str, str]:
    return {
        "KRAMAR_HOST": "127.0.0.1",
        "INBOX_DATABASE_URL": f"sqlite+aiosqlite:///{database}",
        "INBOX_SESSION_KEY": Fernet.generate_key().decode(),
        "SHOP_URL": shop_url,
        "SHOP_API_KEY": SHOP_KEY,
        # Nothing listens here: the tracker panel must cope with Rasa being away.
        "RASA_URL": f"http://127.0.0.1:{free_port()}",
    }


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def shop_url() -> AsyncIterator[str]:
    runner = web.AppRunner(fake_shop())
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    yield f"http://127.0.0.1:{port}"
    await runner.cleanup()


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def inbox(tmp_path_factory: pytest.TempPathFactory, shop_url: str) -> AsyncIterator[Inbox]:
    database = tmp_path_factory.mktemp("inbox") / "inbox.db"
    settings = InboxSettings.from_env(inbox_env(database, shop_url))
    delivery = RecordingDelivery()
    app = create_app(settings, delivery)
    delivery.engine = app[ENGINE]
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    yield Inbox(url=f"http://127.0.0.1:{port}", app=app, delivery=delivery, settings=settings)
    await runner.cleanup()


async def new_agent(inbox: Inbox, name: str = "Agent") -> str:
    """A fresh agent account; returns its username."""
    username = f"{name.lower().replace(' ', '.')}.{secrets.token_hex(3)}"
    # Cheap hashes keep the suite fast; the rounds live in the hash, so login checks them.
    await agents.create_agent(
        inbox.engine, username=username, display_name=name, password=PASSWORD, rounds=4
    )
    return username


async def logged_in(inbox: Inbox, name: str = "Agent") -> AgentClient:
    client = AgentClient(inbox.url)
    response = await client.login(await new_agent(inbox, name))
    assert response.status == 302, await response.text()
    return client


async def handed_off_conversation(
    inbox: Inbox,
    *,
    text: str = "Where is my parcel?",
    reason: str = "asked_for_person",
    customer: str | None = "olena@example.com",
    order_id: str | None = None,
    language: str | None = "uk",
) -> Conversation:
    sender = f"customer-{secrets.token_hex(6)}"
    await store.record_message(
        inbox.engine,
        sender_id=sender,
        channel="rest",
        direction="customer",
        text=text,
        intent="order_status",
        confidence=0.42,
        language=language,
    )
    await store.record_message(
        inbox.engine,
        sender_id=sender,
        channel="rest",
        direction="bot",
        text="Shall I connect you with a person?",
        payload={"buttons": [{"title": "Yes, please", "payload": "/affirm"}]},
    )
    return await store.open_handoff(
        inbox.engine,
        sender_id=sender,
        reason=reason,
        language=language,
        customer=customer,
        order_id=order_id,
    )
