"""Which of the website chat's state a continued chat takes over (bot/gateway/continuation.py)."""

from __future__ import annotations

from bot.gateway.continuation import carried_events


def slot(name: str, value: object) -> dict[str, object]:
    return {"event": "slot", "name": name, "value": value}


def test_the_order_and_its_proof_travel_and_unset_slots_do_not() -> None:
    tracker = {
        "slots": {
            "language": "uk",
            "topic": "order_status",
            "order_id": "10001",
            "email": "olena.kovalenko@example.com",
            "verified_order_id": "10001",
            "verification_failures": 1.0,
            "return_items": "KR-MUG-350",  # left from a request that is over
            "complaint_count": 2.0,
            "customer_upset": None,
        },
        "active_loop": {},
    }
    assert carried_events(tracker) == (
        [
            slot("language", "uk"),
            slot("topic", "order_status"),
            slot("order_id", "10001"),
            slot("email", "olena.kovalenko@example.com"),
            slot("verified_order_id", "10001"),
            slot("verification_failures", 1.0),
        ],
        False,
    )


def test_a_request_under_way_takes_its_answers_along() -> None:
    tracker = {
        "slots": {
            "language": "pl",
            "topic": "return",
            "order_id": "10002",
            "email": "a@example.com",
            "verified_order_id": "10002",
            "return_items": "KR-MUG-350",
            "return_reason": None,
        },
        "active_loop": {"name": "order_request_form"},
    }
    events, in_request = carried_events(tracker)
    assert in_request
    assert events[-1] == slot("return_items", "KR-MUG-350")
    assert "return_reason" not in {e["name"] for e in events}


def test_an_empty_tracker_carries_nothing() -> None:
    assert carried_events({}) == ([], False)
