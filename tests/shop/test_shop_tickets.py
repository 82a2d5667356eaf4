"""Support tickets: creation, idempotency, validation and lookup."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

import pytest
from aiohttp.test_utils import TestClient

from bot.shop.openapi import validator

pytestmark = pytest.mark.asyncio

DAMAGED = {
    "order_id": 10002,
    "email": " Piotr.Kowalski@example.com ",
    "category": "damaged",
    "description": "The mug arrived broken.",
    "photo_url": "https://example.com/photos/mug.jpg",
}


async def test_create_and_fetch_ticket(client: TestClient) -> None:
    response = await client.post("/api/tickets", json=DAMAGED)
    assert response.status == 201
    ticket = await response.json()
    validator("Ticket").validate(ticket)
    assert ticket["id"] == "T-000001"
    assert ticket["status"] == "open"
    assert ticket["order_id"] == 10002
    assert ticket["email"] == "piotr.kowalski@example.com"
    assert ticket["photo_url"] == DAMAGED["photo_url"]
    created = datetime.fromisoformat(ticket["created_at"].removesuffix("Z"))
    due = datetime.fromisoformat(ticket["expected_response_by"].removesuffix("Z"))
    assert due - created == timedelta(hours=24)

    fetched = await client.get("/api/tickets/T-000001")
    assert fetched.status == 200
    assert await fetched.json() == ticket
    assert await (await client.get("/api/tickets/t1")).json() == ticket


async def test_ticket_without_order(client: TestClient) -> None:
    body = {"email": "a.b@example.com", "category": "service", "description": "Hello"}
    response = await client.post("/api/tickets", json=body)
    assert response.status == 201
    ticket = await response.json()
    assert ticket["order_id"] is None
    assert ticket["photo_url"] is None
    explicit_null = {**body, "order_id": None, "photo_url": None}
    assert (await client.post("/api/tickets", json=explicit_null)).status == 201


async def test_ticket_idempotency(client: TestClient) -> None:
    headers = {"Idempotency-Key": "ticket-abc"}
    first = await client.post("/api/tickets", json=DAMAGED, headers=headers)
    second = await client.post("/api/tickets", json=DAMAGED, headers=headers)
    assert (first.status, second.status) == (201, 200)
    assert await first.json() == await second.json()
    third = await client.post("/api/tickets", json=DAMAGED)
    assert (await third.json())["id"] == "T-000002"


async def test_concurrent_tickets_with_one_key_give_one_ticket(client: TestClient) -> None:
    headers = {"Idempotency-Key": "ticket-race"}
    responses = await asyncio.gather(
        *(client.post("/api/tickets", json=DAMAGED, headers=headers) for _ in range(5))
    )
    assert sorted(r.status for r in responses) == [200, 200, 200, 200, 201]
    assert {(await r.json())["id"] for r in responses} == {"T-000001"}


async def test_same_key_with_another_ticket_is_409(client: TestClient) -> None:
    headers = {"Idempotency-Key": "ticket-reused"}
    assert (await client.post("/api/tickets", json=DAMAGED, headers=headers)).status == 201
    other = {**DAMAGED, "description": "Also the socks are missing."}
    response = await client.post("/api/tickets", json=other, headers=headers)
    assert response.status == 409
    assert (await response.json())["error"] == "idempotency_key_reused"


async def test_ticket_for_unknown_order_is_404(client: TestClient) -> None:
    response = await client.post("/api/tickets", json={**DAMAGED, "order_id": 99999})
    assert response.status == 404


@pytest.mark.parametrize(
    ("change", "phrase"),
    [
        ({"category": "angry"}, "category: 'angry' is not one of"),
        ({"category": None}, "category"),
        ({"description": ""}, "description"),
        ({"description": "  "}, "description: must not be blank"),
        ({"description": "x" * 5001}, "description"),
        ({"email": "not-an-email"}, "email: is not a valid email address"),
        ({"photo_url": "file:///etc/passwd"}, "photo_url"),
        ({"order_id": "10002"}, "order_id"),
        ({"urgent": True}, "'urgent' was unexpected"),
    ],
)
async def test_bad_ticket_is_422(client: TestClient, change: dict, phrase: str) -> None:
    response = await client.post("/api/tickets", json={**DAMAGED, **change})
    assert response.status == 422
    error = await response.json()
    assert error["error"] == "invalid_body"
    assert phrase in error["message"]


async def test_longest_description_is_accepted(client: TestClient) -> None:
    response = await client.post("/api/tickets", json={**DAMAGED, "description": "x" * 5000})
    assert response.status == 201


@pytest.mark.parametrize("ticket_id", ["T-000999", "nope", "R-000001"])
async def test_unknown_ticket_is_404(client: TestClient, ticket_id: str) -> None:
    response = await client.get(f"/api/tickets/{ticket_id}")
    assert response.status == 404
    assert (await response.json())["error"] == "ticket_not_found"
