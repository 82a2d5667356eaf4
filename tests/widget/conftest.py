"""A second gateway for the widget's tests, beside the shared stack's.

It talks to the same Rasa, action server and shop, but has a customer-token
signing secret, a temporary upload folder and one allowed foreign origin,
which the shared stack (started without WIDGET_* settings) does not.
"""

from __future__ import annotations

import secrets
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Browser, sync_playwright

from bot.launcher import PROJECT_ROOT, Stack
from tests.e2e.test_handoff import BROWSER_ARGS
from tests.support.stack import free_port

ALLOWED_ORIGIN = "https://shop.example"


@dataclass(frozen=True)
class SignedGateway:
    url: str
    secret: str
    upload_dir: Path


@pytest.fixture(scope="session")
def signed_gateway(
    stack: Stack, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[SignedGateway]:
    workdir = tmp_path_factory.mktemp("widget-gateway")
    port, secret = free_port(), secrets.token_urlsafe(32)
    env = {
        **stack.env,
        "INBOX_PORT": str(port),
        "INBOX_DATABASE_URL": f"sqlite+aiosqlite:///{workdir / 'inbox.db'}",
        "WIDGET_SIGNING_SECRET": secret,
        "WIDGET_UPLOAD_DIR": str(workdir / "uploads"),
        "WIDGET_ALLOWED_ORIGINS": ALLOWED_ORIGIN,
    }
    url = f"http://127.0.0.1:{port}"
    with (workdir / "gateway.log").open("ab") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "bot.gateway"],
            cwd=PROJECT_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
    try:
        _wait_until_up(f"{url}/chat/health", process, workdir / "gateway.log")
        yield SignedGateway(url=url, secret=secret, upload_dir=workdir / "uploads")
    finally:
        process.terminate()
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait_until_up(health: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the widget gateway exited:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(health, timeout=2):
                return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError(f"the widget gateway did not start:\n{log.read_text()[-3000:]}")


# Where the widget's browser tests leave their screenshots.
SHOTS = PROJECT_ROOT / "test-artifacts" / "widget"


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Debian's Chromium, headless, one per test module."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path="/usr/bin/chromium", args=BROWSER_ARGS)
        yield launched
        launched.close()
