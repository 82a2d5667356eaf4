"""The widget's pure parts: customer tokens, frame checks, upload sniffing, origins."""

from __future__ import annotations

import base64
import json
import time
from datetime import datetime, timezone
from pathlib import Path

import pytest
from aiohttp.test_utils import make_mocked_request

from bot import uploads
from bot.conversations.models import Message
from bot.gateway.tokens import conversation_token
from bot.gateway.widget import (
    UPLOAD_NAME,
    FrameError,
    InvalidCustomerToken,
    WidgetSettings,
    image_extension,
    message_frame,
    parse_frame,
    parse_hello,
    parse_incoming,
    sign_customer,
    verify_customer,
)

SECRET = "shop-and-gateway-share-this"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 32
WEBP = b"RIFF\x24\x00\x00\x00WEBPVP8 " + b"\x00" * 32


# ---------------------------------------------------------------- customer tokens


def test_a_signed_token_gives_its_email_back_normalised() -> None:
    token = sign_customer(SECRET, "  Olena.Kovalenko@Example.com ", ttl=60)
    assert verify_customer(SECRET, token) == "olena.kovalenko@example.com"


def test_the_token_format_is_base64url_json_dot_hex_hmac() -> None:
    token = sign_customer(SECRET, "a@example.com", ttl=60)
    payload_b64, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload_b64 + "=" * (-len(payload_b64) % 4)))
    assert claims["email"] == "a@example.com"
    assert abs(claims["exp"] - (time.time() + 60)) < 5
    assert len(signature) == 64 and int(signature, 16) >= 0
    assert "=" not in payload_b64


@pytest.mark.parametrize(
    ("token", "reason"),
    [
        ("", "malformed"),
        ("no-dot", "malformed"),
        ("a.b.c", "malformed"),
        ("x" * 3000 + ".00", "malformed"),
    ],
)
def test_malformed_tokens_are_refused(token: str, reason: str) -> None:
    with pytest.raises(InvalidCustomerToken, match=reason):
        verify_customer(SECRET, token)


def test_a_token_signed_with_another_secret_is_refused() -> None:
    with pytest.raises(InvalidCustomerToken, match="bad signature"):
        verify_customer(SECRET, sign_customer("another secret", "a@example.com", ttl=60))


def test_a_changed_email_breaks_the_signature() -> None:
    payload_b64, signature = sign_customer(SECRET, "a@example.com", ttl=60).split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload_b64 + "=="))
    claims["email"] = "victim@example.com"
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).decode().rstrip("=")
    with pytest.raises(InvalidCustomerToken, match="bad signature"):
        verify_customer(SECRET, f"{forged}.{signature}")


def test_an_expired_token_is_refused() -> None:
    token = sign_customer(SECRET, "a@example.com", ttl=60)
    with pytest.raises(InvalidCustomerToken, match="expired"):
        verify_customer(SECRET, token, now=time.time() + 61)


def test_without_a_secret_nothing_is_signed_or_accepted() -> None:
    with pytest.raises(ValueError):
        sign_customer("", "a@example.com", ttl=60)
    with pytest.raises(InvalidCustomerToken, match="WIDGET_SIGNING_SECRET"):
        verify_customer("", sign_customer(SECRET, "a@example.com", ttl=60))


def _signed(claims: object) -> str:
    payload_b64 = base64.urlsafe_b64encode(json.dumps(claims).encode()).decode().rstrip("=")
    from bot.gateway.widget import _signature

    return f"{payload_b64}.{_signature(SECRET, payload_b64)}"


@pytest.mark.parametrize(
    ("claims", "reason"),
    [
        (["a@example.com"], "unreadable"),
        ({"email": "a@example.com"}, "no expiry"),
        ({"email": "a@example.com", "exp": "tomorrow"}, "no expiry"),
        ({"email": "a@example.com", "exp": True}, "no expiry"),
        ({"email": "not an email", "exp": time.time() + 86400}, "no valid email"),
        ({"email": "a@example.com b@example.com", "exp": time.time() + 86400}, "no valid email"),
    ],
)
def test_signed_but_unusable_claims_are_refused(claims: object, reason: str) -> None:
    with pytest.raises(InvalidCustomerToken, match=reason):
        verify_customer(SECRET, _signed(claims))


# ---------------------------------------------------------------- frames


def test_hello_with_the_conversations_token_opens_it() -> None:
    token = conversation_token(SECRET, "c-abc")
    hello = parse_hello(
        {"type": "hello", "conversation_id": "c-abc", "token": token, "after": 7}, SECRET
    )
    assert (hello.sender, hello.after) == ("c-abc", 7)
    no_after = parse_hello({"type": "hello", "conversation_id": "c-abc", "token": token}, SECRET)
    assert no_after.after == 0


@pytest.mark.parametrize(
    "frame",
    [
        {"type": "message", "text": "hi"},
        {"type": "hello", "token": "x"},
        {"type": "hello", "conversation_id": "c-abc"},
        {"type": "hello", "conversation_id": "c-abc", "token": "0" * 64},
        {"type": "hello", "conversation_id": "c-other", "token": "VALID"},
        {"type": "hello", "conversation_id": "c-abc", "token": "VALID", "after": -1},
        {"type": "hello", "conversation_id": "c-abc", "token": "VALID", "after": "5"},
        {"type": "hello", "conversation_id": "c-abc", "token": "VALID", "after": True},
        {"type": "hello", "conversation_id": "c" * 200, "token": "VALID"},
    ],
)
def test_a_hello_that_does_not_prove_the_conversation_is_refused(frame: dict) -> None:
    if frame.get("token") == "VALID":
        frame = {**frame, "token": conversation_token(SECRET, "c-abc")}
    with pytest.raises(FrameError) as refused:
        parse_hello(frame, SECRET)
    assert refused.value.code == "unauthorized"


@pytest.mark.parametrize(
    ("raw", "code"),
    [("not json", "bad_json"), ("[1, 2]", "bad_frame"), ('{"text": "hi"}', "bad_frame")],
)
def test_frames_must_be_json_objects_with_a_type(raw: str, code: str) -> None:
    with pytest.raises(FrameError) as bad:
        parse_frame(raw)
    assert bad.value.code == code


def test_a_message_frame_is_checked_and_kept() -> None:
    incoming = parse_incoming(
        {"type": "message", "text": "hi", "metadata": {"language": "uk"}, "client_id": "c1"}
    )
    assert incoming is not None
    assert (incoming.text, incoming.metadata, incoming.client_id) == (
        "hi",
        {"language": "uk"},
        "c1",
    )
    assert parse_incoming({"type": "ping"}) is None
    language = parse_incoming({"type": "language", "language": "pl"})
    assert language is not None and language.language == "pl"


@pytest.mark.parametrize(
    ("frame", "code"),
    [
        ({"type": "message"}, "bad_frame"),
        ({"type": "message", "text": 5}, "bad_frame"),
        ({"type": "message", "text": "hi", "metadata": "uk"}, "bad_frame"),
        ({"type": "message", "text": "x" * 5001}, "too_long"),
        ({"type": "message", "text": "hi", "client_id": 5}, "bad_frame"),
        ({"type": "language", "language": "de"}, "bad_frame"),
        ({"type": "shout", "text": "hi"}, "unknown_type"),
    ],
)
def test_bad_message_frames_get_an_error_code(frame: dict, code: str) -> None:
    with pytest.raises(FrameError) as bad:
        parse_incoming(frame)
    assert bad.value.code == code


def test_exactly_5000_characters_is_allowed() -> None:
    assert parse_incoming({"type": "message", "text": "ж" * 5000}) is not None


def _message(direction: str, text: str, payload: dict | None = None) -> Message:
    now = datetime.now(timezone.utc)
    return Message(7, 1, direction, text, payload, None, None, None, now)


def test_stored_messages_become_frames_customers_may_see() -> None:
    bot = message_frame(
        _message("bot", "Hi", {"buttons": [{"title": "Order", "payload": "/order_status"}]})
    )
    assert bot == {
        "type": "message",
        "id": 7,
        "from": "bot",
        "text": "Hi",
        "buttons": [{"title": "Order", "payload": "/order_status"}],
        "image": None,
    }
    agent = message_frame(_message("agent", "Hello", {"agent": "Ewa"}))
    assert agent is not None and agent["agent"] == "Ewa" and agent["from"] == "agent"
    assert message_frame(_message("customer", "hi")) == {
        "type": "message",
        "id": 7,
        "from": "customer",
        "text": "hi",
    }
    assert message_frame(_message("system", "Handed off to a person")) is None
    assert message_frame(_message("bot", "", {"custom": {"x": 1}})) is None
    image = message_frame(_message("bot", "", {"image": "https://example.com/a.png"}))
    assert image is not None and image["image"] == "https://example.com/a.png"


# ---------------------------------------------------------------- uploads and origins


@pytest.mark.parametrize(
    ("head", "extension"),
    [(PNG, "png"), (JPEG, "jpg"), (WEBP, "webp"), (b"GIF89a" + b"\0" * 20, None),
     (b"<svg xmlns=", None), (b"RIFF\0\0\0\0WAVE", None), (b"", None)],
)  # fmt: skip
def test_images_are_known_by_their_magic_bytes(head: bytes, extension: str | None) -> None:
    assert image_extension(head) == extension


def test_uploads_get_random_names_that_name_their_conversation_only_by_a_hash(
    tmp_path: Path,
) -> None:
    first = uploads.save(tmp_path / "uploads", "c-secret-id", PNG, "png")
    second = uploads.save(tmp_path / "uploads", "c-secret-id", PNG, "png")
    other = uploads.save(tmp_path / "uploads", "c-other-id", PNG, "png")
    assert first != second and first.endswith(".png") and len(first) > 30
    assert "secret" not in first
    assert (tmp_path / "uploads" / first).read_bytes() == PNG
    assert UPLOAD_NAME.fullmatch(first)  # the route serves what is stored
    assert [p.name for p in uploads.files_of(tmp_path / "uploads", "c-secret-id")] == sorted(
        [first, second]
    )
    assert uploads.delete_conversations(tmp_path / "uploads", ["c-secret-id"]) == 2
    assert [p.name for p in (tmp_path / "uploads").iterdir()] == [other]


def test_origins_own_and_allowed_pass_others_do_not() -> None:
    settings = WidgetSettings.from_env({"WIDGET_ALLOWED_ORIGINS": "https://shop.example, "})
    assert settings.allowed_origins == {"https://shop.example"}

    def request(origin: str | None) -> object:
        headers = {"Host": "chat.example"} | ({"Origin": origin} if origin else {})
        return make_mocked_request("GET", "/chat/ws", headers=headers)

    assert settings.allows(request(None))
    assert settings.allows(request("https://chat.example"))
    assert settings.allows(request("https://shop.example/"))
    assert not settings.allows(request("https://evil.example"))
    anyone = WidgetSettings.from_env({"WIDGET_ALLOWED_ORIGINS": "*"})
    assert anyone.allows(request("https://evil.example"))
    assert WidgetSettings.from_env({}).upload_dir.parts[-2:] == ("var", "uploads")


def test_bot_frames_carry_the_conversations_language_and_announcements() -> None:
    from bot.gateway.announcements import agent_joined_text

    line = agent_joined_text("Olena", "uk")
    assert line == "До розмови долучається Olena з нашої команди."
    assert agent_joined_text("Olena", None).startswith("Olena from our team has joined")
    frame = message_frame(_message("bot", line, {"announcement": "agent_joined"}), "uk")
    assert frame is not None
    assert frame["language"] == "uk" and frame["announcement"] == "agent_joined"
    customer = message_frame(_message("customer", "привіт"), "uk")
    assert customer is not None and "language" not in customer
    unknown = message_frame(_message("bot", "Hi"), "de")
    assert unknown is not None and "language" not in unknown
