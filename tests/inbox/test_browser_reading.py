"""Issue 21 in Chromium: the inbox reads right. Queue waits are durations and the
oldest stand out, dates are dd.mm.yyyy everywhere (filters too, in an en-US
browser), the intent filter lists only customer intents and events have their own
filter, the dashboard counts fallback + out_of_scope and says so, badges stay on
one line.

Screenshots go to test-artifacts/inbox/ (git-ignored).
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
import pytest_asyncio
from playwright.async_api import Browser, Page, async_playwright, expect
from sqlalchemy import update

from bot.conversations import store
from bot.conversations.clock import utc_now
from bot.conversations.tables import conversations
from bot.inbox import workflow
from bot.inbox.agents import authenticate
from bot.inbox.formats import wait_duration
from tests.inbox.conftest import PASSWORD, Inbox, handed_off_conversation, new_agent
from tests.inbox.test_browser import CHROMIUM_ARGS, shot

pytestmark = pytest.mark.asyncio(loop_scope="module")

# 12:34 or 05.03.2025 12:34: how every time in the inbox reads.
TIME_TEXT = re.compile(r"^(\d{2}:\d{2}|\d{2}\.\d{2}\.\d{4} \d{2}:\d{2})$")


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def browser() -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(
            executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS
        )
        yield launched
        await launched.close()


async def signed_in(inbox: Inbox, browser: Browser, width: int = 1360) -> tuple[Page, list[str]]:
    # An American browser: native date fields would read mm/dd/yyyy here.
    context = await browser.new_context(
        viewport={"width": width, "height": 900}, locale="en-US", timezone_id="Europe/Kyiv"
    )
    page = await context.new_page()
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda error: problems.append(str(error)))
    await page.goto(inbox.url + "/login")
    await page.fill("input[name=username]", await new_agent(inbox, "Marta"))
    await page.fill("input[name=password]", PASSWORD)
    await page.click("button[type=submit]")
    await expect(page.locator("h1")).to_have_text("Queue")
    return page, problems


async def wait_since(inbox: Inbox, conversation_id: int, seconds: int) -> None:
    async with inbox.engine.begin() as conn:
        await conn.execute(
            update(conversations)
            .where(conversations.c.id == conversation_id)
            .values(handoff_at=utc_now() - timedelta(seconds=seconds))
        )


async def one_line(page: Page, selector: str) -> list[dict[str, float]]:
    """Every element's line boxes and height against its line height."""
    result: list[dict[str, float]] = await page.eval_on_selector_all(
        selector,
        """elements => elements.map(e => ({
            rects: e.getClientRects().length,
            height: e.getBoundingClientRect().height,
            line: parseFloat(getComputedStyle(e).lineHeight)
                + parseFloat(getComputedStyle(e).paddingTop)
                + parseFloat(getComputedStyle(e).paddingBottom),
        }))""",
    )
    return result


async def test_queue_waits_are_durations_and_the_oldest_stands_out(
    inbox: Inbox, browser: Browser
) -> None:
    fresh = await handed_off_conversation(inbox, customer="fresh@example.com")
    long = await handed_off_conversation(inbox, customer="long@example.com")
    oldest = await handed_off_conversation(inbox, customer="oldest@example.com")
    await wait_since(inbox, fresh.id, 2 * 60 + 5)
    await wait_since(inbox, long.id, 15 * 60)
    await wait_since(inbox, oldest.id, 20 * 3600 + 10 * 60 + 5)
    page, problems = await signed_in(inbox, browser)
    try:
        rows = {c.id: page.locator(f'.queue-row[data-id="{c.id}"]') for c in (fresh, long, oldest)}
        await expect(rows[oldest.id].locator("[data-field=since]")).to_have_text("20 h 10 min")
        await expect(rows[long.id].locator("[data-field=since]")).to_have_text("15 min")
        await expect(rows[fresh.id].locator("[data-field=since]")).to_have_text("2 min")
        # The oldest waits longest: first, marked, in red; 15 min is amber; 2 min is plain.
        await expect(page.locator(".queue-row").first).to_have_attribute("data-id", str(oldest.id))
        await expect(rows[oldest.id]).to_have_attribute("data-oldest", "true")
        await expect(rows[oldest.id]).to_have_attribute("data-wait", "overdue")
        await expect(rows[oldest.id].locator("[data-field=oldest]")).to_be_visible()
        await expect(rows[oldest.id].locator("[data-field=oldest]")).to_have_text("Longest wait")
        await expect(rows[long.id]).to_have_attribute("data-wait", "long")
        await expect(rows[fresh.id]).to_have_attribute("data-wait", "ok")
        for calm in (long, fresh):
            await expect(rows[calm.id].locator("[data-field=oldest]")).to_be_hidden()
        backgrounds = [
            await rows[c.id].evaluate("e => getComputedStyle(e).backgroundColor")
            for c in (oldest, long, fresh)
        ]
        assert len(set(backgrounds)) == 3, backgrounds

        # The live formatter (inbox.js) and the server's agree.
        for seconds in (0, 59, 60, 125, 3600, 20 * 3600 + 10 * 60, 86400 + 3600 * 5):
            shown = await page.evaluate(f"Inbox.duration({seconds * 1000})")
            assert shown == wait_duration(seconds), seconds
        await shot(page, "21-queue-durations")

        # Claimed: the row is no longer waiting, the next oldest is marked.
        agent = await authenticate(inbox.engine, await new_agent(inbox, "Olena"), PASSWORD)
        assert agent is not None
        await workflow.claim(inbox.engine, oldest.id, agent)
        await page.evaluate("Inbox.refreshQueue()")
        await expect(rows[oldest.id]).to_have_attribute("data-wait", "ok")
        await expect(rows[oldest.id]).to_have_attribute("data-oldest", "false")
        await expect(rows[long.id]).to_have_attribute("data-oldest", "true")
        await shot(page, "21-queue-after-claim")
        assert problems == [], problems
    finally:
        await page.context.close()


async def test_review_dates_filters_and_badges(inbox: Inbox, browser: Browser) -> None:
    closed = await handed_off_conversation(inbox, customer="closed@example.com")
    agent = await authenticate(inbox.engine, await new_agent(inbox, "Petra"), PASSWORD)
    assert agent is not None
    await workflow.claim(inbox.engine, closed.id, agent)
    await workflow.close(inbox.engine, closed.id, agent)
    await store.record_message(
        inbox.engine,
        sender_id="with-the-bot",
        channel="rest",
        direction="customer",
        text="hello",
        intent="greet",
    )
    page, problems = await signed_in(inbox, browser)
    try:
        await page.goto(inbox.url + "/conversations")
        date_from = page.locator("input[name=from]")
        date_to = page.locator("input[name=to]")
        for field in (date_from, date_to):
            await expect(field).to_have_attribute("type", "text")
            await expect(field).to_have_attribute("placeholder", "dd.mm.yyyy")
        # Every date on the page reads the same way.
        times = await page.locator("table time").all_text_contents()
        assert times and all(TIME_TEXT.match(text) for text in times), times

        # Customer intents only; events have their own filter.
        intents = await page.locator("select[name=intent] option").evaluate_all(
            "options => options.map(o => o.value)"
        )
        assert "order_status" in intents and "greet" in intents
        for internal in ("handback", "conversation_closed", "rating_received", "handoff_queued"):
            assert internal not in intents
        events = await page.locator("select[name=event] option").all_text_contents()
        assert "Closed by an agent" in events

        # Filter: today as dd.mm.yyyy, closed by an agent.
        today = utc_now().strftime("%d.%m.%Y")
        await date_from.fill(today)
        await date_to.fill(today)
        await page.select_option("select[name=event]", "closed")
        await page.click(".filter-actions button[type=submit]")
        await expect(page).to_have_url(re.compile(r"event=closed"))
        await expect(page.locator("[data-conversation-row]")).to_have_count(1)
        await expect(page.locator(f'[data-conversation-row="{closed.id}"]')).to_be_visible()
        await expect(date_from).to_have_value(today)
        await expect(date_to).to_have_value(today)
        await shot(page, "21-review-filtered")

        # An American date is refused with a message, not silently misread.
        await page.goto(inbox.url + "/conversations")
        await date_from.fill("03/31/2025")
        await page.click(".filter-actions button[type=submit]")
        await expect(page.locator("[data-filter-errors]")).to_contain_text("dd.mm.yyyy")
        await expect(date_from).to_have_value("03/31/2025")
        await expect(date_from).to_have_attribute("aria-invalid", "true")
        await shot(page, "21-review-date-error")

        # Badges on one line, wide and narrow.
        for width in (1360, 1000, 880):
            await page.set_viewport_size({"width": width, "height": 900})
            await page.goto(inbox.url + "/conversations")
            await expect(page.locator("td .state").first).to_be_visible()
            badges = await one_line(page, "td .state, td .chip")
            assert badges
            for badge in badges:
                assert badge["rects"] == 1, (width, badge)
                assert badge["height"] <= badge["line"] + 1, (width, badge)
            await shot(page, f"21-review-badges-{width}")
        assert problems == [], problems
    finally:
        await page.context.close()


async def test_transcript_dates_read_the_same(inbox: Inbox, browser: Browser) -> None:
    conversation = await handed_off_conversation(inbox, order_id="10001")
    page, problems = await signed_in(inbox, browser)
    try:
        await page.goto(f"{inbox.url}/conversations/{conversation.id}")
        times = await page.locator(".messages time, .facts time").all_text_contents()
        assert times, "no times on the page"
        for text in times:
            assert TIME_TEXT.match(text) or re.fullmatch(r"\d{2}\.\d{2}\.\d{4}", text), text
        await shot(page, "21-transcript-dates")
        assert problems == [], problems
    finally:
        await page.context.close()


async def test_dashboard_counts_what_the_bot_could_not_serve(
    inbox: Inbox, browser: Browser
) -> None:
    for intent in ("nlu_fallback", "out_of_scope", "out_of_scope", "greet"):
        await store.record_message(
            inbox.engine,
            sender_id="dashboard-customer",
            channel="rest",
            direction="customer",
            text=intent,
            intent=intent,
        )
    page, problems = await signed_in(inbox, browser)
    try:
        await page.goto(inbox.url + "/dashboard")
        card = page.locator("[data-kpi-card=fallback]")
        numbers = await page.evaluate(
            """() => {
                const text = document.querySelector('[data-kpi-detail=fallback]').textContent;
                const [part, whole] = text.match(/[\\d,]+/g).map(n => Number(n.replace(/,/g, '')));
                return {part, whole};
            }"""
        )
        assert numbers["part"] >= 3  # 1 nlu_fallback + 2 out_of_scope, at least
        value = await card.locator("[data-kpi=fallback]").text_content()
        assert value is not None and value.strip() not in ("0%", "—")
        explain = card.locator("[data-kpi-explain=fallback]")
        await expect(explain).to_contain_text("nlu_fallback")
        await expect(explain).to_contain_text("out_of_scope")
        await expect(explain).to_be_visible()
        await expect(card.locator(".ring-value")).to_have_text(value.strip())
        await shot(page, "21-dashboard-not-understood")
        assert problems == [], problems
    finally:
        await page.context.close()
