"""Abuse limits: each answers 429 with Retry-After and a JSON body, each for its own key only.

Against the `limited` gateway (3 conversations per address, 3 messages per
conversation per minute, 3 photos or 5 MB per conversation); every test opens
its conversations from addresses of its own (X-Forwarded-For, 127.0.0.1 being
a trusted proxy there).
"""

from __future__ import annotations

import itertools
from typing import Any

import aiohttp
import requests

from bot.launcher import Stack
from bot.uploads import files_of
from tests.gateway.conftest import Gateway
from tests.support.gateway import Customer
from tests.support.shop import ShopApi
from tests.widget.client import WidgetSocket

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
MB = 1024 * 1024
_addresses = (f"198.51.100.{n}" for n in itertools.count(1))


def open_from(gateway: Gateway, address: str) -> requests.Response:
    return requests.post(
        f"{gateway.url}/chat/conversations", headers={"X-Forwarded-For": address}, timeout=10
    )


def conversation(gateway: Gateway) -> dict[str, str]:
    """A fresh conversation, opened from an address no other test uses."""
    opened = open_from(gateway, next(_addresses))
    assert opened.status_code == 201, opened.text
    body: dict[str, str] = opened.json()
    return body


def bearer(chat: dict[str, str]) -> dict[str, str]:
    return {"Authorization": f"Bearer {chat['token']}"}


def send(gateway: Gateway, chat: dict[str, str], text: str) -> requests.Response:
    return requests.post(
        f"{gateway.url}/chat/conversations/{chat['conversation_id']}/messages",
        json={"text": text},
        headers=bearer(chat),
        timeout=60,
    )


def upload(gateway: Gateway, chat: dict[str, str], data: bytes) -> requests.Response:
    return requests.post(
        f"{gateway.url}/chat/conversations/{chat['conversation_id']}/attachments",
        files={"file": ("photo.png", data, "image/png")},
        headers=bearer(chat),
        timeout=30,
    )


def assert_too_many(response: requests.Response, most_seconds: float) -> dict[str, Any]:
    assert response.status_code == 429, response.text
    seconds = int(response.headers["Retry-After"])
    assert 1 <= seconds <= most_seconds
    body: dict[str, Any] = response.json()
    assert body["error"] == "too_many_requests" and body["retry_after"] == seconds
    assert body["message"]
    return body


def test_opening_conversations_is_limited_per_address(limited_gateway: Gateway) -> None:
    address = next(_addresses)
    assert [open_from(limited_gateway, address).status_code for _ in range(3)] == [201] * 3
    refused = open_from(limited_gateway, address)
    body = assert_too_many(refused, 600 / 3)  # one conversation drains every 200 s
    assert "address" in body["message"]
    assert open_from(limited_gateway, next(_addresses)).status_code == 201  # others still can
    # A client cannot pose as someone else: what it wrote before the proxy's hop is ignored.
    posing = open_from(limited_gateway, f"{next(_addresses)}, {address}")
    assert posing.status_code == 429


def test_messages_are_limited_per_conversation_and_minute(limited_gateway: Gateway) -> None:
    chatty, other = conversation(limited_gateway), conversation(limited_gateway)
    assert [send(limited_gateway, chatty, "hello").status_code for _ in range(3)] == [200] * 3
    assert_too_many(send(limited_gateway, chatty, "hello"), 60 / 3)
    assert send(limited_gateway, other, "hello").status_code == 200


async def test_the_widget_is_told_when_it_sends_too_fast(limited_gateway: Gateway) -> None:
    chat = conversation(limited_gateway)
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=90)) as http:
        socket = await WidgetSocket.open(
            http, limited_gateway.url, chat["conversation_id"], chat["token"]
        )
        for _ in range(3):
            assert any(f["type"] == "message" for f in await socket.say("hi"))
        await socket.socket.send_json({"type": "message", "text": "hi", "client_id": "4"})
        frames = await socket.until(lambda f: f["type"] == "error")
        await socket.close()
    error = frames[-1]
    assert error["code"] == "rate_limited" and error["client_id"] == "4"
    assert 1 <= error["retry_after"] <= 20
    # The same limit holds on REST: one budget per conversation, whatever the channel.
    assert_too_many(send(limited_gateway, chat, "hello"), 20)


def test_photos_are_limited_per_conversation_by_count(limited_gateway: Gateway) -> None:
    chat, other = conversation(limited_gateway), conversation(limited_gateway)
    assert [upload(limited_gateway, chat, PNG).status_code for _ in range(3)] == [201] * 3
    assert_too_many(upload(limited_gateway, chat, PNG), 86400 / 3)
    assert upload(limited_gateway, other, PNG).status_code == 201


def test_photos_are_limited_per_conversation_by_size(limited_gateway: Gateway) -> None:
    chat = conversation(limited_gateway)
    big = PNG + b"\x00" * (3 * MB)
    assert upload(limited_gateway, chat, big).status_code == 201
    assert_too_many(upload(limited_gateway, chat, big), 86400)  # 6 MB > 5 MB
    assert upload(limited_gateway, chat, PNG).status_code == 201  # a small one still fits
    stored = files_of(limited_gateway.upload_dir, chat["conversation_id"])
    # The refused photo was not kept.
    assert sorted(p.stat().st_size for p in stored) == [len(PNG), len(big)]


def test_too_many_wrong_emails_for_an_order_pause_its_checks_in_every_chat(
    inbox_url: str, shop_api: ShopApi, stack: Stack
) -> None:
    order = shop_api.take("shipped")
    number, email = order["id"], order["customer"]["email"]
    # Someone tries emails for this order, as many as the shop allows in its window ...
    limit = int(stack.env["SHOP_VERIFICATION_FAILURES_PER_ORDER"])
    wrong = [shop_api.get(f"/api/orders/{number}?email=guess{n}@example.com") for n in range(limit)]
    assert [r.status_code for r in wrong] == [404] * limit
    # ... so in another chat even the owner hears to wait, in their language.
    customer = Customer(inbox_url)
    customer.say(f"Where is my order {number}?")
    answer = customer.say(email)
    assert "too many verification attempts" in answer, answer
    assert "min" in answer
