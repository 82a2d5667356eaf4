"""Discount codes (issue 20): created once per idempotency key, listed per email,
redeemed once and never after they expire."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from aiohttp.test_utils import TestClient

from bot.shop.openapi import validator

pytestmark = pytest.mark.asyncio

COMPLAINT_CODE = {
    "email": " Piotr.Kowalski@example.com ",
    "kind": "percent",
    "percent": 10,
    "valid_days": 30,
    "reason": "complaint",
    "order_id": 10002,
}


async def create(client: TestClient, body: dict[str, object], key: str = "k-1") -> dict:
    response = await client.post("/api/discounts", json=body, headers={"Idempotency-Key": key})
    assert response.status in (200, 201), await response.text()
    return dict(await response.json())


async def test_a_code_is_created_once_per_key_and_listed_for_its_email(client: TestClient) -> None:
    first = await client.post(
        "/api/discounts", json=COMPLAINT_CODE, headers={"Idempotency-Key": "k-1"}
    )
    assert first.status == 201
    discount = await first.json()
    validator("Discount").validate(discount)
    assert discount["code"].startswith("KR-") and len(discount["code"]) == 11
    assert (discount["email"], discount["percent"], discount["redeemed_at"]) == (
        "piotr.kowalski@example.com",
        10,
        None,
    )
    created = datetime.fromisoformat(discount["created_at"].removesuffix("Z"))
    expires = datetime.fromisoformat(discount["expires_at"].removesuffix("Z"))
    assert expires - created == timedelta(days=30)

    # A retried call (same key, same body) gives the same code, never a second one.
    again = await client.post(
        "/api/discounts", json=COMPLAINT_CODE, headers={"Idempotency-Key": "k-1"}
    )
    assert again.status == 200 and await again.json() == discount
    listed = await (
        await client.get("/api/discounts", params={"email": "PIOTR.kowalski@example.com"})
    ).json()
    assert listed == {"discounts": [discount]}
    assert (await (await client.get("/api/discounts", params={"email": "x@y.example"})).json()) == {
        "discounts": []
    }
    # The same key for another request is a conflict, not a silent replay.
    other = {**COMPLAINT_CODE, "percent": 50}
    reused = await client.post("/api/discounts", json=other, headers={"Idempotency-Key": "k-1"})
    assert reused.status == 409


async def test_a_code_is_redeemed_once(client: TestClient) -> None:
    discount = await create(client, COMPLAINT_CODE)
    code = discount["code"]
    used = await client.post(f"/api/discounts/{code.lower()}/redeem", json={"order_id": 10002})
    assert used.status == 200, await used.text()
    body = await used.json()
    assert body["redeemed_at"] and body["redeemed_order_id"] == 10002
    assert (await (await client.get(f"/api/discounts/{code}")).json()) == body
    twice = await client.post(f"/api/discounts/{code}/redeem")
    assert twice.status == 409
    assert (await client.post("/api/discounts/KR-NOPE/redeem")).status == 404


async def test_free_return_shipping_and_bad_requests(client: TestClient) -> None:
    free = await create(
        client,
        {"email": "piotr.kowalski@example.com", "kind": "free_return_shipping",
         "valid_days": 60, "reason": "loyal_return"},
        key="k-2",
    )  # fmt: skip
    assert (free["kind"], free["percent"]) == ("free_return_shipping", None)
    for bad in (
        {**COMPLAINT_CODE, "percent": None},
        {**COMPLAINT_CODE, "percent": 0},
        {**COMPLAINT_CODE, "kind": "cash"},
        {**COMPLAINT_CODE, "email": "not an email"},
        {**COMPLAINT_CODE, "valid_days": 0},
    ):
        response = await client.post("/api/discounts", json=bad)
        assert response.status == 422, (bad, await response.text())
    unknown_order = await client.post("/api/discounts", json={**COMPLAINT_CODE, "order_id": 99999})
    assert unknown_order.status == 404
