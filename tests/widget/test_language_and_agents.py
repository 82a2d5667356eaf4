"""What a shopper notices in the widget (issue 21): the widget's own strings speak
the conversation's language, an agent is announced when they join, "we are away"
is said only when nobody is there, the input does not make phones zoom, and the
demo page has an icon.

Headless Chromium on the gateway's demo page; real Rasa, action server, shop and
inbox. Screenshots go to test-artifacts/widget/.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from playwright.sync_api import Browser, Page, expect

from bot.launcher import Stack
from tests.support.gateway import Agent, create_agent
from tests.support.stack import running_stack, stack_env
from tests.widget.conftest import SHOTS
from tests.widget.test_browser import REPLY_MS, say, stored


@pytest.fixture(scope="module")
def olena(stack: Stack) -> tuple[str, str]:
    create_agent(dict(stack.env), "olena-widget", "olena widget password 1", "Olena")
    return "olena-widget", "olena widget password 1"


def open_widget(browser: Browser, url: str, **context: object) -> Page:
    page = browser.new_context(viewport={"width": 1280, "height": 860}, **context).new_page()
    page.goto(f"{url}/demo")
    page.get_by_role("button", name="Chat with us").click()
    expect(page.locator(".composer textarea")).to_be_focused()
    return page


def sign_in(browser: Browser, url: str, login: tuple[str, str]) -> Page:
    """An agent with the inbox open (its live socket connected): "online"."""
    page = browser.new_context(viewport={"width": 1280, "height": 860}).new_page()
    page.goto(f"{url}/login")
    page.fill("input[name=username]", login[0])
    page.fill("input[name=password]", login[1])
    page.click("button[type=submit]")
    page.wait_for_url(f"{url}/")
    expect(page.locator("[data-live-status]")).to_have_attribute("data-state", "live")
    return page


# ---------------------------------------------------------------- 1. the widget's language


def test_a_ukrainian_shopper_on_an_english_page_gets_ukrainian_strings(
    browser: Browser, inbox_url: str
) -> None:
    page = open_widget(browser, inbox_url)
    textarea = page.locator(".composer textarea")
    expect(textarea).to_have_attribute("placeholder", "Type your message…")
    expect(page.locator(".title")).to_have_text("Shop assistant")

    say(page, "Де моє замовлення?")
    expect(page.locator(".log")).to_contain_text("номер замовлення", timeout=REPLY_MS)
    expect(textarea).to_have_attribute("placeholder", "Напишіть повідомлення…")
    expect(page.locator(".title")).to_have_text("Помічник магазину")
    expect(page.locator(".greeting")).to_contain_text("Я Крамар")
    expect(page.get_by_label("Мова", exact=True)).to_have_value("uk")
    expect(page.locator(".kramar")).to_have_attribute("lang", "uk")
    page.screenshot(path=str(SHOTS / "21-1-uk-shopper-on-english-page.png"))

    # A reload keeps the conversation's language from the start.
    page.reload()
    expect(page.locator(".panel")).to_be_visible()
    expect(textarea).to_have_attribute("placeholder", "Напишіть повідомлення…")
    page.context.close()


def test_a_language_the_shopper_picked_is_kept(browser: Browser, inbox_url: str) -> None:
    page = open_widget(browser, inbox_url)
    page.get_by_label("Language", exact=True).select_option("pl")
    expect(page.locator(".composer textarea")).to_have_attribute("placeholder", "Napisz wiadomość…")
    say(page, "Де моє замовлення?")
    expect(page.locator(".msg.from-bot").nth(1)).to_be_visible(timeout=REPLY_MS)
    expect(page.locator(".composer textarea")).to_have_attribute("placeholder", "Napisz wiadomość…")
    expect(page.get_by_label("Język", exact=True)).to_have_value("pl")
    page.context.close()


# ---------------------------------------------------------------- 2. agents


def test_an_agent_who_claims_is_announced_in_the_shoppers_language(
    browser: Browser, inbox_url: str, olena: tuple[str, str]
) -> None:
    inbox = sign_in(browser, inbox_url, olena)
    page = open_widget(browser, inbox_url)
    say(page, "Хочу поговорити з людиною")
    log = page.locator(".log")
    expect(log).to_contain_text("Передаю розмову людині", timeout=REPLY_MS)
    # In hours (the test stack is always open) and an agent is online: the wait, not "away".
    expect(log).to_contain_text("Вам відповідять приблизно за", timeout=REPLY_MS)
    expect(log).not_to_contain_text("не працює")

    agent = Agent(inbox_url, *olena)
    sender = stored(page, inbox_url)["conversation_id"]
    conversation = next(
        c for c in agent.get("/api/queue")["conversations"] if c["sender_id"] == sender
    )
    path = f"/api/conversations/{conversation['id']}"
    assert agent.post(f"{path}/claim").status_code == 200
    joined = page.locator(".notice.announcement")
    expect(joined).to_have_text("До розмови долучається Olena з нашої команди.", timeout=10_000)
    page.screenshot(path=str(SHOTS / "21-2-agent-joined.png"))

    # Claiming again (a double click) does not repeat it; the reply comes after it.
    assert agent.post(f"{path}/claim").status_code == 200
    assert agent.post(f"{path}/reply", {"text": "Вітаю, це Олена."}).status_code == 200
    expect(page.locator(".msg.from-agent")).to_contain_text("це Олена", timeout=10_000)
    expect(joined).to_have_count(1)
    items = page.locator(".log > li")
    texts = items.all_inner_texts()
    assert [i for i, t in enumerate(texts) if "долучається" in t] < [
        i for i, t in enumerate(texts) if "це Олена" in t
    ]
    transcript = agent.get(path)["messages"]
    assert sum("долучається Olena" in m["text"] for m in transcript) == 1
    page.context.close()
    inbox.context.close()


# ---------------------------------------------------------------- 2. "we are away"


@pytest.fixture(scope="module")
def closed_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """A second whole stack whose support hours are one minute after midnight (Warsaw)."""
    workdir: Path = tmp_path_factory.mktemp("closed-stack")
    env = stack_env(workdir)
    policy = (Path(__file__).parents[2] / "bot" / "shop_policy.yml").read_text(encoding="utf-8")
    closed = re.sub(r"(mon|tue|wed|thu|fri|sat|sun): .*", r'\1: "00:00-00:01"', policy)
    (workdir / "shop_policy.yml").write_text(closed, encoding="utf-8")
    env["SHOP_POLICY_FILE"] = str(workdir / "shop_policy.yml")
    with running_stack(env, workdir) as running:
        create_agent(dict(running.env), "night-agent", "night agent password 1", "Olena")
        yield running


def test_away_is_said_only_outside_hours_with_nobody_signed_in(
    browser: Browser, closed_stack: Stack
) -> None:
    url = f"http://127.0.0.1:{closed_stack.env['INBOX_PORT']}"
    page = open_widget(browser, url)
    say(page, "I want to talk to a person")
    log = page.locator(".log")
    expect(log).to_contain_text("Our team is away right now", timeout=REPLY_MS)
    expect(log).not_to_contain_text("Someone will reply in about")
    page.screenshot(path=str(SHOTS / "21-3-away-nobody-signed-in.png"))
    page.context.close()

    # Outside hours, but an agent has the inbox open: the expected wait instead.
    inbox = sign_in(browser, url, ("night-agent", "night agent password 1"))
    page = open_widget(browser, url)
    say(page, "I want to talk to a person")
    log = page.locator(".log")
    expect(log).to_contain_text("Someone will reply in about", timeout=REPLY_MS)
    expect(log).not_to_contain_text("away right now")
    page.screenshot(path=str(SHOTS / "21-4-agent-online-after-hours.png"))
    page.context.close()
    inbox.context.close()


# ---------------------------------------------------------------- 4. phones, 5. favicon


def test_the_input_does_not_make_phones_zoom(browser: Browser, inbox_url: str) -> None:
    context = browser.new_context(
        viewport={"width": 375, "height": 700}, device_scale_factor=2, is_mobile=True,
        has_touch=True,
    )  # fmt: skip
    page = context.new_page()
    page.goto(f"{inbox_url}/demo")
    page.get_by_role("button", name="Chat with us").click()
    for selector in (".composer textarea", "select.language"):
        size = page.locator(selector).evaluate("e => parseFloat(getComputedStyle(e).fontSize)")
        assert size >= 16, (selector, size)
    page.screenshot(path=str(SHOTS / "21-5-phone-16px-input.png"))
    context.close()


def test_the_demo_page_has_a_favicon(browser: Browser, inbox_url: str) -> None:
    page = browser.new_page()
    failed: list[str] = []
    page.on("response", lambda r: failed.append(r.url) if r.status >= 400 else None)
    page.goto(f"{inbox_url}/demo")
    icon = page.locator("link[rel=icon]").get_attribute("href")
    assert icon
    answer = requests.get(f"{inbox_url}{icon}", timeout=10)
    assert answer.status_code == 200 and answer.headers["Content-Type"] == "image/svg+xml"
    ico = requests.get(f"{inbox_url}/favicon.ico", timeout=10)
    assert ico.status_code == 200 and ico.content.startswith(b"<svg")
    assert failed == []
    page.close()
