"""``python -m bot.shop`` as a real process: refuses without a key, serves with one."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from bot.shop.app import create_app
from tests.shop.conftest import API_KEY, make_settings, sqlite_url

PROJECT_ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def shop_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SHOP_", "KRAMAR_"))}
    env.update(
        KRAMAR_HOST="127.0.0.1",
        SHOP_PORT=str(free_port()),
        SHOP_DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 'shop.db'}",
        PYTHONPATH=str(PROJECT_ROOT),
        **extra,
    )
    return env


def test_refuses_to_start_without_api_key(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "bot.shop"],
        env=shop_env(tmp_path, SHOP_API_KEY=""),
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "bot.shop: SHOP_API_KEY is empty; set it to the key clients send as X-API-Key."
    ]


def test_starts_serves_and_stops(tmp_path: Path) -> None:
    env = shop_env(tmp_path, SHOP_API_KEY=API_KEY)
    base = f"http://127.0.0.1:{env['SHOP_PORT']}"
    process = subprocess.Popen(
        [sys.executable, "-m", "bot.shop"],
        env=env,
        cwd=PROJECT_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"{base}/health", timeout=1) as response:
                    assert response.status == 200
                    break
            except OSError:
                assert process.poll() is None, process.communicate()[0]
                assert time.monotonic() < deadline, "the shop did not answer in time"
                time.sleep(0.1)
        request = urllib.request.Request(f"{base}/api/orders/10001", headers={"X-API-Key": API_KEY})
        with urllib.request.urlopen(request, timeout=5) as response:
            assert response.status == 200
    finally:
        process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=30)
    assert process.returncode == 0, output
    assert f"Kramar shop ready on {base}" in output


def test_app_refuses_an_empty_api_key(tmp_path: Path) -> None:
    settings = make_settings(sqlite_url(tmp_path / "x.db"), SHOP_API_KEY="  ")
    with pytest.raises(ValueError, match="SHOP_API_KEY"):
        create_app(settings)
