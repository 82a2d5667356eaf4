"""Turning raw request parts (path, query, headers, body) into checked values."""

from __future__ import annotations

import json
import re
from typing import Any

from aiohttp import web

from bot.shop import openapi
from bot.shop.errors import (
    InvalidRequest,
    MalformedJson,
    OrderNotFound,
    ReturnNotFound,
    TicketNotFound,
)
from bot.shop.models import parse_order_id, parse_return_id, parse_ticket_id

_IDEMPOTENCY_KEY = re.compile(r"^[\x21-\x7e]{1,255}$")  # printable ASCII, no spaces


def order_id(request: web.Request) -> int:
    raw = request.match_info["order_id"]
    parsed = parse_order_id(raw)
    if parsed is None:
        # "abc" cannot be an order number: same answer as an unknown one.
        raise OrderNotFound(raw)
    return parsed


def return_id(request: web.Request) -> int:
    raw = request.match_info["return_id"]
    parsed = parse_return_id(raw)
    if parsed is None:
        raise ReturnNotFound(raw)
    return parsed


def ticket_id(request: web.Request) -> int:
    raw = request.match_info["ticket_id"]
    parsed = parse_ticket_id(raw)
    if parsed is None:
        raise TicketNotFound(raw)
    return parsed


def required_query(request: web.Request, name: str) -> str:
    value = request.query.get(name, "").strip()
    if not value:
        raise InvalidRequest(f"Query parameter {name!r} is required")
    return value


def idempotency_key(request: web.Request) -> str | None:
    value = request.headers.get("Idempotency-Key")
    if value is None:
        return None
    if not _IDEMPOTENCY_KEY.match(value):
        raise InvalidRequest(
            "Idempotency-Key must be 1-255 printable ASCII characters without spaces"
        )
    return value


async def json_body(request: web.Request, schema_name: str, *, optional: bool = False) -> Any:
    """Parse the body and validate it against ``components/schemas/<schema_name>``."""
    raw = await request.read()
    if not raw.strip():
        if optional:
            return {}
        raise MalformedJson("Request body is empty; a JSON object is expected")
    try:
        data = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise MalformedJson("Request body is not UTF-8 text") from None
    except json.JSONDecodeError as error:
        raise MalformedJson(
            f"Request body is not valid JSON: {error.msg} "
            f"(line {error.lineno}, column {error.colno})"
        ) from None
    openapi.validate(schema_name, data)
    return data
