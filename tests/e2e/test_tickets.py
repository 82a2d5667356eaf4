"""A complaint ticket in the support inbox: the bot's ticket marker becomes a
system line of the transcript (never shown to the customer), a fact beside the
transcript and an event the review page filters on.

Real Rasa, action server, reference shop, gateway and inbox.
"""

from __future__ import annotations

import re

import pytest
import requests

from bot.launcher import Stack
from tests.support.gateway import Agent, Customer, create_agent
from tests.support.shop import ShopApi


@pytest.fixture(scope="module")
def agent(stack: Stack, inbox_url: str) -> Agent:
    create_agent(dict(stack.env), "tomas", "ticket tracker pass", "Tomáš")
    return Agent(inbox_url, "tomas", "ticket tracker pass")


def conversation_ids(agent: Agent, **query: str) -> list[int]:
    """The conversations the review page lists for this filter."""
    page = agent.http.get(f"{agent.url}/conversations", params=query, timeout=10)
    assert page.status_code == 200, page.text[:500]
    return [int(found) for found in re.findall(r'href="/conversations/(\d+)"', page.text)]


def test_a_complaint_ticket_is_a_system_line_agents_can_filter_on(
    inbox_url: str, agent: Agent, shop_api: ShopApi
) -> None:
    order = shop_api.order(10007)
    customer = Customer(inbox_url)
    replies = customer.send(f"The parcel from order {order['id']} arrived and the item is damaged")
    replies += customer.send(order["customer"]["email"])
    replies += customer.send("https://photos.example.com/broken.jpg")
    texts = "\n".join(reply.get("text") or "" for reply in replies)
    found = re.search(r"T-\d{6}", texts)
    assert found, texts
    ticket_id = found.group(0)
    assert shop_api.get(f"/api/tickets/{ticket_id}").json()["order_id"] == order["id"]

    # The customer never sees the marker, now or when reading the conversation again.
    assert replies and not any("custom" in reply for reply in replies)
    assert "Complaint ticket" not in texts
    history = requests.get(
        f"{inbox_url}/chat/conversations/{customer.id}/messages",
        params={"after": 0},
        headers=customer.headers,
        timeout=10,
    ).json()["messages"]
    assert history and not any("Complaint ticket" in (m.get("text") or "") for m in history)

    # The review filter finds it; a conversation without a ticket is not listed.
    [conversation_id] = conversation_ids(agent, q=customer.id, event="ticket")
    other = Customer(inbox_url)
    other.say("hello")
    assert len(conversation_ids(agent, q=other.id)) == 1
    assert conversation_ids(agent, q=other.id, event="ticket") == []

    # The transcript: the system line right after the bot's answer naming the ticket.
    transcript = agent.get(f"/api/conversations/{conversation_id}")["messages"]
    tickets = [m for m in transcript if (m["payload"] or {}).get("event") == "ticket"]
    assert [m["direction"] for m in tickets] == ["system"]
    line = tickets[0]
    assert line["text"] == (
        f"Complaint ticket {ticket_id} opened for order {order['id']} (kept by the shop)"
    )
    assert line["payload"] == {
        "event": "ticket",
        "ticket_id": ticket_id,
        "store": "shop",
        "category": "damaged",
        "order_id": str(order["id"]),
    }
    before = transcript[transcript.index(line) - 1]
    assert before["direction"] == "bot" and ticket_id in before["text"]
    assert not any(m["direction"] == "bot" and not m["text"] for m in transcript)

    # Beside the transcript, in the conversation's page.
    page = agent.http.get(f"{agent.url}/conversations/{conversation_id}", timeout=10).text
    panel = page[page.index("<h2>Complaint tickets</h2>") :]
    assert ticket_id in panel[:600] and "damaged" in panel[:600]
