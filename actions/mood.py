"""Is the customer upset? Cheap signals in English, Ukrainian, Polish and Czech.

Anger shows in shouting (capitals, "!!!"), strong words and repetition ("this
is the third time"); an upset customer is offered a person.
"""

from __future__ import annotations

import re

STRONG_WORDS = re.compile(
    r"terrible|awful|horrible|disgusting|worst|ridiculous|unacceptable|scam|furious|angry|"
    r"жах|жахлив|огидн|обман|шахра|безобраз|ганьб|неприйнятн|злий|зла\b|бісить|"
    r"skandal|okropn|fataln|beznadziej|oszu|żenada|zenada|wkurz|nieakceptowaln|najgorsz|"
    r"hrozn|otřesn|otresn|příšern|prisern|podvod|nepřijateln|neprijateln|naštv|nastv|"
    r"nejhorší|nejhorsi|ostud",
    re.IGNORECASE,
)
REPEATED = re.compile(
    r"third time|again|still not|once more|втретє|знову|вже вкотре|досі не|третій раз|"
    r"znowu|kolejny raz|trzeci raz|po raz kolejny|nadal nie|wciąż nie|ciągle|"
    r"znovu|opět|opet|potřetí|potreti|zase|pořád ne|porad ne|stále ne|stale ne",
    re.IGNORECASE,
)


def is_upset(text: str) -> bool:
    letters = [ch for ch in text if ch.isalpha()]
    shouting = len(letters) >= 12 and sum(ch.isupper() for ch in letters) / len(letters) > 0.6
    return bool(shouting or "!!" in text or STRONG_WORDS.search(text) or REPEATED.search(text))
