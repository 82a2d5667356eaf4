"""The shop policy file (bot/shop_policy.yml) that the actions and the shop share.

Numbers (return window, refund days, complaint response time) drive behaviour;
`faq` texts are answers in each language whose `{dotted.placeholders}` are
filled from the same file, so one edited number changes both.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import yaml

from bot.settings import Settings

LANGUAGES = ("en", "uk", "pl", "cs")
_PLACEHOLDER = re.compile(r"\{([\w.]+)\}")


class PolicyError(ValueError):
    """The policy file is missing a value or has a wrong one."""


@dataclass(frozen=True)
class Policy:
    raw: dict[str, Any]

    @property
    def return_window_days(self) -> int:
        return int(self.lookup("returns.window_days"))

    @property
    def refund_days(self) -> int:
        return int(self.lookup("returns.refund_days"))

    @property
    def complaint_response_hours(self) -> int:
        return int(self.lookup("complaints.response_hours"))

    @property
    def support_email(self) -> str:
        return str(self.lookup("shop.support_email"))

    @property
    def faq_topics(self) -> list[str]:
        return list(self.raw.get("faq", {}))

    def lookup(self, dotted: str) -> Any:
        node: Any = self.raw
        for key in dotted.split("."):
            if not isinstance(node, dict) or key not in node:
                raise PolicyError(f"shop policy has no value for {dotted!r}")
            node = node[key]
        return node

    def fill(self, text: str) -> str:
        """`text` with every `{dotted.path}` replaced by its value in the file."""
        return _PLACEHOLDER.sub(lambda match: str(self.lookup(match.group(1))), text)

    def answer(self, topic: str, language: str) -> str:
        """The self-service answer to `topic` in `language` (English if missing)."""
        texts = self.lookup(f"faq.{topic}")
        return self.fill(texts.get(language) or texts["en"])


def policy_file() -> Path:
    return Settings.from_env().policy_file


@lru_cache(maxsize=4)
def load_policy(path: Path | None = None) -> Policy:
    """Reads and checks the policy file once per process."""
    path = path or policy_file()
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    policy = Policy(raw if isinstance(raw, dict) else {})
    # Fail at start-up, not in a customer's conversation.
    for topic in policy.faq_topics:
        for language in LANGUAGES:
            policy.answer(topic, language)
    _ = (policy.return_window_days, policy.refund_days, policy.complaint_response_hours)
    return policy


DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def support_open(policy: Policy, now: datetime) -> bool:
    """Whether people answer chats at `now` (an aware datetime)."""
    local = now.astimezone(ZoneInfo(str(policy.lookup("support.timezone"))))
    hours = policy.lookup("support.hours").get(DAYS[local.weekday()])
    if not hours:
        return False
    start, end = (time.fromisoformat(part) for part in str(hours).split("-"))
    return start <= local.time() < end


def next_opening(policy: Policy, now: datetime) -> datetime:
    """When people next answer chats, in the shop's time zone."""
    zone = ZoneInfo(str(policy.lookup("support.timezone")))
    local = now.astimezone(zone)
    for days_ahead in range(8):
        day = local.date() + timedelta(days=days_ahead)
        hours = policy.lookup("support.hours").get(DAYS[day.weekday()])
        if not hours:
            continue
        opens = datetime.combine(day, time.fromisoformat(str(hours).split("-")[0]), zone)
        if opens > local:
            return opens
    raise PolicyError("support.hours has no opening time in the next week")
