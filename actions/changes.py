"""Cancelling an order and changing its delivery address: only before it ships.

Both confirm before changing anything, and both explain a refusal (already
shipped) with the alternative: a return once it is delivered.
"""

from __future__ import annotations

import re

from rasa_sdk.events import EventType

from actions.handoff import shop_down
from actions.returns import idempotency_key
from actions.shop_client import Address, NotFound, Order, Refused, ShopUnavailable, shop
from actions.topics import Blocker, Request, Topic

CHANGEABLE = ("pending_payment", "paid", "packed")

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
        if order.status in CHANGEABLE:
            return None
        values = {"order_id": order.id}
        if order.status in ("shipped", "delivered"):
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
    key = idempotency_key(request.tracker.sender_id, order.id, "cancel")
    try:
        await shop().cancel_order(order.id, "Cancelled by the customer in chat", key)
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
        shop_down(request.dispatcher)
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
    key = idempotency_key(request.tracker.sender_id, order.id, address.as_text())
    try:
        await shop().change_address(order.id, address, key)
    except Refused:
        request.say("utter_address_already_shipped", order_id=order.id)
        return []
    except (ShopUnavailable, NotFound):
        shop_down(request.dispatcher)
        return []
    request.say("utter_address_changed", order_id=order.id, new_address=address.as_text())
    request.say("utter_anything_else")
    return []


CANCEL = Topic(name="cancel", slots=("confirm",), complete=cancel, blocker=_blocker("cancel"))
ADDRESS = Topic(
    name="address",
    slots=("new_address", "confirm"),
    complete=change_address,
    blocker=_blocker("address"),
)
