"""Quiet hours and the follow-up after a refund (issue 20), on a clock the test sets.

The gateway runs in this process (its app factory, on a real port) so the test
can move its clock; it talks to the session's real Rasa and action server.
Blocking HTTP clients run in threads: the server shares this event loop.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
import sqlalchemy as sa
from aiohttp import web
from aiohttp.test_utils import TestServer

from bot.conversations.tables import conversations
from bot.customers.tables import notifications
from bot.gateway.app import create_app
from bot.gateway.proactive import PROACTIVE, send_due
from bot.launcher import PROJECT_ROOT, Stack
from bot.policy import load_policy
from bot.settings import Settings
from tests.support.customers import post_event, remember, rows, shop_event
from tests.support.gateway import Agent, Customer, create_agent

EPOCH = datetime(1970, 1, 1)
# 21:30 UTC is 22:30 or 23:30 in Warsaw (winter, summer): inside the default 21:00-08:00;
# 07:00 UTC is outside. Three days ago, so the dashboard's last week shows it.
EVENING = datetime.combine(date.today() - timedelta(days=3), time(21, 30))
MORNING = datetime.combine(EVENING.date() + timedelta(days=1), time(7, 5))


@dataclass
class Clock:
    now: datetime

    def __call__(self) -> datetime:
        return self.now


@dataclass
class Gateway:
    app: web.Application
    url: str
    clock: Clock
    env: dict[str, str]

    @property
    def db(self) -> str:
        return self.env["INBOX_DATABASE_URL"]


@pytest_asyncio.fixture
async def gateway(
    stack: Stack, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[Gateway]:
    # The shipped policy, quiet hours and the day's wait included (the stack's has none).
    policy = tmp_path / "shop_policy.yml"
    policy.write_text((PROJECT_ROOT / "bot" / "shop_policy.yml").read_text(encoding="utf-8"))
    monkeypatch.setenv("SHOP_POLICY_FILE", str(policy))
    load_policy.cache_clear()
    env = {
        **stack.env,
        "SHOP_POLICY_FILE": str(policy),
        "INBOX_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'inbox.db'}",
        "NOTIFICATIONS_POLL_SECONDS": "3600",  # the test says when
    }
    app = create_app(Settings.from_env(env), env)
    clock = Clock(EVENING)
    app[PROACTIVE].clock = clock
    server = TestServer(app)
    await server.start_server()
    try:
        yield Gateway(app, str(server.make_url("")).rstrip("/"), clock, env)
    finally:
        await server.close()
        load_policy.cache_clear()


def _bot_texts(messages: list[dict[str, Any]]) -> str:
    return "\n".join(m.get("text") or "" for m in messages)


async def test_quiet_hours_hold_updates_and_a_day_later_a_no_opens_a_handoff(
    gateway: Gateway, stack: Stack
) -> None:
    customer = await asyncio.to_thread(Customer, gateway.url)
    await asyncio.to_thread(customer.say, "Dzień dobry")  # the conversation is in Polish
    email = "tomasz.wojcik@example.com"
    remember(gateway.db, sender_id=customer.id, channel="web", email=email, updates=True)

    event = shop_event(
        "refund.paid", order_id="10009", email=email, return_id="R-000002", amount="120.00",
        currency="PLN",
    )  # fmt: skip
    signed_at = int((gateway.clock.now - EPOCH).total_seconds())
    secret = stack.env["SHOP_WEBHOOK_SECRET"]
    answered = await asyncio.to_thread(post_event, gateway.url, secret, event, timestamp=signed_at)
    assert answered.status_code == 200, answered.text
    await asyncio.sleep(1)  # the sender woke up: quiet hours, nothing goes out
    assert await send_due(gateway.app) == 0
    queued = sa.select(notifications).order_by(notifications.c.id)
    held = rows(gateway.db, queued)
    assert [(n["kind"], n["sent_at"]) for n in held] == [("order_update", None), ("followup", None)]
    assert held[1]["due_at"] == EVENING + timedelta(hours=24)
    assert await asyncio.to_thread(customer.wait_for_news, 1) == []

    # 08:05 in Warsaw: the update goes out, the follow-up waits for its day.
    gateway.clock.now = MORNING
    sent = await asyncio.gather(send_due(gateway.app), send_due(gateway.app))
    assert sorted(sent) == [0, 1]  # two senders at once: one message
    told = _bot_texts(await asyncio.to_thread(customer.wait_for_news, 5))
    assert "Zwrot" in told and "10009" in told and "zł" in told, told
    assert [n["sent_at"] is not None for n in rows(gateway.db, queued)] == [True, False]

    # A day after the refund: "is everything all right now?", with buttons.
    gateway.clock.now = EVENING + timedelta(hours=24, minutes=1)
    assert await send_due(gateway.app) == 0  # 22:31 in Warsaw: quiet again
    gateway.clock.now = MORNING + timedelta(days=1)
    assert await send_due(gateway.app) == 1
    asked = await asyncio.to_thread(customer.wait_for_news, 5)
    assert "Czy wszystko jest teraz w porządku?" in _bot_texts(asked)
    buttons = [button for message in asked for button in message.get("buttons") or []]
    assert [button["title"] for button in buttons] == ["Tak, wszystko w porządku", "Nie do końca"]

    answer = await asyncio.to_thread(customer.send, buttons[1]["payload"])
    assert "Przykro mi" in _bot_texts(answer)
    followup = rows(gateway.db, queued)[1]
    assert followup["answer"] == "bad" and followup["answered_at"] is not None
    handed = rows(
        gateway.db,
        sa.select(conversations.c.state, conversations.c.handoff_reason).where(
            conversations.c.sender_id == customer.id
        ),
    )
    assert handed == [{"state": "waiting", "handoff_reason": "followup_unhappy"}]

    # The dashboard counts it.
    await asyncio.to_thread(create_agent, gateway.env, "fu-agent", "follow-up password 1", "Fu")
    agent = await asyncio.to_thread(Agent, gateway.url, "fu-agent", "follow-up password 1")
    page = await asyncio.to_thread(agent.http.get, f"{gateway.url}/dashboard?days=7", timeout=10)
    assert page.status_code == 200
    assert '<span data-followup="bad">1</span>' in page.text
    assert '<span data-followup="good">0</span>' in page.text


async def test_a_yes_is_recorded_once_and_only_in_the_chat_that_was_asked(
    gateway: Gateway, stack: Stack
) -> None:
    gateway.clock.now = MORNING + timedelta(hours=5)
    customer = await asyncio.to_thread(Customer, gateway.url)
    other = await asyncio.to_thread(Customer, gateway.url)
    email = "iryna.bondarenko@example.com"
    remember(gateway.db, sender_id=customer.id, channel="web", email=email, updates=True)
    event = shop_event("refund.paid", order_id="10008", email=email, amount="25.00", currency="UAH")
    signed_at = int((gateway.clock.now - EPOCH).total_seconds())
    secret = stack.env["SHOP_WEBHOOK_SECRET"]
    assert (await asyncio.to_thread(post_event, gateway.url, secret, event, timestamp=signed_at)).ok
    gateway.clock.now += timedelta(hours=25)
    await send_due(gateway.app)
    followup = rows(gateway.db, sa.select(notifications).where(notifications.c.kind == "followup"))[
        0
    ]
    yes, no = "/followup_good", "/followup_bad"

    await asyncio.to_thread(other.send, no)  # a chat that was not asked: nothing recorded
    assert rows(
        gateway.db, sa.select(notifications.c.answer).where(notifications.c.id == followup["id"])
    ) == [{"answer": None}]
    assert "glad" in _bot_texts(await asyncio.to_thread(customer.send, yes))
    await asyncio.to_thread(customer.send, no)  # a second answer changes nothing
    assert rows(
        gateway.db, sa.select(notifications.c.answer).where(notifications.c.id == followup["id"])
    ) == [{"answer": "good"}]
    assert json.dumps(followup["payload"])  # stored as JSON


async def test_what_quiet_hours_held_goes_out_after_a_restart(
    gateway: Gateway, stack: Stack
) -> None:
    customer = await asyncio.to_thread(Customer, gateway.url)
    email = "jana.novakova@example.com"
    remember(gateway.db, sender_id=customer.id, channel="web", email=email, updates=True)
    event = shop_event("order.delivered", order_id="10005", email=email)
    signed_at = int((EVENING - EPOCH).total_seconds())
    secret = stack.env["SHOP_WEBHOOK_SECRET"]
    assert (await asyncio.to_thread(post_event, gateway.url, secret, event, timestamp=signed_at)).ok
    await gateway.app.shutdown()
    await gateway.app.cleanup()  # the gateway stops with the update still held

    restarted = create_app(Settings.from_env(gateway.env), gateway.env)
    restarted[PROACTIVE].clock = Clock(MORNING)
    server = TestServer(restarted)
    await server.start_server()  # its sender runs at start: the held update goes out
    customer.base = str(server.make_url("/chat/conversations"))  # the restarted gateway
    try:
        told = ""
        for _ in range(30):
            told = _bot_texts(await asyncio.to_thread(customer.wait_for_news, 1))
            if told:
                break
        assert "#10005 has been delivered" in told, told
        held = rows(gateway.db, sa.select(notifications.c.sent_at))
        assert [row["sent_at"] for row in held] == [MORNING]
    finally:
        await server.close()


async def test_a_typed_yes_answers_the_follow_up_too(gateway: Gateway, stack: Stack) -> None:
    gateway.clock.now = MORNING + timedelta(hours=5)
    customer = await asyncio.to_thread(Customer, gateway.url)
    email = "emily.carter@example.com"
    remember(gateway.db, sender_id=customer.id, channel="web", email=email, updates=True)
    event = shop_event("refund.paid", order_id="10003", email=email, amount="9.00", currency="CZK")
    signed_at = int((gateway.clock.now - EPOCH).total_seconds())
    secret = stack.env["SHOP_WEBHOOK_SECRET"]
    assert (await asyncio.to_thread(post_event, gateway.url, secret, event, timestamp=signed_at)).ok
    gateway.clock.now += timedelta(hours=25)
    await send_due(gateway.app)
    told = ""
    for _ in range(5):  # the refund's update, then the follow-up
        told += _bot_texts(await asyncio.to_thread(customer.wait_for_news, 2))
    assert "Is everything all right now?" in told, told
    assert "glad" in _bot_texts(await asyncio.to_thread(customer.send, "yes"))
    answered = rows(
        gateway.db, sa.select(notifications.c.answer).where(notifications.c.kind == "followup")
    )
    assert answered == [{"answer": "good"}]
