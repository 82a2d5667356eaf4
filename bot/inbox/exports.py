"""Transcripts as JSON and CSV, and misunderstood messages as Rasa NLU training data."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from typing import Any

from bot.conversations.clock import to_iso
from bot.conversations.models import Conversation, Message
from bot.inbox.serializers import conversation_json, message_json

CSV_COLUMNS = (
    "id",
    "created_at",
    "direction",
    "author",
    "text",
    "intent",
    "confidence",
    "misunderstood",
    "corrected_intent",
)
# A cell starting with one of these is a formula to Excel and LibreOffice.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# Rasa reads "[text](entity)" and friends in an example as an entity annotation.
_ANNOTATION = re.compile(r"\[([^\]]*)\](?=[({\[])")
# YAML allows only printable characters; these also count as line breaks in YAML 1.1.
_NOT_PRINTABLE = re.compile("[^\x09\x20-\x7e\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_LINE_BREAKS = re.compile("[\r\n\x85\u2028\u2029\t]+")


def transcript_json(conversation: Conversation, messages: Iterable[Message]) -> dict[str, Any]:
    return {
        "conversation": conversation_json(conversation),
        "messages": [message_json(message) for message in messages],
    }


def transcript_csv(messages: Iterable[Message]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_COLUMNS)
    for message in messages:
        writer.writerow(
            [
                message.id,
                to_iso(message.created_at),
                message.direction,
                _author(message),
                _cell(message.text),
                message.intent or "",
                "" if message.confidence is None else f"{message.confidence:.4f}",
                "yes" if message.misunderstood else "",
                message.corrected_intent or "",
            ]
        )
    return buffer.getvalue()


def nlu_yaml(examples: Iterable[tuple[str, str]], *, generated_at: str) -> str:
    """Rasa 3.x NLU YAML: one ``- intent:`` block per corrected intent.

    Examples live in literal blocks (``examples: |``), where YAML needs no
    quoting at all; what is left to guard against is anything that would end
    the line early, characters YAML forbids, and Rasa's entity markup.
    """
    grouped: dict[str, list[str]] = {}
    for intent, text in examples:
        line = training_line(text)
        if line and line not in grouped.setdefault(intent, []):
            grouped[intent].append(line)
    out = [
        "# Messages agents marked as misunderstood in the Kramar inbox.",
        f"# Exported {generated_at}. Review, then add to data/nlu/<language>/.",
        'version: "3.1"',
        "nlu:" if grouped else "nlu: []",
    ]
    for intent in sorted(grouped):
        if not grouped[intent]:
            continue
        out.append(f"- intent: {_plain_scalar(intent)}")
        out.append("  examples: |")
        out.extend(f"    - {line}" for line in grouped[intent])
    return "\n".join(out) + "\n"


def training_line(text: str) -> str:
    """One example on one line, without characters YAML or Rasa would misread."""
    line = _LINE_BREAKS.sub(" ", text)
    line = _NOT_PRINTABLE.sub("", line)
    line = _ANNOTATION.sub(r"(\1)", line)
    return " ".join(line.split())


def _plain_scalar(value: str) -> str:
    # Intent names are identifiers (faq/shipping_cost); quote anything else.
    if re.fullmatch(r"[A-Za-z0-9_][A-Za-z0-9_/.\-]*", value):
        return value
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _author(message: Message) -> str:
    if message.direction == "agent":
        return message.agent_name or "agent"
    return message.direction


def _cell(text: str) -> str:
    # A leading apostrophe keeps a customer's "=HYPERLINK(...)" from running as a formula.
    return "'" + text if text.startswith(_FORMULA_START) else text


def content_disposition(filename: str) -> str:
    return f'attachment; filename="{filename}"'
