"""The Bot API stand-in, and gateway processes with the Telegram channel next to the stack.

The session's `stack` runs its own gateway without Telegram (its environment
is fixed when the first test needs it, whichever that is). Telegram tests
start their own gateway process (`python -m bot.gateway`, as `make run` does)
with the stack's environment plus the TELEGRAM_* settings, on its own port
and inbox database, talking to the stack's real Rasa, action server and shop.
That works in any test order, and polling and webhook mode each get one.
"""

from __future__ import annotations

import secrets
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from bot.launcher import PROJECT_ROOT, Stack
from tests.support.stack import free_port
from tests.telegram.bot_api_standin import BotApiStandin


@pytest.fixture(scope="session")
def standin() -> Iterator[BotApiStandin]:
    running = BotApiStandin().start()
    yield running
    running.stop()


class TelegramGateway:
    """One `python -m bot.gateway` process with the Telegram channel on."""

    def __init__(self, stack: Stack, standin: BotApiStandin, workdir: Path, mode: str) -> None:
        self.standin, self.mode = standin, mode
        self.token = standin.new_bot()
        port = free_port()
        self.url = f"http://127.0.0.1:{port}"
        self.secret = secrets.token_urlsafe(32)
        self.env = {
            **stack.env,
            "INBOX_PORT": str(port),
            "INBOX_DATABASE_URL": f"sqlite+aiosqlite:///{workdir / 'inbox.db'}",
            "TELEGRAM_BOT_TOKEN": self.token,
            "TELEGRAM_API_URL": standin.url,
            "TELEGRAM_MODE": mode,
        }
        if mode == "webhook":
            self.env["TELEGRAM_WEBHOOK_URL"] = f"{self.url}/telegram/webhook"
            self.env["TELEGRAM_WEBHOOK_SECRET"] = self.secret
        self.log = workdir / "gateway.log"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 90) -> None:
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "bot.gateway"],
                cwd=PROJECT_ROOT,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                break
            if self._connected():
                return
            time.sleep(0.3)
        self.stop()
        raise AssertionError(f"the Telegram gateway did not start:\n{self.log_text()[-4000:]}")

    def _connected(self) -> bool:
        try:
            healthy = requests.get(f"{self.url}/chat/health", timeout=2).status_code == 200
        except requests.RequestException:
            return False
        method = "getUpdates" if self.mode == "polling" else "setWebhook"
        return healthy and bool(self.standin.calls(self.token, method))

    def log_text(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


@pytest.fixture(scope="session")
def polling_gateway(
    stack: Stack, standin: BotApiStandin, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[TelegramGateway]:
    gateway = TelegramGateway(stack, standin, tmp_path_factory.mktemp("tg-polling"), "polling")
    gateway.start()
    yield gateway
    gateway.stop()


@pytest.fixture(scope="session")
def webhook_gateway(
    stack: Stack, standin: BotApiStandin, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[TelegramGateway]:
    gateway = TelegramGateway(stack, standin, tmp_path_factory.mktemp("tg-webhook"), "webhook")
    gateway.start()
    yield gateway
    gateway.stop()
