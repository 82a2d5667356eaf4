"""Quiet hours, the follow-up delay and the shop's webhook signature (issue 20)."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from bot.customers.timing import followup_delay, is_quiet
from bot.gateway.shop_hooks import signed_at
from bot.policy import Policy
from bot.shop.webhooks import signature


def policy(quiet: str | None, followup: float | None = None) -> Policy:
    notifications: dict[str, object] = {}
    if quiet:
        notifications["quiet_hours"] = quiet
    if followup is not None:
        notifications["followup_after_hours"] = followup
    return Policy({"support": {"timezone": "Europe/Warsaw"}, "notifications": notifications})


@pytest.mark.parametrize(
    ("utc", "quiet"),
    [
        (datetime(2026, 1, 14, 19, 59), False),  # 20:59 in Warsaw (winter, UTC+1)
        (datetime(2026, 1, 14, 20, 0), True),  # 21:00
        (datetime(2026, 1, 14, 23, 30), True),  # past midnight
        (datetime(2026, 1, 15, 6, 59), True),  # 07:59
        (datetime(2026, 1, 15, 7, 0), False),  # 08:00: over
        (datetime(2026, 7, 15, 6, 30), False),  # 08:30 in summer (UTC+2)
        (datetime(2026, 7, 15, 5, 30), True),  # 07:30 in summer
    ],
)
def test_quiet_hours_over_midnight_in_the_shops_time_zone(utc: datetime, quiet: bool) -> None:
    assert is_quiet(policy("21:00-08:00"), utc) is quiet


def test_daytime_quiet_hours_and_none() -> None:
    assert is_quiet(policy("12:00-13:00"), datetime(2026, 1, 14, 11, 30))
    assert not is_quiet(policy("12:00-13:00"), datetime(2026, 1, 14, 12, 30))
    assert not is_quiet(policy(None), datetime(2026, 1, 14, 23, 0))


def test_the_follow_up_waits_a_day_unless_the_policy_says_otherwise() -> None:
    assert followup_delay(policy(None)) == timedelta(hours=24)
    assert followup_delay(policy(None, followup=2)) == timedelta(hours=2)


def test_the_gateway_accepts_exactly_what_the_shop_signs() -> None:
    body = b'{"id": "evt_1"}'
    header = signature("s3cret", 1_800_000_000, body)
    assert signed_at(header, "s3cret", body) == 1_800_000_000
    assert signed_at(header, "other", body) is None
    assert signed_at(header, "s3cret", body + b" ") is None
    assert signed_at(header, "", body) is None  # no secret configured: nothing is valid
    for broken in (None, "", "t=1", "v1=ab", "t=x,v1=ab", "garbage", "t=1,v1"):
        assert signed_at(broken, "s3cret", body) is None
