"""What the REST channel lets through as a button's payload: an intent, or an intent
with an order number ("my orders"); anything else a customer types is read as text."""

from __future__ import annotations

import pytest

from bot.channels.rest import clean_text


@pytest.mark.parametrize(
    "payload", ["/greet", "/my_orders", '/order_status{"order_id":"10001"}', "/affirm"]
)
def test_button_payloads_reach_the_bot_as_they_are(payload: str) -> None:
    assert clean_text(payload) == payload


@pytest.mark.parametrize(
    ("typed", "read_as"),
    [
        ('/inform{"email":"someone@else.com"}', 'inform{"email":"someone@else.com"}'),
        ('/order_status{"order_id":"10001","email":"a@b.cz"}', 'order_status{"order_id":"10001","email":"a@b.cz"}'),
        ('/order_status{"order_id":"abc"}', 'order_status{"order_id":"abc"}'),
        ("/", "/empty_message"),
    ],
)  # fmt: skip
def test_other_entities_are_never_taken_from_a_payload(typed: str, read_as: str) -> None:
    assert clean_text(typed) == read_as
