"""A customer on the gateway's REST channel, and an agent logged in to the inbox."""

from __future__ import annotations

import re
import subprocess
import sys
from typing import Any

import requests

from bot.launcher import PROJECT_ROOT


class Customer:
    """One conversation through the gateway, holding its server-issued token."""

    def __init__(self, inbox_url: str) -> None:
        self.base = f"{inbox_url}/chat/conversations"
        started = requests.post(self.base, timeout=10).json()
        self.id, self.token = started["conversation_id"], started["token"]
        self.last = 0

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    def send(self, text: str, metadata: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        response = requests.post(
            f"{self.base}/{self.id}/messages",
            json={"text": text, "metadata": metadata or {}},
            headers=self.headers,
            timeout=60,
        )
        assert response.status_code == 200, response.text
        body = response.json()
        self.last = body["last"]
        return body["messages"]

    def say(self, text: str) -> str:
        return "\n".join(m.get("text") or "" for m in self.send(text))

    def wait_for_news(self, seconds: float = 10) -> list[dict[str, Any]]:
        response = requests.get(
            f"{self.base}/{self.id}/messages",
            params={"after": self.last, "wait": seconds},
            headers=self.headers,
            timeout=seconds + 10,
        )
        assert response.status_code == 200, response.text
        body = response.json()
        self.last = body["last"]
        return body["messages"]


def create_agent(env: dict[str, str], username: str, password: str, name: str) -> None:
    subprocess.run(
        [sys.executable, "-m", "bot.inbox", "create-agent", username, "--name", name,
         "--password-stdin"],
        input=password, text=True, check=True, cwd=PROJECT_ROOT, env=env, timeout=60,
    )  # fmt: skip


class Agent:
    """An agent's HTTP session with the inbox (cookie + CSRF token)."""

    def __init__(self, inbox_url: str, username: str, password: str) -> None:
        self.url, self.http = inbox_url, requests.Session()
        page = self.http.get(f"{inbox_url}/login", timeout=10).text
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
        done = self.http.post(
            f"{inbox_url}/login",
            data={"username": username, "password": password, "csrf_token": csrf, "next": "/"},
            timeout=10,
        )
        assert done.status_code == 200 and "Log in" not in done.text[:2000], done.text[:500]
        self.csrf = re.search(r'name="csrf-token" content="([^"]+)"', done.text).group(1)

    def get(self, path: str) -> Any:
        response = self.http.get(self.url + path, timeout=10)
        assert response.status_code == 200, response.text
        return response.json()

    def post(self, path: str, body: dict[str, Any] | None = None) -> requests.Response:
        return self.http.post(
            self.url + path, json=body or {}, headers={"X-CSRF-Token": self.csrf}, timeout=30
        )
