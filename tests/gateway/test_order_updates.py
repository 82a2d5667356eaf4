"""Order updates the shop pushes (issue 20): the stack's shop signs, its gateway checks,
and the customer who opted in hears about the order in their own language.

Real shop (staff endpoints), Rasa, action server and gateway (the session's stack).
"""

from __future__ import annotations

import json
import time

import pytest
import requests
import sqlalchemy as sa

from bot.conversations.tables import conversations
from bot.customers.tables import customer_links, notifications, shop_events
from bot.launcher import Stack
from tests.support.customers import post_event, remember, rows, set_slots, shop_event, signed
from tests.support.gateway import Customer
from tests.support.shop import ShopApi


def db(stack: Stack) -> str:
    return stack.env["INBOX_DATABASE_URL"]


def admin(stack: Stack, path: str, body: dict[str, str] | None = None) -> requests.Response:
    return requests.post(
        f"{stack.settings.shop_url}/api/admin/{path}",
        json=body,
        headers={"X-Admin-Token": stack.env["SHOP_ADMIN_TOKEN"]},
        timeout=30,
    )


def news(customer: Customer, seconds: float = 60) -> str:
    """What the bot says unasked within `seconds` (the gateway wakes the poll)."""
    deadline = time.monotonic() + seconds
    texts: list[str] = []
    while time.monotonic() < deadline and not texts:
        texts = [
            m.get("text") or "" for m in customer.wait_for_news(10) if m.get("sender") != "customer"
        ]
    return "\n".join(texts)


def test_forged_stale_malformed_and_replayed_webhooks_get_401_and_change_nothing(
    stack: Stack, inbox_url: str
) -> None:
    secret = stack.env["SHOP_WEBHOOK_SECRET"]
    event = shop_event("order.shipped", order_id="10001", email="olena.kovalenko@example.com")
    body = json.dumps(event).encode()
    url = f"{inbox_url}/hooks/shop"
    refused = {
        "no header": {},
        "wrong secret": {"Kramar-Signature": signed("not-the-secret", body)},
        "stale": {"Kramar-Signature": signed(secret, body, int(time.time()) - 400)},
        "from the future": {"Kramar-Signature": signed(secret, body, int(time.time()) + 400)},
        "malformed": {"Kramar-Signature": "t=abc,v1=zz"},
        "no v1": {"Kramar-Signature": f"t={int(time.time())}"},
        "other body": {"Kramar-Signature": signed(secret, body + b" ")},
    }
    for case, headers in refused.items():
        response = requests.post(url, data=body, headers=headers, timeout=30)
        assert response.status_code == 401, (case, response.text)
    stored = sa.select(shop_events).where(shop_events.c.event_id == event["id"])
    assert rows(db(stack), stored) == []

    assert post_event(inbox_url, secret, event).status_code == 200
    before = rows(db(stack), sa.select(notifications))
    replayed = post_event(inbox_url, secret, event)  # freshly signed, same event id
    assert replayed.status_code == 401
    assert len(rows(db(stack), stored)) == 1
    assert rows(db(stack), sa.select(notifications)) == before


def test_a_valid_event_of_an_unknown_type_is_accepted_and_ignored(
    stack: Stack, inbox_url: str
) -> None:
    event = shop_event("order.teleported", order_id="10001", email="x@example.com")
    response = post_event(inbox_url, stack.env["SHOP_WEBHOOK_SECRET"], event)
    assert response.status_code == 200
    assert response.json() == {"ok": True}
    bad = requests.post(
        f"{inbox_url}/hooks/shop",
        data=b"[1, 2]",
        headers={"Kramar-Signature": signed(stack.env["SHOP_WEBHOOK_SECRET"], b"[1, 2]")},
        timeout=30,
    )
    assert bad.status_code == 400  # signed but not an event: a clear answer, not a 500


def test_an_opted_in_customer_hears_the_order_shipped_and_opting_out_stops_it(
    stack: Stack, inbox_url: str, rasa_url: str, shop_api: ShopApi
) -> None:
    order = shop_api.take("paid")
    email = order["customer"]["email"]
    customer = Customer(inbox_url)
    customer.say("Dobrý den")  # the conversation is in Czech
    remember(db(stack), sender_id=customer.id, channel="web", email=email)
    set_slots(rasa_url, stack.settings.rasa_token, customer.id, known_customer=True)

    answer = customer.say("upozorněte mě na moji objednávku")
    assert "Hotovo" in answer, answer
    link = sa.select(customer_links.c.updates).where(customer_links.c.sender_id == customer.id)
    assert rows(db(stack), link) == [{"updates": True}]

    shipped = admin(
        stack,
        f"orders/{order['id']}/ship",
        {"carrier": "PPL", "tracking_number": "CZ777", "tracking_url": "https://ppl.example/CZ777"},
    )
    assert shipped.status_code == 200, shipped.text
    told = news(customer)
    assert f"Vaše objednávka #{order['id']} je na cestě" in told, told
    assert "CZ777" in told

    answer = customer.say("vypni upozornění")
    assert "už posílat nebudu" in answer, answer
    assert rows(db(stack), link) == [{"updates": False}]
    assert admin(stack, f"orders/{order['id']}/deliver").status_code == 200
    time.sleep(3)  # the webhook has arrived by now (it is sent at once)
    assert customer.wait_for_news(5) == []
    queued = sa.select(notifications).where(notifications.c.sender_id == customer.id)
    assert [row["payload"]["update_event"] for row in rows(db(stack), queued)] == ["order.shipped"]


def test_a_customer_who_is_not_remembered_is_asked_to_be_first(
    stack: Stack, inbox_url: str
) -> None:
    customer = Customer(inbox_url)
    answer = customer.say("let me know when it ships")
    assert "once I know who you are" in answer, answer
    link = sa.select(customer_links).where(customer_links.c.sender_id == customer.id)
    assert rows(db(stack), link) == []


@pytest.mark.parametrize("text", ["stop sending me updates"])
def test_opting_out_without_being_remembered_stores_nothing(
    stack: Stack, inbox_url: str, text: str
) -> None:
    customer = Customer(inbox_url)
    assert "won't send you order updates" in customer.say(text)
    assert (
        rows(db(stack), sa.select(customer_links).where(customer_links.c.sender_id == customer.id))
        == []
    )


def test_while_with_an_agent_the_update_still_reaches_the_customer_and_the_transcript(
    stack: Stack, inbox_url: str
) -> None:
    customer = Customer(inbox_url)
    email = "petr.svoboda@example.com"
    remember(db(stack), sender_id=customer.id, channel="web", email=email, updates=True)
    customer.say("I want to talk to a person")
    customer.wait_for_news(2)
    event = shop_event("order.delivered", order_id="10010", email=email, tracking_number="PPL1")
    assert post_event(inbox_url, stack.env["SHOP_WEBHOOK_SECRET"], event).status_code == 200
    told = news(customer)
    assert "Your order #10010 has been delivered" in told, told
    state = sa.select(conversations.c.state).where(conversations.c.sender_id == customer.id)
    assert rows(db(stack), state) == [{"state": "waiting"}]  # still with the agents


def test_a_remembered_customer_is_offered_updates_after_an_order_status_and_one_click_opts_in(
    stack: Stack, inbox_url: str, rasa_url: str, shop_api: ShopApi
) -> None:
    order = shop_api.take("paid")
    customer = Customer(inbox_url)
    remember(db(stack), sender_id=customer.id, channel="web", email=order["customer"]["email"])
    set_slots(rasa_url, stack.settings.rasa_token, customer.id, known_customer=True)
    customer.say(f"where is my order {order['id']}?")
    replies = customer.send(order["customer"]["email"])
    offer = next(
        m for m in replies if "when there's news about this order" in (m.get("text") or "")
    )
    assert [b["payload"] for b in offer["buttons"]] == ["/updates_on"]
    assert "Done!" in customer.say("/updates_on")
    link = sa.select(customer_links.c.updates).where(customer_links.c.sender_id == customer.id)
    assert rows(db(stack), link) == [{"updates": True}]


def test_a_customer_who_is_not_remembered_is_not_offered_updates(
    inbox_url: str, shop_api: ShopApi
) -> None:
    order = shop_api.take("paid")
    customer = Customer(inbox_url)
    customer.say(f"where is my order {order['id']}?")
    answer = "\n".join(m.get("text") or "" for m in customer.send(order["customer"]["email"]))
    assert str(order["id"]) in answer
    assert "when there's news" not in answer
