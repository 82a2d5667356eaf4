"""What every order topic (status, return, refund, cancel, address, complaint) shares.

One form, `order_request_form`, serves all topics: it asks for the order
number and email, verifies them, then asks the topic's own questions. A topic
is a declaration in its own module: its questions (each slot with its own
extract/validate functions), why it may not apply to an order (a blocker),
and what to do once everything is known. The form finds every `Topic` in the
actions package, so a new topic touches only its own module (and the domain).

The helpers every topic uses live here too: the conversation's latest
message, the verified order, idempotency keys, and the backend-down reply.
"""

from __future__ import annotations

import hashlib
import importlib
import pkgutil
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from actions.handoff import hand_off
from actions.shops import Order, shop


@dataclass(frozen=True)
class Blocker:
    """Why a topic does not apply to an order: a response and its placeholders."""

    response: str
    values: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Request:
    """Everything a topic needs to finish: the verified order and the conversation."""

    order: Order
    tracker: Tracker
    dispatcher: CollectingDispatcher
    language: str

    def slot(self, name: str) -> Any:
        return self.tracker.get_slot(name)

    def say(self, response: str, **values: Any) -> None:
        self.dispatcher.utter_message(response=response, **values)

    def key(self, *parts: object) -> str:
        """The idempotency key of this change in this conversation."""
        return idempotency_key(self.tracker.sender_id, self.order.id, *parts)

    def shop_down(self) -> None:
        shop_down(self.dispatcher)


@dataclass(frozen=True)
class Turn:
    """One call of the form's slot logic: who said what, and where to answer."""

    dispatcher: CollectingDispatcher
    tracker: Tracker

    def say(self, response: str, **values: Any) -> None:
        self.dispatcher.utter_message(response=response, **values)

    def answer(self, slot: str) -> str | None:
        """The latest message when it answers the question about `slot`."""
        if self.tracker.get_slot("requested_slot") != slot or not customer_just_spoke(self.tracker):
            return None  # not an answer, or already answered as an interruption
        text = latest_text(self.tracker).strip()
        return text or None

    async def order(self) -> Order:
        return await verified_order(self.tracker)


@dataclass(frozen=True)
class ProvenCustomer:
    """A customer whose email is proven (a verified order, the shop's token, a known
    customer): what a topic that needs no single order works with ("my orders")."""

    email: str
    dispatcher: CollectingDispatcher
    language: str


Extract = Callable[[Turn], Awaitable[dict[str, Any]]]
Validate = Callable[[Any, Turn], Awaitable[dict[str, Any]]]

# How a question is answered, which decides what interrupts it: a free-text
# answer ("the zip broke after a day") is taken whatever the NLU made of it;
# a pick from buttons still gives way to a question or a request to stop.
FREE_TEXT, CHOICE, YES_NO = "free_text", "choice", "yes_no"


@dataclass(frozen=True)
class Question:
    """One slot a topic asks after the order is verified."""

    slot: str
    kind: str = CHOICE
    extract: Extract | None = None
    validate: Validate | None = None


@dataclass(frozen=True)
class Topic:
    name: str
    # Asked after the order is verified, in order.
    questions: tuple[Question, ...]
    complete: Callable[[Request], Awaitable[list[EventType]]]
    blocker: Callable[[Order, str], Blocker | None] = lambda order, language: None
    # Which questions this order needs (default: all of them).
    needs: Callable[[Order], tuple[str, ...]] | None = None
    # Said when the customer brings the topic up; may fill slots from the message.
    on_request: Callable[[Turn], dict[str, Any]] | None = None
    # The question that confirms the change, naming it exactly.
    confirm_response: str = ""
    # For a customer whose email is proven: done without verifying an order first.
    without_order: Callable[[ProvenCustomer], Awaitable[list[EventType]]] | None = None

    @property
    def slots(self) -> tuple[str, ...]:
        return tuple(question.slot for question in self.questions)

    def slots_for(self, order: Order) -> tuple[str, ...]:
        return self.needs(order) if self.needs else self.slots

    def question(self, slot: str) -> Question | None:
        return next((q for q in self.questions if q.slot == slot), None)


def all_topics() -> dict[str, Topic]:
    """Every Topic declared in a module of the actions package, by name."""
    import actions

    found: dict[str, Topic] = {}
    for module_info in pkgutil.iter_modules(actions.__path__):
        module = importlib.import_module(f"actions.{module_info.name}")
        for value in vars(module).values():
            if isinstance(value, Topic):
                found[value.name] = value
    return found


# --- The conversation -----------------------------------------------------


def latest_intent(tracker: Tracker) -> str:
    return str(tracker.latest_message.get("intent", {}).get("name") or "")


def latest_text(tracker: Tracker) -> str:
    return str(tracker.latest_message.get("text") or "")


def customer_just_spoke(tracker: Tracker) -> bool:
    """True on the customer's turn; False when the form runs again after an answer
    to an interruption (the bot has spoken since the customer's message)."""
    for event in reversed(tracker.events):
        if event.get("event") == "bot":
            return False
        if event.get("event") == "user":
            return True
    return False


def proven_email(tracker: Tracker) -> str | None:
    """The email the customer proved in this session, if any (see the `proven_email` slot)."""
    return tracker.get_slot("proven_email") or None


async def verified_order(tracker: Tracker) -> Order:
    return await shop().get_order(int(tracker.get_slot("order_id")))


async def extract_confirm(turn: Turn) -> dict[str, Any]:
    """Yes or no to the confirmation question."""
    if turn.tracker.get_slot("requested_slot") != "confirm":
        return {}
    intent = latest_intent(turn.tracker)
    if intent in ("affirm", "deny"):
        return {"confirm": intent == "affirm"}
    return {}


CONFIRM = Question("confirm", YES_NO, extract=extract_confirm)


# --- Shared by every change -----------------------------------------------


def idempotency_key(*parts: object) -> str:
    """The same request from the same conversation always gets the same key."""
    return hashlib.sha256("|".join(map(str, parts)).encode()).hexdigest()[:40]


def shop_down(dispatcher: CollectingDispatcher) -> None:
    """The shop did not answer even after retries: apologise and hand off."""
    dispatcher.utter_message(response="utter_shop_unavailable")
    hand_off(dispatcher, "backend_failure")
