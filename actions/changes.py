"""Cancelling an order and changing its delivery address: only before it ships.

Both confirm before changing anything, and both explain a refusal (already
shipped) with the alternative: a return once it is delivered.
"""

from __future__ import annotations

import re
from typing import Any

from rasa_sdk.events import EventType

from actions.shops import Address, NotFound, Order, Refused, ShopUnavailable, shop
from actions.topics import CONFIRM, FREE_TEXT, Blocker, Question, Request, Topic, Turn

COUNTRY_WORDS = {
    "UA": ("ukraine", "ukraina", "україна", "украина", "ukrajina", "ua"),
    "PL": ("poland", "polska", "польща", "польша", "polsko", "poľsko", "pl"),
    "CZ": (
        "czechia",
        "czech republic",
        "czechy",
        "česko",
        "cesko",
        "česká republika",
        "ceska republika",
        "čechy",
        "cechy",
        "čr",
        "чехія",
        "cz",
    ),
}
POSTAL_CODES = {
    "PL": re.compile(r"\b\d{2}-\d{3}\b"),
    "CZ": re.compile(r"\b\d{3}\s\d{2}\b"),
    "UA": re.compile(r"\b\d{5}\b"),
}


def _blocker(kind: str):  # type: ignore[no-untyped-def]
    def blocker(order: Order, language: str) -> Blocker | None:
        # The platform's rules: Medusa, say, cancels nothing it has packed.
        allowed = shop().cancellable if kind == "cancel" else shop().readdressable
        if order.status in allowed:
            return None
        values = {"order_id": order.id}
        # Packed but past the platform's point of no return reads as shipped.
        if order.status in ("packed", "shipped", "delivered"):
            return Blocker(f"utter_{kind}_already_shipped", values)
        if order.status == "cancelled":
            return Blocker("utter_order_already_cancelled", values)
        return Blocker(f"utter_{kind}_not_possible", values)

    return blocker


def parse_address(text: str, current: Address | None) -> Address | None:
    """A delivery address from free text like "Krakowska 5, 31-062 Kraków"."""
    parts = [p.strip() for p in re.split(r"[,\n;]+", text) if p.strip()]
    country = None
    for code, words in COUNTRY_WORDS.items():
        kept = [p for p in parts if p.lower() not in words]
        if len(kept) < len(parts):
            country, parts = code, kept
    postal_code, city, street_parts = None, None, []
    for part in parts:
        found = None
        for code, pattern in POSTAL_CODES.items():
            match = pattern.search(part)
            if match and (country is None or country == code):
                found = match
                country = country or code
                break
        if found and postal_code is None:
            postal_code = found.group(0)
            rest = (part[: found.start()] + part[found.end() :]).strip(" ,")
            city = rest or None
        elif postal_code is not None and city is None:
            city = part
        else:
            street_parts.append(part)
    if not street_parts and city is None:
        return None
    if city is None and len(street_parts) >= 2:
        city = street_parts.pop()
    if not (street_parts and city and postal_code):
        return None
    if not any(ch.isdigit() for ch in street_parts[0]) and len(street_parts) == 1:
        return None  # a street needs its house number
    return Address(
        name=current.name if current else "",
        street=", ".join(street_parts),
        city=city,
        postal_code=postal_code,
        country=country or (current.country if current else ""),
    )


async def cancel(request: Request) -> list[EventType]:
    order = request.order
    if request.slot("confirm") is not True:
        request.say("utter_nothing_changed")
        return []
    try:
        await shop().cancel_order(order, "Cancelled by the customer in chat", request.key("cancel"))
    except Refused:
        # A retried cancel that already went through is refused as "already cancelled".
        try:
            fresh = await shop().get_order(order.id)
        except (ShopUnavailable, NotFound):
            fresh = order
        if fresh.status != "cancelled":
            request.say("utter_cancel_already_shipped", order_id=order.id)
            return []
    except (ShopUnavailable, NotFound):
        request.shop_down()
        return []
    paid = order.status != "pending_payment"
    request.say("utter_cancel_done_paid" if paid else "utter_cancel_done", order_id=order.id)
    request.say("utter_anything_else")
    return []


async def change_address(request: Request) -> list[EventType]:
    order = request.order
    if request.slot("confirm") is not True:
        request.say("utter_nothing_changed")
        return []
    address = parse_address(str(request.slot("new_address") or ""), order.shipping_address)
    if address is None:
        request.say("utter_invalid_address")
        return []
    try:
        await shop().change_address(order, address, request.key(address.as_text()))
    except Refused:
        request.say("utter_address_already_shipped", order_id=order.id)
        return []
    except (ShopUnavailable, NotFound):
        request.shop_down()
        return []
    request.say("utter_address_changed", order_id=order.id, new_address=address.as_text())
    request.say("utter_anything_else")
    return []


async def extract_new_address(turn: Turn) -> dict[str, Any]:
    text = turn.answer("new_address")
    return {"new_address": text} if text else {}


async def validate_new_address(value: Any, turn: Turn) -> dict[str, Any]:
    if not value:
        return {"new_address": None}
    order = await turn.order()
    address = parse_address(str(value), order.shipping_address)
    if address is None:
        turn.say("utter_invalid_address")
        return {"new_address": None}
    return {"new_address": address.as_text()}


CANCEL = Topic(
    name="cancel",
    questions=(CONFIRM,),
    complete=cancel,
    blocker=_blocker("cancel"),
    confirm_response="utter_confirm_cancel",
)
ADDRESS = Topic(
    name="address",
    questions=(
        Question(
            "new_address", FREE_TEXT, extract=extract_new_address, validate=validate_new_address
        ),
        CONFIRM,
    ),
    complete=change_address,
    blocker=_blocker("address"),
    confirm_response="utter_confirm_address",
)
