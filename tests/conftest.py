"""The whole Kramar stack, started once per test session on free ports.

Tests talk to real servers: the shop backend (fresh SQLite file), the action
server and Rasa with the trained model, exactly as `make run` starts them.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.launcher import Stack
from tests.support.chat import Chat
from tests.support.shop import ShopApi
from tests.support.stack import running_stack, stack_env


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    workdir: Path = tmp_path_factory.mktemp("stack")
    env = stack_env(workdir)
    # People answer around the clock in tests, so results do not depend on the hour.
    policy = (Path(__file__).parent.parent / "bot" / "shop_policy.yml").read_text(encoding="utf-8")
    always_open = re.sub(r"(mon|tue|wed|thu|fri|sat|sun): .*", r'\1: "00:00-23:59"', policy)
    # Order updates go out at any hour too (tests/gateway/test_order_updates.py sets a clock).
    always_open = re.sub(r"\n  quiet_hours: .*", "", always_open)
    (workdir / "shop_policy.yml").write_text(always_open, encoding="utf-8")
    env["SHOP_POLICY_FILE"] = str(workdir / "shop_policy.yml")
    with running_stack(env, workdir) as running:
        yield running


@pytest.fixture(scope="session")
def rasa_url(stack: Stack) -> str:
    return f"http://127.0.0.1:{stack.settings.rasa_port}"


@pytest.fixture(scope="session")
def shop_api(stack: Stack) -> ShopApi:
    return ShopApi(stack.settings.shop_url, stack.settings.shop_api_key)


@pytest.fixture(scope="session")
def inbox_url(stack: Stack) -> str:
    return f"http://127.0.0.1:{stack.env['INBOX_PORT']}"


@pytest.fixture
def chat(rasa_url: str) -> Chat:
    return Chat(rasa_url)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Tests that stop and restart services run after all the others."""
    items.sort(key=lambda item: item.get_closest_marker("restarts_services") is not None)
