"""Pure pieces of issue 21: waiting times, shares, dates, the review filter's
dates and events, what counts as not understood, and which intents customers mean."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from bot.conversations.models import EVENT_INTENTS
from bot.inbox.charts import ring
from bot.inbox.domain import load_intents
from bot.inbox.formats import (
    WAIT_LONG_SECONDS,
    WAIT_OVERDUE_SECONDS,
    date_time,
    day,
    parse_day,
    percent,
    wait_duration,
    wait_level,
)
from bot.inbox.review import ReviewFilter
from bot.inbox.stats import Dashboard
from bot.settings import PROJECT_ROOT


@pytest.mark.parametrize(
    ("seconds", "expected"),
    [
        (-5, "< 1 min"),
        (0, "< 1 min"),
        (59, "< 1 min"),
        (60, "1 min"),
        (125, "2 min"),
        (59 * 60 + 59, "59 min"),
        (3600, "1 h 0 min"),
        (20 * 3600 + 10 * 60 + 30, "20 h 10 min"),
        (24 * 3600, "1 d 0 h"),
        (3 * 86400 + 4 * 3600 + 59 * 60, "3 d 4 h"),
    ],
)
def test_waiting_times_are_durations(seconds: float, expected: str) -> None:
    assert wait_duration(seconds) == expected
    assert ":" not in wait_duration(seconds)  # never reads like a clock time


def test_long_waits_stand_out() -> None:
    assert wait_level(0) == "ok"
    assert wait_level(WAIT_LONG_SECONDS - 1) == "ok"
    assert wait_level(WAIT_LONG_SECONDS) == "long"
    assert wait_level(WAIT_OVERDUE_SECONDS - 1) == "long"
    assert wait_level(WAIT_OVERDUE_SECONDS) == "overdue"
    assert wait_level(20 * 3600) == "overdue"


@pytest.mark.parametrize(
    ("share", "expected"),
    [
        (None, "—"),
        (0, "0%"),
        (3 / 1338, "0.2%"),  # was "0%" beside "3 of 1338 not understood"
        (1 / 5000, "<0.1%"),
        (0.054, "5.4%"),
        (1 / 3, "33%"),
        (1, "100%"),
    ],
)
def test_percent_is_never_zero_when_something_counted(share: float | None, expected: str) -> None:
    assert percent(share) == expected


def test_ring_writes_the_same_share_as_the_page() -> None:
    assert ring(3 / 1338).label == "0.2%"
    assert ring(None).label == "—"


def dashboard(customer: int, fallback: int, out_of_scope: int) -> Dashboard:
    return Dashboard(
        days=14,
        per_day=[],
        conversations=0,
        handed_off=0,
        handoffs_by_reason=[],
        ratings={},
        top_intents=[],
        customer_messages=customer,
        fallback_messages=fallback,
        out_of_scope_messages=out_of_scope,
    )


def test_not_understood_counts_fallback_and_out_of_scope() -> None:
    numbers = dashboard(1338, 3, 27)
    assert numbers.not_understood == 30
    assert numbers.fallback_rate == pytest.approx(30 / 1338)
    assert percent(numbers.fallback_rate) == "2.2%"
    assert dashboard(0, 0, 0).fallback_rate is None
    assert dashboard(10, 0, 0).fallback_rate == 0


def test_one_date_format() -> None:
    assert day(date(2025, 3, 5)) == "05.03.2025"
    assert day(datetime(2025, 3, 5, 23, 59)) == "05.03.2025"
    assert day("2025-03-05T10:00:00Z") == "05.03.2025"  # the shop's ISO dates
    assert day(None) == "" and day("soon") == "soon"
    assert date_time(datetime(2025, 12, 31, 9, 7)) == "31.12.2025 09:07"


@pytest.mark.parametrize(
    "typed", ["05.03.2025", "5.3.2025", " 05.03.2025 ", "05/03/2025", "05-03-2025", "2025-03-05"]
)
def test_typed_dates_are_day_first(typed: str) -> None:
    assert parse_day(typed) == date(2025, 3, 5)


@pytest.mark.parametrize("typed", ["03/31/2025", "31.02.2025", "yesterday", "5.3.25", "2025-3-5"])
def test_dates_that_are_not_dd_mm_yyyy_are_refused(typed: str) -> None:
    with pytest.raises(ValueError):
        parse_day(typed)


def test_review_filter_reads_and_reports_dates() -> None:
    wanted = ReviewFilter.from_query({"from": "1.3.2025", "to": "2025-03-31"})
    assert (wanted.date_from, wanted.date_to) == (date(2025, 3, 1), date(2025, 3, 31))
    assert (wanted.from_text, wanted.to_text) == ("01.03.2025", "31.03.2025")
    assert wanted.errors == ()
    assert wanted.as_query() == {"from": "01.03.2025", "to": "31.03.2025"}

    wrong = ReviewFilter.from_query({"from": "03/31/2025", "to": ""})
    assert wrong.date_from is None and wrong.from_text == "03/31/2025"
    assert len(wrong.errors) == 1 and "dd.mm.yyyy" in wrong.errors[0]
    assert "From" in wrong.errors[0]


def test_review_filter_reads_events() -> None:
    assert ReviewFilter.from_query({"event": "closed"}).event == "closed"
    assert ReviewFilter.from_query({"event": "closed"}).as_query() == {"event": "closed"}
    assert ReviewFilter.from_query({"event": "handback"}).event is None  # not a recorded event


def test_customer_intents_leave_out_internal_events() -> None:
    intents = load_intents(PROJECT_ROOT / "domain.yml")
    for name in EVENT_INTENTS:
        assert name not in intents.predicted
        assert name not in intents.trainable
    assert {"order_status", "out_of_scope", "nlu_fallback"} <= set(intents.predicted)
