"""In the widget a limit is a line in the shopper's language, never a silent failure.

Headless Chromium on the `limited` gateway's demo page (3 messages per
conversation per minute, 3 conversations per address). The page's own
requests come from 127.0.0.1, which no other test there uses as its address.
"""

from __future__ import annotations

import requests
from playwright.sync_api import Browser, Page, expect

from tests.gateway.conftest import Gateway
from tests.widget.conftest import SHOTS, browser  # noqa: F401 (the fixture)

REPLY_MS = 60_000


def open_chat(browser: Browser, gateway: Gateway, language: str) -> Page:  # noqa: F811
    page = browser.new_page(viewport={"width": 1280, "height": 860})
    page.goto(f"{gateway.url}/demo")
    page.get_by_role("button", name="Chat with us").click()
    page.get_by_label("Language", exact=True).select_option(language)
    return page


def say(page: Page, text: str) -> None:
    box = page.locator(".composer textarea")
    box.fill(text)
    box.press("Enter")


def test_a_shopper_who_writes_too_fast_is_told_in_their_language(
    browser: Browser,  # noqa: F811
    limited_gateway: Gateway,
) -> None:
    page = open_chat(browser, limited_gateway, "pl")
    log = page.locator(".log")
    for text in ("dzień dobry", "halo", "jest tam ktoś?", "halo?"):  # the 4th is one too many
        say(page, text)
    expect(log).to_contain_text("Wysyłasz wiadomości szybciej", timeout=REPLY_MS)
    expect(log).to_contain_text("Nie dostarczono")  # the refused message is marked
    page.screenshot(path=str(SHOTS / "limit-too-fast-pl.png"))
    page.close()


def test_a_shopper_whose_address_opened_too_many_chats_is_told(
    browser: Browser,  # noqa: F811
    limited_gateway: Gateway,
) -> None:
    # This machine's address (the page's too) uses up its conversations first.
    statuses = [
        requests.post(f"{limited_gateway.url}/chat/conversations", timeout=10).status_code
        for _ in range(4)
    ]
    assert statuses[-1] == 429, statuses
    page = browser.new_page(viewport={"width": 1280, "height": 860})
    page.goto(f"{limited_gateway.url}/demo")
    page.get_by_role("button", name="Chat with us").click()
    expect(page.locator(".log")).to_contain_text(
        "Too many chats were started from your connection", timeout=REPLY_MS
    )
    page.screenshot(path=str(SHOTS / "limit-too-many-chats.png"))
    page.close()
