"""Opening returns (rules, idempotency, concurrency) and reading refund status."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

import pytest
from aiohttp.test_utils import TestClient

from bot.shop.openapi import validator

pytestmark = pytest.mark.asyncio

# 10002: hoodie x1 (159.00), socks x2 (44.90), mug x1 (39.90); PLN; delivered 3 days ago.
SOCKS_AND_MUG = {
    "order_id": 10002,
    "items": [{"sku": "KR-SOCKS-3P", "quantity": 2}, {"sku": "KR-MUG-350", "quantity": 1}],
    "reason": "Changed my mind",
}
# The seed holds eighteen returns, so the first new one is R-000019.
FIRST_NEW_RETURN = "R-000019"


def parse_time(value: str) -> datetime:
    return datetime.fromisoformat(value.removesuffix("Z"))


async def test_create_return_for_delivered_order(client: TestClient) -> None:
    response = await client.post("/api/returns", json=SOCKS_AND_MUG)
    assert response.status == 201
    created = await response.json()
    validator("Return").validate(created)
    assert created["id"] == FIRST_NEW_RETURN
    assert created["order_id"] == 10002
    assert created["status"] == "requested"
    assert created["refund_status"] == "pending"
    assert created["currency"] == "PLN"
    assert created["refund_amount"] == "129.70"  # 2 x 44.90 + 39.90
    assert created["refunded_at"] is None
    assert created["label_url"] == f"http://shop.test/labels/{FIRST_NEW_RETURN}.pdf"
    assert parse_time(created["refund_expected_at"]) - parse_time(created["created_at"]) == (
        timedelta(days=14)
    )
    assert [(i["sku"], i["quantity"], i["unit_price"]) for i in created["items"]] == [
        ("KR-SOCKS-3P", 2, "44.90"),
        ("KR-MUG-350", 1, "39.90"),
    ]

    order = await (await client.get("/api/orders/10002")).json()
    assert order["status"] == "return_in_progress"
    assert [r["id"] for r in order["returns"]] == [FIRST_NEW_RETURN]


async def test_same_idempotency_key_gives_one_return(client: TestClient) -> None:
    headers = {"Idempotency-Key": "chat-42-return-1"}
    first = await client.post("/api/returns", json=SOCKS_AND_MUG, headers=headers)
    second = await client.post("/api/returns", json=SOCKS_AND_MUG, headers=headers)
    assert (first.status, second.status) == (201, 200)
    assert await first.json() == await second.json()

    listed = await (await client.get("/api/orders/10002/returns")).json()
    assert [r["id"] for r in listed["returns"]] == [FIRST_NEW_RETURN]


async def test_concurrent_requests_with_one_key_give_one_return(client: TestClient) -> None:
    headers = {"Idempotency-Key": "double-click"}
    responses = await asyncio.gather(
        *(client.post("/api/returns", json=SOCKS_AND_MUG, headers=headers) for _ in range(5))
    )
    assert sorted(r.status for r in responses) == [200, 200, 200, 200, 201]
    assert {(await r.json())["id"] for r in responses} == {FIRST_NEW_RETURN}


async def test_concurrent_returns_cannot_exceed_what_was_bought(client: TestClient) -> None:
    one_sock = {"order_id": 10002, "items": [{"sku": "KR-SOCKS-3P", "quantity": 1}], "reason": "x"}
    attempts = (client.post("/api/returns", json=one_sock) for _ in range(3))
    responses = await asyncio.gather(*attempts)
    assert sorted(r.status for r in responses) == [201, 201, 422]


async def test_same_key_with_another_body_is_409(client: TestClient) -> None:
    headers = {"Idempotency-Key": "reused"}
    assert (await client.post("/api/returns", json=SOCKS_AND_MUG, headers=headers)).status == 201
    other = {**SOCKS_AND_MUG, "reason": "Something else"}
    response = await client.post("/api/returns", json=other, headers=headers)
    assert response.status == 409
    assert (await response.json())["error"] == "idempotency_key_reused"


async def test_bad_idempotency_key_is_422(client: TestClient) -> None:
    response = await client.post(
        "/api/returns", json=SOCKS_AND_MUG, headers={"Idempotency-Key": "has spaces"}
    )
    assert response.status == 422


async def test_partial_returns_until_everything_is_back(client: TestClient) -> None:
    assert (await client.post("/api/returns", json=SOCKS_AND_MUG)).status == 201
    # What was returned already cannot be returned again...
    again = await client.post("/api/returns", json=SOCKS_AND_MUG)
    assert again.status == 422
    assert "Only 0 of sku 'KR-SOCKS-3P'" in (await again.json())["message"]
    # ... but the rest can, while the order is return_in_progress.
    hoodie = {"order_id": 10002, "items": [{"sku": "KR-HOOD-GRY-L", "quantity": 1}], "reason": "x"}
    assert (await client.post("/api/returns", json=hoodie)).status == 201
    done = await client.post("/api/returns", json=hoodie)
    assert done.status == 409
    assert (await done.json())["message"] == "All items of order 10002 have already been returned."
    listed = await (await client.get("/api/orders/10002/returns")).json()
    assert len(listed["returns"]) == 2


@pytest.mark.parametrize(
    ("order_id", "sku", "phrase"),
    [
        (10001, "KR-HEADPH-BT", "Order 10001 is shipped; a return can only be opened once"),
        (10003, "KR-LAMP-DESK", "Order 10003 is paid"),
        (10006, "KR-SNEAK-42", "Order 10006 is cancelled"),
        (10009, "KR-HEADPH-BT", "Order 10009 has already been returned and refunded."),
        (10007, "KR-TEA-SET", "the 30-day return window closed on"),
    ],
)
async def test_return_not_allowed_is_409(
    client: TestClient, order_id: int, sku: str, phrase: str
) -> None:
    body = {"order_id": order_id, "items": [{"sku": sku, "quantity": 1}], "reason": "x"}
    response = await client.post("/api/returns", json=body)
    assert response.status == 409
    error = await response.json()
    assert error["error"] == "conflict"
    assert phrase in error["message"]


async def test_return_for_unknown_order_is_404(client: TestClient) -> None:
    body = {"order_id": 99999, "items": [{"sku": "X", "quantity": 1}], "reason": "x"}
    response = await client.post("/api/returns", json=body)
    assert response.status == 404
    assert (await response.json())["error"] == "order_not_found"


@pytest.mark.parametrize(
    ("items", "phrase"),
    [
        ([{"sku": "KR-LAMP-DESK", "quantity": 1}], "Order 10002 has no item with sku 'KR-LAMP"),
        ([{"sku": "KR-SOCKS-3P", "quantity": 3}], "Only 2 of sku 'KR-SOCKS-3P'"),
        (
            [{"sku": "KR-MUG-350", "quantity": 1}, {"sku": "KR-MUG-350", "quantity": 1}],
            "listed more than once",
        ),
        ([{"sku": "KR-MUG-350", "quantity": 0}], "items[0].quantity: 0 is less than the minimum"),
        ([{"sku": "KR-MUG-350"}], "'quantity' is a required property"),
        ([], "items: [] is too short"),
    ],
)
async def test_bad_return_items_are_422(client: TestClient, items: list, phrase: str) -> None:
    body = {"order_id": 10002, "items": items, "reason": "x"}
    response = await client.post("/api/returns", json=body)
    assert response.status == 422
    assert phrase in (await response.json())["message"]
    order = await (await client.get("/api/orders/10002")).json()
    assert order["status"] == "delivered"


async def test_return_in_progress_from_seed_shows_pending_refund(client: TestClient) -> None:
    response = await client.get("/api/returns/R-000001")
    assert response.status == 200
    found = await response.json()
    validator("Return").validate(found)
    assert found["order_id"] == 10008
    assert found["refund_status"] == "pending"
    assert found["refund_amount"] == "599.00"
    assert found["refunded_at"] is None
    assert found["refund_expected_at"] is not None
    assert found["items"][0]["sku"] == "KR-TEE-BLK-M"


async def test_refunded_return_from_seed(client: TestClient) -> None:
    found = await (await client.get("/api/returns/R-000002")).json()
    assert found["order_id"] == 10009
    assert found["status"] == "completed"
    assert found["refund_status"] == "refunded"
    assert found["refunded_at"] > found["created_at"]


async def test_new_return_can_be_fetched(client: TestClient) -> None:
    created = await (await client.post("/api/returns", json=SOCKS_AND_MUG)).json()
    fetched = await (await client.get(f"/api/returns/{created['id']}")).json()
    assert fetched == created


@pytest.mark.parametrize("alias", ["r-000002", "R2", "2", "000002"])
async def test_return_id_aliases(client: TestClient, alias: str) -> None:
    response = await client.get(f"/api/returns/{alias}")
    assert response.status == 200
    assert (await response.json())["id"] == "R-000002"


@pytest.mark.parametrize("return_id", ["R-999999", "xyz", "R-", "T-000001", "0"])
async def test_unknown_return_is_404(client: TestClient, return_id: str) -> None:
    response = await client.get(f"/api/returns/{return_id}")
    assert response.status == 404
    assert (await response.json())["error"] == "return_not_found"


async def test_returns_of_an_order(client: TestClient) -> None:
    listed = await (await client.get("/api/orders/10009/returns")).json()
    assert [r["id"] for r in listed["returns"]] == ["R-000002"]
    assert (await (await client.get("/api/orders/10001/returns")).json()) == {"returns": []}
    assert (await client.get("/api/orders/99999/returns")).status == 404
