"""The balancer sends each message to the least busy replica (bot/balancer.py)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from bot.balancer import Balancer, create_app


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


@dataclass
class Record:
    """What a counting replica saw: messages in the order they started, the most at once."""

    started: list[str] = field(default_factory=list)
    most: int = 0


def counting_replica(seconds: float, record: Record) -> web.Application:
    """A replica stand-in that notes each message as it starts and the most it ran at once.

    A message takes `seconds`, or its own "seconds" when it has them.
    """
    running = 0

    async def webhook(request: web.Request) -> web.Response:
        nonlocal running
        body = await request.json()
        text = body["message"]
        record.started.append(text)
        running += 1
        record.most = max(record.most, running)
        await asyncio.sleep(body.get("seconds", seconds))
        running -= 1
        return web.json_response({"text": text})

    app = web.Application()
    app.router.add_post("/webhooks/rest/webhook", webhook)
    return app


@asynccontextmanager
async def balanced_replica(
    seconds: float, max_in_flight: int, patience: float
) -> AsyncIterator[tuple[TestClient, Record]]:
    """A client of a balancer in front of one counting replica, and that replica's record."""
    record = Record()
    upstream = TestServer(counting_replica(seconds, record))
    await upstream.start_server()
    app = create_app([str(upstream.make_url(""))], max_in_flight=max_in_flight, patience=patience)
    try:
        async with TestClient(TestServer(app)) as client:
            yield client, record
    finally:
        await upstream.close()


async def test_a_replica_works_on_its_share_and_the_rest_wait_first_come_first_served() -> None:
    # One place: the replica starts each message only after the one before it
    # ended, so the order it sees is the order the balancer handed places out.
    async with balanced_replica(0.1, max_in_flight=1, patience=30) as (client, record):

        async def send(text: str) -> str:
            answer = await client.post("/webhooks/rest/webhook", json={"message": text})
            assert answer.status == 200
            return (await answer.json())["text"]

        texts = [f"message {n}" for n in range(7)]
        sending = []
        for text in texts:  # one after the other, so the order they arrive in is known
            sending.append(asyncio.create_task(send(text)))
            await asyncio.sleep(0.05)
        assert await asyncio.gather(*sending) == texts
    assert record.most == 1
    assert record.started == texts


async def test_a_request_that_waited_its_patience_goes_to_a_busy_replica() -> None:
    async with balanced_replica(0.0, max_in_flight=1, patience=0.2) as (client, record):
        slow = asyncio.create_task(
            client.post("/webhooks/rest/webhook", json={"message": "a", "seconds": 1.5})
        )
        await asyncio.sleep(0.05)
        waited = asyncio.get_running_loop().time()
        answer = await client.post("/webhooks/rest/webhook", json={"message": "b"})
        assert (await answer.json())["text"] == "b"
        # It went ahead after its patience, not after the slow turn (1.5 s).
        assert asyncio.get_running_loop().time() - waited < 1.5
        assert record.most == 2
        assert (await (await slow).json())["text"] == "a"


async def test_a_request_cancelled_while_waiting_keeps_no_place() -> None:
    balancer = Balancer(["http://127.0.0.1:9"], max_in_flight=1, patience=30)
    replica = balancer.upstreams[0]
    first = await balancer.take(set())
    # Cancelled while still waiting.
    leaving = asyncio.create_task(balancer.take(set()))
    await asyncio.sleep(0.01)
    leaving.cancel()
    await asyncio.gather(leaving, return_exceptions=True)
    # Cancelled just after its place was handed over, before it could use it.
    handed = asyncio.create_task(balancer.take(set()))
    await asyncio.sleep(0.01)
    balancer.release(first)
    handed.cancel()
    await asyncio.gather(handed, return_exceptions=True)
    assert handed.cancelled()
    assert replica.in_flight == 0
    # The place is free again: the next request has it at once.
    assert await asyncio.wait_for(balancer.take(set()), 0.1) is replica
    assert replica.in_flight == 1
