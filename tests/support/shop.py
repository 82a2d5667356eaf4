"""Direct access to the shop backend, to know the truth the bot must tell."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import requests

from bot.shop.seed import GENERATED_STATUS_PLAN

FIRST_GENERATED = 10011  # 10001-10010 are the fixed orders the docs and tests name


class ShopApi:
    def __init__(self, url: str, api_key: str) -> None:
        self.url, self.api_key = url, api_key
        self._taken: set[int] = set()

    def get(self, path: str) -> requests.Response:
        return requests.get(self.url + path, headers={"X-API-Key": self.api_key}, timeout=10)

    def order(self, order_id: int) -> dict[str, Any]:
        response = self.get(f"/api/orders/{order_id}")
        assert response.status_code == 200, response.text
        return response.json()

    def take(self, status: str, *, delivered_within_days: int | None = None) -> dict[str, Any]:
        """A seeded order in `status` that no other test has taken (tests change orders)."""
        now = datetime.now(timezone.utc)
        for order_id in range(FIRST_GENERATED, FIRST_GENERATED + len(GENERATED_STATUS_PLAN)):
            if order_id in self._taken:
                continue
            order = self.order(order_id)
            if order["status"] != status:
                continue
            if delivered_within_days is not None:
                delivered = datetime.fromisoformat(order["delivered_at"].replace("Z", "+00:00"))
                if now - delivered > timedelta(days=delivered_within_days):
                    continue
            self._taken.add(order_id)
            return order
        raise LookupError(f"no free seeded order in status {status}")
