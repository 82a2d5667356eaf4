"""The JSON API: claim races, replies through the Delivery, hand back, close,
corrections, error shapes, and live events."""

from __future__ import annotations

import asyncio

import pytest

from bot.conversations import store
from bot.conversations.models import MAX_REPLY_LENGTH
from bot.inbox import notify
from tests.inbox.conftest import Inbox, handed_off_conversation, logged_in

pytestmark = pytest.mark.asyncio(loop_scope="module")


async def test_queue_lists_handed_off_conversations(inbox: Inbox) -> None:
    client = await logged_in(inbox)
    try:
        conversation = await handed_off_conversation(inbox, order_id="10001")
        response = await client.get("/api/queue")
        assert response.status == 200
        listed = {c["id"]: c for c in (await response.json())["conversations"]}
        assert listed[conversation.id]["state"] == "waiting"
        assert listed[conversation.id]["handoff_reason"] == "asked_for_person"
        assert listed[conversation.id]["order_id"] == "10001"
    finally:
        await client.close()


async def test_two_agents_claiming_at_once_exactly_one_wins(inbox: Inbox) -> None:
    ann, bob = await logged_in(inbox, "Ann"), await logged_in(inbox, "Bob")
    try:
        for _ in range(3):
            conversation = await handed_off_conversation(inbox)
            path = f"/api/conversations/{conversation.id}/claim"
            responses = await asyncio.gather(ann.post(path), bob.post(path))
            statuses = sorted(response.status for response in responses)
            assert statuses == [200, 409]
            loser = next(r for r in responses if r.status == 409)
            body = await loser.json()
            assert body["error"] == "already_claimed"
            assert "already claimed" in body["message"]
            winner = await next(r for r in responses if r.status == 200).json()
            assert winner["conversation"]["state"] == "assigned"
            assert winner["conversation"]["assigned_agent_name"] in {"Ann", "Bob"}
            stored = await store.find_conversation(inbox.engine, conversation.id)
            assert (
                stored is not None
                and stored.assigned_agent_name == winner["conversation"]["assigned_agent_name"]
            )
            # The gateway hears of the winning claim once, to tell the customer who joined.
            claims = [c for c in inbox.delivery.calls if c[:2] == ("claimed", conversation.id)]
            assert claims == [("claimed", conversation.id, "assigned")]
    finally:
        await ann.close()
        await bob.close()


async def test_claiming_twice_is_fine_for_the_same_agent(inbox: Inbox) -> None:
    client = await logged_in(inbox)
    try:
        conversation = await handed_off_conversation(inbox)
        path = f"/api/conversations/{conversation.id}/claim"
        assert (await client.post(path)).status == 200
        assert (await client.post(path)).status == 200
    finally:
        await client.close()


async def test_reply_goes_through_the_delivery(inbox: Inbox) -> None:
    client = await logged_in(inbox, "Maria")
    try:
        conversation = await handed_off_conversation(inbox)
        await client.post(f"/api/conversations/{conversation.id}/claim")
        response = await client.post(
            f"/api/conversations/{conversation.id}/reply", {"text": "  Вітаю! Перевіряю.  "}
        )
        assert response.status == 200, await response.text()
        assert ("reply", conversation.id, "Вітаю! Перевіряю.") in inbox.delivery.calls
        transcript = await (await client.get(f"/api/conversations/{conversation.id}")).json()
        last = transcript["messages"][-1]
        assert (last["direction"], last["text"], last["agent_name"]) == (
            "agent",
            "Вітаю! Перевіряю.",
            "Maria",
        )
    finally:
        await client.close()


async def test_reply_rules(inbox: Inbox) -> None:
    mine, other = await logged_in(inbox, "Mine"), await logged_in(inbox, "Other")
    try:
        conversation = await handed_off_conversation(inbox)
        path = f"/api/conversations/{conversation.id}/reply"
        waiting = await mine.post(path, {"text": "hello"})
        assert waiting.status == 409
        assert (await waiting.json())["error"] == "not_your_conversation"

        await mine.post(f"/api/conversations/{conversation.id}/claim")
        not_mine = await other.post(path, {"text": "hello"})
        assert not_mine.status == 409
        assert "Mine is handling" in (await not_mine.json())["message"]

        for body in [
            {"text": "   "},
            {"text": "x" * (MAX_REPLY_LENGTH + 1)},
            {"text": 5},
            {},
            ["x"],
        ]:
            bad = await mine.post(path, body)
            assert bad.status == 422, body
            assert set(await bad.json()) == {"error", "message"}
        broken = await mine.http.post(
            inbox.url + path, data="{not json", headers={"X-CSRF-Token": mine.csrf}
        )
        assert broken.status == 422
        assert (await mine.post(path, {"text": "x" * MAX_REPLY_LENGTH})).status == 200
    finally:
        await mine.close()
        await other.close()


async def test_a_failing_gateway_is_a_clear_502(inbox: Inbox) -> None:
    client = await logged_in(inbox)
    conversation = await handed_off_conversation(inbox)
    await client.post(f"/api/conversations/{conversation.id}/claim")
    inbox.delivery.fail = True
    try:
        response = await client.post(f"/api/conversations/{conversation.id}/reply", {"text": "hi"})
        assert response.status == 502
        assert (await response.json())["error"] == "delivery_failed"
    finally:
        inbox.delivery.fail = False
        await client.close()


async def test_hand_back_returns_the_conversation_to_the_bot(inbox: Inbox) -> None:
    client = await logged_in(inbox, "Hanna")
    try:
        conversation = await handed_off_conversation(inbox)
        path = f"/api/conversations/{conversation.id}/hand-back"
        assert (await client.post(path)).status == 409  # not claimed yet
        await client.post(f"/api/conversations/{conversation.id}/claim")
        response = await client.post(path)
        assert response.status == 200
        assert (await response.json())["conversation"]["state"] == "bot"
        assert ("hand_back", conversation.id, "bot") in inbox.delivery.calls
        stored = await store.find_conversation(inbox.engine, conversation.id)
        assert stored is not None and stored.state == "bot"
        system = [
            m
            for m in await store.list_messages(inbox.engine, conversation.id)
            if m.direction == "system"
        ]
        assert system[-1].text == "Hanna handed the conversation back to the bot"
        assert (await client.post(path)).status == 409  # already back with the bot
    finally:
        await client.close()


async def test_close_ends_the_conversation_and_asks_for_a_rating(inbox: Inbox) -> None:
    client, other = await logged_in(inbox, "Closer"), await logged_in(inbox, "Bystander")
    try:
        conversation = await handed_off_conversation(inbox)
        await client.post(f"/api/conversations/{conversation.id}/claim")
        assert (await other.post(f"/api/conversations/{conversation.id}/close")).status == 409
        response = await client.post(f"/api/conversations/{conversation.id}/close")
        assert response.status == 200
        body = (await response.json())["conversation"]
        assert body["state"] == "closed" and body["closed_at"]
        assert ("close", conversation.id, "closed") in inbox.delivery.calls
        # The customer can be handed off again later: a new waiting spell.
        again = await store.open_handoff(
            inbox.engine,
            sender_id=conversation.sender_id,
            reason="other",
            language=None,
            customer=None,
            order_id=None,
        )
        assert (again.state, again.handoff_reason, again.assigned_agent_id) == (
            "waiting",
            "other",
            None,
        )
    finally:
        await client.close()
        await other.close()


async def test_unknown_conversations_and_routes_are_404(inbox: Inbox) -> None:
    client = await logged_in(inbox)
    try:
        for path in ["/api/conversations/987654", "/api/conversations/99999999999999999999"]:
            response = await client.get(path)
            assert response.status == 404
            assert (await response.json())["error"] == "conversation_not_found"
        claim = await client.post("/api/conversations/987654/claim")
        assert claim.status == 404
        page = await client.get("/conversations/987654")
        assert page.status == 404
        assert "text/html" in page.headers["Content-Type"]
    finally:
        await client.close()


async def test_marking_a_message_misunderstood(inbox: Inbox) -> None:
    client = await logged_in(inbox)
    try:
        conversation = await handed_off_conversation(inbox, text="I want my money back")
        messages = (await (await client.get(f"/api/conversations/{conversation.id}")).json())[
            "messages"
        ]
        customer = next(m for m in messages if m["direction"] == "customer")
        bot = next(m for m in messages if m["direction"] == "bot")
        path = f"/api/messages/{customer['id']}/misunderstood"

        marked = await client.post(path, {"intent": "refund_status"})
        assert marked.status == 200
        body = (await marked.json())["message"]
        assert (body["misunderstood"], body["corrected_intent"]) == (True, "refund_status")

        assert (await client.post(path, {"intent": "no_such_intent"})).status == 422
        assert (
            await client.post(f"/api/messages/{bot['id']}/misunderstood", {"intent": "greet"})
        ).status == 422
        assert (
            await client.post("/api/messages/99999999/misunderstood", {"intent": "greet"})
        ).status == 404
        # Retrieval intents are offered as their questions, as Rasa trains them.
        assert (await client.post(path, {"intent": "faq/shipping_cost"})).status == 200

        cleared = await client.post(path, {"intent": None})
        assert (await cleared.json())["message"]["misunderstood"] is False
    finally:
        await client.close()


async def test_notify_reaches_open_websockets(inbox: Inbox) -> None:
    client = await logged_in(inbox)
    try:
        socket = await client.http.ws_connect(inbox.url + "/ws")
        assert (await socket.receive_json(timeout=5))["type"] == "hello"
        conversation = await handed_off_conversation(inbox)
        await notify(inbox.app, "handoff", conversation.id)
        event = await socket.receive_json(timeout=5)
        assert event["type"] == "handoff"
        assert event["conversation_id"] == conversation.id
        assert event["conversation"]["state"] == "waiting"

        await client.post(f"/api/conversations/{conversation.id}/claim")
        claimed = await socket.receive_json(timeout=5)
        assert (claimed["type"], claimed["conversation"]["state"]) == ("claimed", "assigned")
        await socket.close()
    finally:
        await client.close()
