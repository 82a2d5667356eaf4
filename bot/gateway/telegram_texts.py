"""What the Telegram channel says by itself, and how it reads Telegram's hints.

Everything else the customer reads comes from the bot (domain.yml); these few
lines exist because the bot cannot say them: it is down, or Telegram asked
something Rasa does not know about (/help, a sticker, an expired button).
"""

from __future__ import annotations

import re

LANGUAGES = ("en", "uk", "pl", "cs")
DEFAULT_LANGUAGE = "en"
# Telegram's language_code is the app's interface language; Russian-language
# apps are common among Ukrainian customers, and the shop does not speak Russian.
# Slovak customers read Czech easily, and the shop does not speak Slovak.
_ALIASES = {"uk": "uk", "ru": "uk", "pl": "pl", "en": "en", "cs": "cs", "sk": "cs"}

# t.me/<bot>?start=order_10001 opens the chat with "/start order_10001".
_DEEP_LINK_ORDER = re.compile(r"order_(\d{1,12})")

TEXTS: dict[str, dict[str, str]] = {
    "help": {
        "en": (
            "I'm Kramar, the shop's assistant. I can help with:\n"
            "• where your order is and when it arrives\n"
            "• returns, refunds and complaints (you can send a photo)\n"
            "• cancelling an order or changing its address\n"
            "• delivery, payment and return questions\n"
            "Just write what you need, or ask for a person to talk to our team."
        ),
        "uk": (
            "Я Крамар, помічник магазину. Можу допомогти:\n"
            "• дізнатися, де ваше замовлення і коли воно приїде\n"
            "• з поверненням, відшкодуванням чи скаргою (можна надіслати фото)\n"
            "• скасувати замовлення або змінити адресу\n"
            "• з питаннями про доставку, оплату й повернення\n"
            "Просто напишіть, що потрібно. Щоб поговорити з людиною, скажіть про це."
        ),
        "pl": (
            "Jestem Kramar, asystent sklepu. Mogę pomóc:\n"
            "• sprawdzić, gdzie jest zamówienie i kiedy dotrze\n"
            "• w zwrocie, zwrocie pieniędzy lub reklamacji (możesz wysłać zdjęcie)\n"
            "• anulować zamówienie lub zmienić adres\n"
            "• w pytaniach o dostawę, płatności i zwroty\n"
            "Napisz, czego potrzebujesz, albo poproś o rozmowę z konsultantem."
        ),
        "cs": (
            "Jsem Kramar, asistent obchodu. Mohu Vám pomoci:\n"
            "• zjistit, kde je Vaše objednávka a kdy dorazí\n"
            "• s vrácením zboží, vrácením peněz nebo reklamací (můžete poslat fotku)\n"
            "• zrušit objednávku nebo změnit adresu\n"
            "• s dotazy k dopravě, platbě a vrácení zboží\n"
            "Napište, co potřebujete, nebo požádejte o spojení s operátorem."
        ),
    },
    "apology": {
        "en": "Sorry, something went wrong on our side. Please try again in a minute.",
        "uk": "Вибачте, у нас стався збій. Спробуйте, будь ласка, ще раз за хвилину.",
        "pl": "Przepraszamy, coś poszło nie tak po naszej stronie. Spróbuj ponownie za minutę.",
        "cs": "Omlouváme se, u nás se něco pokazilo. Zkuste to prosím znovu za minutu.",
    },
    "too_fast": {
        "en": "You are sending messages faster than I can answer. Please wait a minute.",
        "uk": "Ви надсилаєте повідомлення швидше, ніж я встигаю відповідати. Зачекайте хвилину.",
        "pl": "Wysyłasz wiadomości szybciej, niż zdążę odpowiedzieć. Poczekaj minutę.",
        "cs": "Posíláte zprávy rychleji, než stihnu odpovídat. Počkejte prosím minutu.",
    },
    "expired_button": {
        "en": "This button has expired. Please type your answer.",
        "uk": "Ця кнопка вже неактивна. Напишіть, будь ласка, відповідь.",
        "pl": "Ten przycisk już nie działa. Napisz, proszę, odpowiedź.",
        "cs": "Toto tlačítko už nefunguje. Napište mi prosím odpověď.",
    },
    "unsupported": {
        "en": "I can read text and photos. Please write what you need.",
        "uk": "Я розумію текст і фото. Напишіть, будь ласка, що потрібно.",
        "pl": "Rozumiem tekst i zdjęcia. Napisz, proszę, czego potrzebujesz.",
        "cs": "Rozumím textu a fotkám. Napište mi prosím, co potřebujete.",
    },
    # "Continue in Telegram" opened with a code that is used, expired or made up.
    "link_expired": {
        "en": (
            "This link has already been used or has expired, so I could not bring your "
            'website conversation over. In the website chat, tap "Continue in Telegram" '
            "again for a new link, or simply write your question here."
        ),
        "uk": (
            "Це посилання вже використане або застаріло, тож я не зміг перенести сюди вашу "
            "розмову з сайту. У чаті на сайті натисніть «Продовжити в Telegram» ще раз, щоб "
            "отримати нове посилання, або просто напишіть своє питання тут."
        ),
        "pl": (
            "Ten link został już użyty albo wygasł, więc nie mogę przenieść tu rozmowy ze "
            "strony. W czacie na stronie kliknij ponownie „Kontynuuj w Telegramie”, aby "
            "dostać nowy link, albo po prostu napisz tutaj swoje pytanie."
        ),
        "cs": (
            "Tento odkaz už byl použit nebo vypršel, takže sem nemohu přenést Váš rozhovor "
            "z webu. V chatu na webu klepněte znovu na „Pokračovat v Telegramu“ a získáte "
            "nový odkaz, nebo mi svůj dotaz napište rovnou sem."
        ),
    },
    "where_is_order": {
        "en": "Where is my order {order_id}?",
        "uk": "Де моє замовлення {order_id}?",
        "pl": "Gdzie jest moje zamówienie {order_id}?",
        "cs": "Kde je moje objednávka {order_id}?",
    },
}


def language_hint(language_code: str | None) -> str | None:
    """The shop's language for a Telegram `language_code` ("pl", "uk-UA", "ru"), if any."""
    if not language_code:
        return None
    return _ALIASES.get(language_code.lower().replace("_", "-").split("-")[0])


def text(key: str, language: str | None, **values: str) -> str:
    variants = TEXTS[key]
    return variants.get(language or DEFAULT_LANGUAGE, variants[DEFAULT_LANGUAGE]).format(**values)


def deep_link_text(payload: str, language: str | None) -> str | None:
    """What a deep-link payload asks, as the customer would write it; None if unknown."""
    match = _DEEP_LINK_ORDER.fullmatch(payload.strip())
    if match is None:
        return None
    return text("where_is_order", language, order_id=match.group(1))
