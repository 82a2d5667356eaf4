"""Plain value objects passed between the data layer and the HTTP layer,
plus the shop's state rules (which status allows what)."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

import yaml

# Order lifecycle: pending_payment -> paid -> packed -> shipped -> delivered,
# then optionally return_in_progress -> refunded; or cancelled before shipping.
ORDER_STATUSES = (
    "pending_payment",
    "paid",
    "packed",
    "shipped",
    "delivered",
    "cancelled",
    "return_in_progress",
    "refunded",
)
# Still in the warehouse: the order can be cancelled or re-addressed.
CHANGEABLE_STATUSES = ("pending_payment", "paid", "packed")
# A return may be opened after delivery, and again for items not yet returned.
RETURNABLE_STATUSES = ("delivered", "return_in_progress")

RETURN_STATUSES = ("requested", "received", "completed", "rejected")
REFUND_STATUSES = ("pending", "approved", "refunded")
TICKET_CATEGORIES = (
    "damaged",
    "wrong_item",
    "missing_item",
    "late_delivery",
    "quality",
    "service",
    "other",
)


def _policy_number(section: str, key: str, default: int) -> int:
    """A number from the shop policy file the bot also reads (bot/shop_policy.yml).

    The reference shop follows the same file so a changed return window is
    enforced alike by the bot and the backend; a real shop has its own rules.
    """
    path = Path(
        os.environ.get("SHOP_POLICY_FILE") or Path(__file__).parent.parent / "shop_policy.yml"
    )
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        return int(data[section][key])
    except (OSError, KeyError, TypeError, ValueError):
        return default


RETURN_WINDOW = timedelta(days=_policy_number("returns", "window_days", 30))
REFUND_EXPECTED_AFTER = timedelta(days=_policy_number("returns", "refund_days", 14))
TICKET_RESPONSE_WITHIN = timedelta(hours=_policy_number("complaints", "response_hours", 24))

# Largest id PostgreSQL's INTEGER holds: bigger numbers cannot exist, so they
# are "not found" instead of a database overflow error.
MAX_DB_ID = 2**31 - 1

_RETURN_ID = re.compile(r"^(?:R-?)?0*(\d{1,10})$", re.IGNORECASE)
_TICKET_ID = re.compile(r"^(?:T-?)?0*(\d{1,10})$", re.IGNORECASE)


def format_return_id(return_id: int) -> str:
    return f"R-{return_id:06d}"


def format_ticket_id(ticket_id: int) -> str:
    return f"T-{ticket_id:06d}"


def _parse_id(pattern: re.Pattern[str], raw: str) -> int | None:
    match = pattern.match(raw.strip())
    if match is None:
        return None
    value = int(match.group(1))
    return value if 0 < value <= MAX_DB_ID else None


def parse_order_id(raw: str) -> int | None:
    raw = raw.strip()
    if not raw.isascii() or not raw.isdigit() or len(raw) > 10:
        return None
    value = int(raw)
    return value if 0 < value <= MAX_DB_ID else None


def parse_return_id(raw: str) -> int | None:
    """Accept ``R-000123`` (canonical), ``r123`` or ``123``."""
    return _parse_id(_RETURN_ID, raw)


def parse_ticket_id(raw: str) -> int | None:
    """Accept ``T-000045`` (canonical), ``t45`` or ``45``."""
    return _parse_id(_TICKET_ID, raw)


def normalize_email(email: str) -> str:
    return email.strip().lower()


@dataclass(frozen=True)
class Customer:
    email: str
    name: str
    language: str


@dataclass(frozen=True)
class Address:
    name: str
    street: str
    city: str
    postal_code: str
    country: str


@dataclass(frozen=True)
class OrderItem:
    sku: str
    name: str
    quantity: int
    unit_price_cents: int


@dataclass(frozen=True)
class Shipment:
    carrier: str
    tracking_number: str | None
    tracking_url: str | None
    shipped_at: datetime | None


@dataclass(frozen=True)
class ReturnItem:
    sku: str
    name: str
    quantity: int
    unit_price_cents: int


@dataclass(frozen=True)
class Return:
    id: int
    order_id: int
    created_at: datetime
    status: str
    reason: str
    items: tuple[ReturnItem, ...]
    currency: str
    refund_status: str
    refund_amount_cents: int
    refund_expected_at: datetime | None
    refunded_at: datetime | None
    label_url: str | None


@dataclass(frozen=True)
class Order:
    id: int
    status: str
    created_at: datetime
    currency: str
    total_cents: int
    customer: Customer
    shipping_address: Address
    items: tuple[OrderItem, ...]
    shipment: Shipment | None
    delivered_at: datetime | None
    cancelled_at: datetime | None
    cancel_reason: str | None
    returns: tuple[Return, ...] = field(default=())

    @property
    def returnable_until(self) -> datetime | None:
        """End of the return window, or None when a return is not possible."""
        if self.delivered_at is None or self.status not in RETURNABLE_STATUSES:
            return None
        return self.delivered_at + RETURN_WINDOW


@dataclass(frozen=True)
class NewReturnItem:
    sku: str
    quantity: int


@dataclass(frozen=True)
class NewReturn:
    order_id: int
    items: tuple[NewReturnItem, ...]
    reason: str


@dataclass(frozen=True)
class Ticket:
    id: int
    order_id: int | None
    email: str
    category: str
    description: str
    photo_url: str | None
    status: str
    created_at: datetime
    expected_response_by: datetime


DISCOUNT_KINDS = ("percent", "free_return_shipping")


@dataclass(frozen=True)
class NewDiscount:
    email: str
    kind: str  # one of DISCOUNT_KINDS
    percent: int | None
    valid_days: int
    reason: str
    order_id: int | None


@dataclass(frozen=True)
class Discount:
    code: str
    email: str
    kind: str
    percent: int | None
    reason: str
    order_id: int | None
    created_at: datetime
    expires_at: datetime
    redeemed_at: datetime | None
    redeemed_order_id: int | None


@dataclass(frozen=True)
class NewTicket:
    order_id: int | None
    email: str
    category: str
    description: str
    photo_url: str | None
