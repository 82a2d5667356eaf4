"""Medusa tells Kramar about an order's progress (issue 20), as the reference shop does:
platforms/medusa/src/subscribers/kramar-order-updates.ts posts the same signed webhooks.

A real Medusa 2 (the contract suite's); staff actions through its Admin API.
"""

from __future__ import annotations

from typing import Any

import requests

from tests.shops.conftest import ShopUnderTest
from tests.support.webhook_receiver import WebhookReceiver


def admin(shop: ShopUnderTest, method: str, path: str, **kwargs: Any) -> Any:
    response = requests.request(
        method,
        shop.env["MEDUSA_URL"] + path,
        auth=(shop.env["MEDUSA_API_KEY"], ""),
        timeout=60,
        **kwargs,
    )
    assert response.status_code == 200, response.text
    return response.json()


def test_medusa_signs_a_webhook_when_an_order_ships_arrives_and_is_refunded(
    medusa_shop: ShopUnderTest, shop_webhooks: WebhookReceiver
) -> None:
    seeded = medusa_shop.orders["to_ship"]
    listed = admin(
        medusa_shop, "GET", "/admin/orders",
        params={
            "fields": "id,display_id,currency_code,fulfillments.id,items.id,items.quantity,"
            "payment_collections.payments.id",
            "limit": 100,
        },
    )["orders"]  # fmt: skip
    order = next(o for o in listed if int(o["display_id"]) == seeded.number)
    fulfillment = order["fulfillments"][0]["id"]
    items = [{"id": item["id"], "quantity": item["quantity"]} for item in order["items"]]
    label = {
        "tracking_number": "KR-TRACK-1",
        "tracking_url": "https://tracking.example/KR-TRACK-1",
        "label_url": "https://labels.example/KR-TRACK-1.pdf",
    }
    path = f"/admin/orders/{order['id']}/fulfillments/{fulfillment}"
    admin(medusa_shop, "POST", f"{path}/shipments", json={"items": items, "labels": [label]})

    shipped = shop_webhooks.wait_for("order.shipped", str(seeded.number))
    assert shipped["data"]["email"] == seeded.email
    assert shipped["data"]["tracking_number"] == "KR-TRACK-1"
    assert shipped["data"]["tracking_url"] == "https://tracking.example/KR-TRACK-1"
    assert shipped["id"].startswith("medusa_order.shipped_")

    admin(medusa_shop, "POST", f"{path}/mark-as-delivered")
    delivered = shop_webhooks.wait_for("order.delivered", str(seeded.number))
    assert delivered["data"] == {"order_id": str(seeded.number), "email": seeded.email}

    payment = order["payment_collections"][0]["payments"][0]["id"]
    admin(medusa_shop, "POST", f"/admin/payments/{payment}/refund", json={"amount": 5})
    refunded = shop_webhooks.wait_for("refund.paid", str(seeded.number))
    assert refunded["data"]["email"] == seeded.email
    assert refunded["data"]["amount"] == "5.00"
    assert refunded["data"]["currency"] == order["currency_code"].upper()
