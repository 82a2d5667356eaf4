"""Regular expressions for the identifiers customers type, shared by NLU and actions.

Order numbers arrive as `10482`, `#10482`, `ORD-10482`, `nr 10482`,
`zamówienie 10482`, `замовлення №10482`. A bare number needs five to eight
digits, so prices, years and phone-number groups are not taken for orders;
with an explicit marker (#, №, ORD-, nr, no.) three to ten digits count.
"""

from __future__ import annotations

import re

_MARKER = r"(?:#|№|\bord(?:er)?\s*[-#:]?|\bnr\.?|\bno\.|\bnum(?:ber)?\.?)"

ORDER_NUMBER = re.compile(
    rf"(?:{_MARKER}\s*(?P<marked>\d{{3,10}})"
    r"|(?<![\w@.+/-])(?P<bare>\d{5,8}))"
    r"(?![\w@]|[.,:/-]\d)",
    re.IGNORECASE,
)

EMAIL = re.compile(
    r"(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)*\.[a-z]{2,}(?![\w-])",
    re.IGNORECASE,
)


def find_order_numbers(text: str) -> list[tuple[str, int, int]]:
    """Every order number in `text` as (digits, start, end)."""
    found = []
    for match in ORDER_NUMBER.finditer(text):
        group = "marked" if match.group("marked") else "bare"
        found.append((match.group(group), match.start(), match.end()))
    return found


def find_emails(text: str) -> list[tuple[str, int, int]]:
    """Every email address in `text` as (lower-cased address, start, end)."""
    return [(m.group(0).lower(), m.start(), m.end()) for m in EMAIL.finditer(text)]


def normalise_email(text: str) -> str | None:
    """The address if `text` holds exactly one well-formed email, else None."""
    emails = find_emails(text.strip())
    return emails[0][0] if len(emails) == 1 else None
