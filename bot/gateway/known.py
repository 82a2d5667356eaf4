"""The customer's consents the bot reports: "remember me" and "forget me" (issue 20).

The bot marks them with a custom message `{"customer": {"remember": {"email",
"name"}}}` or `{"customer": {"forget": true}}`; the gateway, which knows the
chat, binds it to the customer's record or deletes the record (bot/customers),
and writes a system line for agents. It also tells the bot who a remembered
chat's customer is, with every message (`known_customer` metadata).
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from bot.conversations.store import NewMessage
from bot.customers import store as customers
from bot.gateway.chat import Chat
from bot.nlu.patterns import normalise_email

logger = logging.getLogger(__name__)

# Metadata only the gateway writes (from its own records, or the shop's signed
# token): the bot takes them as proof of who the customer is, so whatever a
# client sends under these keys is dropped (`client_metadata`).
KNOWN_CUSTOMER, SIGNED_IN = "known_customer", "signed_in"
VOUCHED_KEYS = (KNOWN_CUSTOMER, SIGNED_IN)


def client_metadata(metadata: dict[str, Any]) -> dict[str, Any]:
    """A client's metadata without the keys that vouch for a customer."""
    return {key: value for key, value in metadata.items() if key not in VOUCHED_KEYS}


async def customer(engine: AsyncEngine, chat: Chat, marker: dict[str, Any]) -> NewMessage | None:
    """Remembers or forgets the customer of this chat, as the bot's marker says; the
    system line agents read."""
    if marker.get("forget"):
        forgotten = await customers.forget(engine, chat.sender)
        logger.info("Forget me on %s: %s", chat.sender, "deleted" if forgotten else "nothing kept")
        return NewMessage(
            "system",
            "Customer asked to be forgotten (their record and remembered chats are deleted)",
            payload={"event": "customer_forget"},
        )
    remember = marker.get("remember")
    remember = remember if isinstance(remember, dict) else {}
    email = normalise_email(str(remember.get("email") or ""))
    if not email:
        logger.warning("A remember marker of %s had no valid email; ignored", chat.sender)
        return None
    await customers.remember(
        engine,
        sender_id=chat.sender,
        channel=chat.channel,
        email=email,
        name=str(remember.get("name") or ""),
        language=chat.slots.get("language"),
    )
    return NewMessage(
        "system", "Customer asked to be remembered", payload={"event": "customer_remember"}
    )


async def with_known_customer(
    engine: AsyncEngine, sender: str, metadata: dict[str, Any]
) -> dict[str, Any]:
    """The message's metadata, plus the remembered customer of this chat if there is one
    (never one the metadata named itself)."""
    metadata = {key: value for key, value in metadata.items() if key != KNOWN_CUSTOMER}
    customer = await customers.known(engine, sender)
    if customer is None:
        return metadata
    return {**metadata, KNOWN_CUSTOMER: {"email": customer.email, "name": customer.name or ""}}
