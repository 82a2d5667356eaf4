"""The widget end to end in headless Chromium, on the gateway's demo shop page.

Real Rasa, action server, shop and gateway (the session's stack). Screenshots
go to test-artifacts/widget/.
"""

from __future__ import annotations

import json
import re
import struct
import zlib
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from bot.launcher import Stack
from tests.support.gateway import Agent, Customer, create_agent
from tests.support.shop import ShopApi
from tests.widget.conftest import SHOTS

REPLY_MS = 60_000  # Rasa on a busy two-core machine


@pytest.fixture(scope="module")
def agent_login(stack: Stack) -> tuple[str, str]:
    create_agent(dict(stack.env), "oksana-widget", "widget agent password 1", "Oksana")
    return "oksana-widget", "widget agent password 1"


def storage_key(inbox_url: str) -> str:
    return f"kramar-widget:{inbox_url}"


def stored(page: Page, inbox_url: str) -> dict[str, Any]:
    return json.loads(page.evaluate("key => localStorage.getItem(key)", storage_key(inbox_url)))


def say(page: Page, text: str) -> None:
    box = page.locator(".composer textarea")
    box.fill(text)
    box.press("Enter")


def tiny_png(width: int = 48, height: int = 32) -> bytes:
    """A real (decodable) PNG, so the browser shows the uploaded photo."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    rows = b"".join(
        b"\x00" + b"".join(bytes((255, 160 + y * 2, 40 + x * 4)) for x in range(width))
        for y in range(height)
    )
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def test_a_ukrainian_shopper_tracks_an_order_across_a_reload(
    browser: Browser, inbox_url: str, shop_api: ShopApi
) -> None:
    order = shop_api.order(10001)
    page = browser.new_page(viewport={"width": 1280, "height": 860})
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.goto(f"{inbox_url}/demo")
    page.get_by_role("button", name="Chat with us").click()
    expect(page.locator(".composer textarea")).to_be_focused()
    page.get_by_label("Language", exact=True).select_option("uk")
    expect(page.get_by_placeholder("Напишіть повідомлення…")).to_be_visible()
    log = page.locator(".log")

    say(page, "Де моє замовлення?")
    expect(log).to_contain_text("номер замовлення", timeout=REPLY_MS)
    say(page, "10001")
    expect(page.locator(".msg.from-bot").last).to_contain_text("email", timeout=REPLY_MS)
    page.screenshot(path=str(SHOTS / "1-uk-asked-for-email.png"))

    # A reload in the middle: the same conversation comes back, in Ukrainian.
    page.reload()
    expect(page.locator(".panel")).to_be_visible()
    expect(page.locator(".msg.from-customer")).to_have_text(
        [re.compile("Де моє замовлення"), re.compile("10001")]
    )
    expect(page.get_by_label("Мова", exact=True)).to_have_value("uk")
    say(page, order["customer"]["email"])
    tracking = order["shipment"]["tracking_number"]
    expect(page.locator(".msg.from-bot", has_text=tracking)).to_be_visible(timeout=REPLY_MS)
    link = page.locator(".msg.from-bot a", has_text=order["shipment"]["tracking_url"])
    expect(link).to_have_attribute("rel", re.compile("noopener"))
    expect(link).to_have_attribute("target", "_blank")

    # Quick replies: the click shows the title and sends the payload.
    chip = page.get_by_role("button", name="Ні, дякую")
    expect(chip).to_be_visible(timeout=REPLY_MS)
    page.screenshot(path=str(SHOTS / "2-uk-tracking-after-reload.png"))
    chip.click()
    expect(page.locator(".msg.from-customer").last).to_have_text(re.compile("Ні, дякую"))
    expect(log).to_contain_text("Гарного дня", timeout=REPLY_MS)
    expect(page.locator(".chip")).to_have_count(0)

    # Another page of the shop: the conversation follows.
    page.get_by_role("link", name="Headphones", exact=True).click()
    page.wait_for_url(f"{inbox_url}/demo/product")
    expect(page.locator(".log")).to_contain_text(tracking)
    page.screenshot(path=str(SHOTS / "3-uk-on-another-page.png"))
    assert dialogs == []
    page.close()


def test_an_agents_reply_appears_labelled_with_their_name(
    browser: Browser, inbox_url: str, agent_login: tuple[str, str]
) -> None:
    page = browser.new_page(viewport={"width": 1280, "height": 860})
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.goto(f"{inbox_url}/demo")
    page.get_by_role("button", name="Chat with us").click()
    say(page, "<img src=x onerror=alert(1)> I need a human")
    expect(page.locator(".log")).to_contain_text("passing you to a person", timeout=REPLY_MS)
    expect(page.locator(".msg.from-customer")).to_contain_text("<img src=x onerror=alert(1)>")

    agent = Agent(inbox_url, *agent_login)
    sender = stored(page, inbox_url)["conversation_id"]
    conversation = next(
        c for c in agent.get("/api/queue")["conversations"] if c["sender_id"] == sender
    )
    path = f"/api/conversations/{conversation['id']}"
    assert agent.post(f"{path}/claim").status_code == 200
    reply = "Hi, Oksana here. <b>See</b> https://example.com/help?a=1. javascript:alert(1)"
    assert agent.post(f"{path}/reply", {"text": reply}).status_code == 200

    from_agent = page.locator(".msg.from-agent")
    expect(from_agent).to_contain_text("Oksana here", timeout=10_000)
    expect(from_agent.locator(".who")).to_have_text("Oksana")
    expect(from_agent).to_contain_text("<b>See</b>")  # markup shows as text
    expect(from_agent.locator("a")).to_have_count(1)  # only the https link
    expect(from_agent.locator("a")).to_have_attribute("href", "https://example.com/help?a=1")
    expect(page.locator(".typing")).to_be_hidden()

    # The customer's answer reaches the agent, not the bot.
    say(page, "My parcel is late")
    expect(page.locator(".msg.from-customer").last).not_to_have_class(re.compile("pending"))
    transcript = agent.get(path)["messages"]
    assert (
        transcript[-1]["direction"] == "customer" and transcript[-1]["text"] == "My parcel is late"
    )
    page.screenshot(path=str(SHOTS / "4-agent-reply.png"))

    # Handed back: the bot's line is pushed into the open widget too.
    assert agent.post(f"{path}/hand-back").status_code == 200
    expect(page.locator(".msg.from-bot").last).to_contain_text(
        "Kramar here again", timeout=REPLY_MS
    )
    page.screenshot(path=str(SHOTS / "5-handed-back.png"))
    assert dialogs == []
    page.close()


def test_a_copied_conversation_id_without_its_token_shows_and_takes_nothing(
    browser: Browser, inbox_url: str
) -> None:
    victim = Customer(inbox_url)
    victim.send("Hello, this is the victim's private message")
    context = browser.new_context(viewport={"width": 1280, "height": 860})
    forged = {"conversation_id": victim.id, "token": "0" * 64, "open": True}
    context.add_init_script(
        f"localStorage.setItem({json.dumps(storage_key(inbox_url))}, {json.dumps(json.dumps(forged))})"
    )
    page = context.new_page()
    page.goto(f"{inbox_url}/demo")
    log = page.locator(".log")
    expect(log).to_contain_text("could not be opened here", timeout=10_000)
    expect(log).not_to_contain_text("went wrong")
    expect(log).not_to_contain_text("victim")
    # The widget started a conversation of its own.
    own = stored(page, inbox_url)
    assert own["conversation_id"] and own["conversation_id"] != victim.id
    say(page, "Is anybody there?")
    expect(page.locator(".msg.from-bot").nth(1)).to_be_visible(timeout=REPLY_MS)
    expect(log).not_to_contain_text("victim")
    page.screenshot(path=str(SHOTS / "6-stranger-gets-a-new-chat.png"))
    # Nothing was written to the victim's conversation.
    assert victim.wait_for_news(0) == []
    context.close()


def test_the_widget_works_on_a_375px_phone(browser: Browser, inbox_url: str) -> None:
    context = browser.new_context(
        viewport={"width": 375, "height": 700}, device_scale_factor=2, is_mobile=True,
        has_touch=True,
    )  # fmt: skip
    page = context.new_page()
    page.goto(f"{inbox_url}/demo/product")
    launcher = page.get_by_role("button", name="Chat with us")
    expect(launcher).to_be_visible()
    page.screenshot(path=str(SHOTS / "7-phone-closed.png"))
    launcher.click()
    panel = page.locator(".panel")
    expect(panel).to_be_visible()
    box = panel.bounding_box()
    assert box is not None and (box["width"], box["height"]) == (375, 700)
    assert page.evaluate("document.documentElement.scrollWidth") <= 375

    say(page, "hello")
    expect(page.locator(".msg.from-bot").nth(1)).to_be_visible(timeout=REPLY_MS)
    page.locator("input[type=file]").set_input_files(
        files=[{"name": "parcel.png", "mimeType": "image/png", "buffer": tiny_png()}]
    )
    photo = page.locator(".msg.from-customer img")
    expect(photo).to_be_visible(timeout=10_000)
    assert page.evaluate("img => img.naturalWidth", photo.element_handle()) == 48
    expect(page.locator(".msg.from-customer a.photo")).to_have_attribute(
        "href", re.compile(r"/chat/uploads/[\w-]+\.png$")
    )
    page.screenshot(path=str(SHOTS / "8-phone-open-with-photo.png"))

    # Keyboard: Esc closes and gives the focus back to the launcher.
    page.locator(".composer textarea").focus()
    page.keyboard.press("Escape")
    expect(panel).to_be_hidden()
    expect(launcher).to_be_focused()
    context.close()
