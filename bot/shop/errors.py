"""Domain errors raised by the data layer and request parsing.

They know nothing about HTTP: the error middleware in ``app.py`` is the one
place that maps them to status codes. ``code`` is the stable machine-readable
name sent to clients; ``str(error)`` is the human message.
"""

from __future__ import annotations

import math


class ShopError(Exception):
    code = "shop_error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFound(ShopError):
    code = "not_found"


class OrderNotFound(NotFound):
    code = "order_not_found"

    def __init__(self, order_id: int | str) -> None:
        super().__init__(f"Order {order_id} was not found")
        self.order_id = order_id


class ReturnNotFound(NotFound):
    code = "return_not_found"

    def __init__(self, return_id: int | str) -> None:
        super().__init__(f"Return {return_id} was not found")
        self.return_id = return_id


class TicketNotFound(NotFound):
    code = "ticket_not_found"

    def __init__(self, ticket_id: int | str) -> None:
        super().__init__(f"Ticket {ticket_id} was not found")
        self.ticket_id = ticket_id


class DiscountNotFound(NotFound):
    code = "discount_not_found"

    def __init__(self, code: str) -> None:
        super().__init__(f"Discount code {code} was not found")


class Conflict(ShopError):
    """The request is well-formed but the current state forbids it."""

    code = "conflict"


class IdempotencyKeyReused(Conflict):
    code = "idempotency_key_reused"


class InvalidRequest(ShopError):
    """Something the client sent (query, header, body) is not acceptable."""

    code = "invalid_request"


class InvalidBody(InvalidRequest):
    code = "invalid_body"


class MalformedJson(InvalidBody):
    code = "invalid_json"


class Unauthorized(ShopError):
    code = "unauthorized"


class TooManyAttempts(ShopError):
    """An order number was checked against too many wrong emails lately; wait and retry."""

    code = "too_many_attempts"

    def __init__(self, order_id: int, wait: float) -> None:
        super().__init__(f"Order {order_id} had too many wrong emails lately; try again later")
        self.retry_after = max(1, math.ceil(wait))
