"""Handoff end to end: a customer on the gateway, an agent in a real browser.

Real Rasa, action server, shop, gateway and inbox; headless Chromium for the
agent. Screenshots go to test-artifacts/handoff/.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from playwright.sync_api import expect, sync_playwright

from bot.launcher import PROJECT_ROOT, Stack
from tests.support.gateway import Agent, Customer, create_agent

SHOTS = PROJECT_ROOT / "test-artifacts" / "handoff"
BROWSER_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]  # fmt: skip


@pytest.fixture(scope="module")
def agent_login(stack: Stack) -> tuple[str, str]:
    create_agent(dict(stack.env), "ewa", "correct horse battery", "Ewa")
    return "ewa", "correct horse battery"


def test_polish_customer_gets_a_person_in_the_browser(
    stack: Stack, inbox_url: str, agent_login: tuple[str, str]
) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=BROWSER_ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 860})
        page.goto(f"{inbox_url}/login")
        page.fill("input[name=username]", agent_login[0])
        page.fill("input[name=password]", agent_login[1])
        page.click("button[type=submit]")
        page.wait_for_url(f"{inbox_url}/")
        page.screenshot(path=str(SHOTS / "1-empty-queue.png"))

        customer = Customer(inbox_url)
        assert customer.say("Dzień dobry, gdzie jest moje zamówienie?")
        answer = customer.say("chcę porozmawiać z konsultantem")
        assert "Przekazuję rozmowę" in answer

        # The conversation appears in the queue without a reload.
        row = page.locator(f".queue-row:has-text('{customer.id}')")
        expect(row).to_be_visible(timeout=10_000)
        expect(row.locator("[data-field=language]")).to_have_text("PL")
        page.screenshot(path=str(SHOTS / "2-queue.png"))

        row.locator("a").first.click()
        page.click("[data-action=claim]")
        page.fill("[data-reply]", "Dzień dobry, tu Ewa. W czym mogę pomóc?")
        page.keyboard.press("Enter")
        started = time.monotonic()
        news = customer.wait_for_news(10)
        if not any(m["from"] == "agent" for m in news):  # the "Ewa has joined" line came first
            news += customer.wait_for_news(10)
        assert time.monotonic() - started < 2.5
        assert news[0]["from"] == "bot" and "Do rozmowy dołącza Ewa" in news[0]["text"]
        from_agent = [m for m in news if m["from"] == "agent"]
        assert from_agent and from_agent[0]["agent"] == "Ewa"
        assert "tu Ewa" in from_agent[0]["text"]

        # The customer's messages now reach the agent, and the bot stays silent.
        assert customer.send("Paczka nie przyszła") == []
        expect(page.locator(".messages")).to_contain_text("Paczka nie przyszła", timeout=10_000)
        page.screenshot(path=str(SHOTS / "3-conversation.png"))

        page.click("[data-action=hand-back]")
        back = customer.wait_for_news(10)
        assert any("Kramar" in (m.get("text") or "") for m in back)
        # The bot answers again.
        assert "numer zamówienia" in customer.say("gdzie jest moje zamówienie?")
        page.screenshot(path=str(SHOTS / "4-handed-back.png"))
        browser.close()


def test_two_unclear_messages_hand_off_with_confidences(
    inbox_url: str, agent_login: tuple[str, str]
) -> None:
    customer = Customer(inbox_url)
    first = customer.send("blorf quux zzzt")
    assert first and "not sure I understood" in first[0]["text"]
    second = customer.say("wibble frobnicate zyxt")
    assert "passing you to a person" in second

    agent = Agent(inbox_url, *agent_login)
    queued = [c for c in agent.get("/api/queue")["conversations"] if c["sender_id"] == customer.id]
    assert queued and queued[0]["handoff_reason"] == "low_confidence"
    transcript = agent.get(f"/api/conversations/{queued[0]['id']}")["messages"]
    unclear = [m for m in transcript if m["direction"] == "customer"]
    assert [m["intent"] for m in unclear] == ["nlu_fallback", "nlu_fallback"]
    assert all(m["confidence"] is not None for m in unclear)


def test_close_asks_for_a_rating_and_stores_it(
    inbox_url: str, agent_login: tuple[str, str]
) -> None:
    customer = Customer(inbox_url)
    customer.say("I want to talk to a human")
    agent = Agent(inbox_url, *agent_login)
    conversation = next(
        c for c in agent.get("/api/queue")["conversations"] if c["sender_id"] == customer.id
    )
    assert conversation["handoff_reason"] == "asked_for_person"
    assert agent.post(f"/api/conversations/{conversation['id']}/claim").status_code == 200
    assert agent.post(f"/api/conversations/{conversation['id']}/close").status_code == 200
    asked = customer.wait_for_news(10)
    assert any("1 to 5" in (m.get("text") or "") for m in asked)
    assert "Thank you for the rating" in customer.say("4")
    customer.say("Quick and kind, thanks")
    stored = agent.get(f"/api/conversations/{conversation['id']}")["conversation"]
    assert stored["rating"] == 4 and stored["rating_comment"] == "Quick and kind, thanks"


def test_a_stranger_cannot_read_or_write_a_conversation(inbox_url: str) -> None:
    import requests

    customer = Customer(inbox_url)
    customer.say("hello")
    base = f"{inbox_url}/chat/conversations/{customer.id}/messages"
    assert requests.get(base, timeout=10).status_code == 401
    forged = {"Authorization": "Bearer " + "0" * 64}
    assert requests.get(base, headers=forged, timeout=10).status_code == 401
    assert requests.post(base, json={"text": "hi"}, headers=forged, timeout=10).status_code == 401


def test_xss_from_a_customer_shows_as_text_in_the_inbox(
    inbox_url: str, agent_login: tuple[str, str]
) -> None:
    customer = Customer(inbox_url)
    customer.say("<img src=x onerror=alert(1)> I need a human")
    agent = Agent(inbox_url, *agent_login)
    conversation = next(
        c for c in agent.get("/api/queue")["conversations"] if c["sender_id"] == customer.id
    )
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=BROWSER_ARGS)
        page = browser.new_page()
        dialogs: list[str] = []
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        page.goto(f"{inbox_url}/login")
        page.fill("input[name=username]", agent_login[0])
        page.fill("input[name=password]", agent_login[1])
        page.click("button[type=submit]")
        page.goto(f"{inbox_url}/conversations/{conversation['id']}")
        expect(page.locator(".messages")).to_contain_text("<img src=x onerror=alert(1)>")
        page.screenshot(path=str(Path(SHOTS) / "5-xss-as-text.png"))
        browser.close()
    assert dialogs == []


def test_anonymous_requests_to_the_inbox_are_refused(inbox_url: str) -> None:
    import requests

    assert requests.get(f"{inbox_url}/api/queue", timeout=10).status_code == 401
    page = requests.get(f"{inbox_url}/", timeout=10, allow_redirects=False)
    assert page.status_code in (302, 303) and "/login" in page.headers["Location"]


def test_a_czech_conversation_is_shown_and_filtered_as_czech(
    inbox_url: str, agent_login: tuple[str, str]
) -> None:
    customer = Customer(inbox_url)
    assert "číslo objednávky" in customer.say("Dobrý den, kde je moje objednávka?")
    assert "Předávám rozhovor" in customer.say("chci mluvit s člověkem")
    agent = Agent(inbox_url, *agent_login)
    queued = [c for c in agent.get("/api/queue")["conversations"] if c["sender_id"] == customer.id]
    assert queued and queued[0]["language"] == "cs"
    link = f'href="/conversations/{queued[0]["id"]}"'
    review = agent.http.get(f"{inbox_url}/conversations?language=cs", timeout=10)
    assert review.status_code == 200
    assert '<option value="cs"' in review.text  # the filter offers Czech
    assert link in review.text
    assert link not in agent.http.get(f"{inbox_url}/conversations?language=pl", timeout=10).text


def test_a_long_poll_wait_that_is_not_a_finite_number_is_refused_at_once(inbox_url: str) -> None:
    # "nan" used to make a deadline that never passed: one request held a core forever.
    import requests

    customer = Customer(inbox_url)
    customer.say("hello")
    base = f"{inbox_url}/chat/conversations/{customer.id}/messages"
    for wait in ("nan", "inf", "-inf", "NaN"):
        started = time.monotonic()
        answer = requests.get(base, params={"wait": wait}, headers=customer.headers, timeout=10)
        assert answer.status_code == 400, wait
        assert "finite" in answer.json()["message"], wait
        assert time.monotonic() - started < 2
    # A negative wait is no wait: the answer comes at once.
    started = time.monotonic()
    assert requests.get(base, params={"wait": "-5"}, headers=customer.headers, timeout=10).ok
    assert time.monotonic() - started < 2
