"""Several Rasa replicas share every conversation through PostgreSQL and Redis."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import requests

from bot.launcher import Stack
from tests.support.chat import Chat
from tests.support.shop import ShopApi

# The first test here waits for the production stack: four Rasa processes loading.
pytestmark = pytest.mark.timeout(600)


def events(production: Stack, url: str, sender: str) -> list[dict[str, Any]]:
    response = requests.get(
        f"{url}/conversations/{sender}/tracker",
        params={"token": production.settings.rasa_token, "include_events": "ALL"},
        timeout=30,
    )
    assert response.status_code == 200, response.text
    return list(response.json()["events"])


def user_texts(events_: list[dict[str, Any]]) -> list[str]:
    return [event["text"] for event in events_ if event["event"] == "user"]


def test_a_conversation_alternating_replicas_keeps_slots_and_history(
    production: Stack, replica_urls: list[str], production_shop: ShopApi
) -> None:
    order = production_shop.order(10001)
    first = Chat(replica_urls[0])
    second = Chat(replica_urls[1], sender=first.sender)
    assert "email" in first.say("where is my order 10001?").lower()
    # The other replica knows the form is waiting for the email.
    assert order["shipment"]["tracking_number"] in second.say(order["customer"]["email"])
    # And back: the proven email is remembered on the first replica.
    assert "10001" in first.say("and where is 10001 now?")
    history = events(production, replica_urls[1], first.sender)
    assert user_texts(history) == [
        "where is my order 10001?",
        order["customer"]["email"],
        "and where is 10001 now?",
    ]


def test_concurrent_messages_of_one_conversation_run_one_at_a_time(
    production: Stack, replica_urls: list[str], balancer_url: str
) -> None:
    sender = Chat(balancer_url).sender
    targets = [replica_urls[0], replica_urls[1], balancer_url]
    messages = [f"how much is shipping to Poland? ({number})" for number in range(9)]

    def send(number: int) -> int:
        chat = Chat(targets[number % len(targets)], sender=sender)
        return len(chat.send(messages[number]))

    with ThreadPoolExecutor(max_workers=len(messages)) as pool:
        replies = list(pool.map(send, range(len(messages))))
    assert all(count > 0 for count in replies)

    history = events(production, balancer_url, sender)
    assert sorted(user_texts(history)) == sorted(messages)  # none lost, none doubled
    # Turns never interleave: each message's turn ends (action_listen) before the next starts.
    listening = True
    for event in history:
        if event["event"] == "user":
            assert listening, "a message was processed while another turn was running"
            listening = False
        elif event["event"] == "action" and event["name"] == "action_listen":
            listening = True
