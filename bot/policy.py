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


OFFER_KINDS = ("percent", "free_return_shipping")


@dataclass(frozen=True)
class OfferRule:
    """One goodwill offer of `offers.rules`: what it gives and for how long."""

    name: str
    kind: str  # one of OFFER_KINDS
    percent: int | None
    valid_days: int
    # The rule's own conditions (late_after_days, within_days, min_orders).
    settings: dict[str, int]


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

    @property
    def offer_period_days(self) -> int:
        return int(self.raw.get("offers", {}).get("period_days", 90))

    def offer_rule(self, name: str) -> OfferRule | None:
        """The rule named `name`, or None when the shop makes no such offer."""
        raw = (self.raw.get("offers", {}).get("rules") or {}).get(name)
        if not isinstance(raw, dict):
            return None
        kind = str(raw.get("kind", ""))
        if kind not in OFFER_KINDS:
            raise PolicyError(f"offers.rules.{name}.kind must be one of {', '.join(OFFER_KINDS)}")
        percent = int(raw["percent"]) if kind == "percent" else None
        if percent is not None and not 0 < percent <= 100:
            raise PolicyError(f"offers.rules.{name}.percent must be 1-100")
        settings = {
            key: int(value)
            for key, value in raw.items()
            if key not in ("kind", "percent", "valid_days")
        }
        return OfferRule(name, kind, percent, int(raw.get("valid_days", 30)), settings)

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
    for name in policy.raw.get("offers", {}).get("rules") or {}:
        policy.offer_rule(name)
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
