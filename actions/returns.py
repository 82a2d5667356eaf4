"""Returns: pick the items, give a reason, check the window, create the return."""

from __future__ import annotations

import difflib
import hashlib
import re
from datetime import datetime, timedelta, timezone

from rasa_sdk.events import EventType

from actions.handoff import shop_down
from actions.shop_client import NotFound, Order, Refused, ShopUnavailable, shop
from actions.texts import date_text, items_text, money_text
from actions.topics import Blocker, Request, Topic
from bot.policy import load_policy

# Words meaning "all of them" in the shop's languages.
ALL_WORDS = {
    "*", "all", "both", "everything", "all items", "всі", "все", "усе", "усі", "обидва",
    "обидві", "всі товари", "усі товари", "wszystko", "wszystkie", "oba", "obie",
    "wszystkie produkty", "vše", "vse", "všechno", "vsechno", "všechny", "vsechny", "obě", "obe",
    "všechny položky", "vsechny polozky",
}  # fmt: skip


def blocker(order: Order, language: str) -> Blocker | None:
    """Why the order cannot be returned now, if it cannot."""
    values = {"order_id": order.id}
    if order.status in ("return_in_progress", "refunded"):
        return Blocker("utter_return_exists", values)
    if order.status == "cancelled":
        return Blocker("utter_return_cancelled_order", values)
    if order.status != "delivered" or order.delivered_at is None:
        return Blocker("utter_return_not_delivered", values)
    window = timedelta(days=load_policy().return_window_days)
    closed = order.delivered_at + window
    if datetime.now(timezone.utc) > closed:
        return Blocker(
            "utter_return_window_closed",
            {
                **values,
                "window_days": window.days,
                "delivered_date": date_text(order.delivered_at, language),
            },
        )
    return None


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


def idempotency_key(*parts: object) -> str:
    """The same request from the same conversation always gets the same key."""
    return hashlib.sha256("|".join(map(str, parts)).encode()).hexdigest()[:40]


async def create_return(request: Request) -> list[EventType]:
    order = request.order
    skus = [sku for sku in str(request.slot("return_items") or "").split(",") if sku]
    reason = str(request.slot("return_reason") or "")
    chosen = [item for item in order.items if item.sku in skus]
    if not chosen:
        request.say("utter_technical_problem")
        return []
    key = idempotency_key(request.tracker.sender_id, order.id, ",".join(skus), reason)
    try:
        created = await shop().create_return(
            order.id, [(item.sku, item.quantity) for item in chosen], reason, key
        )
    except Refused:
        request.say("utter_return_refused", order_id=order.id)
        return []
    except (ShopUnavailable, NotFound):
        shop_down(request.dispatcher)
        return []
    carrier = order.shipment.carrier if order.shipment else ""
    request.say(
        "utter_return_created",
        return_id=created.id,
        order_id=order.id,
        items=items_text((item.name, item.quantity) for item in chosen),
        label_url=created.label_url,
        carrier=carrier or "—",
        amount=money_text(
            created.refund_amount, created.currency or order.currency, request.language
        ),
        refund_days=load_policy().refund_days,
    )
    request.say("utter_anything_else")
    return []


TOPIC = Topic(
    name="return",
    slots=("return_items", "return_reason"),
    complete=create_return,
    blocker=blocker,
)
