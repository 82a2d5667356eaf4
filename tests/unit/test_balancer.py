"""The balancer sends each message to the least busy replica (bot/balancer.py)."""

from __future__ import annotations

import asyncio

from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from bot.balancer import create_app


def replica(name: str, seconds: float, seen: list[str]) -> web.Application:
    """A stand-in for a Rasa replica that answers after `seconds`, saying who it is."""

    async def webhook(request: web.Request) -> web.Response:
        seen.append(name)
        await asyncio.sleep(seconds)
        return web.json_response({"replica": name, "text": (await request.json())["message"]})

    app = web.Application()
    app.router.add_post("/webhooks/rest/webhook", webhook)
    return app


async def test_a_replica_busy_with_a_slow_turn_gets_no_new_messages() -> None:
    seen: list[str] = []
    slow = TestServer(replica("slow", 1.0, seen))
    quick = TestServer(replica("quick", 0.0, seen))
    await slow.start_server()
    await quick.start_server()
    urls = [str(slow.make_url("")), str(quick.make_url(""))]
    async with TestClient(TestServer(create_app(urls))) as client:

        async def send(text: str) -> dict:
            answer = await client.post("/webhooks/rest/webhook", json={"message": text})
            assert answer.status == 200
            return await answer.json()

        busy = asyncio.create_task(send("a long return"))  # the first in turn: slow
        while not seen:
            await asyncio.sleep(0.01)
        answers = [await send(f"message {n}") for n in range(4)]
        assert [a["replica"] for a in answers] == ["quick"] * 4  # round robin: 2 of them slow
        assert [a["text"] for a in answers] == [f"message {n}" for n in range(4)]
        assert (await busy)["replica"] == "slow"
        # Both idle again: the replicas take turns.
        assert {(await send("x"))["replica"], (await send("y"))["replica"]} == {"slow", "quick"}
    await slow.close()
    await quick.close()
