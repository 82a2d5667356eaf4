"""Deleting data: retention purge and one customer's erasure, via functions and the CLI."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot import uploads
from bot.conversations import store
from bot.customers import offers
from bot.customers.offers import NewOffer
from bot.customers.tables import offers as offers_table
from bot.inbox import agents, retention
from bot.inbox.db import create_engine, migrate
from bot.settings import PROJECT_ROOT
from tests.inbox.helpers import backdate

pytestmark = pytest.mark.asyncio(loop_scope="module")


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def database(
    tmp_path_factory: pytest.TempPathFactory,
) -> AsyncIterator[tuple[str, AsyncEngine]]:
    url = f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('retention') / 'inbox.db'}"
    await asyncio.to_thread(migrate, url)
    engine = create_engine(url)
    yield url, engine
    await engine.dispose()


async def chat(
    engine: AsyncEngine, sender: str, texts: list[str], *, customer: str | None = None
) -> int:
    message = None
    for text in texts:
        message = await store.record_message(
            engine, sender_id=sender, channel="rest", direction="customer", text=text
        )
    if customer:
        await store.open_handoff(
            engine,
            sender_id=sender,
            reason="other",
            language=None,
            customer=customer,
            order_id=None,
        )
    assert message is not None
    return message.conversation_id


@pytest.fixture
def photos(tmp_path: Path) -> Path:
    return tmp_path / "uploads"


def photo(directory: Path, sender: str, *, days_old: float = 0) -> Path:
    """A stored photo of `sender`'s conversation, as the widget stores it."""
    path = directory / uploads.save(directory, sender, b"\x89PNG\r\n\x1a\n...", "png")
    if days_old:
        stamp = path.stat().st_mtime - days_old * 86400
        os.utime(path, (stamp, stamp))
    return path


def cli(
    url: str, *args: str, stdin: str | None = None, photos: Path | None = None
) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "PYTHONPATH": str(PROJECT_ROOT),
        "INBOX_DATABASE_URL": url,
        "TRANSCRIPT_RETENTION_DAYS": "30",
    }
    if photos is not None:
        env["WIDGET_UPLOAD_DIR"] = str(photos)
    env.pop("INBOX_SESSION_KEY", None)
    return subprocess.run(
        [sys.executable, "-m", "bot.inbox", *args],
        cwd=PROJECT_ROOT,
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
    )


async def test_purge_deletes_only_old_transcripts_and_their_photos(
    database: tuple[str, AsyncEngine], photos: Path
) -> None:
    _, engine = database
    old = await chat(engine, "purge-old", ["one", "two"])
    fresh = await chat(engine, "purge-fresh", ["three"])
    await backdate(engine, old, 200)
    # A new file of an expired conversation goes with it; an old file without a
    # transcript (uploaded, never sent) goes by its age; fresh ones stay.
    old_chats_photo = photo(photos, "purge-old")
    orphan = photo(photos, "purge-never-wrote", days_old=200)
    kept = [photo(photos, "purge-fresh"), photo(photos, "purge-never-wrote-yet", days_old=10)]
    deleted = await retention.purge(engine, days=180, upload_dir=photos)
    assert (deleted.conversations, deleted.messages, deleted.photos) == (1, 2, 2)
    assert not old_chats_photo.exists() and not orphan.exists()
    assert all(path.exists() for path in kept)
    assert await store.find_conversation(engine, old) is None
    assert await store.list_messages(engine, old) == []
    assert await store.find_conversation(engine, fresh) is not None
    assert (await retention.purge(engine, days=180, upload_dir=photos)).conversations == 0


async def test_erase_by_email_finds_labels_and_typed_addresses(
    database: tuple[str, AsyncEngine], photos: Path
) -> None:
    _, engine = database
    labelled = await chat(engine, "erase-1", ["hello"], customer="Ira@Example.com")
    typed = await chat(engine, "erase-2", ["my email is ira@example.com, thanks"])
    lookalike = await chat(
        engine, "erase-3", ["write to mira@example.com or ira@example.community"]
    )
    erased_photos = [photo(photos, "erase-1"), photo(photos, "erase-2"), photo(photos, "erase-2")]
    kept = photo(photos, "erase-3")
    deleted = await retention.erase(engine, customer="ira@example.com", upload_dir=photos)
    assert deleted.conversations == 2
    assert deleted.messages == 3  # two customer lines and the hand-off line
    assert deleted.photos == 3
    assert not any(path.exists() for path in erased_photos)
    assert kept.exists()
    assert await store.find_conversation(engine, labelled) is None
    assert await store.find_conversation(engine, typed) is None
    assert await store.find_conversation(engine, lookalike) is not None


async def test_erase_by_email_removes_the_offers_made_to_it(
    database: tuple[str, AsyncEngine], photos: Path
) -> None:
    _, engine = database
    for sender, email, code in (
        ("offer-1", "Vera@Example.com", "KR-VERA0001"),
        ("offer-2", "vera@example.com", "KR-VERA0002"),
        ("offer-3", "avera@example.com", "KR-AVERA001"),
    ):
        offer = NewOffer(rule="complaint", kind="discount", code=code, order_id="10001")
        await offers.record_offer(engine, email=email, sender_id=sender, offer=offer)
    deleted = await retention.erase(engine, customer=" VERA@example.com", upload_dir=photos)
    assert deleted.offers == 2
    async with engine.connect() as conn:
        left = list(await conn.scalars(select(offers_table.c.customer_email)))
    assert left == ["avera@example.com"]


async def test_erase_by_sender(database: tuple[str, AsyncEngine], photos: Path) -> None:
    _, engine = database
    gone = await chat(engine, "erase-sender", ["a", "b", "c"])
    its_photo = photo(photos, "erase-sender")
    deleted = await retention.erase(engine, sender_id="erase-sender", upload_dir=photos)
    assert (deleted.conversations, deleted.messages, deleted.photos) == (1, 3, 1)
    assert await store.find_conversation(engine, gone) is None
    assert not its_photo.exists()
    # A chat that uploaded but never wrote has no transcript; its photos still go.
    silent = photo(photos, "erase-silent")
    assert (await retention.erase(engine, sender_id="erase-silent", upload_dir=photos)).photos == 1
    assert not silent.exists()
    with pytest.raises(ValueError):
        await retention.erase(engine, upload_dir=photos)


async def test_cli_purge_and_erase_print_counts_and_delete_photos(
    database: tuple[str, AsyncEngine], photos: Path
) -> None:
    url, engine = database
    old = await chat(engine, "cli-old", ["x", "y"])
    await backdate(engine, old, 45)
    await chat(engine, "cli-cust", ["hi"], customer="cli@example.com")
    await chat(engine, "cli-sender", ["hi"])
    files = {sender: photo(photos, sender) for sender in ("cli-old", "cli-cust", "cli-sender")}

    purged = await asyncio.to_thread(cli, url, "purge", photos=photos)
    assert purged.returncode == 0, purged.stderr
    assert (
        "Deleted 1 conversation(s), 2 message(s) and 1 photo(s) older than 30 days" in purged.stdout
    )
    assert not files["cli-old"].exists() and files["cli-cust"].exists()
    erased = await asyncio.to_thread(
        cli, url, "erase", "--customer", "cli@example.com", photos=photos
    )
    assert erased.returncode == 0, erased.stderr
    assert "Deleted 1 conversation(s), 2 message(s) and 1 photo(s)" in erased.stdout
    assert not files["cli-cust"].exists() and files["cli-sender"].exists()
    by_sender = await asyncio.to_thread(cli, url, "erase", "--sender", "cli-sender", photos=photos)
    assert "Deleted 1 conversation(s), 1 message(s) and 1 photo(s)" in by_sender.stdout
    assert not files["cli-sender"].exists()
    nothing = await asyncio.to_thread(cli, url, "erase", "--sender", "nobody", photos=photos)
    assert "Deleted 0 conversation(s)" in nothing.stdout
    assert (
        await asyncio.to_thread(cli, url, "erase")
    ).returncode == 2  # needs --customer or --sender


async def test_cli_create_agent_reads_the_password_from_stdin(
    database: tuple[str, AsyncEngine],
) -> None:
    url, engine = database
    created = await asyncio.to_thread(
        cli,
        url,
        "create-agent",
        "Kate",
        "--name",
        "Kate K.",
        "--admin",
        "--password-stdin",
        stdin="a long secret\n",
    )
    assert created.returncode == 0, created.stderr
    assert "Created administrator 'kate' (Kate K.)" in created.stdout
    agent = await agents.authenticate(engine, "kate", "a long secret")
    assert agent is not None and agent.is_admin and agent.display_name == "Kate K."

    again = await asyncio.to_thread(
        cli,
        url,
        "create-agent",
        "kate",
        "--name",
        "Other",
        "--password-stdin",
        stdin="another secret\n",
    )
    assert again.returncode == 2 and "already exists" in again.stderr
    short = await asyncio.to_thread(
        cli, url, "create-agent", "shorty", "--name", "S", "--password-stdin", stdin="short\n"
    )
    assert short.returncode == 2 and "at least 8" in short.stderr
    assert "--password" not in (
        await asyncio.to_thread(cli, url, "create-agent", "--help")
    ).stdout.replace("--password-stdin", "")


async def test_serve_refuses_to_start_without_a_session_key(tmp_path: Path) -> None:
    result = await asyncio.to_thread(cli, f"sqlite+aiosqlite:///{tmp_path / 'x.db'}", "serve")
    assert result.returncode == 2
    assert "INBOX_SESSION_KEY is not set" in result.stderr
