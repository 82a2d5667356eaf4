"""Gateway processes of their own for the limit and fuzz tests, beside the shared stack's.

Each is `python -m bot.gateway` (as `make run` starts it) with its own port,
inbox database and upload folder, talking to the stack's real Rasa, action
server and shop. The `limited` one has limits small enough to reach in a test
and trusts 127.0.0.1 as a proxy, so each test can come from addresses of its own.
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

from bot.launcher import PROJECT_ROOT, Stack
from tests.support.stack import free_port

LIMITS = {
    "CHAT_CONVERSATIONS_PER_ADDRESS": "3",
    "CHAT_CONVERSATIONS_WINDOW_SECONDS": "600",
    "CHAT_MESSAGES_PER_MINUTE": "3",
    "CHAT_UPLOADS_PER_CONVERSATION": "3",
    "CHAT_UPLOAD_MB_PER_CONVERSATION": "5",
    "CHAT_TRUSTED_PROXIES": "127.0.0.1",
}


@dataclass(frozen=True)
class Gateway:
    url: str
    upload_dir: Path
    log: Path


@pytest.fixture(scope="session")
def limited_gateway(stack: Stack, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    with gateway_process(stack, tmp_path_factory.mktemp("limited-gateway"), LIMITS) as gateway:
        yield gateway


@pytest.fixture(scope="session")
def fuzz_gateway(stack: Stack, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    # The default limits, but one fuzzer opens many conversations from one address.
    extra = {"CHAT_CONVERSATIONS_PER_ADDRESS": "100000"}
    with gateway_process(stack, tmp_path_factory.mktemp("fuzz-gateway"), extra) as gateway:
        yield gateway


@contextmanager
def gateway_process(stack: Stack, workdir: Path, extra: dict[str, str]) -> Iterator[Gateway]:
    port = free_port()
    gateway = Gateway(f"http://127.0.0.1:{port}", workdir / "uploads", workdir / "gateway.log")
    env = {
        **stack.env,
        "INBOX_PORT": str(port),
        "INBOX_DATABASE_URL": f"sqlite+aiosqlite:///{workdir / 'inbox.db'}",
        "WIDGET_UPLOAD_DIR": str(gateway.upload_dir),
        **extra,
    }
    with gateway.log.open("ab") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "bot.gateway"],
            cwd=PROJECT_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
    try:
        _wait_until_up(gateway, process)
        yield gateway
    finally:
        process.terminate()
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait_until_up(gateway: Gateway, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and process.poll() is None:
        try:
            if requests.get(f"{gateway.url}/chat/health", timeout=2).ok:
                return
        except requests.RequestException:
            time.sleep(0.3)
    raise RuntimeError(f"the gateway did not start:\n{gateway.log.read_text()[-3000:]}")
