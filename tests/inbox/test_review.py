"""Reviewing past conversations: search, filters, pagination and the exports."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import timedelta
from pathlib import Path

import pytest
import pytest_asyncio
import yaml

from bot.conversations import store
from bot.conversations.clock import utc_now
from bot.conversations.models import Conversation
from bot.inbox import workflow
from bot.inbox.agents import authenticate
from bot.inbox.exports import training_line
from tests.inbox.conftest import PASSWORD, AgentClient, Inbox, logged_in, new_agent
from tests.inbox.helpers import backdate

pytestmark = pytest.mark.asyncio(loop_scope="module")

TRICKY = [
    'Where\'s my order #10001? "ASAP": yes & no',
    "- starts with a dash",
    '{"json": true} [brackets](entity) *star* !tag %percent @at `tick` | pipe > gt',
    "multi\nline\ttext",
    "<img src=x onerror=alert(1)>",
    "Привіт, де моє замовлення?",
    "key: value # not a comment",
]


async def talk(
    inbox: Inbox,
    sender: str,
    texts: list[tuple[str, str | None]],
    *,
    channel: str = "rest",
    language: str | None = None,
) -> Conversation:
    for text, intent in texts:
        await store.record_message(
            inbox.engine,
            sender_id=sender,
            channel=channel,
            direction="customer",
            text=text,
            intent=intent,
            confidence=0.5 if intent else None,
            language=language,
        )
    found = await store.conversation_by_sender(inbox.engine, sender)
    assert found is not None
    return found


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def data(inbox: Inbox) -> dict[str, Conversation]:
    """Three distinct conversations, then 30 filler ones for paging."""
    reviewer = await authenticate(inbox.engine, await new_agent(inbox, "Reviewer"), PASSWORD)
    assert reviewer is not None

    damaged = await talk(inbox, "rev-damaged", [("Посилка пошкоджена", "complaint")], language="uk")
    await store.open_handoff(
        inbox.engine,
        sender_id="rev-damaged",
        reason="upset_customer",
        language="uk",
        customer="anna@example.com",
        order_id="10001",
    )
    await workflow.claim(inbox.engine, damaged.id, reviewer)
    await workflow.close(inbox.engine, damaged.id, reviewer)
    await store.set_rating(inbox.engine, sender_id="rev-damaged", rating=2, comment="slow")

    discount = await talk(
        inbox, "rev-discount", [("100% discount_code?", "faq")], channel="telegram", language="pl"
    )
    await backdate(inbox.engine, discount.id, 10)

    hello = await talk(inbox, "rev-hello", [("hello there", "greet")], language="en")
    await store.open_handoff(
        inbox.engine,
        sender_id="rev-hello",
        reason="low_confidence",
        language="en",
        customer=None,
        order_id=None,
    )
    for n in range(30):
        await talk(inbox, f"rev-filler-{n}", [(f"filler message {n}", "affirm")], language="en")
    return {"damaged": damaged, "discount": discount, "hello": hello}


def row_ids(page: str) -> list[int]:
    return [int(found) for found in re.findall(r'data-conversation-row="(\d+)"', page)]


async def search(client: AgentClient, query: str) -> list[int]:
    response = await client.get("/conversations?" + query)
    assert response.status == 200
    return row_ids(await response.text())


async def test_search_and_filters(inbox: Inbox, data: dict[str, Conversation]) -> None:
    damaged, discount, hello = data["damaged"].id, data["discount"].id, data["hello"].id
    client = await logged_in(inbox)
    today = utc_now().date()
    try:
        assert await search(client, "q=Посилка") == [damaged]
        assert await search(client, "q=ANNA%40EXAMPLE") == [damaged]  # customer, any case
        assert await search(client, "q=10001") == [damaged]  # order number
        assert await search(client, "q=rev-hello") == [hello]  # chat id
        assert await search(client, "q=100%25") == [discount]  # % is literal
        assert await search(client, "q=discount_") == [discount]  # _ is literal
        assert await search(client, "q=0%25%20d") == [discount]
        assert await search(client, "reason=upset_customer") == [damaged]
        assert await search(client, "intent=greet") == [hello]
        assert await search(client, "language=pl") == [discount]
        assert await search(client, "channel=telegram") == [discount]
        assert await search(client, "rating=2") == [damaged]
        assert await search(client, "state=waiting") == [hello]
        assert await search(client, "state=closed&language=uk") == [damaged]
        old = (today - timedelta(days=5)).isoformat()
        assert await search(client, f"to={old}") == [discount]
        assert discount not in await search(client, f"from={old}&q=discount")
        # Dates as agents type them: dd.mm.yyyy.
        typed = (today - timedelta(days=5)).strftime("%d.%m.%Y")
        assert await search(client, f"to={typed}") == [discount]
        assert discount not in await search(client, f"from={typed}&q=discount")
        assert await search(client, "q=nothing-like-this") == []
        # Nonsense filter values are ignored, not errors.
        assert (
            await client.get("/conversations?rating=9&state=x&from=yesterday&page=abc")
        ).status == 200
    finally:
        await client.close()


async def test_event_filter_and_date_errors(inbox: Inbox, data: dict[str, Conversation]) -> None:
    damaged, hello = data["damaged"].id, data["hello"].id
    client = await logged_in(inbox)
    try:
        assert await search(client, "event=closed") == [damaged]
        assert await search(client, "event=claimed") == [damaged]
        assert await search(client, "event=rating") == [damaged]
        assert sorted(await search(client, "event=handoff")) == sorted([damaged, hello])
        assert await search(client, "event=handed_back") == []
        page = await (await client.get("/conversations")).text()
        intent_select = re.search(r'<select name="intent">(.*?)</select>', page, re.S)
        event_select = re.search(r'<select name="event">(.*?)</select>', page, re.S)
        assert intent_select and event_select
        for internal in ("handback", "conversation_closed", "rating_received", "handoff_queued"):
            assert f'value="{internal}"' not in intent_select.group(1)
        assert 'value="order_status"' in intent_select.group(1)
        assert 'value="closed"' in event_select.group(1)
        # A date not written as dd.mm.yyyy is said so, kept in its field, not filtered on.
        response = await client.get("/conversations?from=03%2F31%2F2025")
        assert response.status == 200
        text = await response.text()
        assert "data-filter-errors" in text and "dd.mm.yyyy" in text
        assert 'value="03/31/2025"' in text and "aria-invalid" in text
        assert len(row_ids(text)) == 25  # every conversation, first page
    finally:
        await client.close()


async def test_pagination(inbox: Inbox, data: dict[str, Conversation]) -> None:
    client = await logged_in(inbox)
    try:
        first = await client.get("/conversations")
        page = await first.text()
        assert "33 conversations" in page
        assert len(row_ids(page)) == 25
        assert "Page 1 of 2" in page
        second = await search(client, "page=2")
        assert len(second) == 8
        assert not set(second) & set(row_ids(page))
        # The filter is kept in the page links.
        filtered = await (await client.get("/conversations?language=en")).text()
        assert "language=en&amp;page=2" in filtered
    finally:
        await client.close()


async def test_transcript_export_json(inbox: Inbox, data: dict[str, Conversation]) -> None:
    client = await logged_in(inbox)
    try:
        conversation = data["damaged"]
        response = await client.get(f"/conversations/{conversation.id}/export.json")
        assert response.status == 200
        assert response.headers["Content-Disposition"] == (
            f'attachment; filename="conversation-{conversation.id}.json"'
        )
        body = json.loads(await response.text())
        assert body["conversation"]["customer"] == "anna@example.com"
        assert body["conversation"]["rating"] == 2
        texts = [m["text"] for m in body["messages"]]
        assert texts[0] == "Посилка пошкоджена"
        assert [m["direction"] for m in body["messages"]][-1] == "system"
        assert (await client.get("/conversations/987654/export.json")).status == 404
    finally:
        await client.close()


async def test_transcript_export_csv(inbox: Inbox) -> None:
    client = await logged_in(inbox)
    try:
        conversation = await talk(
            inbox,
            "rev-csv",
            [('=HYPERLINK("http://evil")', None), ('Comma, "quote"\nnewline', "inform")],
        )
        response = await client.get(f"/conversations/{conversation.id}/export.csv")
        assert response.status == 200
        assert response.content_type == "text/csv"
        assert response.headers["Content-Disposition"] == (
            f'attachment; filename="conversation-{conversation.id}.csv"'
        )
        text = (await response.read()).decode("utf-8-sig")
        rows = list(csv.DictReader(io.StringIO(text)))
        assert [row["text"] for row in rows] == [
            '\'=HYPERLINK("http://evil")',  # defused formula
            'Comma, "quote"\nnewline',
        ]
        assert rows[1]["intent"] == "inform" and rows[1]["confidence"] == "0.5000"
    finally:
        await client.close()


async def test_training_data_export_loads_in_rasa(
    inbox: Inbox, data: dict[str, Conversation], tmp_path: Path
) -> None:
    from rasa.shared.nlu.training_data.loading import load_data

    client = await logged_in(inbox)
    try:
        await talk(inbox, "rev-nlu", [(text, "nlu_fallback") for text in TRICKY])
        conversation = await talk(
            inbox, "rev-nlu", [("how much is shipping", "nlu_fallback"), ("   ", None)]
        )
        messages = await store.list_messages(inbox.engine, conversation.id)
        corrections = {text: "complaint" for text in TRICKY}
        corrections["how much is shipping"] = "faq/shipping_cost"
        for message in messages:
            intent = corrections.get(message.text)
            if intent is None and message.text == "   ":
                intent = "inform"  # nothing to train on: left out
            if intent:
                response = await client.post(
                    f"/api/messages/{message.id}/misunderstood", {"intent": intent}
                )
                assert response.status == 200
        # A duplicate correction in another conversation is exported once.
        duplicate = await talk(inbox, "rev-nlu-dup", [(TRICKY[0], "greet")])
        dup_message = (await store.list_messages(inbox.engine, duplicate.id))[0]
        await client.post(f"/api/messages/{dup_message.id}/misunderstood", {"intent": "complaint"})

        response = await client.get("/training-data/export.yml")
        assert response.status == 200
        assert response.headers["Content-Disposition"].startswith(
            'attachment; filename="misunderstood-'
        )
        exported = await response.text()
        parsed = yaml.safe_load(exported)
        assert parsed["version"] == "3.1"

        path = tmp_path / "misunderstood.yml"
        path.write_text(exported, encoding="utf-8")
        training = load_data(str(path))
        by_intent: dict[str, list[str]] = {}
        for example in training.intent_examples:
            key = example.get("intent_response_key") or example.get("intent")
            by_intent.setdefault(key, []).append(example.get("text"))
            assert not example.get("entities"), example.get("text")
        assert by_intent["faq/shipping_cost"] == ["how much is shipping"]
        assert sorted(by_intent["complaint"]) == sorted(training_line(text) for text in TRICKY)
        assert "multi line text" in by_intent["complaint"]
        assert "<img src=x onerror=alert(1)>" in by_intent["complaint"]
        assert "inform" not in by_intent
    finally:
        await client.close()
