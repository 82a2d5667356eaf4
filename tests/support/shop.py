"""Direct access to the shop backend, to know the truth the bot must tell."""

from __future__ import annotations

from typing import Any

import requests


class ShopApi:
    def __init__(self, url: str, api_key: str) -> None:
        self.url, self.api_key = url, api_key

    def get(self, path: str) -> requests.Response:
        return requests.get(self.url + path, headers={"X-API-Key": self.api_key}, timeout=10)

    def order(self, order_id: int) -> dict[str, Any]:
        response = self.get(f"/api/orders/{order_id}")
        assert response.status_code == 200, response.text
        return response.json()
