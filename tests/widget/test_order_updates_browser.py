"""Order updates in the widget (issue 20), in headless Chromium: shown at once while the
chat is open, and after a reconnect when it was closed. Real shop staff endpoints,
signed webhooks, gateway, Rasa and action server (the session's stack)."""

from __future__ import annotations

import requests
from playwright.sync_api import Browser, Page, expect

from bot.launcher import Stack
from tests.support.customers import remember, set_slots
from tests.support.shop import ShopApi
from tests.widget.conftest import SHOTS
from tests.widget.test_browser import REPLY_MS, say, stored


def staff(stack: Stack, path: str, body: dict[str, str] | None = None) -> None:
    response = requests.post(
        f"{stack.settings.shop_url}/api/admin/{path}",
        json=body,
        headers={"X-Admin-Token": stack.env["SHOP_ADMIN_TOKEN"]},
        timeout=30,
    )
    assert response.status_code == 200, response.text


def open_chat(page: Page, inbox_url: str) -> None:
    page.goto(f"{inbox_url}/demo")
    if not page.locator(".panel").is_visible():
        page.get_by_role("button", name="Chat with us").click()
    expect(page.locator(".composer textarea")).to_be_visible()


def test_an_update_shows_at_once_while_open_and_after_a_reconnect_when_closed(
    browser: Browser, stack: Stack, inbox_url: str, rasa_url: str, shop_api: ShopApi
) -> None:
    order = shop_api.take("packed")
    context = browser.new_context(viewport={"width": 1280, "height": 860})
    page = context.new_page()
    open_chat(page, inbox_url)
    page.get_by_label("Language", exact=True).select_option("pl")
    say(page, "Dzień dobry")
    expect(page.locator(".msg.from-bot")).not_to_have_count(0, timeout=REPLY_MS)
    sender = stored(page, inbox_url)["conversation_id"]
    remember(
        stack.env["INBOX_DATABASE_URL"], sender_id=sender, channel="web",
        email=order["customer"]["email"],
    )  # fmt: skip
    set_slots(rasa_url, stack.settings.rasa_token, sender, known_customer=True)
    say(page, "powiadom mnie o moim zamówieniu")
    expect(page.locator(".log")).to_contain_text("Gotowe!", timeout=REPLY_MS)

    # Open: the shipment appears without the customer doing anything.
    staff(stack, f"orders/{order['id']}/ship", {"carrier": "InPost", "tracking_number": "PL123"})
    shipped = page.locator(".msg.from-bot", has_text=f"zamówienie #{order['id']} jest już w drodze")
    expect(shipped).to_be_visible(timeout=REPLY_MS)
    page.screenshot(path=str(SHOTS / "updates-1-shipped-while-open.png"))
    page.close()

    # Closed: the delivery waits in the transcript and shows on the next visit.
    staff(stack, f"orders/{order['id']}/deliver")
    page = context.new_page()
    open_chat(page, inbox_url)
    delivered = page.locator(".msg.from-bot", has_text=f"#{order['id']} zostało doręczone")
    expect(delivered).to_be_visible(timeout=REPLY_MS)
    expect(page.locator(".msg.from-bot", has_text="PL123")).to_have_count(1)  # not repeated
    page.screenshot(path=str(SHOTS / "updates-2-delivered-after-reconnect.png"))
    context.close()
