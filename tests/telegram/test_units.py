"""The Telegram channel's pure parts: splitting, buttons, dedup, languages, retries."""

from __future__ import annotations

from datetime import timedelta

import pytest
from telegram.error import BadRequest, Forbidden, RetryAfter, TimedOut

from bot.gateway.telegram import TelegramSettings
from bot.gateway.telegram_channel import chat_of, sender_of
from bot.gateway.telegram_photos import PhotoLinks
from bot.gateway.telegram_send import (
    MAX_MESSAGE,
    ButtonPayloads,
    layout,
    reply_text,
    split_text,
    with_retries,
)
from bot.gateway.telegram_texts import deep_link_text, language_hint, text
from bot.gateway.telegram_updates import RecentUpdates


def units(piece: str) -> int:
    return len(piece.encode("utf-16-le")) // 2


def test_short_text_is_one_message() -> None:
    assert split_text("  Dzień dobry!  ") == ["Dzień dobry!"]
    assert split_text("") == []


def test_long_text_is_cut_at_paragraphs_first() -> None:
    paragraphs = ["a" * 3000, "b" * 3000, "c" * 100]
    pieces = split_text("\n\n".join(paragraphs))
    assert pieces == ["a" * 3000, "b" * 3000 + "\n\n" + "c" * 100]


def test_a_paragraph_longer_than_a_message_is_cut_at_lines_then_words() -> None:
    lines = "\n".join(["x" * 1000] * 6)
    assert all(p.count("\n") <= 3 and not p.startswith("\n") for p in split_text(lines))
    words = " ".join(["słowo"] * 2000)  # 11999 characters, no line breaks
    pieces = split_text(words)
    assert len(pieces) == 3
    assert all(units(p) <= MAX_MESSAGE for p in pieces)
    assert all(set(p.split(" ")) == {"słowo"} for p in pieces)  # no word is cut
    assert " ".join(pieces) == words


def test_text_without_spaces_is_cut_hard_and_emoji_count_double() -> None:
    emoji = "😀" * 3000  # 6000 UTF-16 units, what Telegram counts
    pieces = split_text(emoji)
    assert [units(p) for p in pieces] == [4096, 1904]
    assert "".join(pieces) == emoji


def test_buttons_sit_side_by_side_only_when_short() -> None:
    assert layout(["Tak", "Nie"]) == [[0, 1]]
    assert layout(["1", "2", "3", "4"]) == [[0, 1, 2], [3]]
    assert layout(["Nie pasuje", "Zmiana zdania", "Inne"]) == [[0, 1], [2]]
    assert layout(["1 × Słuchawki bezprzewodowe", "Wszystkie"]) == [[0], [1]]
    assert layout([]) == []


def test_button_ids_fit_callback_data_and_hold_long_payloads() -> None:
    payloads = ButtonPayloads()
    long = '/inform{"return_items": "' + "SKU-12345," * 20 + '"}'
    key = payloads.remember(42, long, "Wszystkie")
    assert len(key.encode()) <= 64 and long not in key
    assert payloads.take(7, key) is None  # another chat cannot use it
    choice = payloads.take(42, key)
    assert choice is not None and choice.payload == long and choice.title == "Wszystkie"
    assert payloads.take(42, key) is None  # once: a double tap is not a second answer
    assert payloads.take(42, None) is None


def test_button_ids_are_bounded_oldest_first() -> None:
    payloads = ButtonPayloads(size=3)
    keys = [payloads.remember(1, f"p{i}", f"t{i}") for i in range(5)]
    assert len(payloads) == 3
    assert payloads.take(1, keys[0]) is None and payloads.take(1, keys[1]) is None
    assert payloads.take(1, keys[4]) is not None


def test_each_update_id_passes_once_and_memory_is_bounded() -> None:
    recent = RecentUpdates(size=3)
    assert recent.first_time(10) and not recent.first_time(10)
    for update_id in (11, 12, 13):
        assert recent.first_time(update_id)
    assert len(recent) == 3
    assert recent.first_time(10)  # forgotten after 3 newer ones
    assert not recent.first_time(13)


@pytest.mark.parametrize(
    ("code", "language"),
    [("pl", "pl"), ("uk", "uk"), ("ru", "uk"), ("en-GB", "en"), ("uk_UA", "uk"),
     ("PL", "pl"), ("de", None), ("", None), (None, None)],
)  # fmt: skip
def test_language_hint_from_the_app_language(code: str | None, language: str | None) -> None:
    assert language_hint(code) == language


def test_deep_links_and_local_texts() -> None:
    assert deep_link_text("order_10001", "pl") == "Gdzie jest moje zamówienie 10001?"
    assert deep_link_text("order_10001", None) == "Where is my order 10001?"
    assert deep_link_text("order_abc", "uk") is None
    assert deep_link_text("promo", "uk") is None
    assert text("apology", "de") == text("apology", "en")
    assert "Kramar" in text("help", "pl") and "Крамар" in text("help", "uk")


def test_senders_are_tg_chat_ids() -> None:
    assert sender_of(123) == "tg-123" and chat_of("tg-123") == 123
    assert chat_of("tg--100200") == -100200
    assert chat_of("a1b2c3") is None and chat_of("tg-12x") is None


def test_agent_replies_say_who_wrote_them() -> None:
    assert reply_text({"text": "Dzień dobry", "agent": "Ewa"}) == "Ewa: Dzień dobry"
    assert reply_text({"text": "<b>*bold*</b> & _x_"}) == "<b>*bold*</b> & _x_"
    assert reply_text({"image": "https://x/y.png"}) == ""


def test_photo_links_are_signed_and_hold_no_token() -> None:
    links = PhotoLinks("gateway secret", "https://shop.example/")
    link = links.link("AgACAgIAAxkBAAIB")
    assert link.startswith("https://shop.example/telegram/photos/AgACAgIAAxkBAAIB?sig=")
    signature = link.rsplit("=", 1)[1]
    assert links.is_signed("AgACAgIAAxkBAAIB", signature)
    assert not links.is_signed("AgACAgIAAxkBAAIC", signature)
    assert not PhotoLinks("other secret", "https://x").is_signed("AgACAgIAAxkBAAIB", signature)


class Flaky:
    """A Bot API call that fails with the given errors first."""

    def __init__(self, *errors: Exception) -> None:
        self.errors, self.calls = list(errors), 0

    async def __call__(self) -> str:
        self.calls += 1
        if self.errors:
            raise self.errors.pop(0)
        return "sent"


async def test_flood_limits_are_waited_out_and_network_errors_retried() -> None:
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)

    call = Flaky(RetryAfter(3), TimedOut(), TimedOut())
    assert await with_retries(call, "sendMessage", sleep=sleep) == "sent"
    assert call.calls == 4 and waits == [3.0, 1.0, 2.0]  # backoff grows per try


async def test_retries_give_up_on_what_waiting_cannot_fix() -> None:
    async def sleep(seconds: float) -> None:
        pass

    for error in (BadRequest("Chat not found"), Forbidden("bot was blocked by the user")):
        call = Flaky(error)
        with pytest.raises(type(error)):
            await with_retries(call, "sendMessage", sleep=sleep)
        assert call.calls == 1
    endless = Flaky(*[TimedOut()] * 10)
    with pytest.raises(TimedOut):
        await with_retries(endless, "sendMessage", sleep=sleep)
    assert endless.calls == 4
    too_long = Flaky(RetryAfter(timedelta(minutes=10)))
    with pytest.raises(RetryAfter):
        await with_retries(too_long, "sendMessage", sleep=sleep)


def test_settings_from_the_environment() -> None:
    assert TelegramSettings.from_env({}) is None
    polling = TelegramSettings.from_env({"TELEGRAM_BOT_TOKEN": "1:a", "INBOX_PORT": "9000"})
    assert polling is not None and polling.mode == "polling"
    assert polling.api_url == "https://api.telegram.org"
    assert polling.public_url == "http://127.0.0.1:9000"
    webhook = TelegramSettings.from_env(
        {
            "TELEGRAM_BOT_TOKEN": "1:a",
            "TELEGRAM_MODE": "webhook",
            "TELEGRAM_WEBHOOK_URL": "https://shop.example/telegram/webhook",
            "TELEGRAM_WEBHOOK_SECRET": "s3cret_-",
        }
    )
    assert webhook is not None and webhook.public_url == "https://shop.example"
    with pytest.raises(ValueError, match="TELEGRAM_WEBHOOK_SECRET"):
        TelegramSettings.from_env(
            {"TELEGRAM_BOT_TOKEN": "1:a", "TELEGRAM_MODE": "webhook",
             "TELEGRAM_WEBHOOK_URL": "https://shop.example/telegram/webhook"}
        )  # fmt: skip
    with pytest.raises(ValueError, match="TELEGRAM_WEBHOOK_URL"):
        TelegramSettings.from_env({"TELEGRAM_BOT_TOKEN": "1:a", "TELEGRAM_MODE": "webhook"})
    with pytest.raises(ValueError, match="TELEGRAM_MODE"):
        TelegramSettings.from_env({"TELEGRAM_BOT_TOKEN": "1:a", "TELEGRAM_MODE": "push"})
