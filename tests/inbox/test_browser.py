"""End to end in Chromium: log in, watch a hand-off arrive live, read an XSS
attempt as plain text, claim, reply, see the customer answer live, hand back.

Screenshots of each step go to test-artifacts/inbox/ (git-ignored).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio
from playwright.async_api import Browser, ConsoleMessage, Dialog, Page, async_playwright, expect

from bot.conversations import store
from bot.inbox import notify
from bot.settings import PROJECT_ROOT
from tests.inbox.conftest import PASSWORD, Inbox, new_agent

pytestmark = pytest.mark.asyncio(loop_scope="module")

ARTIFACTS = PROJECT_ROOT / "test-artifacts" / "inbox"
XSS = "<img src=x onerror=alert(1)> my parcel never arrived"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def browser() -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(
            executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS
        )
        yield launched
        await launched.close()


async def shot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


async def test_agent_handles_a_handoff_end_to_end(inbox: Inbox, browser: Browser) -> None:
    username = await new_agent(inbox, "Sofia")
    context = await browser.new_context(viewport={"width": 1360, "height": 860})
    page = await context.new_page()
    dialogs: list[str] = []
    problems: list[str] = []

    async def dismiss(dialog: Dialog) -> None:
        dialogs.append(dialog.message)
        await dialog.dismiss()

    def console(message: ConsoleMessage) -> None:
        # CSP violations and script errors show up here.
        if message.type == "error":
            problems.append(message.text)

    page.on("dialog", lambda dialog: asyncio.ensure_future(dismiss(dialog)))
    page.on("console", console)
    page.on("pageerror", lambda error: problems.append(str(error)))
    try:
        # Log in.
        await page.goto(inbox.url + "/")
        await expect(page).to_have_url(inbox.url + "/login")
        await shot(page, "01-login")
        await page.fill("input[name=username]", username)
        await page.fill("input[name=password]", PASSWORD)
        await page.click("button[type=submit]")
        await expect(page.locator("h1")).to_have_text("Queue")
        await expect(page.locator("[data-live-status]")).to_have_attribute("data-state", "live")
        await expect(page.locator("[data-queue-empty]")).to_be_visible()
        await shot(page, "02-empty-queue")

        # A hand-off arrives while the page is open: no reload.
        await page.evaluate("window.__sameDocument = true")
        sender = "browser-customer"
        await store.record_message(
            inbox.engine,
            sender_id=sender,
            channel="rest",
            direction="customer",
            text=XSS,
            intent="complaint",
            confidence=0.38,
            language="en",
        )
        conversation = await store.open_handoff(
            inbox.engine,
            sender_id=sender,
            reason="upset_customer",
            language="en",
            customer="lena@example.com",
            order_id="10001",
        )
        await notify(inbox.app, "handoff", conversation.id)
        row = page.locator(f'.queue-row[data-id="{conversation.id}"]')
        await expect(row).to_be_visible()
        await expect(row).to_contain_text("lena@example.com")
        await expect(row).to_contain_text("Upset customer")
        await expect(row.locator("[data-field=since]")).to_have_text("< 1 min")
        assert await page.evaluate("window.__sameDocument === true")
        await expect(page.locator("[data-queue-count]")).to_have_text("1")
        await shot(page, "03-handoff-arrived-live")

        # Open it: the XSS attempt is plain text.
        await row.locator(".queue-link").click()
        await expect(page).to_have_url(f"{inbox.url}/conversations/{conversation.id}")
        await expect(page.get_by_text(XSS, exact=True)).to_be_visible()
        assert await page.locator(".messages img").count() == 0
        await expect(page.locator(".panel").filter(has_text="Order #10001")).to_contain_text(
            "Ceramic mug 350 ml"
        )
        await shot(page, "04-transcript-xss-as-text")

        # Claim, then reply with Enter.
        await page.click("[data-action=claim]")
        reply = page.locator("[data-reply]")
        await expect(reply).to_be_visible()
        await expect(page.locator("[data-field=state]")).to_have_text("Assigned")
        await reply.fill("Hi Lena, I'm sorry! Let me check order 10001.")
        await reply.press("Enter")
        agent_line = page.locator(".msg-agent").last
        await expect(agent_line).to_contain_text("Let me check order 10001.")
        await expect(agent_line).to_contain_text("Sofia")
        await expect(reply).to_have_value("")
        assert (
            "reply",
            conversation.id,
            "Hi Lena, I'm sorry! Let me check order 10001.",
        ) in inbox.delivery.calls

        # The customer answers: it appears live in the open transcript.
        answer = await store.record_message(
            inbox.engine, sender_id=sender, channel="rest", direction="customer", text="Thank you!"
        )
        await notify(inbox.app, "message", answer.conversation_id)
        await expect(page.locator(".msg-customer").last).to_contain_text("Thank you!")
        await shot(page, "05-claimed-replied")

        # Mark the first message misunderstood.
        await page.locator(".msg-customer").first.locator("[data-misunderstood]").click()
        await page.select_option("[data-correction-intent]", "order_status")
        await page.click("[data-correction-form] button[type=submit]")
        await expect(
            page.locator(".msg-customer").first.locator("[data-field=corrected]")
        ).to_have_text("→ order_status")

        # Hand back to the bot.
        await page.click("[data-action=hand-back]")
        await expect(page.locator("[data-field=state]")).to_have_text("With the bot")
        await expect(page.locator("[data-note=bot]")).to_be_visible()
        await expect(reply).to_be_hidden()
        assert ("hand_back", conversation.id, "bot") in inbox.delivery.calls
        stored = await store.find_conversation(inbox.engine, conversation.id)
        assert stored is not None and stored.state == "bot"
        await shot(page, "06-handed-back")

        assert dialogs == [], f"a dialog fired: {dialogs}"
        assert problems == [], problems
    finally:
        await context.close()
