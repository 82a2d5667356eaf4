"""HTTP handlers: parse the request, call the repository, serialise the result."""

from __future__ import annotations

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.shop import openapi, parsing, repository
from bot.shop.errors import InvalidBody, OrderNotFound, TooManyAttempts
from bot.shop.keys import ENGINE_KEY, SETTINGS_KEY, VERIFICATIONS_KEY
from bot.shop.models import Address, NewDiscount, NewReturn, NewReturnItem, NewTicket
from bot.shop.serializers import (
    discount_json,
    json_response,
    order_json,
    return_json,
    ticket_json,
)
from bot.shop.webhooks import WEBHOOKS_KEY, discount_data

routes = web.RouteTableDef()


def _engine(request: web.Request) -> AsyncEngine:
    return request.app[ENGINE_KEY]


@routes.get("/health")
async def health(request: web.Request) -> web.Response:
    return json_response({"status": "ok"})


@routes.get("/openapi.json")
async def openapi_document(request: web.Request) -> web.Response:
    return web.Response(text=openapi.spec_json(), content_type="application/json")


# ---------------------------------------------------------------- orders


@routes.get("/api/orders")
async def list_orders(request: web.Request) -> web.Response:
    email = parsing.required_query(request, "email")
    found = await repository.list_orders_by_email(_engine(request), email)
    return json_response({"orders": [order_json(order) for order in found]})


@routes.get("/api/orders/{order_id}")
async def get_order(request: web.Request) -> web.Response:
    """With `email`: the verification of a customer. Wrong emails for one order number,
    from any conversation, are limited; the bucket drains, so its owner gets in later."""
    order_id, email = parsing.order_id(request), request.query.get("email")
    verifications = request.app[VERIFICATIONS_KEY]
    if email is not None and (wait := verifications.wait(order_id)):
        raise TooManyAttempts(order_id, wait)  # even the right email: no guess is checked
    try:
        order = await repository.get_order(_engine(request), order_id, email=email)
    except OrderNotFound:
        if email is not None:
            verifications.add(order_id)
        raise
    return json_response(order_json(order))


@routes.post("/api/orders/{order_id}/cancel")
async def cancel_order(request: web.Request) -> web.Response:
    order_id = parsing.order_id(request)
    body = await parsing.json_body(request, "CancelOrderRequest", optional=True)
    reason = (body.get("reason") or "").strip() or None
    order = await repository.cancel_order(_engine(request), order_id, reason)
    return json_response(order_json(order))


@routes.put("/api/orders/{order_id}/address")
async def change_address(request: web.Request) -> web.Response:
    order_id = parsing.order_id(request)
    body = await parsing.json_body(request, "AddressChangeRequest")
    address = Address(
        name=body["name"].strip(),
        street=body["street"].strip(),
        city=body["city"].strip(),
        postal_code=body["postal_code"].strip(),
        country=body["country"].upper(),
    )
    order = await repository.change_address(_engine(request), order_id, address)
    return json_response(order_json(order))


@routes.get("/api/orders/{order_id}/returns")
async def list_order_returns(request: web.Request) -> web.Response:
    found = await repository.list_returns(_engine(request), parsing.order_id(request))
    return json_response({"returns": [return_json(item) for item in found]})


# ---------------------------------------------------------------- returns


@routes.post("/api/returns")
async def create_return(request: web.Request) -> web.Response:
    key = parsing.idempotency_key(request)
    body = await parsing.json_body(request, "CreateReturnRequest")
    new_return = NewReturn(
        order_id=int(body["order_id"]),
        items=tuple(
            NewReturnItem(sku=item["sku"].strip(), quantity=int(item["quantity"]))
            for item in body["items"]
        ),
        reason=body["reason"].strip(),
    )
    created, is_new = await repository.create_return(
        _engine(request),
        new_return,
        idempotency_key=key,
        label_base_url=request.app[SETTINGS_KEY].shop_url,
    )
    return json_response(return_json(created), status=201 if is_new else 200)


@routes.get("/api/returns/{return_id}")
async def get_return(request: web.Request) -> web.Response:
    found = await repository.get_return(_engine(request), parsing.return_id(request))
    return json_response(return_json(found))


# ---------------------------------------------------------------- tickets


@routes.post("/api/tickets")
async def create_ticket(request: web.Request) -> web.Response:
    key = parsing.idempotency_key(request)
    body = await parsing.json_body(request, "CreateTicketRequest")
    order_id = body.get("order_id")
    new_ticket = NewTicket(
        order_id=None if order_id is None else int(order_id),
        email=body["email"].strip().lower(),
        category=body["category"],
        description=body["description"].strip(),
        photo_url=body.get("photo_url"),
    )
    ticket, is_new = await repository.create_ticket(
        _engine(request), new_ticket, idempotency_key=key
    )
    return json_response(ticket_json(ticket), status=201 if is_new else 200)


@routes.get("/api/tickets/{ticket_id}")
async def get_ticket(request: web.Request) -> web.Response:
    found = await repository.get_ticket(_engine(request), parsing.ticket_id(request))
    return json_response(ticket_json(found))


# ---------------------------------------------------------------- discounts


@routes.post("/api/discounts")
async def create_discount(request: web.Request) -> web.Response:
    key = parsing.idempotency_key(request)
    body = await parsing.json_body(request, "CreateDiscountRequest")
    order_id = body.get("order_id")
    new_discount = NewDiscount(
        email=body["email"].strip().lower(),
        kind=body["kind"],
        percent=body.get("percent") if body["kind"] == "percent" else None,
        valid_days=int(body["valid_days"]),
        reason=body["reason"].strip(),
        order_id=None if order_id is None else int(order_id),
    )
    if new_discount.kind == "percent" and not new_discount.percent:
        raise InvalidBody("percent: is required for a percent discount")
    discount, is_new = await repository.create_discount(
        _engine(request), new_discount, idempotency_key=key
    )
    return json_response(discount_json(discount), status=201 if is_new else 200)


@routes.get("/api/discounts")
async def list_discounts(request: web.Request) -> web.Response:
    email = parsing.required_query(request, "email")
    found = await repository.list_discounts(_engine(request), email)
    return json_response({"discounts": [discount_json(item) for item in found]})


@routes.get("/api/discounts/{code}")
async def get_discount(request: web.Request) -> web.Response:
    found = await repository.get_discount(_engine(request), request.match_info["code"])
    return json_response(discount_json(found))


@routes.post("/api/discounts/{code}/redeem")
async def redeem_discount(request: web.Request) -> web.Response:
    """A checkout used the code; the assistant hears of it (`discount.redeemed` webhook)."""
    body = await parsing.json_body(request, "RedeemDiscountRequest", optional=True)
    order_id = body.get("order_id")
    found = await repository.redeem_discount(
        _engine(request), request.match_info["code"], None if order_id is None else int(order_id)
    )
    request.app[WEBHOOKS_KEY].send("discount.redeemed", discount_data(found))
    return json_response(discount_json(found))
