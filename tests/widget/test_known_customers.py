"""Known customers on the widget's WebSocket (issue 20): the shop's signed token keeps
proving the email (also when a new session starts with it), and a yes remembers
this device's conversation."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator

import aiohttp
import pytest

from bot.gateway.widget import sign_customer
from bot.launcher import Stack
from tests.support.sessions import OLENA, an_hour_later
from tests.widget.client import WidgetSocket, start_conversation, texts
from tests.widget.conftest import SignedGateway


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=90)) as session:
        yield session


async def test_a_signed_customer_gets_their_orders_also_in_a_new_session(
    http: aiohttp.ClientSession, signed_gateway: SignedGateway, stack: Stack
) -> None:
    token = sign_customer(signed_gateway.secret, OLENA, ttl=300)
    sender, conversation_token = await start_conversation(http, signed_gateway.url)
    widget = await WidgetSocket.open(http, signed_gateway.url, sender, conversation_token)
    listed = await widget.say("show my orders", {"language": "en", "customer_token": token})
    assert "Here are your recent orders" in texts(listed)

    an_hour_later(stack, sender)  # the page sends a fresh token with the next message
    again = await widget.say("show my orders", {"language": "en", "customer_token": token})
    assert "Here are your recent orders" in texts(again)
    await widget.close()


async def test_a_yes_on_the_widget_remembers_this_device(
    http: aiohttp.ClientSession, signed_gateway: SignedGateway, stack: Stack
) -> None:
    sender, conversation_token = await start_conversation(http, signed_gateway.url)
    widget = await WidgetSocket.open(http, signed_gateway.url, sender, conversation_token)
    await widget.say("Where is my order 10001?", {"language": "en"})
    assert "Shall I remember you on this chat, Olena?" in texts(await widget.say(OLENA))
    assert "Done, Olena" in texts(await widget.say("/affirm"))
    with sqlite3.connect(signed_gateway.upload_dir.parent / "inbox.db") as db:
        linked = db.execute(
            "SELECT c.email, l.channel FROM customer_links l"
            " JOIN customers c ON c.id = l.customer_id WHERE l.sender_id = ?",
            (sender,),
        ).fetchall()
    assert linked == [(OLENA, "web")]

    an_hour_later(stack, sender)
    assert "Welcome back, Olena!" in texts(await widget.say("hi"))
    await widget.close()
