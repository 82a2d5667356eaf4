"""The widget's WebSocket against the real stack (aiohttp's client as the browser)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from bot.gateway.widget import sign_customer
from tests.support.shop import ShopApi
from tests.widget.client import WidgetSocket, start_conversation, texts
from tests.widget.conftest import ALLOWED_ORIGIN, SignedGateway


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=90)) as session:
        yield session


async def refused(http: aiohttp.ClientSession, base: str, first: Any) -> tuple[dict, int]:
    """The error frame and close code after sending `first` (a str, bytes or JSON frame)."""
    socket = await http.ws_connect(f"{base.replace('http', 'ws', 1)}/chat/ws")
    if isinstance(first, str):
        await socket.send_str(first)
    elif isinstance(first, bytes):
        await socket.send_bytes(first)
    else:
        await socket.send_json(first)
    error = await socket.receive_json(timeout=10)
    closing = await socket.receive(timeout=10)
    assert closing.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED), closing
    await socket.close()
    return error, socket.close_code or 0


async def test_a_hello_without_a_valid_token_is_closed_with_4401(
    http: aiohttp.ClientSession, inbox_url: str
) -> None:
    sender, token = await start_conversation(http, inbox_url)
    for first in [
        "not json",
        b"\x00binary",
        {"type": "message", "text": "hi"},
        {"type": "hello", "conversation_id": sender},
        {"type": "hello", "conversation_id": sender, "token": ""},
        {"type": "hello", "conversation_id": sender, "token": "0" * 64},
        {"type": "hello", "conversation_id": sender, "token": token.upper()},
    ]:
        error, code = await refused(http, inbox_url, first)
        assert code == 4401, first
        assert error["type"] == "error" and error["code"] == "unauthorized", error
        assert error["message"]


async def test_another_conversations_id_with_your_token_is_refused(
    http: aiohttp.ClientSession, inbox_url: str
) -> None:
    victim, _ = await start_conversation(http, inbox_url)
    _, mine = await start_conversation(http, inbox_url)
    error, code = await refused(
        http, inbox_url, {"type": "hello", "conversation_id": victim, "token": mine}
    )
    assert code == 4401 and "does not open this conversation" in error["message"]


async def test_bad_frames_get_error_frames_and_the_socket_lives_on(
    http: aiohttp.ClientSession, inbox_url: str
) -> None:
    sender, token = await start_conversation(http, inbox_url)
    widget = await WidgetSocket.open(http, inbox_url, sender, token)
    assert widget.history == [] and widget.last == 0
    cases: list[tuple[Any, str]] = [
        ("{oops", "bad_json"),
        ("[]", "bad_frame"),
        ({"type": "message", "text": 42}, "bad_frame"),
        ({"type": "message", "text": "hi", "metadata": []}, "bad_frame"),
        ({"type": "message", "text": "x" * 5001, "client_id": "m1"}, "too_long"),
        ({"type": "language", "language": "ru"}, "bad_frame"),
        ({"type": "subscribe", "conversation_id": "c-other"}, "unknown_type"),
        (b"\x01\x02", "bad_frame"),
    ]
    for frame, code in cases:
        if isinstance(frame, str):
            await widget.socket.send_str(frame)
        elif isinstance(frame, bytes):
            await widget.socket.send_bytes(frame)
        else:
            await widget.socket.send_json(frame)
        error = await widget.next(10)
        assert error["type"] == "error" and error["code"] == code, (frame, error)
    assert error_client_id_kept(await _too_long(widget))
    await widget.socket.send_json({"type": "ping"})
    assert await widget.next(10) == {"type": "pong"}
    await widget.close()


async def _too_long(widget: WidgetSocket) -> dict[str, Any]:
    await widget.socket.send_json({"type": "message", "text": "я" * 5001, "client_id": "abc"})
    return await widget.next(10)


def error_client_id_kept(error: dict[str, Any]) -> bool:
    return error["code"] == "too_long" and error["client_id"] == "abc"


async def test_a_turn_reaches_every_tab_and_history_follows_after(
    http: aiohttp.ClientSession, inbox_url: str
) -> None:
    sender, token = await start_conversation(http, inbox_url)
    first = await WidgetSocket.open(http, inbox_url, sender, token)
    second = await WidgetSocket.open(http, inbox_url, sender, token)

    frames = await first.say("Hello", {"language": "en"})
    assert frames[0] == {"type": "typing", "active": True}
    messages = [f for f in frames if f["type"] == "message"]
    assert messages[0]["from"] == "customer" and messages[0]["text"] == "Hello"
    assert "Kramar" in texts(frames)
    assert all({"id", "text", "buttons", "image"} <= f.keys() for f in messages[1:])
    ids = [f["id"] for f in messages]
    assert ids == sorted(ids)
    # The other tab sees the same turn, the customer's own message included.
    other = await second.until(lambda f: f["type"] == "typing" and not f["active"])
    assert [f["id"] for f in other if f["type"] == "message"] == ids
    await first.close()
    await second.close()

    # A reload (after=0) shows the whole conversation; a reconnect only what it missed.
    reloaded = await WidgetSocket.open(http, inbox_url, sender, token)
    assert [f["id"] for f in reloaded.history] == ids
    assert reloaded.last >= ids[-1]
    await reloaded.say("Are you a bot?")
    await reloaded.close()
    reconnected = await WidgetSocket.open(http, inbox_url, sender, token, after=ids[-1])
    assert reconnected.history[0]["from"] == "customer"
    assert reconnected.history[0]["text"] == "Are you a bot?"
    assert all(f["id"] > ids[-1] for f in reconnected.history)
    await reconnected.close()


async def test_the_pages_language_starts_the_conversation_only(
    http: aiohttp.ClientSession, inbox_url: str
) -> None:
    sender, token = await start_conversation(http, inbox_url)
    widget = await WidgetSocket.open(http, inbox_url, sender, token)
    # "hi" says nothing about its language: the page's (Polish) decides.
    assert "Jestem Kramar" in texts(await widget.say("hi", {"language": "pl"}))
    # Later pages' languages do not override the conversation's.
    assert "Jestem Kramar" in texts(await widget.say("hi", {"language": "uk"}))
    # The language picker does.
    await widget.socket.send_json({"type": "language", "language": "uk"})
    assert "Я Крамар" in texts(await widget.say("hi"))
    await widget.close()


async def test_a_signed_customer_is_asked_only_for_the_order_number(
    http: aiohttp.ClientSession, signed_gateway: SignedGateway, shop_api: ShopApi
) -> None:
    order = shop_api.order(10001)
    token = sign_customer(signed_gateway.secret, order["customer"]["email"], ttl=300)
    sender, conversation_token = await start_conversation(http, signed_gateway.url)
    widget = await WidgetSocket.open(http, signed_gateway.url, sender, conversation_token)
    frames = await widget.say("Where is my order?", {"language": "en", "customer_token": token})
    assert "order number" in texts(frames)
    answer = texts(await widget.say("10001"))
    assert order["shipment"]["tracking_number"] in answer
    await widget.close()


@pytest.mark.parametrize("kind", ["expired", "forged"])
async def test_a_bad_customer_token_is_ignored(
    http: aiohttp.ClientSession, signed_gateway: SignedGateway, shop_api: ShopApi, kind: str
) -> None:
    email = shop_api.order(10001)["customer"]["email"]
    secret = signed_gateway.secret if kind == "expired" else "not the shop's secret"
    token = sign_customer(secret, email, ttl=-1 if kind == "expired" else 300)
    sender, conversation_token = await start_conversation(http, signed_gateway.url)
    widget = await WidgetSocket.open(http, signed_gateway.url, sender, conversation_token)
    answer = texts(await widget.say("where is order 10001?", {"customer_token": token}))
    assert "email" in answer
    assert shop_api.order(10001)["shipment"]["tracking_number"] not in answer
    await widget.close()


async def test_sockets_from_sites_not_allowed_are_refused(
    http: aiohttp.ClientSession, signed_gateway: SignedGateway
) -> None:
    ws_url = signed_gateway.url.replace("http", "ws", 1) + "/chat/ws"
    with pytest.raises(aiohttp.WSServerHandshakeError) as refused_handshake:
        await http.ws_connect(ws_url, origin="https://evil.example")
    assert refused_handshake.value.status == 403
    allowed = await http.ws_connect(ws_url, origin=ALLOWED_ORIGIN)
    await allowed.close()
