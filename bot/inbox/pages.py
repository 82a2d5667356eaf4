"""The inbox's pages: queue, one conversation, review of past ones, dashboard."""

from __future__ import annotations

import asyncio
from typing import Any

from aiohttp import web

from bot.conversations import store
from bot.conversations.models import (
    EVENT_LABELS,
    HANDOFF_REASONS,
    NOT_UNDERSTOOD_INTENTS,
    REASON_LABELS,
    STATE_LABELS,
    STATES,
)
from bot.customers import notifications
from bot.inbox import linked, review, stats
from bot.inbox.charts import columns, ring, rows
from bot.inbox.keys import ENGINE, HTTP, INTENTS, SETTINGS
from bot.inbox.parsing import conversation_id
from bot.inbox.rasa_client import fetch_slots
from bot.inbox.serializers import button_titles
from bot.inbox.sessions import current_agent
from bot.inbox.shop_client import OrderLookup, fetch_order
from bot.inbox.templating import render

routes = web.RouteTableDef()

DASHBOARD_PERIODS = (7, 14, 30, 90)


@routes.get("/", name="inbox.queue")
async def queue_page(request: web.Request) -> web.Response:
    conversations = await store.handed_off(request.app[ENGINE])
    return await render(request, "queue.html", {"nav": "queue", "conversations": conversations})


@routes.get(r"/conversations/{conversation_id:\d+}", name="inbox.conversation")
async def conversation_page(request: web.Request) -> web.Response:
    engine = request.app[ENGINE]
    conversation = await store.get_conversation(engine, conversation_id(request))
    transcript = await store.list_messages(engine, conversation.id)
    order, slots, others = await asyncio.gather(
        _order(request, conversation.order_id),
        fetch_slots(request.app[HTTP], request.app[SETTINGS], conversation.sender_id),
        linked.linked_conversations(engine, conversation),
    )
    return await render(
        request,
        "conversation.html",
        {
            "nav": "conversations" if conversation.state in ("bot", "closed") else "queue",
            "conversation": conversation,
            "messages": transcript,
            "buttons": {message.id: button_titles(message) for message in transcript},
            "mine": conversation.assigned_agent_id == current_agent(request).id,
            "order_lookup": order,
            # Complaint tickets opened in this conversation (the gateway's system lines).
            "tickets": [
                m.payload for m in transcript if m.payload and m.payload.get("event") == "ticket"
            ],
            "slots": slots,
            "intents": request.app[INTENTS].trainable,
            # The same customer's chats on other channels (issue 20: crosschannel).
            "linked": others,
        },
    )


@routes.get(r"/conversations/{conversation_id:\d+}/history", name="inbox.history")
async def history_page(request: web.Request) -> web.Response:
    """The whole history of the customer across their linked chats, in time order."""
    engine = request.app[ENGINE]
    conversation = await store.get_conversation(engine, conversation_id(request))
    others = await linked.linked_conversations(engine, conversation)
    everyone = sorted([conversation, *others], key=lambda c: (c.created_at, c.id))
    return await render(
        request,
        "history.html",
        {
            "nav": "conversations",
            "conversation": conversation,
            "conversations": everyone,
            "lines": await linked.whole_history(engine, everyone),
        },
    )


async def _order(request: web.Request, order_id: str | None) -> OrderLookup | None:
    if not order_id:
        return None
    return await fetch_order(request.app[HTTP], request.app[SETTINGS], order_id)


@routes.get("/conversations", name="inbox.review")
async def review_page(request: web.Request) -> web.Response:
    engine = request.app[ENGINE]
    wanted = review.ReviewFilter.from_query(request.query)
    raw_page = request.query.get("page", "1")
    page = await review.search(engine, wanted, page=int(raw_page) if raw_page.isdigit() else 1)
    languages, channels = await review.facet_values(engine)
    examples = await review.misunderstood_examples(engine)
    return await render(
        request,
        "review.html",
        {
            "nav": "conversations",
            "filter": wanted,
            "result": page,
            "query": wanted.as_query(),
            "reasons": [(reason, REASON_LABELS[reason]) for reason in HANDOFF_REASONS],
            "states": [(state, STATE_LABELS[state]) for state in STATES],
            "intents": request.app[INTENTS].predicted,
            "events": list(EVENT_LABELS.items()),
            "languages": languages,
            "channels": channels,
            "misunderstood_count": len(examples),
        },
    )


@routes.get("/dashboard", name="inbox.dashboard")
async def dashboard_page(request: web.Request) -> web.Response:
    raw = request.query.get("days", "14")
    days = int(raw) if raw.isdigit() and int(raw) in DASHBOARD_PERIODS else 14
    numbers = await stats.dashboard(request.app[ENGINE], days=days)
    # issue 20: updates. "Is everything all right now?" after a resolved case.
    followups = await notifications.followup_answers(
        request.app[ENGINE], since=stats.period_start(days)
    )
    charts: dict[str, Any] = {
        "per_day": columns(
            [(day.strftime("%d.%m"), count) for day, count in numbers.per_day],
        ),
        "reasons": rows(
            [
                (REASON_LABELS.get(reason, reason), count)
                for reason, count in numbers.handoffs_by_reason
            ]
        ),
        "ratings": rows(
            [(f"{stars} ★", numbers.ratings[stars]) for stars in range(5, 0, -1)], label_width=50
        ),
        "intents": rows(numbers.top_intents),
        "offers": rows(
            [
                ("Made", numbers.offers.made),
                ("Accepted", numbers.offers.accepted),
                ("Redeemed", numbers.offers.redeemed),
            ]
            if numbers.offers.made
            else [],
            label_width=80,
        ),
        "containment": ring(numbers.containment),
        "fallback": ring(numbers.fallback_rate),
        "followups": rows(
            [
                ("All right now", followups["good"]),
                ("Still not right", followups["bad"]),
                ("No answer", followups["none"]),
            ]
            if any(followups.values())
            else []
        ),
    }
    return await render(
        request,
        "dashboard.html",
        {
            "nav": "dashboard",
            "numbers": numbers,
            "charts": charts,
            "followups": followups,
            "periods": DASHBOARD_PERIODS,
            "not_understood_intents": NOT_UNDERSTOOD_INTENTS,
        },
    )
