"""Complaints: empathy first, then category, description, optional photo, a ticket."""

from __future__ import annotations

import re

from rasa_sdk.events import EventType, SlotSet

from actions.handoff import shop_down
from actions.returns import idempotency_key
from actions.shop_client import NotFound, Refused, ShopUnavailable, shop
from actions.texts import date_text
from actions.topics import Request, Topic
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
    key = idempotency_key(request.tracker.sender_id, order.id, category, description)
    try:
        ticket = await shop().create_ticket(
            order.id,
            order.customer_email,
            category,
            description or "(no description)",
            photo if photo and photo != "none" else None,
            key,
        )
    except (ShopUnavailable, NotFound, Refused):
        shop_down(request.dispatcher)
        return []
    request.say(
        "utter_complaint_ticket",
        ticket_id=ticket.id,
        hours=load_policy().complaint_response_hours,
        response_date=date_text(ticket.expected_response_by, request.language),
    )
    count = int(request.slot("complaint_count") or 0) + 1
    if request.slot("customer_upset") or count >= 2:
        request.say("utter_offer_person")
    else:
        request.say("utter_anything_else")
    return [SlotSet("complaint_count", float(count))]


TOPIC = Topic(
    name="complaint",
    slots=("complaint_category", "complaint_description", "complaint_photo"),
    complete=create_ticket,
)
