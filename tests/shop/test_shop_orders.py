"""Order lookup, listing by email, cancellation and address changes."""

from __future__ import annotations

from decimal import Decimal

import pytest
from aiohttp.test_utils import TestClient

from bot.shop.openapi import validator

pytestmark = pytest.mark.asyncio


async def get_json(client: TestClient, path: str, status: int = 200) -> dict:
    response = await client.get(path)
    assert response.status == status, await response.text()
    return await response.json()


async def test_shipped_order_in_full(client: TestClient) -> None:
    order = await get_json(client, "/api/orders/10001")
    validator("Order").validate(order)
    assert order["id"] == 10001
    assert order["status"] == "shipped"
    assert order["currency"] == "UAH"
    assert order["customer"] == {
        "email": "olena.kovalenko@example.com",
        "name": "Olena Kovalenko",
        "language": "uk",
    }
    assert order["shipping_address"] == {
        "name": "Olena Kovalenko",
        "street": "vul. Khreshchatyk 22, kv. 14",
        "city": "Kyiv",
        "postal_code": "01001",
        "country": "UA",
    }
    assert order["items"] == [
        {
            "sku": "KR-HEADPH-BT",
            "name": "Bluetooth headphones",
            "quantity": 1,
            "unit_price": "2499.00",
        },
        {"sku": "KR-CABLE-USBC", "name": "USB-C cable, 2 m", "quantity": 2, "unit_price": "249.00"},
    ]
    assert order["total"] == "2997.00"
    shipment = order["shipment"]
    assert shipment["carrier"] == "Nova Poshta"
    assert shipment["tracking_number"].isdigit()
    assert shipment["tracking_url"].endswith(shipment["tracking_number"])
    assert shipment["shipped_at"].endswith("Z")
    assert order["created_at"] < shipment["shipped_at"]
    assert order["delivered_at"] is None
    assert order["cancelled_at"] is None
    assert order["returnable_until"] is None
    assert order["returns"] == []


async def test_every_seeded_order_matches_the_documented_schema(client: TestClient) -> None:
    check = validator("Order")
    for order_id in range(10001, 10051):
        order = await get_json(client, f"/api/orders/{order_id}")
        check.validate(order)
        total = sum(i["quantity"] * Decimal(i["unit_price"]) for i in order["items"])
        assert Decimal(order["total"]) == total


async def test_delivered_order_has_return_window_and_no_shipment_gap(client: TestClient) -> None:
    order = await get_json(client, "/api/orders/10002")
    assert order["status"] == "delivered"
    assert len(order["items"]) >= 2
    assert order["shipment"] is not None
    assert order["delivered_at"] > order["shipment"]["shipped_at"]
    assert order["returnable_until"] > order["delivered_at"]


async def test_order_with_return_lists_it(client: TestClient) -> None:
    order = await get_json(client, "/api/orders/10008")
    assert order["status"] == "return_in_progress"
    assert order["returns"] == [
        {
            "id": "R-000001",
            "status": "requested",
            "refund_status": "pending",
            "refund_amount": "599.00",
            "created_at": order["returns"][0]["created_at"],
        }
    ]


@pytest.mark.parametrize(
    "order_id", ["99999", "abc", "10001abc", "-1", "0", "1e5", "99999999999999999999"]
)
async def test_unknown_or_malformed_order_id_is_404(client: TestClient, order_id: str) -> None:
    body = await get_json(client, f"/api/orders/{order_id}", status=404)
    assert body["error"] == "order_not_found"
    assert body["message"] == f"Order {order_id} was not found"


async def test_email_check_on_single_order(client: TestClient) -> None:
    mine = await get_json(client, "/api/orders/10001?email=%20Olena.KOVALENKO@example.com%20")
    assert mine["id"] == 10001
    # Another real customer's email unlocks nothing, and looks like an unknown order.
    other = await get_json(client, "/api/orders/10001?email=piotr.kowalski@example.com", 404)
    unknown = await get_json(client, "/api/orders/99999?email=piotr.kowalski@example.com", 404)
    assert other["error"] == unknown["error"] == "order_not_found"


async def test_list_by_email_is_case_insensitive_and_trimmed(client: TestClient) -> None:
    body = await get_json(client, "/api/orders?email=%20%20OLENA.Kovalenko@Example.COM%20")
    ids = [order["id"] for order in body["orders"]]
    assert 10001 in ids
    assert 10007 in ids
    assert 10002 not in ids and 10003 not in ids
    assert {order["customer"]["email"] for order in body["orders"]} == {
        "olena.kovalenko@example.com"
    }
    created = [order["created_at"] for order in body["orders"]]
    assert created == sorted(created, reverse=True)


async def test_list_for_distinct_customers_does_not_mix(client: TestClient) -> None:
    first = await get_json(client, "/api/orders/10001")
    second = await get_json(client, "/api/orders/10002")
    third = await get_json(client, "/api/orders/10003")
    emails = {o["customer"]["email"] for o in (first, second, third)}
    assert len(emails) == 3
    listed = await get_json(client, f"/api/orders?email={second['customer']['email']}")
    assert 10002 in [o["id"] for o in listed["orders"]]
    assert 10001 not in [o["id"] for o in listed["orders"]]


async def test_list_for_unknown_email_is_empty(client: TestClient) -> None:
    assert await get_json(client, "/api/orders?email=nobody@example.com") == {"orders": []}


@pytest.mark.parametrize("query", ["", "?email=", "?email=%20%20", "?mail=a@b.c"])
async def test_list_without_email_is_422(client: TestClient, query: str) -> None:
    body = await get_json(client, f"/api/orders{query}", status=422)
    assert body["error"] == "invalid_request"
    assert "email" in body["message"]


# ---------------------------------------------------------------- cancel


async def test_cancel_paid_order(client: TestClient) -> None:
    response = await client.post("/api/orders/10003/cancel", json={"reason": "Ordered by mistake"})
    assert response.status == 200
    order = await response.json()
    assert order["status"] == "cancelled"
    assert order["cancelled_at"] is not None
    assert order["cancel_reason"] == "Ordered by mistake"
    assert (await get_json(client, "/api/orders/10003"))["status"] == "cancelled"

    again = await client.post("/api/orders/10003/cancel")
    assert again.status == 409
    assert (await again.json())["message"] == "Order 10003 is already cancelled."


@pytest.mark.parametrize("order_id", [10004, 10005])
async def test_cancel_without_body(client: TestClient, order_id: int) -> None:
    response = await client.post(f"/api/orders/{order_id}/cancel")
    assert response.status == 200
    order = await response.json()
    assert order["status"] == "cancelled"
    assert order["cancel_reason"] is None


@pytest.mark.parametrize(
    ("order_id", "phrase"),
    [
        (10001, "Order 10001 has already shipped"),
        (10002, "Order 10002 has already been delivered"),
        (10006, "Order 10006 is already cancelled"),
        (10008, "has a return in progress"),
        (10009, "refunded"),
    ],
)
async def test_cancel_too_late_is_409(client: TestClient, order_id: int, phrase: str) -> None:
    before = await get_json(client, f"/api/orders/{order_id}")
    response = await client.post(f"/api/orders/{order_id}/cancel", json={})
    assert response.status == 409
    body = await response.json()
    assert body["error"] == "conflict"
    assert phrase in body["message"]
    assert await get_json(client, f"/api/orders/{order_id}") == before


async def test_cancel_unknown_order_is_404(client: TestClient) -> None:
    response = await client.post("/api/orders/99999/cancel")
    assert response.status == 404


@pytest.mark.parametrize(
    "payload", ['{"reason": 5}', '{"why": "x"}', "[]", '{"reason": "x"', "not json"]
)
async def test_cancel_bad_body_is_422(client: TestClient, payload: str) -> None:
    response = await client.post("/api/orders/10003/cancel", data=payload)
    assert response.status == 422
    assert (await response.json())["error"] in {"invalid_body", "invalid_json"}
    assert (await get_json(client, "/api/orders/10003"))["status"] == "paid"


# ---------------------------------------------------------------- address

NEW_ADDRESS = {
    "name": "Jana Nováková",
    "street": "Karlova 3",
    "city": "Praha",
    "postal_code": "110 00",
    "country": "cz",
}


async def test_change_address_of_packed_order(client: TestClient) -> None:
    response = await client.put("/api/orders/10005/address", json=NEW_ADDRESS)
    assert response.status == 200
    expected = {**NEW_ADDRESS, "country": "CZ"}
    assert (await response.json())["shipping_address"] == expected
    assert (await get_json(client, "/api/orders/10005"))["shipping_address"] == expected


async def test_change_address_of_shipped_order_is_409(client: TestClient) -> None:
    before = await get_json(client, "/api/orders/10001")
    response = await client.put("/api/orders/10001/address", json=NEW_ADDRESS)
    assert response.status == 409
    body = await response.json()
    assert body == {
        "error": "conflict",
        "message": "Order 10001 has already shipped, so it is too late to change its "
        "delivery address.",
    }
    assert await get_json(client, "/api/orders/10001") == before


async def test_change_address_of_unknown_order_is_404(client: TestClient) -> None:
    response = await client.put("/api/orders/99999/address", json=NEW_ADDRESS)
    assert response.status == 404


def without(key: str) -> dict:
    return {k: v for k, v in NEW_ADDRESS.items() if k != key}


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (without("street"), "'street' is a required property"),
        ({**NEW_ADDRESS, "city": 42}, "city: 42 is not of type 'string'"),
        ({**NEW_ADDRESS, "city": ""}, "city"),
        ({**NEW_ADDRESS, "city": "   "}, "city: must not be blank"),
        ({**NEW_ADDRESS, "country": "Czechia"}, "country: must be an ISO 3166-1 alpha-2"),
        ({**NEW_ADDRESS, "street": "x" * 201}, "street"),
        ({**NEW_ADDRESS, "floor": 3}, "'floor' was unexpected"),
        ([NEW_ADDRESS], "is not of type 'object'"),
    ],
)
async def test_change_address_bad_body_is_422(
    client: TestClient, body: object, expected: str
) -> None:
    response = await client.put("/api/orders/10005/address", json=body)
    assert response.status == 422
    error = await response.json()
    assert error["error"] == "invalid_body"
    assert expected in error["message"]


@pytest.mark.parametrize("raw", ['{"name": "x",', "", "\xff".encode("latin-1")])
async def test_change_address_malformed_json_is_422(client: TestClient, raw: str | bytes) -> None:
    response = await client.put(
        "/api/orders/10005/address", data=raw, headers={"Content-Type": "application/json"}
    )
    assert response.status == 422
    error = await response.json()
    assert error["error"] == "invalid_json"
    assert error["message"]
