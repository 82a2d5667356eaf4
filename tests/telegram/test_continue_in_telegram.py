""" "Continue in Telegram" end to end: the widget in Chromium asks for the link, the customer
opens it in Telegram (the Bot API stand-in) and the bot carries on with the same order;
the inbox shows one customer on both channels. Real Rasa, action server, shop and gateway.
"""

from __future__ import annotations

import re
import sqlite3
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import requests
from playwright.sync_api import Browser, Page, expect

from bot.conversations.clock import utc_now
from bot.gateway.telegram_texts import text
from bot.launcher import Stack
from tests.support.gateway import Agent, Customer, create_agent
from tests.support.shop import ShopApi
from tests.telegram.bot_api_standin import BotApiStandin
from tests.telegram.conftest import TelegramGateway
from tests.telegram.helpers import TelegramUser, buttons, joined
from tests.widget.conftest import SHOTS, browser  # noqa: F401 (the fixture)

REPLY_MS = 60_000  # Rasa on a busy two-core machine
LINK = re.compile(r"^https://t\.me/(?P<bot>[A-Za-z0-9_]+)\?start=(?P<code>web_[A-Za-z0-9_-]{22})$")
CONTINUED = "continuing your conversation from the website"


def say(page: Page, message: str) -> None:
    box = page.locator(".composer textarea")
    box.fill(message)
    box.press("Enter")


def database(gateway: TelegramGateway) -> Path:
    return Path(gateway.env["INBOX_DATABASE_URL"].removeprefix("sqlite+aiosqlite:///"))


def query(gateway: TelegramGateway, sql: str, *params: Any) -> list[tuple[Any, ...]]:
    with sqlite3.connect(database(gateway)) as db:
        return db.execute(sql, params).fetchall()


def conversation_id(gateway: TelegramGateway, sender: str) -> int:
    return int(query(gateway, "SELECT id FROM conversations WHERE sender_id = ?", sender)[0][0])


def ask_link(gateway_url: str, customer: Customer) -> requests.Response:
    return requests.post(
        f"{gateway_url}/chat/conversations/{customer.id}/telegram-link",
        headers=customer.headers,
        timeout=10,
    )


def slots_of(stack: Stack, sender: str) -> dict[str, Any]:
    tracker = requests.get(
        f"http://127.0.0.1:{stack.settings.rasa_port}/conversations/{sender}/tracker",
        params={"token": stack.settings.rasa_token, "include_events": "NONE"},
        timeout=10,
    ).json()
    return dict(tracker["slots"])


def test_a_widget_customer_carries_on_with_the_same_order_in_telegram(
    browser: Browser,  # noqa: F811 (the fixture)
    polling_gateway: TelegramGateway,
    standin: BotApiStandin,
    shop_api: ShopApi,
    stack: Stack,
) -> None:
    order = shop_api.order(10001)
    tracking = order["shipment"]["tracking_number"]
    page = browser.new_page(viewport={"width": 1280, "height": 860})
    page.goto(f"{polling_gateway.url}/demo")
    page.get_by_role("button", name="Chat with us").click()
    log = page.locator(".log")
    say(page, "Where is my order 10001?")
    expect(log).to_contain_text("email", timeout=REPLY_MS)
    say(page, order["customer"]["email"])
    expect(log).to_contain_text(tracking, timeout=REPLY_MS)

    page.get_by_role("button", name="Continue in Telegram").click()
    link = page.locator(".telegram-link")
    expect(link).to_have_text("Open Telegram")
    href = link.get_attribute("href") or ""
    match = LINK.match(href)
    assert match, href
    assert link.get_attribute("target") == "_blank"
    page.screenshot(path=str(SHOTS / "continue-in-telegram.png"))
    web_sender = page.evaluate(
        "key => JSON.parse(localStorage.getItem(key)).conversation_id",
        f"kramar-widget:{polling_gateway.url}",
    )

    # The app is Ukrainian, the conversation English: the conversation's language wins.
    user = TelegramUser(standin, polling_gateway.token, language_code="uk")
    greeting = joined(user.say(f"/start {match['code']}", "anything else"))
    assert CONTINUED in greeting and "order 10001" in greeting and "anything else" in greeting
    answer = user.say("where is my order?", tracking)
    # Known from the website, not asked again.
    assert "the email address you used" not in joined(answer), joined(answer)
    assert slots_of(stack, f"tg-{user.chat_id}")["email"] == order["customer"]["email"]
    user.say("thanks <script>alert(1)</script>")

    # Used once: the same link again, or in another chat, changes nothing.
    stranger = TelegramUser(standin, polling_gateway.token, language_code="pl")
    refused = joined(stranger.say(f"/start {match['code']}"))
    assert refused == text("link_expired", "pl")
    assert slots_of(stack, f"tg-{stranger.chat_id}")["email"] is None
    again = joined(user.say(f"/start {match['code']}", text("link_expired", "en")[:30]))
    assert again == text("link_expired", "en")

    # The inbox: one customer, both channels, the whole history in time order.
    create_agent(dict(polling_gateway.env), "ivana-links", "links agent password 1", "Ivana")
    agent = Agent(polling_gateway.url, "ivana-links", "links agent password 1")
    web_id = conversation_id(polling_gateway, web_sender)
    telegram_id = conversation_id(polling_gateway, f"tg-{user.chat_id}")
    # The refused chat got no transcript, let alone a link.
    assert not query(
        polling_gateway,
        "SELECT id FROM conversations WHERE sender_id = ?",
        f"tg-{stranger.chat_id}",
    )
    page_html = agent.http.get(f"{polling_gateway.url}/conversations/{web_id}", timeout=10).text
    assert "Other channels" in page_html
    assert f'href="/conversations/{telegram_id}"' in page_html
    assert "continued this conversation in Telegram" in page_html
    history = agent.http.get(
        f"{polling_gateway.url}/conversations/{telegram_id}/history", timeout=10
    )
    assert history.status_code == 200
    said = r'class="msg msg-(?:customer|bot|agent)"[^>]*data-channel="(\w+)"'
    channels = re.findall(said, history.text)
    assert channels[0] == "web" and channels[-1] == "telegram"
    assert channels == sorted(channels, key=lambda c: c != "web")  # website first, then Telegram
    body = history.text
    assert body.index("Where is my order 10001?") < body.index("where is my order?")
    assert "thanks &lt;script&gt;alert(1)&lt;/script&gt;" in body
    assert "<script>alert(1)" not in body

    # The review page filters on the move between channels.
    moved = agent.http.get(f"{polling_gateway.url}/conversations?event=continued", timeout=10).text
    assert f'href="/conversations/{web_id}"' in moved
    assert f'href="/conversations/{telegram_id}"' in moved

    # The same page in the browser, for a look.
    page.goto(f"{polling_gateway.url}/login")
    page.fill("input[name=username]", "ivana-links")
    page.fill("input[name=password]", "links agent password 1")
    page.locator("form button[type=submit]").click()
    page.goto(f"{polling_gateway.url}/conversations/{telegram_id}/history")
    expect(page.locator("[data-channel=telegram]").first).to_be_visible()
    page.screenshot(path=str(SHOTS / "whole-history.png"), full_page=True)
    page.goto(f"{polling_gateway.url}/conversations/{web_id}")
    expect(page.locator("[data-linked]")).to_contain_text("telegram")
    page.screenshot(path=str(SHOTS / "other-channels.png"))
    page.close()


def test_an_expired_link_is_refused_and_links_are_limited(
    polling_gateway: TelegramGateway, standin: BotApiStandin, stack: Stack
) -> None:
    customer = Customer(polling_gateway.url)
    assert "order number" in customer.say("Where is my order?")
    given = ask_link(polling_gateway.url, customer)
    assert given.status_code == 200, given.text
    code = LINK.match(given.json()["url"])["code"]  # type: ignore[index]
    past = (utc_now() - timedelta(seconds=1)).isoformat(sep=" ")
    with sqlite3.connect(database(polling_gateway)) as db:
        db.execute(
            "UPDATE link_codes SET expires_at = ? WHERE from_sender = ?", (past, customer.id)
        )

    user = TelegramUser(standin, polling_gateway.token, language_code="cs")
    assert joined(user.say(f"/start {code}")) == text("link_expired", "cs")
    assert query(
        polling_gateway, "SELECT to_sender FROM link_codes WHERE from_sender = ?", customer.id
    ) == [(None,)]
    assert slots_of(stack, f"tg-{user.chat_id}")["topic"] is None

    # A chat that has talked to the bot before takes the website's context all the same.
    assert "Kramar" in joined(user.say("Dobrý den"))
    fresh = LINK.match(ask_link(polling_gateway.url, customer).json()["url"])["code"]  # type: ignore[index]
    # The website chat is English and was asking for the order number: so is this one now.
    carried = joined(user.say(f"/start {fresh}", "order number"))
    assert CONTINUED in carried and "order number" in carried
    assert slots_of(stack, f"tg-{user.chat_id}")["topic"] == "order_status"

    statuses = [ask_link(polling_gateway.url, customer).status_code for _ in range(5)]
    assert statuses[:3] == [200] * 3 and statuses[-1] == 429
    stranger = requests.post(
        f"{polling_gateway.url}/chat/conversations/{customer.id}/telegram-link",
        headers={"Authorization": "Bearer " + "0" * 64},
        timeout=10,
    )
    assert stranger.status_code == 401


def test_a_request_under_way_is_picked_up_where_it_stopped(
    polling_gateway: TelegramGateway, standin: BotApiStandin, shop_api: ShopApi
) -> None:
    order = shop_api.take("paid")
    customer = Customer(polling_gateway.url)
    customer.say(f"I want to cancel order {order['id']}")
    question = customer.say(order["customer"]["email"])
    code = LINK.match(ask_link(polling_gateway.url, customer).json()["url"])["code"]  # type: ignore[index]
    # A known customer on the website (as the known-customers part stores one).
    now = utc_now().isoformat(sep=" ")
    with sqlite3.connect(database(polling_gateway)) as db:
        known = db.execute(
            "INSERT INTO customers (email, name, created_at) VALUES (?, ?, ?)",
            (order["customer"]["email"], "Known", now),
        ).lastrowid
        db.execute(
            "INSERT INTO customer_links (sender_id, customer_id, channel, updates, created_at)"
            " VALUES (?, ?, 'web', 0, ?)",
            (customer.id, known, now),
        )

    user = TelegramUser(standin, polling_gateway.token, language_code="en")
    asked = user.say(f"/start {code}", lambda news: any(buttons(m) for m in news))
    linked = "SELECT customer_id, channel, updates FROM customer_links WHERE sender_id = ?"
    # The same customer in Telegram; order updates there only after their own yes.
    assert query(polling_gateway, linked, f"tg-{user.chat_id}") == [(known, "telegram", 0)]
    assert f"order {order['id']}" in joined(asked)
    assert question.strip().splitlines()[-1] in joined(asked)  # the same question again
    yes = next(b["text"] for m in asked for b in buttons(m) if "Yes" in b["text"])
    user.choose(yes, lambda news: shop_api.order(order["id"])["status"] == "cancelled")


def test_straight_to_telegram_before_a_word_on_the_website_speaks_the_apps_language(
    polling_gateway: TelegramGateway, standin: BotApiStandin
) -> None:
    customer = Customer(polling_gateway.url)  # opened the chat, wrote nothing
    code = LINK.match(ask_link(polling_gateway.url, customer).json()["url"])["code"]  # type: ignore[index]
    user = TelegramUser(standin, polling_gateway.token, language_code="pl")
    said = joined(user.say(f"/start {code}", "Czy mogę pomóc"))
    assert "Witaj w Telegramie" in said


def test_without_telegram_the_widget_offers_no_link(
    browser: Browser,  # noqa: F811 (the fixture)
    inbox_url: str,
    polling_gateway: TelegramGateway,
) -> None:
    customer = Customer(inbox_url)
    assert ask_link(inbox_url, customer).status_code == 404
    page = browser.new_page()
    page.goto(f"{inbox_url}/demo")  # the stack's gateway has no Telegram bot
    page.get_by_role("button", name="Chat with us").click()
    say(page, "hello")
    # Confirmed by the server: the socket's "ready" came before.
    expect(page.locator(".log .from-customer:not(.pending)")).to_have_count(1, timeout=REPLY_MS)
    assert page.locator("button.telegram").is_hidden()
    page.goto(f"{polling_gateway.url}/demo")  # this one has
    page.get_by_role("button", name="Chat with us").click()
    expect(page.get_by_role("button", name="Continue in Telegram")).to_be_visible()
    page.get_by_label("Language", exact=True).select_option("cs")
    expect(page.get_by_role("button", name="Pokračovat v Telegramu")).to_be_visible()
    page.close()


@pytest.mark.parametrize("language", ["en", "uk", "pl", "cs"])
def test_every_new_text_exists_in_every_language(language: str) -> None:
    assert text("link_expired", language) != text("link_expired", "en") or language == "en"
    widget = (Path(__file__).parents[2] / "bot/gateway/static/kramar-widget.js").read_text()
    block = widget.split(f"\n    {language}: {{", 1)[1].split("\n    },", 1)[0]
    for key in ("continueTelegram", "telegramLink", "openTelegram", "telegramFailed"):
        assert re.search(rf"\n      {key}: \"[^\"]+\"", block), (language, key)
