"""Known customers through the gateway (issue 20, points 1 and 2), on the real stack:
remembered only after a yes, welcomed back by name in a new session without the
email question, forgotten at once, and their orders listed only for a proven email."""

from __future__ import annotations

import sqlite3
from typing import Any

import pytest

from bot.launcher import Stack
from tests.support.gateway import Customer
from tests.support.sessions import OLENA, an_hour_later

EMILY = "emily.carter@example.com"  # order 10003 (paid: it can still be cancelled)
OFFER = "Shall I remember you on this chat, Olena?"


def inbox_db(stack: Stack) -> sqlite3.Connection:
    return sqlite3.connect(stack.env["INBOX_DATABASE_URL"].split(":///", 1)[1])


def rows(stack: Stack, query: str, *args: Any) -> list[tuple[Any, ...]]:
    with inbox_db(stack) as db:
        return db.execute(query, args).fetchall()


def texts(replies: list[dict[str, Any]]) -> str:
    return "\n".join(str(reply.get("text") or "") for reply in replies)


def button_payloads(replies: list[dict[str, Any]]) -> dict[str, str]:
    return {b["title"]: b["payload"] for reply in replies for b in reply.get("buttons") or []}


def verified(customer: Customer, order_id: int = 10001, email: str = OLENA) -> list[dict]:
    customer.send(f"where is my order {order_id}?")
    return customer.send(email)


@pytest.fixture
def customer(inbox_url: str) -> Customer:
    return Customer(inbox_url)


def test_a_yes_remembers_the_customer_on_this_chat(stack: Stack, customer: Customer) -> None:
    answer = verified(customer)
    assert "#10001" in texts(answer) and OFFER in texts(answer)
    assert button_payloads(answer)["Yes, remember me"] == "/affirm"
    assert button_payloads(answer)["Don't remember me"] == "/deny"
    assert "Can I help with anything else?" not in texts(answer)  # one question at a time
    assert rows(stack, "SELECT * FROM customer_links WHERE sender_id = ?", customer.id) == []

    done = customer.send("/affirm")
    assert "Done, Olena: I'll remember you on this chat." in texts(done)
    assert rows(
        stack,
        "SELECT c.email, c.name, c.language, l.channel FROM customers c"
        " JOIN customer_links l ON l.customer_id = c.id WHERE l.sender_id = ?",
        customer.id,
    ) == [(OLENA, "Olena", "en", "rest")]
    system = rows(
        stack,
        "SELECT m.text FROM messages m JOIN conversations c ON c.id = m.conversation_id"
        " WHERE c.sender_id = ? AND m.direction = 'system'",
        customer.id,
    )
    assert ("Customer asked to be remembered",) in system
    # Markers are for the gateway only: the customer never sees one.
    assert all("custom" not in reply for reply in done)


@pytest.mark.parametrize("answer", ["no thanks", "what are your delivery times?", "thank you"])
def test_nothing_is_remembered_without_a_yes(stack: Stack, customer: Customer, answer: str) -> None:
    assert OFFER in texts(verified(customer))
    customer.send(answer)  # a no, or the offer ignored
    customer.send("where is my order 10001?")  # another request: the offer is not made again
    assert OFFER not in texts(customer.send("yes"))
    assert rows(stack, "SELECT * FROM customer_links WHERE sender_id = ?", customer.id) == []
    system = rows(
        stack,
        "SELECT m.text FROM messages m JOIN conversations c ON c.id = m.conversation_id"
        " WHERE c.sender_id = ? AND m.direction = 'system'",
        customer.id,
    )
    assert ("Customer asked to be remembered",) not in system


def test_a_known_customer_is_welcomed_back_and_not_asked_for_the_email(
    stack: Stack, customer: Customer
) -> None:
    verified(customer)
    customer.send("/affirm")
    an_hour_later(stack, customer.id)

    assert "Welcome back, Olena!" in customer.say("hi")
    status = texts(customer.send("where is my order 10001?"))
    assert "#10001" in status and "Nova Poshta" in status
    assert "email" not in status.lower()


def test_a_new_session_forgets_a_customer_who_was_not_remembered(
    stack: Stack, customer: Customer
) -> None:
    verified(customer)
    customer.send("no")
    an_hour_later(stack, customer.id)

    assert "Welcome back" not in customer.say("hi")
    asked = customer.say("where is my order 10001?")
    assert "email" in asked.lower() and "Nova Poshta" not in asked


def test_forget_me_deletes_the_record_at_once(stack: Stack, customer: Customer) -> None:
    verified(customer)
    customer.send("/affirm")
    assert rows(stack, "SELECT * FROM customer_links WHERE sender_id = ?", customer.id)

    assert "I've deleted everything I remembered about you" in customer.say("forget me")
    assert rows(stack, "SELECT * FROM customer_links WHERE sender_id = ?", customer.id) == []
    assert rows(stack, "SELECT * FROM customers WHERE email = ?", OLENA) == []
    # This conversation forgot the email too: the order needs it again.
    assert "email" in customer.say("where is my order 10001?").lower()

    an_hour_later(stack, customer.id)
    assert "Welcome back" not in customer.say("hi")


@pytest.mark.parametrize(
    ("phrase", "expected"),
    [
        ("delete my data", "I hadn't remembered anything about you"),
        ("забудь мене", "Я нічого про вас не запам'ятовував"),
        ("zapomnij mnie", "Niczego o Tobie nie zapamiętywałem"),
        ("zapomeň mě", "Nic jsem si o Vás neukládal"),
    ],
)
def test_forget_me_when_nothing_was_remembered_says_so(
    customer: Customer, phrase: str, expected: str
) -> None:
    assert expected in customer.say(phrase)


def test_my_orders_of_a_known_customer_are_buttons_into_their_status(
    stack: Stack, customer: Customer
) -> None:
    verified(customer)
    customer.send("/affirm")
    an_hour_later(stack, customer.id)

    listed = customer.send("show my orders")
    assert "Here are your recent orders" in texts(listed)
    payloads = button_payloads(listed)
    assert payloads, listed
    assert '/order_status{"order_id":"10001"}' in payloads.values()
    assert '/order_status{"order_id":"10007"}' in payloads.values()
    assert not any("10003" in payload for payload in payloads.values())  # Emily's

    status = customer.send('/order_status{"order_id":"10007"}')
    assert "#10007" in texts(status) and "email" not in texts(status).lower()


def test_the_status_reply_offers_what_the_shops_rules_allow(customer: Customer) -> None:
    paid = verified(customer, 10003, EMILY)
    assert button_payloads(paid).get("Cancel an order") == '/cancel_order{"order_id":"10003"}'
    assert not any(p.startswith("/return_request") for p in button_payloads(paid).values())
    asked = customer.send("/deny")  # not remembered
    assert "won't remember" in texts(asked)
    confirm = customer.send('/cancel_order{"order_id":"10003"}')
    assert "10003" in texts(confirm) and "email" not in texts(confirm).lower()
    customer.send("no")  # leave the order as it is


def test_an_unrecognised_customer_verifies_before_the_list(customer: Customer) -> None:
    asked = customer.say("show my orders")
    assert "make sure it's you" in asked
    assert "Here are your recent orders" not in asked
    # An email alone proves nothing: still no list.
    customer.send(EMILY)
    assert "Here are your recent orders" not in customer.say("show my orders")
    customer.send("10001")
    listed = customer.send(OLENA)
    assert "Here are your recent orders" in texts(listed)
    assert '/order_status{"order_id":"10001"}' in button_payloads(listed).values()


def test_a_client_cannot_claim_to_be_a_known_customer(stack: Stack, customer: Customer) -> None:
    forged = {"known_customer": {"email": OLENA, "name": "Olena"}, "signed_in": {"email": OLENA}}
    assert "Welcome back" not in texts(customer.send("hi", forged))
    asked = texts(customer.send("show my orders", forged))
    assert "make sure it's you" in asked and "Here are your recent orders" not in asked
