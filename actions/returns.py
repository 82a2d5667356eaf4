"""Returns: pick the items, give a reason, check the window, create the return."""

from __future__ import annotations

import difflib
import re
from typing import Any

from rasa_sdk.events import EventType

from actions.offers import offer_if_loyal
from actions.shops import NotFound, Order, Refused, ShopUnavailable, shop
from actions.shops.base import RETURN_CANCELLED, RETURN_EXISTS, RETURN_WINDOW_CLOSED
from actions.texts import date_text, items_text, money_text
from actions.topics import FREE_TEXT, Blocker, Question, Request, Topic, Turn
from actions.updates import offer_updates
from bot.policy import load_policy

# Words meaning "all of them" in the shop's languages.
ALL_WORDS = {
    "*", "all", "both", "everything", "all items", "всі", "все", "усе", "усі", "обидва",
    "обидві", "всі товари", "усі товари", "wszystko", "wszystkie", "oba", "obie",
    "wszystkie produkty", "vše", "vse", "všechno", "vsechno", "všechny", "vsechny", "obě", "obe",
    "všechny položky", "vsechny polozky",
}  # fmt: skip


def blocker(order: Order, language: str) -> Blocker | None:
    """Why the order cannot be returned now (the shop platform's rules), if it cannot."""
    values = {"order_id": order.id}
    reason = shop().return_blocker(order)
    if reason is None:
        return None
    if reason == RETURN_EXISTS:
        return Blocker("utter_return_exists", values)
    if reason == RETURN_CANCELLED:
        return Blocker("utter_return_cancelled_order", values)
    if reason == RETURN_WINDOW_CLOSED:
        return Blocker(
            "utter_return_window_closed",
            {
                **values,
                "window_days": load_policy().return_window_days,
                "delivered_date": date_text(order.delivered_at, language),
            },
        )
    return Blocker("utter_return_not_delivered", values)


def _words(text: str) -> set[str]:
    return {w for w in re.findall(r"\w+", text.lower()) if len(w) >= 3}


def match_items(text: str, order: Order) -> list[str]:
    """SKUs of the order's items that `text` names ("the headphones", "2", "all")."""
    cleaned = text.strip().lower().strip(".!?")
    if cleaned in ALL_WORDS:
        return [item.sku for item in order.items]
    chosen: list[str] = []
    for position, item in enumerate(order.items, start=1):
        name = item.name.lower()
        named = cleaned == str(position) or name in cleaned or cleaned in name
        if not named:
            wanted, have = _words(cleaned), _words(name)
            named = any(difflib.get_close_matches(word, have, n=1, cutoff=0.8) for word in wanted)
        if named:
            chosen.append(item.sku)
    return chosen


async def extract_return_items(turn: Turn) -> dict[str, Any]:
    text = turn.answer("return_items")
    return {"return_items": text} if text else {}


async def validate_return_items(value: Any, turn: Turn) -> dict[str, Any]:
    if not value:
        return {"return_items": None}
    order = await turn.order()
    if set(str(value).split(",")) <= {item.sku for item in order.items}:
        return {"return_items": value}
    skus = match_items(str(value), order)
    if not skus:
        turn.say("utter_invalid_return_items")
        return {"return_items": None}
    return {"return_items": ",".join(skus)}


async def extract_return_reason(turn: Turn) -> dict[str, Any]:
    text = turn.answer("return_reason")
    if not text or len(text) > 500:
        return {}
    slots: dict[str, Any] = {"return_reason": text}
    if not turn.tracker.get_slot("return_items"):  # single-item order
        order = await turn.order()
        slots["return_items"] = ",".join(item.sku for item in order.items)
    return slots


def needs(order: Order) -> tuple[str, ...]:
    """One item: nothing to pick, only the reason."""
    return ("return_reason",) if len(order.items) == 1 else ("return_items", "return_reason")


async def create_return(request: Request) -> list[EventType]:
    order = request.order
    skus = [sku for sku in str(request.slot("return_items") or "").split(",") if sku]
    reason = str(request.slot("return_reason") or "")
    chosen = [item for item in order.items if item.sku in skus]
    if not chosen:
        request.say("utter_technical_problem")
        return []
    key = request.key(",".join(skus), reason)
    try:
        created = await shop().create_return(
            order, [(item.sku, item.quantity) for item in chosen], reason, key
        )
    except Refused:
        request.say("utter_return_refused", order_id=order.id)
        return []
    except (ShopUnavailable, NotFound):
        request.shop_down()
        return []
    carrier = order.shipment.carrier if order.shipment else ""
    request.say(
        "utter_return_created",
        return_id=created.id,
        order_id=order.id,
        items=items_text((item.name, item.quantity) for item in chosen),
        label_url=created.label_url or "—",  # a platform without labels (Medusa)
        carrier=carrier or "—",
        amount=money_text(
            created.refund_amount, created.currency or order.currency, request.language
        ),
        refund_days=load_policy().refund_days,
    )
    offered = await offer_if_loyal(request)
    if offered:  # one question at a time: the offer, then nothing else
        return offered
    offer_updates(request.tracker, request.dispatcher, "return_in_progress")
    request.say("utter_anything_else")
    return []


TOPIC = Topic(
    name="return",
    questions=(
        Question("return_items", extract=extract_return_items, validate=validate_return_items),
        Question("return_reason", FREE_TEXT, extract=extract_return_reason),
    ),
    complete=create_return,
    blocker=blocker,
    needs=needs,
)
