"""Server-rendered pages: the transcript, the order beside it, escaping."""

from __future__ import annotations

import pytest

from bot.conversations import store
from bot.gateway.markers import ticket_line
from bot.inbox.config import InboxSettings
from bot.inbox.keys import HTTP
from bot.inbox.shop_client import fetch_order
from tests.inbox.conftest import Inbox, handed_off_conversation, logged_in
from tests.support.stack import free_port

pytestmark = pytest.mark.asyncio(loop_scope="module")

XSS = "<img src=x onerror=alert(1)>"


async def test_transcript_page_shows_everything_an_agent_needs(inbox: Inbox) -> None:
    client = await logged_in(inbox, "Olha")
    try:
        conversation = await handed_off_conversation(
            inbox, order_id="10001", reason="upset_customer"
        )
        await client.post(f"/api/conversations/{conversation.id}/claim")
        await client.post(f"/api/conversations/{conversation.id}/reply", {"text": "On it!"})
        response = await client.get(f"/conversations/{conversation.id}")
        assert response.status == 200
        page = await response.text()
        # Customer message with its intent and confidence.
        assert "Where is my parcel?" in page
        assert ">order_status<" in page and ">42%<" in page
        # Bot reply with its button as a chip; the agent's reply with the name.
        assert '<span class="chip button-chip">Yes, please</span>' in page
        assert "On it!" in page and ">Olha<" in page
        # System lines: hand-off with its reason, the claim.
        assert "Handed off to a person: Upset customer" in page
        assert "Olha joined the conversation" in page
        # Side panel: the verified order from the shop.
        assert "Ceramic mug 350 ml" in page
        assert "54.90 EUR" in page
        assert 'href="https://track.example/NP123456"' in page
        assert "Tee &lt;b&gt;M&lt;/b&gt;" in page  # the shop's text is escaped too
        # Rasa is not running in these tests: the page simply leaves the slots out.
        assert "What the bot knows" not in page
        # The correction dialog offers the bot's intents.
        assert '<option value="faq/shipping_cost">' in page
    finally:
        await client.close()


async def test_customer_text_is_escaped_everywhere(inbox: Inbox) -> None:
    client = await logged_in(inbox)
    try:
        conversation = await handed_off_conversation(inbox, text=XSS, customer=XSS)
        escaped = "&lt;img src=x onerror=alert(1)&gt;"
        for path in [
            f"/conversations/{conversation.id}",
            "/",
            f"/conversations?q={conversation.sender_id}",
        ]:
            page = await (await client.get(path)).text()
            assert XSS not in page, path
            assert escaped in page, path
    finally:
        await client.close()


async def test_a_ticket_kept_by_kramar_shows_in_the_transcript_and_beside_it(
    inbox: Inbox,
) -> None:
    client = await logged_in(inbox)
    try:
        conversation = await handed_off_conversation(inbox)
        # As the gateway records the complaint action's marker; odd values come out as text.
        marker = {"ticket": {"id": "T-000012", "store": "kramar", "category": XSS, "order_id": XSS}}
        line = ticket_line(marker["ticket"])
        await store.record_messages(
            inbox.engine, sender_id=conversation.sender_id, channel="rest", lines=[line]
        )
        page = await (await client.get(f"/conversations/{conversation.id}")).text()
        assert XSS not in page
        escaped = "&lt;img src=x onerror=alert(1)&gt;"
        assert f"Complaint ticket T-000012 opened for order {escaped} (kept by Kramar)" in page
        panel = page[page.index("<h2>Complaint tickets</h2>") :][:800]
        assert "T-000012" in panel and "(kept by Kramar)" in panel
        listed = await (await client.get("/conversations?event=ticket")).text()
        assert f'href="/conversations/{conversation.id}"' in listed
        assert '<option value="ticket" selected>Complaint ticket opened</option>' in listed
    finally:
        await client.close()


async def test_unknown_order_is_explained_not_an_error(inbox: Inbox) -> None:
    client = await logged_in(inbox)
    try:
        missing = await handed_off_conversation(inbox, order_id="55555")
        page = await (await client.get(f"/conversations/{missing.id}")).text()
        assert "The shop has no order 55555" in page
        odd = await handed_off_conversation(inbox, order_id="../admin")
        page = await (await client.get(f"/conversations/{odd.id}")).text()
        assert "does not look valid" in page
    finally:
        await client.close()


async def test_shop_down_is_tolerated(inbox: Inbox) -> None:
    closed = f"http://127.0.0.1:{free_port()}"
    settings = InboxSettings.from_env(
        {"INBOX_SESSION_KEY": inbox.settings.session_key, "SHOP_URL": closed, "SHOP_API_KEY": "k"}
    )

    lookup = await fetch_order(inbox.app[HTTP], settings, "10001")
    assert lookup.order is None
    assert lookup.problem == "The shop is not reachable right now"


async def test_queue_page_lists_waiting_and_assigned(inbox: Inbox) -> None:
    client = await logged_in(inbox, "Queue Keeper")
    try:
        waiting = await handed_off_conversation(inbox, customer="waiting@example.com")
        mine = await handed_off_conversation(inbox, customer="mine@example.com")
        await client.post(f"/api/conversations/{mine.id}/claim")
        bot_only = await store.record_message(
            inbox.engine, sender_id="bot-only", channel="rest", direction="customer", text="hi"
        )
        page = await (await client.get("/")).text()
        assert f'data-id="{waiting.id}" data-state="waiting"' in page
        assert f'data-id="{mine.id}" data-state="assigned" data-mine="true"' in page
        assert "with Queue Keeper" in page
        assert f'data-id="{bot_only.conversation_id}"' not in page
    finally:
        await client.close()
