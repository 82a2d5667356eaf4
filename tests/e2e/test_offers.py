"""Goodwill offers (issue 20) on the real stack: Rasa, the action server, the
reference shop, the gateway and the inbox.

A complaint gets a code the shop really made; a second complaint inside the
period gets none; an angry customer gets none; a late order gets one; the
acceptance and the redemption are counted on the dashboard.
"""

from __future__ import annotations

import asyncio
import re
import sqlite3
import time
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
import requests
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import select
from sqlalchemy.engine import make_url

from actions import shops
from actions.offers import offer_if_loyal
from actions.shops.reference import ReferenceShop
from actions.topics import Request
from bot.customers.tables import offers as offers_table
from bot.inbox.db import create_engine
from bot.launcher import Stack
from bot.policy import load_policy
from tests.support.gateway import Agent, Customer, create_agent
from tests.support.shop import ShopApi

CODE = re.compile(r"\bKR-[A-Z0-9]{8}\b")


@pytest.fixture(scope="module")
def agent(stack: Stack, inbox_url: str) -> Agent:
    create_agent(dict(stack.env), "oksana", "offers and more offers", "Oksana")
    return Agent(inbox_url, "oksana", "offers and more offers")


def codes_of(shop_api: ShopApi, email: str) -> list[dict[str, Any]]:
    response = shop_api.get(f"/api/discounts?email={email}")
    assert response.status_code == 200, response.text
    return list(response.json()["discounts"])


def fresh_order(
    shop_api: ShopApi, statuses: tuple[str, ...], *, loyal: bool = False
) -> dict[str, Any]:
    """A seeded order whose customer has no code yet (other tests complain too).

    Complaints and offers change no order, so only orders other tests never
    take are used: delivered long ago (the return tests need recent ones),
    refunded or cancelled. `loyal`: a customer with an earlier order.
    """
    seeded = [shop_api.order(number) for number in range(10011, 10051)]
    orders_by_email: dict[str, int] = {}
    for order in seeded:
        email = order["customer"]["email"]
        orders_by_email[email] = orders_by_email.get(email, 0) + 1
    long_ago = datetime.now(timezone.utc) - timedelta(days=30)
    for order in seeded:
        email = order["customer"]["email"]
        if order["status"] not in statuses or (loyal and orders_by_email[email] < 2):
            continue
        delivered = order.get("delivered_at")
        if order["status"] == "delivered" and (
            delivered is None or datetime.fromisoformat(delivered.replace("Z", "+00:00")) > long_ago
        ):
            continue
        if not codes_of(shop_api, email):
            return order
    raise LookupError(f"no seeded order in {statuses} without a code")


def texts(replies: list[dict[str, Any]]) -> str:
    return "\n".join(reply.get("text") or "" for reply in replies)


def complain(customer: Customer, order: dict[str, Any], last: str) -> list[dict[str, Any]]:
    replies = customer.send(f"The parcel from order {order['id']} arrived and the item is damaged")
    replies += customer.send(order["customer"]["email"])
    replies += customer.send(last)
    assert re.search(r"T-\d{6}", texts(replies)), texts(replies)  # the ticket, always
    return replies


def offer_counts(agent: Agent) -> tuple[int, int, int]:
    page = agent.http.get(f"{agent.url}/dashboard", timeout=10).text
    found = re.search(r'data-kpi-detail="offers">(\d+) made, (\d+) accepted, (\d+) redeemed<', page)
    assert found, page[:300]
    made, accepted, redeemed = (int(n) for n in found.groups())
    return made, accepted, redeemed


def wait_for(condition: Callable[[], bool], what: str, seconds: float = 20) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.2)


def offers_rows(stack: Stack, email: str) -> list[Any]:
    async def read() -> list[Any]:
        engine = create_engine(stack.env["INBOX_DATABASE_URL"])
        try:
            async with engine.connect() as conn:
                query = select(offers_table).where(offers_table.c.customer_email == email)
                return list((await conn.execute(query)).all())
        finally:
            await engine.dispose()

    return asyncio.run(read())


def test_a_complaint_gets_one_code_the_shop_made_and_its_use_is_counted(
    stack: Stack, inbox_url: str, shop_api: ShopApi, agent: Agent
) -> None:
    before = offer_counts(agent)
    order = fresh_order(shop_api, ("delivered",))
    email = order["customer"]["email"]
    customer = Customer(inbox_url)
    replies = complain(customer, order, "https://photos.example.com/broken.jpg")

    # The offer: warm words, the code the shop made for this email, its button.
    found = CODE.search(texts(replies))
    assert found, texts(replies)
    code = found.group(0)
    [made] = codes_of(shop_api, email)
    assert (made["code"], made["percent"], made["reason"], made["order_id"]) == (
        code,
        10,
        "complaint",
        order["id"],
    )
    offer = next(reply for reply in replies if code in (reply.get("text") or ""))
    assert "10% off" in offer["text"]
    assert [b["payload"] for b in offer.get("buttons", [])] == ["/accept_offer"]
    # The marker is the gateway's: never shown, recorded for agents and the dashboard.
    assert not any("custom" in reply for reply in replies)
    [row] = offers_rows(stack, email)
    assert (row.code, row.rule, row.kind, row.order_id, row.sender_id) == (
        code,
        "complaint",
        "discount",
        str(order["id"]),
        customer.id,
    )
    assert row.accepted_at is None and row.redeemed_at is None

    history = requests.get(
        f"{inbox_url}/chat/conversations/{customer.id}/messages",
        params={"after": 0},
        headers=customer.headers,
        timeout=10,
    ).json()["messages"]
    assert not any("Offer made" in (m.get("text") or "") for m in history)

    # "Use it": how to use the code, and the acceptance counted.
    accepted = customer.send("/accept_offer")
    assert code in texts(accepted) and "basket" in texts(accepted)
    assert not any("custom" in reply for reply in accepted)
    assert offers_rows(stack, email)[0].accepted_at is not None

    # A checkout redeems it in the shop; the shop's signed `discount.redeemed` webhook
    # reaches the gateway, which counts it.
    used = requests.post(
        f"{shop_api.url}/api/discounts/{code}/redeem",
        json={"order_id": order["id"]},
        headers={"X-API-Key": shop_api.api_key},
        timeout=10,
    )
    assert used.status_code == 200 and used.json()["redeemed_at"], used.text
    wait_for(lambda: offer_counts(agent)[2] == before[2] + 1, "the redemption to be counted")
    assert offer_counts(agent) == (before[0] + 1, before[1] + 1, before[2] + 1)

    # The agent reads it in the transcript.
    [conversation] = re.findall(
        r'href="/conversations/(\d+)"',
        agent.http.get(f"{agent.url}/conversations", params={"q": customer.id}, timeout=10).text,
    )
    transcript = agent.get(f"/api/conversations/{conversation}")["messages"]
    lines = [m["text"] for m in transcript if m["direction"] == "system"]
    assert f"Offer made: discount code {code} (complaint after order {order['id']})" in lines
    assert f"Customer accepted offer {code}" in lines

    # A second complaint inside the period, from another conversation: a ticket, no offer.
    again = complain(Customer(inbox_url), order, "no photo")
    assert not CODE.search(texts(again)), texts(again)
    assert [c["code"] for c in codes_of(shop_api, email)] == [code]
    assert len(offers_rows(stack, email)) == 1


def test_an_angry_customer_gets_no_offer(inbox_url: str, shop_api: ShopApi) -> None:
    order = fresh_order(shop_api, ("delivered",))
    replies = complain(
        Customer(inbox_url),
        order,
        "https://photos.example.com/smashed.jpg THIS IS ABSOLUTELY UNACCEPTABLE!!!",
    )
    assert not CODE.search(texts(replies)), texts(replies)
    assert codes_of(shop_api, order["customer"]["email"]) == []


def test_a_late_order_gets_the_late_delivery_code(
    stack: Stack, inbox_url: str, shop_api: ShopApi
) -> None:
    order = shop_api.take("shipped")  # taken: it is changed below
    while codes_of(shop_api, order["customer"]["email"]):
        order = shop_api.take("shipped")
    # Placed ten days ago and still on its way: past the policy's 7 days.
    database = make_url(stack.env["SHOP_DATABASE_URL"]).database
    with sqlite3.connect(str(database)) as shop_db:
        shop_db.execute(
            "UPDATE orders SET created_at = ? WHERE id = ?",
            ((datetime.utcnow() - timedelta(days=10)).isoformat(" "), order["id"]),
        )
    customer = Customer(inbox_url)
    replies = customer.send(f"Where is my order {order['id']}?")
    replies += customer.send(order["customer"]["email"])
    found = CODE.search(texts(replies))
    assert found, texts(replies)
    [made] = codes_of(shop_api, order["customer"]["email"])
    assert (made["code"], made["percent"], made["reason"]) == (found.group(0), 15, "late_delivery")


def loyal_policy(tmp_path: Path, *, free_label: bool) -> Path:
    """The shop's policy with return labels that cost something (or not), and loyalty
    from one earlier order."""
    text = (Path(__file__).parents[2] / "bot" / "shop_policy.yml").read_text(encoding="utf-8")
    text = text.replace("free_label: true", f"free_label: {str(free_label).lower()}")
    text = text.replace("min_orders: 3", "min_orders: 1")
    path = tmp_path / f"policy-{free_label}.yml"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_loyal_customers_return_gets_free_return_shipping_while_labels_cost(
    stack: Stack, shop_api: ShopApi, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The action's function against the stack's real shop (the stack's own policy has
    free labels, so no conversation there can reach this rule)."""
    loyal = fresh_order(shop_api, ("refunded", "cancelled", "delivered"), loyal=True)
    backend = ReferenceShop(
        stack.settings.shop_url, stack.settings.shop_api_key, timeout_seconds=5, read_retries=1
    )
    monkeypatch.setattr(shops, "_backend", backend)

    async def offer(policy: Path) -> tuple[list[Any], list[dict[str, Any]]]:
        monkeypatch.setenv("SHOP_POLICY_FILE", str(policy))
        load_policy.cache_clear()  # read once per process, as the action server does
        order = await backend.get_order(loyal["id"])
        tracker = Tracker(
            "loyal-test", {"language": "en"}, {"text": "too small"}, [], False, None, None, None
        )
        dispatcher = CollectingDispatcher()
        request = Request(order, tracker, dispatcher, "en")
        return await offer_if_loyal(request), dispatcher.messages

    async def both() -> tuple[list[Any], list[dict[str, Any]]]:
        try:
            # Free labels for everyone: a free return label would give nothing.
            assert await offer(loyal_policy(tmp_path, free_label=True)) == ([], [])
            return await offer(loyal_policy(tmp_path, free_label=False))
        finally:
            await backend.close()

    try:
        events, said = asyncio.run(both())
    finally:
        load_policy.cache_clear()
    [made] = codes_of(shop_api, loyal["customer"]["email"])
    assert (made["kind"], made["reason"]) == ("free_return_shipping", "loyal_return")
    assert [e["value"]["code"] for e in events] == [made["code"]]
    assert said[0]["response"] == "utter_offer_free_return_shipping"
    assert said[1]["custom"]["offer"]["kind"] == "free_return_shipping"
