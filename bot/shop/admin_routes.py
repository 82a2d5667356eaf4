"""Staff endpoints (`/api/admin/...`, `X-Admin-Token`): the order changes the
assistant hears about through signed webhooks (shipped, delivered, return
received, refund paid). The change is committed first; the webhook follows in
the background."""

from __future__ import annotations

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.shop import parsing, repository
from bot.shop.keys import ENGINE_KEY
from bot.shop.models import Shipment
from bot.shop.serializers import json_response, order_json, return_json
from bot.shop.webhooks import WEBHOOKS_KEY, order_data, return_data

ADMIN_PREFIX = "/api/admin/"

routes = web.RouteTableDef()


def _engine(request: web.Request) -> AsyncEngine:
    return request.app[ENGINE_KEY]


@routes.post("/api/admin/orders/{order_id}/ship")
async def ship_order(request: web.Request) -> web.Response:
    order_id = parsing.order_id(request)
    body = await parsing.json_body(request, "ShipOrderRequest")
    shipment = Shipment(
        carrier=body["carrier"].strip(),
        tracking_number=body["tracking_number"].strip(),
        tracking_url=body.get("tracking_url"),
        shipped_at=None,
    )
    order = await repository.ship_order(_engine(request), order_id, shipment)
    request.app[WEBHOOKS_KEY].send("order.shipped", order_data(order))
    return json_response(order_json(order))


@routes.post("/api/admin/orders/{order_id}/deliver")
async def deliver_order(request: web.Request) -> web.Response:
    order = await repository.deliver_order(_engine(request), parsing.order_id(request))
    request.app[WEBHOOKS_KEY].send("order.delivered", order_data(order))
    return json_response(order_json(order))


@routes.post("/api/admin/returns/{return_id}/receive")
async def receive_return(request: web.Request) -> web.Response:
    received = await repository.receive_return(_engine(request), parsing.return_id(request))
    order = await repository.get_order(_engine(request), received.order_id)
    request.app[WEBHOOKS_KEY].send("return.received", return_data(order, received))
    return json_response(return_json(received))


@routes.post("/api/admin/returns/{return_id}/refund")
async def refund_return(request: web.Request) -> web.Response:
    refunded = await repository.refund_return(_engine(request), parsing.return_id(request))
    order = await repository.get_order(_engine(request), refunded.order_id)
    request.app[WEBHOOKS_KEY].send("refund.paid", return_data(order, refunded))
    return json_response(return_json(refunded))
