"""Money is stored as integer minor units (cents) and sent as decimal strings.

Strings such as ``"49.90"`` survive every JSON parser without float rounding;
the currency is always sent next to them.
"""

from __future__ import annotations


def format_cents(cents: int) -> str:
    sign = "-" if cents < 0 else ""
    whole, fraction = divmod(abs(cents), 100)
    return f"{sign}{whole}.{fraction:02d}"
