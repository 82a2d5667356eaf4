"""What the actions know about a shop, whatever platform runs it.

Every platform module (reference.py, medusa.py, ...) turns its own data into
these values and its own failures into these errors; the actions see nothing
else. The contract suite (tests/shops/) is the acceptance test of a module.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from bot.policy import load_policy

# The bot's order statuses; a platform maps its own onto these.
STATUSES = (
    "pending_payment",
    "paid",
    "packed",
    "shipped",
    "delivered",
    "cancelled",
    "return_in_progress",
    "refunded",
)


class ShopError(Exception):
    """Base class for what a shop backend raises."""


class ShopUnavailable(ShopError):
    """The shop did not answer usefully (down, slow, or a server error)."""


class NotFound(ShopError):
    """The shop has no such record (or, for an order, not under that email)."""


class Refused(ShopError):
    """The shop refused the change, with its reason."""


class TooManyAttempts(ShopError):
    """The shop checks this order against no more emails for now: wait `seconds`."""

    def __init__(self, seconds: int) -> None:
        super().__init__(f"retry after {seconds} s")
        self.seconds = seconds


@dataclass(frozen=True)
class OrderItem:
    sku: str
    name: str
    quantity: int
    unit_price: str


@dataclass(frozen=True)
class Shipment:
    carrier: str
    tracking_number: str
    tracking_url: str
    shipped_at: datetime | None


@dataclass(frozen=True)
class Address:
    name: str
    street: str
    city: str
    postal_code: str
    country: str

    def as_text(self) -> str:
        """The address as the customer would write it (the recipient's name aside)."""
        return f"{self.street}, {self.postal_code} {self.city}, {self.country}"


@dataclass(frozen=True)
class Return:
    id: str
    order_id: int
    status: str  # requested | received | completed | rejected
    refund_status: str  # pending | approved | refunded
    refund_amount: str
    currency: str
    refund_expected_at: datetime | None
    refunded_at: datetime | None
    label_url: str


@dataclass(frozen=True)
class Ticket:
    id: str
    status: str
    expected_response_by: datetime | None


@dataclass(frozen=True)
class Order:
    id: int  # the number the customer knows
    status: str  # one of STATUSES
    currency: str
    total: str
    customer_email: str
    customer_name: str
    items: tuple[OrderItem, ...]
    shipment: Shipment | None
    delivered_at: datetime | None
    cancelled_at: datetime | None
    shipping_address: Address | None = None
    return_ids: tuple[str, ...] = ()
    # The platform's own id when it is not the number (Medusa's "order_01...").
    ref: str = ""
    placed_at: datetime | None = None

    def belongs_to(self, email: str) -> bool:
        """Whether `email` is the order's email (case-insensitive, trimmed)."""
        return self.customer_email.strip().casefold() == email.strip().casefold()

    @property
    def first_name(self) -> str:
        return self.customer_name.split()[0] if self.customer_name.strip() else ""


# What a goodwill code gives: a percentage off the next order, or a free return label.
DISCOUNT_KINDS = ("percent", "free_return_shipping")


@dataclass(frozen=True)
class Discount:
    """A code the shop gave one customer; used once, before `expires_at`."""

    code: str
    kind: str  # one of DISCOUNT_KINDS
    percent: int | None
    email: str
    reason: str  # the offer rule that made it (complaint, late_delivery, ...)
    created_at: datetime
    expires_at: datetime
    redeemed_at: datetime | None


# How many of a customer's orders `orders_of` lists ("my orders").
RECENT_ORDERS = 10

# Why an order cannot be returned (None: it can).
RETURN_EXISTS, RETURN_CANCELLED, RETURN_NOT_DELIVERED, RETURN_WINDOW_CLOSED = (
    "return_exists",
    "cancelled",
    "not_delivered",
    "window_closed",
)


class ShopBackend(ABC):
    """One shop platform, as the actions use it.

    Reads retry by themselves; a change carries an idempotency key, so the
    same request sent twice (a retried turn) changes the shop once.
    """

    # Statuses in which the platform lets an order be cancelled or re-addressed.
    cancellable: tuple[str, ...] = ("pending_payment", "paid", "packed")
    readdressable: tuple[str, ...] = ("pending_payment", "paid", "packed")
    # Who keeps the complaint tickets: "shop" (the platform's own) or "kramar"
    # (Kramar's table, tickets.py, for platforms that have none).
    tickets_kept_by: str = "shop"

    @abstractmethod
    async def get_order(self, number: int) -> Order:
        """The order with this number (status, tracking, items); NotFound if none."""

    async def find_order(self, number: int, email: str) -> Order:
        """The order, only when `email` is its email: an unknown number and a
        wrong email raise the same NotFound, so a stranger learns nothing."""
        order = await self.get_order(number)
        if not order.belongs_to(email):
            raise NotFound(f"order {number}")
        return order

    @abstractmethod
    async def orders_of(self, email: str) -> list[Order]:
        """The orders placed with `email`, newest first (at most `RECENT_ORDERS`); [] if none.

        Only for an email the customer has proven: it lists every order of it.
        """

    def return_blocker(self, order: Order, now: datetime | None = None) -> str | None:
        """Why the order cannot be returned now (one of the RETURN_* codes), or None."""
        if order.status in ("return_in_progress", "refunded"):
            return RETURN_EXISTS
        if order.status == "cancelled":
            return RETURN_CANCELLED
        if order.status != "delivered" or order.delivered_at is None:
            return RETURN_NOT_DELIVERED
        window = timedelta(days=load_policy().return_window_days)
        if (now or datetime.now(timezone.utc)) > order.delivered_at + window:
            return RETURN_WINDOW_CLOSED
        return None

    @abstractmethod
    async def create_return(
        self, order: Order, items: list[tuple[str, int]], reason: str, idempotency_key: str
    ) -> Return:
        """A return of (sku, quantity) items; Refused when the shop will not take it."""

    @abstractmethod
    async def list_returns(self, order: Order) -> list[Return]:
        """The order's returns, oldest first, each with its refund's state."""

    async def latest_return(self, order: Order) -> Return | None:
        """The return whose refund the customer asks about (the newest), if any."""
        returns = await self.list_returns(order)
        return returns[-1] if returns else None

    @abstractmethod
    async def cancel_order(self, order: Order, reason: str, idempotency_key: str) -> Order:
        """Cancels the order; Refused when the platform's rules forbid it now."""

    @abstractmethod
    async def change_address(self, order: Order, address: Address, idempotency_key: str) -> Order:
        """A new delivery address; Refused once the order has left the warehouse."""

    @abstractmethod
    async def create_ticket(
        self,
        order: Order,
        category: str,
        description: str,
        photo_url: str | None,
        idempotency_key: str,
    ) -> Ticket:
        """A complaint about the order, answered by the shop's staff."""

    @abstractmethod
    async def count_orders(self, email: str) -> int:
        """How many orders the customer with this email has placed (0 for a stranger)."""

    @abstractmethod
    async def create_discount(
        self,
        email: str,
        kind: str,
        percent: int | None,
        valid_days: int,
        reason: str,
        order: Order | None,
        idempotency_key: str,
    ) -> Discount:
        """A new single-use code for this customer; the same key gives back the same
        code. Refused when the platform cannot give this kind."""

    @abstractmethod
    async def list_discounts(self, email: str) -> list[Discount]:
        """The customer's codes, newest first, each with whether it was used."""

    @abstractmethod
    async def get_discount(self, code: str) -> Discount:
        """One code (NotFound if the shop has none such)."""

    @abstractmethod
    async def close(self) -> None:
        """Releases connections (the process is ending)."""
