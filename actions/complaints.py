"""Complaints: empathy first, then category, description, optional photo, a ticket."""

from __future__ import annotations

import re
from typing import Any

from rasa_sdk.events import EventType, SlotSet

from actions.handoff import hand_off
from actions.mood import is_upset
from actions.offers import make_offer
from actions.shops import NotFound, Refused, ShopUnavailable, shop
from actions.texts import date_text
from actions.topics import FREE_TEXT, Question, Request, Topic, Turn, latest_intent, latest_text
from bot.policy import load_policy

# Word stems that name each ticket category, in the shop's languages.
CATEGORY_WORDS = {
    "damaged": r"damag|broke|crack|smash|scratch|пошкод|зламан|розбит|тріснут|побит|поломан|"
    r"uszkodz|zniszcz|zepsut|połaman|polaman|pęknięt|peknie|rozbit|poškoz|poskoz|zlomen|praskl",
    "wrong_item": r"wrong|different item|not what i ordered|не той|не те|інш|не такий|"
    r"zł[ya] |zly |inny|nie to|pomyłk|nesprávn|nespravn|něco jiného|neco jineho|záměn|zamen",
    "missing_item": r"missing|not in the (box|parcel)|incomplete|не вистача|бракує|нема[єе] |"
    r"відсутн|brak|brakuje|niekompletn|chybí|chybi\b|chyběl|chybel|nekompletn|neúpln|neupln",
    "late_delivery": r"late|delay|still (hasn't|has not|not) (come|arrived)|затрим|запізн|"
    r"довго|досі не|spóźn|spozn|opóźn|opozn|nadal nie|wciąż nie|zpožd|zpozd|pozdě|"
    r"pořád nepřiš|porad neprisl|stále nepřiš|stale neprisl|ještě nepřiš|jeste neprisl",
    "quality": r"quality|poor|cheap|fell apart|якіст|неякісн|jakoś|jakos|słab|slab|kvalit|rozpad",
    "service": r"rude|service|support|ignored|грубо|хамств|обслуг|підтримк|obsług|obslug|"
    r"niegrzeczn|ignoruj|servis|obsluh|podpor|nezdvoř|nezdvor|neochot|ignorov",
}
SKIP_WORDS = {
    "skip", "no", "no photo", "none", "пропустити", "ні", "без фото", "нема",
    "pomiń", "pomin", "nie", "bez zdjęcia", "bez zdjecia",
    "přeskočit", "preskocit", "ne", "bez fotky", "bez fotografie", "nemám", "nemam",
}  # fmt: skip
URL = re.compile(r"https?://\S+", re.IGNORECASE)


def category_of(text: str) -> str | None:
    found = [key for key, stems in CATEGORY_WORDS.items() if re.search(stems, text.lower())]
    return found[0] if len(found) == 1 else None


def photo_of(text: str) -> str | None:
    """A photo link, "none" when the customer skips, or None when unclear."""
    match = URL.search(text)
    if match:
        return match.group(0)
    return "none" if text.strip().lower().strip(".!") in SKIP_WORDS else None


async def create_ticket(request: Request) -> list[EventType]:
    order = request.order
    photo = request.slot("complaint_photo")
    description = str(request.slot("complaint_description") or "").strip()[:5000]
    category = str(request.slot("complaint_category") or "other")
    try:
        ticket = await shop().create_ticket(
            order,
            category,
            description or "(no description)",
            photo if photo and photo != "none" else None,
            request.key(category, description),
        )
    except (ShopUnavailable, NotFound, Refused):
        request.shop_down()
        return []
    request.say(
        "utter_complaint_ticket",
        ticket_id=ticket.id,
        hours=load_policy().complaint_response_hours,
        response_date=date_text(ticket.expected_response_by, request.language),
    )
    # For the gateway: a line in the transcript agents read, never shown to the customer.
    request.dispatcher.utter_message(
        json_message={
            "ticket": {
                "id": ticket.id,
                "store": shop().tickets_kept_by,
                "category": category,
                "order_id": order.id,
            }
        }
    )
    count = int(request.slot("complaint_count") or 0) + 1
    offered = [] if request.slot("customer_upset") else await make_offer(request, "complaint")
    if request.slot("customer_upset") or count >= 2:
        request.say("utter_offer_person")
    elif not offered:
        request.say("utter_anything_else")
    return [SlotSet("complaint_count", float(count)), *offered]


def on_request(turn: Turn) -> dict[str, Any]:
    """Empathy first; what the complaint already says fills its questions."""
    if latest_intent(turn.tracker) != "complaint":
        return {}
    text = latest_text(turn.tracker)
    if is_upset(text):
        # Strong feelings or a repeated problem: a person, straight away.
        turn.say("utter_complaint_empathy_strong")
        hand_off(turn.dispatcher, "upset_customer")
        return {"customer_upset": True, "end_request": True}
    turn.say("utter_complaint_empathy")
    slots: dict[str, Any] = {}
    category = category_of(text)
    if category and not turn.tracker.get_slot("complaint_category"):
        slots["complaint_category"] = category
    if len(text.split()) >= 5 and not turn.tracker.get_slot("complaint_description"):
        slots["complaint_description"] = text
    return slots


async def extract_category(turn: Turn) -> dict[str, Any]:
    text = turn.answer("complaint_category")
    if not text:
        return {}
    category = category_of(text)
    if category is None and text.strip().lower() in ("other", "інше", "inne", "jiné", "jine"):
        category = "other"
    return {"complaint_category": category or "other"}


async def extract_description(turn: Turn) -> dict[str, Any]:
    text = turn.answer("complaint_description")
    return {"complaint_description": text} if text else {}


async def extract_photo(turn: Turn) -> dict[str, Any]:
    text = turn.answer("complaint_photo")
    if not text:
        return {}
    photo = photo_of(text)
    if photo is None:
        turn.say("utter_invalid_photo")
    return {"complaint_photo": photo}


TOPIC = Topic(
    name="complaint",
    questions=(
        Question("complaint_category", extract=extract_category),
        Question("complaint_description", FREE_TEXT, extract=extract_description),
        Question("complaint_photo", FREE_TEXT, extract=extract_photo),
    ),
    complete=create_ticket,
    on_request=on_request,
)
