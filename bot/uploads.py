"""Customers' uploaded photos on disk, named after their conversation so they leave with it.

A file is `<conversation key>-<random>.<ext>`: the key (a hash of the sender id)
finds a conversation's files when its transcript is erased or expires; the
random part keeps the link unguessable. The gateway stores, the inbox deletes.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path


def conversation_key(sender_id: str) -> str:
    return hashlib.sha256(sender_id.encode()).hexdigest()[:16]


def save(directory: Path, sender_id: str, data: bytes, extension: str) -> str:
    """Stores the photo (nothing the customer chose in its name); the file's name."""
    directory.mkdir(parents=True, exist_ok=True)
    name = f"{conversation_key(sender_id)}-{secrets.token_urlsafe(18)}.{extension}"
    (directory / name).write_bytes(data)
    return name


def files_of(directory: Path, sender_id: str) -> list[Path]:
    return sorted(directory.glob(f"{conversation_key(sender_id)}-*"))


def delete_conversations(directory: Path, sender_ids: Iterable[str]) -> int:
    """Deletes the photos of these conversations; how many."""
    files = [path for sender in sender_ids for path in files_of(directory, sender)]
    for path in files:
        path.unlink(missing_ok=True)
    return len(files)


def delete_older_than(directory: Path, cutoff: datetime) -> int:
    """Deletes photos stored before `cutoff`, a conversation's or not; how many."""
    if not directory.is_dir():
        return 0
    old = [p for p in directory.iterdir() if p.is_file() and p.stat().st_mtime < cutoff.timestamp()]
    for path in old:
        path.unlink(missing_ok=True)
    return len(old)
