"""The shops the contract suite runs against, each a real server started once for
this folder: the reference shop (`python -m bot.shop`, fresh SQLite) and Medusa 2
(its npm packages from the cache, its own PostgreSQL database, seeded by
platforms/medusa/src/scripts/seed.ts). No stand-in imitates either; both stop
after the folder's last test."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import requests

from actions.shops import ShopBackend, backend_from_env
from platforms.medusa import server as medusa_server
from tests.support.infra import scratch_databases
from tests.support.shop import ShopApi
from tests.support.stack import free_port
from tests.support.webhook_receiver import WebhookReceiver

PROJECT = Path(__file__).resolve().parent.parent.parent

# Orders every shop's seed has, by the state the suite needs them in.
READ_ONLY_CASES = (
    "pending_payment",
    "paid",
    "packed",
    "shipped",
    "delivered",
    "delivered_long_ago",
    "return_in_progress",
    "refunded",
    "cancelled",
)
# Orders the suite changes, one per kind of change.
CHANGED_CASES = ("to_cancel", "to_readdress", "to_return", "to_complain")


@dataclass(frozen=True)
class SeededOrder:
    number: int
    email: str


@dataclass
class ShopUnderTest:
    platform: str
    # The environment the actions would run with (SHOP_PLATFORM and its settings).
    env: dict[str, str]
    # The variable holding the shop's address (pointed elsewhere for "down"/"slow").
    url_variable: str
    orders: dict[str, SeededOrder] = field(default_factory=dict)

    def backend(self, **overrides: str) -> ShopBackend:
        return backend_from_env({**self.env, **overrides})


def _wait_for(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the reference shop exited:\n{log.read_text()[-3000:]}")
        try:
            if requests.get(f"{url}/health", timeout=1).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"the reference shop did not answer:\n{log.read_text()[-3000:]}")


@pytest.fixture(scope="package")
def reference_shop(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ShopUnderTest]:
    workdir = tmp_path_factory.mktemp("reference-shop")
    port, key = free_port(), secrets.token_urlsafe(16)
    env = {
        **os.environ,
        "KRAMAR_HOST": "127.0.0.1",
        "SHOP_PORT": str(port),
        "SHOP_API_KEY": key,
        "SHOP_DATABASE_URL": f"sqlite+aiosqlite:///{workdir / 'shop.db'}",
        "PYTHONPATH": str(PROJECT),
    }
    env.pop("SHOP_URL", None)
    log = workdir / "shop.log"
    with log.open("w") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "bot.shop"], cwd=PROJECT, env=env, stdout=out, stderr=out
        )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_for(url, process, log)
        # The fixed layout of bot/shop/seed.py.
        fixed = {
            "pending_payment": 10004,
            "paid": 10003,
            "packed": 10005,
            "shipped": 10001,
            "delivered": 10002,
            "delivered_long_ago": 10007,
            "return_in_progress": 10008,
            "refunded": 10009,
            "cancelled": 10006,
        }
        api = ShopApi(url, key)
        orders = {
            case: SeededOrder(number, api.order(number)["customer"]["email"])
            for case, number in fixed.items()
        }
        for case, found in (
            ("to_cancel", api.take("paid")),
            ("to_readdress", api.take("packed")),
            ("to_return", api.take("delivered", delivered_within_days=10)),
            ("to_complain", api.take("delivered", delivered_within_days=10)),
        ):
            orders[case] = SeededOrder(int(found["id"]), found["customer"]["email"])
        yield ShopUnderTest(
            platform="reference",
            env={
                "SHOP_PLATFORM": "reference",
                "SHOP_URL": url,
                "SHOP_API_KEY": key,
                "SHOP_TIMEOUT_SECONDS": "5",
                "SHOP_READ_RETRIES": "1",
            },
            url_variable="SHOP_URL",
            orders=orders,
        )
    finally:
        process.terminate()
        process.wait(timeout=20)


@pytest.fixture(scope="package")
def shop_webhooks() -> Iterator[WebhookReceiver]:
    """Where the shops under test send their order updates (Kramar's /hooks/shop)."""
    receiver = WebhookReceiver(secrets.token_urlsafe(16))
    yield receiver
    receiver.stop()


@pytest.fixture(scope="package")
def medusa_shop(
    tmp_path_factory: pytest.TempPathFactory, shop_webhooks: WebhookReceiver
) -> Iterator[ShopUnderTest]:
    workdir = tmp_path_factory.mktemp("medusa")
    webhooks = {"SHOP_WEBHOOK_URL": shop_webhooks.url, "SHOP_WEBHOOK_SECRET": shop_webhooks.secret}
    with (
        scratch_databases("medusa_test") as urls,
        medusa_server.running(urls["medusa_test"], free_port(), workdir, webhooks) as medusa,
    ):
        yield ShopUnderTest(
            platform="medusa",
            env={
                "SHOP_PLATFORM": "medusa",
                "MEDUSA_URL": medusa.url,
                "MEDUSA_API_KEY": medusa.api_key,
                "TICKETS_DATABASE_URL": f"sqlite+aiosqlite:///{workdir / 'tickets.db'}",
                # Medusa answers its first calls slowly while it warms up.
                "SHOP_TIMEOUT_SECONDS": "15",
                "SHOP_READ_RETRIES": "1",
            },
            url_variable="MEDUSA_URL",
            orders={
                case: SeededOrder(int(order["number"]), str(order["email"]))
                for case, order in medusa.orders.items()
            },
        )


@pytest.fixture(scope="package", params=["reference", "medusa"])
def shop_under_test(request: pytest.FixtureRequest) -> ShopUnderTest:
    """Each contract test runs once per platform."""
    return request.getfixturevalue(f"{request.param}_shop")


@pytest.fixture
async def backend(shop_under_test: ShopUnderTest) -> AsyncIterator[ShopBackend]:
    shop = shop_under_test.backend()
    yield shop
    await shop.close()
