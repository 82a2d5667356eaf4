"""Photo uploads and cross-site rules, against a running gateway (the widget's own)."""

from __future__ import annotations

import requests

from tests.support.gateway import Customer
from tests.widget.conftest import ALLOWED_ORIGIN, SignedGateway

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 40
LIMIT = 5 * 1024 * 1024


def upload(
    gateway: SignedGateway,
    customer: Customer,
    data: bytes,
    *,
    name: str = "photo.png",
    content_type: str = "image/png",
    field: str = "file",
    headers: dict[str, str] | None = None,
) -> requests.Response:
    return requests.post(
        f"{gateway.url}/chat/conversations/{customer.id}/attachments",
        files={field: (name, data, content_type)},
        headers=customer.headers if headers is None else headers,
        timeout=30,
    )


def test_a_photo_is_stored_under_a_random_name_and_served_as_an_image(
    signed_gateway: SignedGateway,
) -> None:
    customer = Customer(signed_gateway.url)
    response = upload(signed_gateway, customer, PNG, name="../../my holiday.png")
    assert response.status_code == 201, response.text
    url = response.json()["url"]
    assert url.startswith("/chat/uploads/") and url.endswith(".png") and "holiday" not in url
    stored = list(signed_gateway.upload_dir.iterdir())
    assert url.rsplit("/", 1)[1] in [p.name for p in stored]

    served = requests.get(signed_gateway.url + url, timeout=10)
    assert served.status_code == 200 and served.content == PNG
    assert served.headers["Content-Type"] == "image/png"
    assert served.headers["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in served.headers["Content-Security-Policy"]
    assert requests.put(signed_gateway.url + url, data=b"x", timeout=10).status_code == 405


def test_the_type_is_checked_by_content_not_by_name(signed_gateway: SignedGateway) -> None:
    customer = Customer(signed_gateway.url)
    for data in (b"<svg onload=alert(1)>", b"GIF89a" + b"\0" * 30, b"%PDF-1.7"):
        response = upload(signed_gateway, customer, data, name="cat.png")
        assert response.status_code == 415, response.text
        assert response.json()["error"] == "unsupported_media_type"
        assert "JPEG, PNG and WebP" in response.json()["message"]
    jpeg = upload(signed_gateway, customer, b"\xff\xd8\xff\xe0" + b"\0" * 64, name="a.gif")
    assert jpeg.status_code == 201 and jpeg.json()["url"].endswith(".jpg")


def test_photos_over_5_mb_are_refused(signed_gateway: SignedGateway) -> None:
    customer = Customer(signed_gateway.url)
    just_over = upload(signed_gateway, customer, PNG + b"\0" * (LIMIT - len(PNG) + 1))
    assert just_over.status_code == 413, just_over.text
    assert just_over.json() == {
        "error": "request_entity_too_large",
        "message": "A photo may be at most 5 MB.",
    }
    way_over = upload(signed_gateway, customer, PNG + b"\0" * (LIMIT * 2))
    assert way_over.status_code == 413
    exactly = upload(signed_gateway, customer, PNG + b"\0" * (LIMIT - len(PNG)))
    assert exactly.status_code == 201


def test_uploads_need_the_conversations_token_and_a_proper_form(
    signed_gateway: SignedGateway,
) -> None:
    customer, stranger = Customer(signed_gateway.url), Customer(signed_gateway.url)
    assert upload(signed_gateway, customer, PNG, headers={}).status_code == 401
    assert upload(signed_gateway, customer, PNG, headers=stranger.headers).status_code == 401
    assert upload(signed_gateway, customer, PNG, field="photo").status_code == 400
    raw = requests.post(
        f"{signed_gateway.url}/chat/conversations/{customer.id}/attachments",
        data=PNG,
        headers={**customer.headers, "Content-Type": "image/png"},
        timeout=10,
    )
    assert raw.status_code == 415


def test_unknown_or_crafted_upload_names_are_not_found(signed_gateway: SignedGateway) -> None:
    for path in ("/chat/uploads/" + "a" * 24 + ".png", "/chat/uploads/..%2F..%2Finbox.db",
                 "/chat/uploads/" + "a" * 24 + ".html"):  # fmt: skip
        assert requests.get(signed_gateway.url + path, timeout=10).status_code == 404


def test_allowed_shop_sites_may_call_the_chat_api_others_may_not(
    signed_gateway: SignedGateway,
) -> None:
    preflight = {"Access-Control-Request-Method": "POST"}
    url = f"{signed_gateway.url}/chat/conversations"
    allowed = requests.options(url, headers={**preflight, "Origin": ALLOWED_ORIGIN}, timeout=10)
    assert allowed.status_code == 204
    assert allowed.headers["Access-Control-Allow-Origin"] == ALLOWED_ORIGIN
    assert "Authorization" in allowed.headers["Access-Control-Allow-Headers"]
    evil = requests.options(
        url, headers={**preflight, "Origin": "https://evil.example"}, timeout=10
    )
    assert evil.status_code == 403
    started = requests.post(url, headers={"Origin": ALLOWED_ORIGIN}, timeout=10)
    assert started.status_code == 201
    assert started.headers["Access-Control-Allow-Origin"] == ALLOWED_ORIGIN
    plain = requests.post(url, headers={"Origin": "https://evil.example"}, timeout=10)
    assert "Access-Control-Allow-Origin" not in plain.headers


def test_the_widget_files_and_demo_pages_are_served(signed_gateway: SignedGateway) -> None:
    base = signed_gateway.url
    script = requests.get(f"{base}/widget/kramar-widget.js", timeout=10)
    assert script.status_code == 200 and "javascript" in script.headers["Content-Type"]
    assert "innerHTML" not in script.text  # message text is only ever set as text
    css = requests.get(f"{base}/widget/kramar-widget.css", timeout=10)
    assert css.status_code == 200 and css.headers["Content-Type"].startswith("text/css")
    assert requests.get(f"{base}/widget/other.js", timeout=10).status_code == 404
    for page in ("/demo", "/demo/product"):
        html = requests.get(base + page, timeout=10)
        assert html.status_code == 200 and "/widget/kramar-widget.js" in html.text
