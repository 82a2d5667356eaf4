"""Dashboard numbers on known data (this module's database holds nothing else)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import pytest_asyncio

from bot.conversations import store
from bot.conversations.clock import utc_now
from bot.customers import offers
from bot.customers.offers import NewOffer
from bot.inbox import stats
from tests.inbox.conftest import Inbox, logged_in
from tests.inbox.helpers import backdate

pytestmark = pytest.mark.asyncio(loop_scope="module")


async def conversation(
    inbox: Inbox,
    sender: str,
    intents: list[str],
    *,
    reason: str | None = None,
    rating: int | None = None,
    days_ago: int = 0,
) -> None:
    for intent in intents:
        await store.record_message(
            inbox.engine,
            sender_id=sender,
            channel="rest",
            direction="customer",
            text=intent,
            intent=intent,
        )
        await store.record_message(
            inbox.engine, sender_id=sender, channel="rest", direction="bot", text="ok", intent=None
        )
    if reason:
        await store.open_handoff(
            inbox.engine,
            sender_id=sender,
            reason=reason,
            language=None,
            customer=None,
            order_id=None,
        )
    if rating:
        await store.set_rating(inbox.engine, sender_id=sender, rating=rating, comment=None)
    if days_ago:
        found = await store.conversation_by_sender(inbox.engine, sender)
        assert found is not None
        await backdate(inbox.engine, found.id, days_ago)


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def known_data(inbox: Inbox) -> None:
    await conversation(inbox, "a", ["greet", "order_status", "out_of_scope"])  # the bot alone
    await conversation(
        inbox, "b", ["nlu_fallback", "human_handoff"], reason="asked_for_person", rating=5
    )
    await conversation(inbox, "c", ["complaint"], reason="upset_customer", rating=2)
    await conversation(
        inbox, "d", ["nlu_fallback"], reason="asked_for_person", rating=4, days_ago=2
    )
    # Outside the 14 days: counted nowhere.
    await conversation(
        inbox, "e", ["nlu_fallback", "nlu_fallback"], reason="low_confidence", rating=1, days_ago=20
    )


async def test_dashboard_numbers(inbox: Inbox, known_data: None) -> None:
    numbers = await stats.dashboard(inbox.engine, days=14)
    today = utc_now().date()
    assert numbers.conversations == 4
    assert numbers.handed_off == 3
    assert numbers.containment == pytest.approx(0.25)
    assert numbers.handoffs_by_reason == [("asked_for_person", 2), ("upset_customer", 1)]
    assert numbers.ratings == {1: 0, 2: 1, 3: 0, 4: 1, 5: 1}
    assert numbers.average_rating == pytest.approx(11 / 3)
    assert numbers.top_intents[0] == ("nlu_fallback", 2)
    assert dict(numbers.top_intents) == {
        "nlu_fallback": 2,
        "greet": 1,
        "order_status": 1,
        "human_handoff": 1,
        "complaint": 1,
        "out_of_scope": 1,
    }
    # Not understood: nlu_fallback and out_of_scope alike.
    assert (numbers.customer_messages, numbers.fallback_messages) == (7, 2)
    assert (numbers.out_of_scope_messages, numbers.not_understood) == (1, 3)
    assert numbers.fallback_rate == pytest.approx(3 / 7)
    per_day = dict(numbers.per_day)
    assert len(numbers.per_day) == 14
    assert numbers.per_day[-1][0] == today
    assert per_day[today] == 3
    assert per_day[today - timedelta(days=2)] == 1
    assert sum(per_day.values()) == 4

    month = await stats.dashboard(inbox.engine, days=30)
    assert (month.conversations, month.handed_off, month.fallback_messages) == (5, 4, 4)


async def test_dashboard_page_draws_svg(inbox: Inbox, known_data: None) -> None:
    client = await logged_in(inbox)
    try:
        response = await client.get("/dashboard")
        assert response.status == 200
        page = await response.text()
        kpi = dict(re.findall(r'data-kpi="(\w+)">([^<]+)<', page))
        assert kpi["conversations"] == "4"
        assert kpi["containment"] == "25%"
        assert kpi["rating"] == "3.7"
        assert kpi["fallback"] == "43%"
        assert re.search(r'data-kpi-detail="fallback">3 of 7 customer messages<', page)
        explain = re.search(r'data-kpi-explain="fallback">(.+?)</p>', page)
        assert explain is not None
        assert "<code>nlu_fallback</code>: 2" in explain.group(1)
        assert "<code>out_of_scope</code>: 1" in explain.group(1)
        assert page.count('<svg class="chart"') == 4
        assert "<script" not in page.split("</head>")[1]  # charts need no script
        assert "Asked for a person: 2" in page
        assert (await client.get("/dashboard?days=30")).status == 200
        assert (await client.get("/dashboard?days=-3")).status == 200  # falls back to 14
    finally:
        await client.close()


async def test_offers_made_accepted_and_redeemed_in_the_period(inbox: Inbox) -> None:
    """Issue 20: the dashboard counts goodwill offers of its period (by when they were made)."""
    now = utc_now()
    for code, days_ago in (("KR-DASH0001", 0), ("KR-DASH0002", 1), ("KR-DASH0003", 20)):
        offer = NewOffer(rule="complaint", kind="discount", code=code, order_id="10001")
        at = now - timedelta(days=days_ago)
        await offers.record_offer(
            inbox.engine, email=f"{code}@example.com", sender_id=code, offer=offer, at=at
        )
    assert await offers.mark_accepted(inbox.engine, sender_id="KR-DASH0001", code="KR-DASH0001")
    # Only the conversation it was offered in accepts a code, and only once.
    assert not await offers.mark_accepted(inbox.engine, sender_id="other", code="KR-DASH0002")
    assert not await offers.mark_accepted(inbox.engine, sender_id="KR-DASH0001", code="KR-DASH0001")
    async with inbox.engine.begin() as conn:
        assert await offers.mark_redeemed(conn, "kr-dash0001", now)
        assert not await offers.mark_redeemed(conn, "KR-DASH0001", now)  # a repeated event
        assert await offers.mark_redeemed(conn, "KR-DASH0003", now)

    numbers = await stats.dashboard(inbox.engine, days=14)
    assert numbers.offers == offers.OfferCounts(made=2, accepted=1, redeemed=1)
    month = await stats.dashboard(inbox.engine, days=30)
    assert month.offers == offers.OfferCounts(made=3, accepted=1, redeemed=2)

    client = await logged_in(inbox)
    try:
        page = await (await client.get("/dashboard")).text()
        detail = re.search(r'data-kpi-detail="offers">([^<]+)<', page)
        assert detail is not None
        assert detail.group(1) == "2 made, 1 accepted, 1 redeemed"
        assert 'aria-label="Goodwill offers made, accepted and redeemed"' in page
    finally:
        await client.close()
