"""Faults in production mode, against the real processes, PostgreSQL and Redis.

These tests kill and restart services, so they run after all the others.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
import requests

from bot.launcher import Stack
from tests.production.test_replicas import events, user_texts
from tests.support import infra
from tests.support.chat import Chat
from tests.support.shop import ShopApi

# Restarting a replica loads the model again: minutes on a loaded 2-core machine.
pytestmark = [pytest.mark.restarts_services, pytest.mark.timeout(600)]


def signal_service(stack: Stack, name: str, signum: int) -> None:
    """Sends a signal to a service and its worker processes."""
    os.killpg(stack.processes[name].pid, signum)


@contextmanager
def hung(stack: Stack, name: str) -> Iterator[None]:
    """The service accepts connections but answers nothing (SIGSTOP)."""
    signal_service(stack, name, signal.SIGSTOP)
    try:
        yield
    finally:
        signal_service(stack, name, signal.SIGCONT)


def start_order_check(chat: Chat, shop: ShopApi, order_id: int) -> tuple[str, str]:
    """Asks for an order; the bot now waits for the email. Returns (email, tracking)."""
    order = shop.order(order_id)
    assert "email" in chat.say(f"where is my order {order_id}?").lower()
    return order["customer"]["email"], order["shipment"]["tracking_number"]


def test_a_killed_replica_leaves_the_others_serving_and_resumes_after_restart(
    production: Stack, balancer_url: str, replica_urls: list[str], production_shop: ShopApi
) -> None:
    waiting = Chat(balancer_url)  # mid-form when the replica dies
    email, tracking = start_order_check(waiting, production_shop, 10001)
    customers = [Chat(balancer_url) for _ in range(6)]
    sent: dict[str, list[tuple[float, int, int]]] = {c.sender: [] for c in customers}
    stop = threading.Event()

    def talk(chat: Chat) -> None:
        questions = ["hi", "how much is shipping to Poland?", "which payment methods?"]
        turn = 0
        while not stop.is_set():
            started = time.monotonic()
            try:
                answer = requests.post(
                    chat.url,
                    json={"sender": chat.sender, "message": questions[turn % 3]},
                    timeout=60,
                )
                result = (started, answer.status_code, len(answer.json()))
            except (requests.RequestException, ValueError):
                result = (started, 0, 0)
            sent[chat.sender].append(result)
            turn += 1

    threads = [threading.Thread(target=talk, args=(c,)) for c in customers]
    for thread in threads:
        thread.start()
    time.sleep(4)
    killed_at = time.monotonic()
    signal_service(production, "Rasa replica 2", signal.SIGKILL)
    # Let every customer take a few more turns (bounded: a stuck one fails below).
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and any(
        sum(t[0] > killed_at + 1 for t in turns) < 3 for turns in sent.values()
    ):
        time.sleep(0.5)
    stop.set()
    for thread in threads:
        thread.join()
    try:
        for chat in customers:
            turns = sent[chat.sender]
            before = [t for t in turns if t[0] < killed_at]
            after = [t for t in turns if t[0] > killed_at + 1]
            assert before and after, "the load did not span the kill"
            # Only a turn in flight on the dying replica may fail.
            assert sum(status != 200 for _, status, _ in turns) <= 1, turns
            assert all(status == 200 and replies for _, status, replies in after), turns
            # The conversation goes on, and what was answered is in its history.
            assert chat.send("thanks")
            answered = sum(status == 200 for _, status, _ in turns) + 1
            assert len(user_texts(events(production, balancer_url, chat.sender))) >= answered
    finally:
        production.stop_service("Rasa replica 2")
        production.start_service("Rasa replica 2")
    # A freshly started Rasa process picks the waiting conversation up where it was.
    restarted = Chat(replica_urls[1], sender=waiting.sender)
    assert tracking in restarted.say(email)


def test_action_server_down_or_hung_is_never_silent(
    production: Stack, balancer_url: str, production_shop: ShopApi
) -> None:
    chat = Chat(balancer_url)
    email, tracking = start_order_check(chat, production_shop, 10001)
    with hung(production, "action server"):
        started = time.monotonic()
        answer = chat.say(email)
        waited = time.monotonic() - started
    assert "something went wrong" in answer and "[" in answer  # apology + person button
    assert waited < 20  # the 5 s action timeout, not Rasa's 5 minutes
    production.stop_service("action server")
    try:
        assert "something went wrong" in chat.say("where is my order 10001?")
    finally:
        production.start_service("action server")
    # Back: the conversation continues.
    chat.say("where is my order 10001?")
    assert tracking in chat.say(email)


def test_postgres_restart_is_survived_without_restarting_services(
    production: Stack, balancer_url: str, production_shop: ShopApi
) -> None:
    chat = Chat(balancer_url)
    email, tracking = start_order_check(chat, production_shop, 10001)
    infra.restart_postgres()
    # Rasa's tracker store, the action server's shop calls and the shop's own
    # database connections all come back by themselves.
    assert tracking in chat.say(email)
    assert production_shop.order(10001)["id"] == 10001


def test_postgres_down_is_told_not_silently_forgotten(
    production: Stack, balancer_url: str, production_shop: ShopApi
) -> None:
    chat = Chat(balancer_url)
    email, tracking = start_order_check(chat, production_shop, 10001)
    with infra.postgres_stopped():
        answer = chat.say(email)
    # Not a fresh conversation that asks for the order number again: an apology.
    assert "something went wrong" in answer
    assert "order number" not in answer.lower()
    # The history was kept: the form still waits for the email.
    assert tracking in chat.say(email)


def test_redis_restart_is_survived(
    production: Stack, balancer_url: str, production_shop: ShopApi
) -> None:
    chat = Chat(balancer_url)
    email, tracking = start_order_check(chat, production_shop, 10001)
    infra.restart_redis()
    assert tracking in chat.say(email)
