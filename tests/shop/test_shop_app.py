"""Authentication, public endpoints, the error middleware and the OpenAPI document."""

from __future__ import annotations

import json
import logging

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from bot.settings import Settings
from bot.shop.app import create_app
from tests.shop.conftest import API_KEY

pytestmark = pytest.mark.asyncio


async def test_health_is_public(anon_client: TestClient) -> None:
    response = await anon_client.get("/health")
    assert response.status == 200
    assert await response.json() == {"status": "ok"}


async def test_missing_key_is_refused(anon_client: TestClient) -> None:
    response = await anon_client.get("/api/orders/10001")
    assert response.status == 401
    body = await response.json()
    assert body["error"] == "unauthorized"
    assert "X-API-Key" in body["message"]


async def test_wrong_key_is_refused(anon_client: TestClient) -> None:
    for key in ("wrong", API_KEY + "x", API_KEY[:-1], ""):
        response = await anon_client.get("/api/orders/10001", headers={"X-API-Key": key})
        assert response.status == 401, key
        assert (await response.json())["error"] == "unauthorized"


async def test_right_key_is_allowed(anon_client: TestClient) -> None:
    response = await anon_client.get("/api/orders/10001", headers={"X-API-Key": API_KEY})
    assert response.status == 200


async def test_unknown_route_without_key_does_not_reveal_anything(
    anon_client: TestClient,
) -> None:
    response = await anon_client.get("/api/nothing-here")
    assert response.status == 401


async def test_unknown_route_is_json_404(client: TestClient) -> None:
    response = await client.get("/api/nothing-here")
    assert response.status == 404
    assert await response.json() == {
        "error": "not_found",
        "message": "No such endpoint: GET /api/nothing-here",
    }


async def test_wrong_method_is_json_405(client: TestClient) -> None:
    response = await client.delete("/api/orders/10001")
    assert response.status == 405
    assert (await response.json())["error"] == "method_not_allowed"
    assert "GET" in response.headers["Allow"]


async def test_unexpected_error_is_500_without_details(
    settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    async def explode(request: web.Request) -> web.Response:
        raise RuntimeError("secret database detail")

    app = create_app(settings)
    app.router.add_get("/api/explode", explode)
    async with TestClient(TestServer(app), headers={"X-API-Key": API_KEY}) as test_client:
        with caplog.at_level(logging.ERROR, logger="bot.shop"):
            response = await test_client.get("/api/explode")
        assert response.status == 500
        body = await response.json()
    assert body["error"] == "internal_error"
    assert set(body) == {"error", "message"}
    assert "secret" not in json.dumps(body)
    # ... but the traceback is in the log for the operator.
    assert any(
        record.exc_info and "secret database detail" in str(record.exc_info[1])
        for record in caplog.records
    )


async def test_openapi_is_public_json_listing_every_route(
    anon_client: TestClient, app: web.Application
) -> None:
    response = await anon_client.get("/openapi.json")
    assert response.status == 200
    spec = json.loads(await response.text())
    assert spec["openapi"].startswith("3.0")

    served: dict[str, set[str]] = {}
    for route in app.router.routes():
        path = route.resource.canonical if route.resource else ""
        if route.method != "HEAD":  # aiohttp adds HEAD next to every GET
            served.setdefault(path, set()).add(route.method.lower())
    documented = {path: set(item) for path, item in spec["paths"].items()}
    assert documented == served


async def test_openapi_refs_all_resolve(anon_client: TestClient) -> None:
    spec = await (await anon_client.get("/openapi.json")).json()

    def refs(node: object) -> list[str]:
        if isinstance(node, dict):
            found = [node["$ref"]] if "$ref" in node else []
            return found + [ref for value in node.values() for ref in refs(value)]
        if isinstance(node, list):
            return [ref for value in node for ref in refs(value)]
        return []

    for ref in refs(spec):
        section, kind, name = ref.removeprefix("#/").split("/")
        assert name in spec[section][kind], ref
