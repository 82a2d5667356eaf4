"""What every order topic (status, return, refund, cancel, address, complaint) shares.

One form, `order_request_form`, serves all topics: it asks for the order
number and email, verifies them, then asks the topic's own questions. A topic
is a small declaration: which extra slots it needs, why it may not apply to
an order (a blocker), and what to do once everything is known.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from actions.shop_client import Order


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


@dataclass(frozen=True)
class Topic:
    name: str
    # Slots asked after the order is verified, in order.
    slots: tuple[str, ...]
    complete: Callable[[Request], Awaitable[list[EventType]]]
    blocker: Callable[[Order, str], Blocker | None] = lambda order, language: None


# Slots a topic fills; all are cleared when a request is finished.
FLOW_SLOTS = (
    "return_items",
    "return_reason",
    "confirm",
    "new_address",
    "complaint_category",
    "complaint_description",
    "complaint_photo",
)
