"""Property-based fuzzing (schemathesis) of the customer API and the shop backend's API.

Each runs against a real server described by its own OpenAPI document:
thousands of generated requests, valid and invalid, and not one may get a
5xx or an answer that its schema does not describe.
"""

from __future__ import annotations

import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from bot.launcher import PROJECT_ROOT, Stack
from tests.gateway.conftest import Gateway
from tests.support.stack import free_port

CHECKS = ",".join(
    [
        "not_a_server_error",
        "status_code_conformance",
        "content_type_conformance",
        "response_headers_conformance",
        "response_schema_conformance",
        "negative_data_rejection",
        "unsupported_method",
        "ignored_auth",
    ]
)
MAX_EXAMPLES = 25  # per operation and phase: about a minute for both APIs on two cores


def schemathesis(
    spec_url: str, base_url: str, workdir: Path, header: str, config: str = ""
) -> None:
    (workdir / "schemathesis.toml").write_text(
        # 413 (too large) is a fine way to refuse schema-violating data too.
        "[checks.negative_data_rejection]\n"
        "expected-statuses = [400, 401, 403, 404, 405, 406, 409, 413, 415, 422, 428, 429]\n"
        + config,
        encoding="utf-8",
    )
    command = [
        str(Path(sys.executable).with_name("schemathesis")),
        f"--config-file={workdir / 'schemathesis.toml'}",
        "run",
        spec_url,
        f"--url={base_url}",
        f"--header={header}",
        f"--checks={CHECKS}",
        f"--max-examples={MAX_EXAMPLES}",
        "--phases=examples,coverage,fuzzing",
        "--generation-database=none",
        "--workers=2",
        "--no-color",
    ]
    # In a folder of its own: nothing it writes lands in the checkout.
    run = subprocess.run(command, cwd=workdir, capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stdout[-12000:] + run.stderr[-3000:]


def test_the_customer_api_answers_every_generated_request_as_described(
    fuzz_gateway: Gateway, tmp_path: Path
) -> None:
    opened = requests.post(f"{fuzz_gateway.url}/chat/conversations", timeout=10).json()
    # Requests go to one real conversation, so they reach past the token check. Long
    # polls are not fuzzed (each could wait 25 s); tests/gateway/test_input_checks does them.
    schemathesis(
        f"{fuzz_gateway.url}/chat/openapi.json",
        fuzz_gateway.url,
        tmp_path,
        f"Authorization: Bearer {opened['token']}",
        f'[parameters]\n"path.conversation_id" = "{opened["conversation_id"]}"\n"query.wait" = 0\n',
    )
    # Not one 5xx in the access log either, the probes schemathesis checks nothing of included.
    log = fuzz_gateway.log.read_text(encoding="utf-8", errors="replace")
    assert not re.findall(r'HTTP/1\.[01]" 5\d\d .*', log)


@pytest.fixture(scope="module")
def shop(stack: Stack, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A shop backend of its own: the fuzzer cancels and returns orders the other tests need."""
    workdir = tmp_path_factory.mktemp("fuzz-shop")
    port = free_port()
    env = {
        **stack.env,
        "SHOP_PORT": str(port),
        "SHOP_DATABASE_URL": f"sqlite+aiosqlite:///{workdir / 'shop.db'}",
    }
    env.pop("SHOP_URL", None)
    url = f"http://127.0.0.1:{port}"
    with (workdir / "shop.log").open("ab") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "bot.shop"],
            cwd=PROJECT_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while not _answers(f"{url}/health"):
            assert process.poll() is None and time.monotonic() < deadline, "the shop did not start"
            time.sleep(0.3)
        yield url
    finally:
        process.terminate()
        process.wait(15)


def _answers(url: str) -> bool:
    try:
        return requests.get(url, timeout=2).ok
    except requests.RequestException:
        return False


def test_the_shop_api_answers_every_generated_request_as_described(
    shop: str, stack: Stack, tmp_path: Path
) -> None:
    schemathesis(
        f"{shop}/openapi.json",
        shop,
        tmp_path,
        f"X-API-Key: {stack.settings.shop_api_key}",
    )
