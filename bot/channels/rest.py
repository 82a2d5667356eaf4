"""Rasa's REST channel, hardened: bad input gets a clear answer, never silence.

Same URL and wire format as Rasa's own `rest` channel
(`POST /webhooks/rest/webhook` with `{"sender": ..., "message": ...}`), plus:
- malformed requests get a 400 with a JSON message instead of a stack trace;
- an empty message becomes the `/empty_message` intent, so the bot asks again;
- typed text cannot smuggle intents with entities (`/inform{"email": ...}`):
  only a bare `/intent` payload, as buttons send, is passed through;
- when a turn produced no reply at all (Rasa drops an action's events silently
  when the action server fails), the customer gets an apology in their language;
- when the conversation store failed underneath the turn (bot.turn_guard), the
  replies Rasa made without the conversation's history are replaced by that apology;
- the model makes its first (slow) prediction when the server starts.

`POST /webhooks/rest/turn?token=<RASA_TOKEN>` takes the same body and answers
`{"messages": [...], "intent", "confidence", "slots"}`: the gateway's call,
which records how each message was understood without reading the tracker
back. It shows slots (the customer's email), hence Rasa's API token.
"""

from __future__ import annotations

import hmac
import logging
import re
from asyncio import CancelledError
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from rasa.core.channels.rest import RestInput
from rasa.shared.core.events import SlotSet
from rasa.shared.core.trackers import DialogueStateTracker
from sanic import Blueprint, Sanic, response
from sanic.request import Request
from sanic.response import HTTPResponse

import bot.speedups  # noqa: F401  (fixes Rasa's per-turn waste when loaded)
from bot.channels.model_reload import watch_model
from bot.heap import freeze_loaded
from bot.nlu.language import detect_language
from bot.settings import Settings
from bot.turn_guard import start_turn

logger = logging.getLogger(__name__)

MAX_SENDER_LENGTH = 128
MAX_MESSAGE_LENGTH = 20_000
# A button's intent, optionally with an order number (issue 20: "my orders" buttons
# continue into one order); any other entity a customer might type is not taken.
BUTTON_PAYLOAD = re.compile(r'^/[a-z_]+(\{"order_id":"\d{1,12}"\})?$')
EMPTY_MESSAGE_INTENT = "/empty_message"
APOLOGY_RESPONSE = "utter_technical_problem"


def _bad_request(message: str) -> HTTPResponse:
    return response.json(
        {"error": "bad_request", "message": message}, status=HTTPStatus.BAD_REQUEST
    )


def clean_text(text: str) -> str:
    """The text Rasa should see for what the customer typed."""
    if not text.strip():
        return EMPTY_MESSAGE_INTENT
    if text.startswith("/") and not BUTTON_PAYLOAD.match(text):
        return text.lstrip("/") or EMPTY_MESSAGE_INTENT
    return text


class GuardedRestInput(RestInput):
    """`/webhooks/rest/webhook`, validating input and never answering with silence."""

    def __init__(self) -> None:
        super().__init__()
        self._api_token = Settings.from_env().rasa_token

    @classmethod
    def name(cls) -> str:
        return "rest"

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        webhook = Blueprint("kramar_rest_webhook", __name__)

        @webhook.listener("after_server_start")
        async def warm_up(app: Sanic, _loop: object) -> None:
            # A model's first prediction builds its TensorFlow graphs and blocks
            # the process for seconds: pay that before the first customer's turn.
            agent = getattr(app.ctx, "agent", None)
            if agent is None or not agent.is_ready():
                return
            try:
                await agent.parse_message("hello")
            except Exception:
                logger.exception("Warming up the model failed; the first turn will be slow.")
            freeze_loaded()
            interval = Settings.from_env().model_reload_seconds
            app.add_task(watch_model(agent, interval), name="kramar_model_reload")

        @webhook.route("/", methods=["GET"])
        async def health(request: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @webhook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            turn = await self._turn(request, on_new_message)
            return turn if isinstance(turn, HTTPResponse) else response.json(turn.messages)

        @webhook.route("/turn", methods=["POST"])
        async def receive_turn(request: Request) -> HTTPResponse:
            # The gateway's call: the replies and how the message was understood,
            # so nothing has to read the conversation's tracker back.
            if not hmac.compare_digest(request.args.get("token", ""), self._api_token):
                return response.json(
                    {"error": "unauthorized", "message": "This call needs Rasa's API token."},
                    status=HTTPStatus.UNAUTHORIZED,
                )
            turn = await self._turn(request, on_new_message)
            return turn if isinstance(turn, HTTPResponse) else response.json(turn.as_json())

        return webhook

    async def _turn(
        self, request: Request, on_new_message: Callable[[UserMessage], Awaitable[Any]]
    ) -> Turn | HTTPResponse:
        """Runs the request's message through the bot; a 400 response for a bad request."""
        try:
            body = request.json
        except Exception:  # Sanic raises several types for undecodable bodies
            return _bad_request("The body must be JSON.")
        if not isinstance(body, dict):
            return _bad_request(
                'The body must be a JSON object like {"sender": "...", "message": "..."}.'
            )
        sender, text = body.get("sender"), body.get("message", "")
        metadata = body.get("metadata")
        if not isinstance(sender, str) or not sender.strip():
            return _bad_request('"sender" must be a non-empty string.')
        if len(sender) > MAX_SENDER_LENGTH:
            return _bad_request(f'"sender" must be at most {MAX_SENDER_LENGTH} characters.')
        if text is None:
            text = ""
        if not isinstance(text, str):
            return _bad_request('"message" must be a string.')
        if len(text) > MAX_MESSAGE_LENGTH:
            return _bad_request(f'"message" must be at most {MAX_MESSAGE_LENGTH} characters.')
        if metadata is not None and not isinstance(metadata, dict):
            return _bad_request('"metadata" must be a JSON object.')

        collector = CollectingOutputChannel()
        message = UserMessage(
            clean_text(text), collector, sender, input_channel=self.name(), metadata=metadata
        )
        report = start_turn()
        try:
            await on_new_message(message)
        except CancelledError:
            logger.error("Turn for %s timed out.", sender)
        except Exception:
            logger.exception("Turn for %s failed.", sender)
        if report.problems:
            collector.messages.clear()
            report.tracker = None  # what it saved lacks the conversation's history
        if not collector.messages:
            collector.messages.append(
                await _apology(request, sender, text, history_lost=bool(report.problems))
            )
        return Turn(collector.messages, report.tracker)


@dataclass
class Turn:
    messages: list[dict[str, Any]]
    tracker: DialogueStateTracker | None  # None when the turn failed

    def as_json(self) -> dict[str, Any]:
        """The replies, the intent the message was read as, and the slots after the turn."""
        if self.tracker is None:
            return {"messages": self.messages, "intent": None, "confidence": None, "slots": {}}
        intent = self.tracker.latest_message.intent if self.tracker.latest_message else {}
        return {
            "messages": self.messages,
            "intent": intent.get("name"),
            "confidence": intent.get("confidence"),
            "slots": self.tracker.current_slot_values(),
        }


async def _apology(request: Request, sender: str, text: str, history_lost: bool) -> dict[str, Any]:
    """The apology response, in the conversation's language.

    When the conversation store failed, its history (and the language slot)
    is out of reach: the language is read off the message itself.
    """
    fallback = {
        "recipient_id": sender,
        "text": "Sorry, something went wrong on my side. Please try again in a moment.",
    }
    try:
        agent = request.app.ctx.agent
        tracker = None if history_lost else await agent.tracker_store.retrieve(sender)
        if tracker is None:
            tracker = DialogueStateTracker(sender, agent.domain.slots)
            tracker.update(SlotSet("language", detect_language(text) or "en"))
        rendered = await agent.processor.nlg.generate(APOLOGY_RESPONSE, tracker, "rest")
    except Exception:
        logger.exception("Could not render the apology for %s.", sender)
        return fallback
    if not rendered:
        return fallback
    rendered = {k: v for k, v in rendered.items() if v not in (None, [], {})}
    return {"recipient_id": sender, **rendered}
