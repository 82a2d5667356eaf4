"""Links to customers' photos that do not carry the bot token.

Telegram's own file links contain the bot token. Handed to the bot as the
customer's text they would end up in transcripts, exports and shop tickets,
and anyone reading one could take over the bot. The bot gets a gateway link
instead, signed so it opens only files customers sent; the gateway fetches
the file from Telegram when someone opens it.
"""

from __future__ import annotations

import hashlib
import hmac
import mimetypes
from urllib.parse import quote

from telegram import Bot

ROUTE = "/telegram/photos/{file_id}"


class PhotoLinks:
    def __init__(self, secret: str, public_url: str) -> None:
        self._key = hashlib.sha256(b"kramar telegram photos\0" + secret.encode()).digest()
        self._public_url = public_url.rstrip("/")

    def _signature(self, file_id: str) -> str:
        return hmac.new(self._key, file_id.encode(), hashlib.sha256).hexdigest()[:32]

    def link(self, file_id: str) -> str:
        path = ROUTE.format(file_id=quote(file_id, safe=""))
        return f"{self._public_url}{path}?sig={self._signature(file_id)}"

    def is_signed(self, file_id: str, signature: str) -> bool:
        return hmac.compare_digest(self._signature(file_id), signature)


async def download(bot: Bot, file_id: str) -> tuple[bytes, str]:
    """The file's bytes and an image content type (Telegram photos are JPEG)."""
    file = await bot.get_file(file_id)
    content = bytes(await file.download_as_bytearray())
    guessed = mimetypes.guess_type(file.file_path or "")[0] or ""
    return content, guessed if guessed.startswith("image/") else "image/jpeg"
