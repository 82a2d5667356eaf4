"""The shop the actions talk to: one ShopBackend interface (base.py), one
module per platform, chosen by `SHOP_PLATFORM` (reference | medusa).

Adding a platform: docs/shops.md.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from actions.shops.base import (
    Address,
    Discount,
    NotFound,
    Order,
    OrderItem,
    Refused,
    Return,
    Shipment,
    ShopBackend,
    ShopError,
    ShopUnavailable,
    Ticket,
    TooManyAttempts,
)
from bot.settings import VAR_DIR, Settings

PLATFORMS = ("reference", "medusa")

__all__ = [
    "PLATFORMS",
    "Address",
    "Discount",
    "NotFound",
    "Order",
    "OrderItem",
    "Refused",
    "Return",
    "Shipment",
    "ShopBackend",
    "ShopError",
    "ShopUnavailable",
    "Ticket",
    "TooManyAttempts",
    "backend_from_env",
    "shop",
]


def backend_from_env(env: Mapping[str, str] | None = None) -> ShopBackend:
    """The backend `SHOP_PLATFORM` names, set up from the environment."""
    env = os.environ if env is None else env
    settings = Settings.from_env(env)
    timeout, retries = settings.shop_timeout_seconds, settings.shop_read_retries
    platform = env.get("SHOP_PLATFORM", "").strip() or "reference"
    if platform == "reference":
        from actions.shops.reference import ReferenceShop

        return ReferenceShop(
            settings.shop_url, settings.shop_api_key, timeout_seconds=timeout, read_retries=retries
        )
    if platform == "medusa":
        from actions.shops.medusa import MedusaShop
        from actions.shops.tickets import TicketStore

        url, key = env.get("MEDUSA_URL", "").strip(), env.get("MEDUSA_API_KEY", "").strip()
        if not (url and key):
            raise ValueError("SHOP_PLATFORM=medusa needs MEDUSA_URL and MEDUSA_API_KEY")
        tickets_url = env.get("TICKETS_DATABASE_URL", "").strip() or (
            f"sqlite+aiosqlite:///{VAR_DIR / 'tickets.db'}"
        )
        tickets = TicketStore(tickets_url, "medusa")
        return MedusaShop(url, key, tickets, timeout_seconds=timeout, read_retries=retries)
    raise ValueError(f"SHOP_PLATFORM must be one of {', '.join(PLATFORMS)}, got {platform!r}")


_backend: ShopBackend | None = None


def shop() -> ShopBackend:
    """The process-wide backend (one HTTP session per process)."""
    global _backend
    if _backend is None:
        _backend = backend_from_env()
    return _backend


# A wrong SHOP_PLATFORM (or Medusa without its URL and key) stops the action
# server as it starts, where `make run` names the step, not at a customer's turn.
shop()
