"""The JSON API the inbox's JavaScript uses. Every route needs a logged-in
agent, and the state-changing ones the CSRF header (see middlewares)."""

from __future__ import annotations

import logging

from aiohttp import web

from bot.conversations import store
from bot.conversations.models import Conversation
from bot.inbox import workflow
from bot.inbox.errors import DeliveryFailed, InvalidRequest
from bot.inbox.keys import DELIVERY, ENGINE, INTENTS
from bot.inbox.live import notify, publish
from bot.inbox.parsing import after_id, conversation_id, json_object, message_id, reply_text
from bot.inbox.serializers import conversation_json, json_response, message_json
from bot.inbox.sessions import current_agent

log = logging.getLogger(__name__)

routes = web.RouteTableDef()


@routes.get("/api/queue", name="inbox.api.queue")
async def queue(request: web.Request) -> web.Response:
    found = await store.handed_off(request.app[ENGINE])
    return json_response({"conversations": [conversation_json(item) for item in found]})


@routes.get(r"/api/conversations/{conversation_id:\d+}", name="inbox.api.conversation")
async def conversation(request: web.Request) -> web.Response:
    engine = request.app[ENGINE]
    found = await store.get_conversation(engine, conversation_id(request))
    transcript = await store.list_messages(engine, found.id, after_id=after_id(request))
    return json_response(
        {
            "conversation": conversation_json(found),
            "messages": [message_json(message) for message in transcript],
        }
    )


@routes.post(r"/api/conversations/{conversation_id:\d+}/claim", name="inbox.api.claim")
async def claim(request: web.Request) -> web.Response:
    claimed = await workflow.claim(
        request.app[ENGINE], conversation_id(request), current_agent(request)
    )
    await notify(request.app, "claimed", claimed.id)
    await request.app[DELIVERY].claimed(claimed)
    return json_response({"conversation": conversation_json(claimed)})


@routes.post(r"/api/conversations/{conversation_id:\d+}/reply", name="inbox.api.reply")
async def reply(request: web.Request) -> web.Response:
    agent = current_agent(request)
    text = reply_text(await json_object(request))
    target = await workflow.require_assignee(request.app[ENGINE], conversation_id(request), agent)
    try:
        await request.app[DELIVERY].send_agent_reply(target, text, agent.display_name)
    except Exception as error:
        log.exception("Delivering a reply to conversation %s failed", target.id)
        raise DeliveryFailed("The reply could not be delivered; please try again") from error
    finally:
        await notify(request.app, "message", target.id)
    return json_response({"conversation": conversation_json(target)})


@routes.post(r"/api/conversations/{conversation_id:\d+}/hand-back", name="inbox.api.hand_back")
async def hand_back(request: web.Request) -> web.Response:
    done = await workflow.hand_back(
        request.app[ENGINE], conversation_id(request), current_agent(request)
    )
    await _tell_gateway(request, done, "handed_back")
    return json_response({"conversation": conversation_json(done)})


@routes.post(r"/api/conversations/{conversation_id:\d+}/close", name="inbox.api.close")
async def close(request: web.Request) -> web.Response:
    done = await workflow.close(
        request.app[ENGINE], conversation_id(request), current_agent(request)
    )
    await _tell_gateway(request, done, "closed")
    return json_response({"conversation": conversation_json(done)})


async def _tell_gateway(request: web.Request, done: Conversation, kind: str) -> None:
    delivery = request.app[DELIVERY]
    try:
        if kind == "closed":
            await delivery.close(done)
        else:
            await delivery.hand_back(done)
    except Exception as error:
        log.exception("Telling the gateway that conversation %s was %s failed", done.id, kind)
        raise DeliveryFailed(
            "Saved, but the customer's chat could not be updated; the bot will pick up "
            "on their next message"
        ) from error
    finally:
        await notify(request.app, kind, done.id)


@routes.post(r"/api/messages/{message_id:\d+}/misunderstood", name="inbox.api.misunderstood")
async def misunderstood(request: web.Request) -> web.Response:
    body = await json_object(request)
    intent = body.get("intent")
    if intent is not None and intent not in request.app[INTENTS].trainable:
        raise InvalidRequest("'intent' must be one of the bot's intents, or null to clear")
    marked = await workflow.mark_misunderstood(request.app[ENGINE], message_id(request), intent)
    await publish(
        request.app,
        {
            "type": "message_updated",
            "conversation_id": marked.conversation_id,
            "message": message_json(marked),
        },
    )
    return json_response({"message": message_json(marked)})
