"""Every input of the customer API is checked: a clear 4xx naming the problem, never a 500."""

from __future__ import annotations

import json

import pytest
import requests

from bot.gateway.app import create_app
from bot.launcher import Stack
from bot.settings import Settings
from tests.gateway.conftest import gateway_process
from tests.support.gateway import Customer


@pytest.fixture(scope="module")
def customer(inbox_url: str) -> Customer:
    return Customer(inbox_url)


def post_raw(customer: Customer, data: bytes, **headers: str) -> requests.Response:
    return requests.post(
        f"{customer.base}/{customer.id}/messages",
        data=data,
        headers={**customer.headers, "Content-Type": "application/json", **headers},
        timeout=30,
    )


@pytest.mark.parametrize(
    ("body", "status", "says"),
    [
        (b"not json", 400, "JSON"),
        (b"\xff\xfe{}", 400, "JSON"),  # not UTF-8
        (b"[]", 400, '"text"'),
        (b"{}", 400, '"text"'),
        (b'{"text": 5}', 400, '"text"'),
        (b'{"text": null}', 400, '"text"'),
        (b'{"text": "hi", "sender": "someone-else"}', 400, "Unknown field 'sender'"),
        (b'{"text": "hi", "metadata": "uk"}', 400, '"metadata"'),
        (b'{"text": "hi", "metadata": [1]}', 400, '"metadata"'),
        (b'{"text": "hi\\u0000"}', 400, "NUL"),
        (b'{"text": "\\ud800"}', 400, "Unicode"),  # a lone surrogate: not storable text
        (b'{"text": "hi", "metadata": {"\\ud800": 1}}', 400, "Unicode"),
        (json.dumps({"text": "x" * 5001}).encode(), 413, "5000"),
        (json.dumps({"text": "hi", "metadata": {"a": "x" * 5000}}).encode(), 413, "4096"),
    ],
)
def test_a_malformed_message_gets_a_clear_answer(
    customer: Customer, body: bytes, status: int, says: str
) -> None:
    response = post_raw(customer, body)
    assert response.status_code == status, response.text
    assert says in response.json()["message"]


@pytest.mark.parametrize(
    ("query", "says"),
    [
        ({"after": "abc"}, "numbers"),
        ({"after": "1.5"}, "numbers"),
        ({"after": "-1"}, "message id"),
        ({"after": str(2**63)}, "message id"),  # past the database's integers
        ({"after": "9" * 5000}, "numbers"),  # Python refuses to parse such an int
        ({"wait": "nan"}, "finite"),
        ({"wait": "1e400"}, "finite"),  # parses as inf
        ({"wait": "soon"}, "numbers"),
    ],
)
def test_bad_polling_parameters_get_a_clear_answer(
    customer: Customer, query: dict[str, str], says: str
) -> None:
    response = requests.get(
        f"{customer.base}/{customer.id}/messages",
        params=query,
        headers=customer.headers,
        timeout=10,
    )
    assert response.status_code == 400, response.text
    assert says in response.json()["message"]


@pytest.mark.parametrize(
    "token",
    [
        "",
        "Bearer",
        "Bearer é" + "0" * 63,
        "Bearer " + "0" * 64,
        "Basic abc",
        "Bearer " + "f" * 5000,
    ],
)
def test_a_wrong_token_of_any_shape_is_a_401(customer: Customer, token: str) -> None:
    response = requests.get(
        f"{customer.base}/{customer.id}/messages",
        headers={"Authorization": token.encode().decode("latin-1")},
        timeout=10,
    )
    assert response.status_code == 401, response.text
    assert response.json()["error"] == "unauthorized"


@pytest.mark.parametrize("conversation_id", ["x" * 300, "%F0%9F%92%A9", "%ED%A0%80", "%00"])
def test_odd_conversation_ids_are_a_401(customer: Customer, conversation_id: str) -> None:
    response = requests.post(
        f"{customer.base}/{conversation_id}/messages",
        json={"text": "hi"},
        headers=customer.headers,
        timeout=10,
    )
    assert response.status_code == 401, response.text


def test_the_customer_api_is_described_at_chat_openapi_json(inbox_url: str, stack: Stack) -> None:
    response = requests.get(f"{inbox_url}/chat/openapi.json", timeout=10)
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("application/json")
    spec = response.json()
    assert spec["openapi"].startswith("3.")
    # Every /chat/ route the gateway serves (the WebSocket aside) is described, and no other.
    app = create_app(Settings.from_env(stack.env), stack.env)
    served = {
        (route.method.lower(), route.resource.canonical)
        for route in app.router.routes()
        if route.resource is not None
        and route.resource.canonical.startswith("/chat/")
        and route.method not in ("HEAD", "OPTIONS")
        and route.resource.canonical != "/chat/ws"
    }
    described = {(method, path) for path, item in spec["paths"].items() for method in item}
    described -= {("parameters", path) for path in spec["paths"]}
    assert served == described


@pytest.mark.parametrize(
    "body",
    [b"--b\r\n-1665722--b--\r\n", b"no boundary at all", b"--b\r\nX: y\r\n\r\nGIF89a\r\n--b--\r\n"],
)
def test_a_broken_upload_gets_a_clear_answer(customer: Customer, body: bytes) -> None:
    # The first once made the multipart reader raise what the handler did not catch: a 500.
    response = requests.post(
        f"{customer.base}/{customer.id}/attachments",
        data=body,
        headers={**customer.headers, "Content-Type": "multipart/form-data; boundary=b"},
        timeout=10,
    )
    assert response.status_code == 400, response.text
    assert response.json()["error"] == "bad_request"


def test_an_unreachable_transcript_database_is_a_503_not_a_500(
    stack: Stack, tmp_path_factory: pytest.TempPathFactory
) -> None:
    workdir = tmp_path_factory.mktemp("db-down")
    with gateway_process(stack, workdir, {}) as gateway:
        opened = requests.post(f"{gateway.url}/chat/conversations", timeout=30).json()
        url = f"{gateway.url}/chat/conversations/{opened['conversation_id']}/messages"
        auth = {"Authorization": f"Bearer {opened['token']}"}
        assert requests.post(url, json={"text": "hi"}, headers=auth, timeout=60).ok
        # The database goes out of reach (as while PostgreSQL restarts).
        database = workdir / "inbox.db"
        database.rename(workdir / "inbox.db.away")
        database.mkdir()
        sent = requests.post(url, json={"text": "hello"}, headers=auth, timeout=60)
        assert sent.status_code == 503, sent.text
        assert "try again" in sent.json()["message"]
        read = requests.get(url, headers=auth, timeout=60)
        assert read.status_code == 503, read.text
