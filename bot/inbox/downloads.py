"""File downloads: one transcript as JSON or CSV, misunderstood messages as NLU YAML."""

from __future__ import annotations

import json

from aiohttp import web

from bot.conversations import store
from bot.conversations.clock import to_iso, utc_now
from bot.inbox import review
from bot.inbox.exports import content_disposition, nlu_yaml, transcript_csv, transcript_json
from bot.inbox.keys import ENGINE
from bot.inbox.parsing import conversation_id

routes = web.RouteTableDef()


@routes.get(r"/conversations/{conversation_id:\d+}/export.json", name="inbox.export.json")
async def export_json(request: web.Request) -> web.Response:
    engine = request.app[ENGINE]
    conversation = await store.get_conversation(engine, conversation_id(request))
    transcript = await store.list_messages(engine, conversation.id)
    body = json.dumps(transcript_json(conversation, transcript), ensure_ascii=False, indent=2)
    return web.Response(
        text=body,
        content_type="application/json",
        headers={
            "Content-Disposition": content_disposition(f"conversation-{conversation.id}.json")
        },
    )


@routes.get(r"/conversations/{conversation_id:\d+}/export.csv", name="inbox.export.csv")
async def export_csv(request: web.Request) -> web.Response:
    engine = request.app[ENGINE]
    conversation = await store.get_conversation(engine, conversation_id(request))
    transcript = await store.list_messages(engine, conversation.id)
    # The BOM makes Excel read the file as UTF-8 (Cyrillic, Polish letters).
    return web.Response(
        text="\ufeff" + transcript_csv(transcript),
        content_type="text/csv",
        headers={"Content-Disposition": content_disposition(f"conversation-{conversation.id}.csv")},
    )


@routes.get("/training-data/export.yml", name="inbox.export.nlu")
async def export_nlu(request: web.Request) -> web.Response:
    now = utc_now()
    examples = await review.misunderstood_examples(request.app[ENGINE])
    return web.Response(
        text=nlu_yaml(examples, generated_at=to_iso(now) or ""),
        content_type="application/x-yaml",
        headers={
            "Content-Disposition": content_disposition(
                f"misunderstood-{now.date().isoformat()}.yml"
            )
        },
    )
