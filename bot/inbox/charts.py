"""Geometry for the dashboard's inline SVG charts; the templates only draw it.

Server-side SVG: no chart library, no script, nothing for the CSP to allow.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from bot.inbox import formats


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    label: str
    value: int


@dataclass(frozen=True)
class Tick:
    position: float
    label: str


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    bars: list[Bar]
    ticks: list[Tick]
    label_width: float = 0
    empty: bool = False


@dataclass(frozen=True)
class Ring:
    radius: float
    circumference: float
    filled: float
    percent: int | None
    # The share as the page writes it (formats.percent): 0.2%, not 0%.
    label: str = "—"


def nice_maximum(value: int) -> int:
    """A round top for the axis: 4 -> 4, 7 -> 8, 13 -> 15, 230 -> 250."""
    if value <= 4:
        return max(value, 1)
    magnitude = 10 ** math.floor(math.log10(value))
    for step in (1, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10):
        if step * magnitude >= value:
            return int(step * magnitude)
    return value


def columns(values: Sequence[tuple[str, int]], *, width: int = 1000, height: int = 240) -> Chart:
    """Vertical bars, one per value, with a y axis (left) and labels below."""
    left, bottom, top = 34.0, 26.0, 10.0
    plot_height = height - bottom - top
    top_value = nice_maximum(max((value for _, value in values), default=0))
    slot = (width - left) / max(len(values), 1)
    bars = []
    for index, (label, value) in enumerate(values):
        bar_height = plot_height * value / top_value
        bars.append(
            Bar(
                x=round(left + index * slot + slot * 0.15, 1),
                y=round(top + plot_height - bar_height, 1),
                width=round(slot * 0.7, 1),
                height=round(bar_height, 1),
                label=label,
                value=value,
            )
        )
    ticks = [
        Tick(position=round(top + plot_height * (1 - share), 1), label=_count(top_value * share))
        for share in (0, 0.5, 1)
        # Counts are whole: no "1.5" line on a small axis.
        if float(top_value * share).is_integer()
    ]
    return Chart(
        width=width,
        height=height,
        bars=bars,
        ticks=ticks,
        label_width=left,
        empty=not any(value for _, value in values),
    )


def rows(
    values: Sequence[tuple[str, int]],
    *,
    width: int = 360,
    row_height: int = 28,
    label_width: int = 130,
) -> Chart:
    """Horizontal bars, one row per value, label on the left and count at the end."""
    value_room = 44
    top_value = max((value for _, value in values), default=0) or 1
    plot_width = width - label_width - value_room
    bars = [
        Bar(
            x=label_width,
            y=index * row_height + 4,
            width=round(max(plot_width * value / top_value, 2 if value else 0), 1),
            height=row_height - 8,
            label=label,
            value=value,
        )
        for index, (label, value) in enumerate(values)
    ]
    return Chart(
        width=width,
        height=max(len(values), 1) * row_height,
        bars=bars,
        ticks=[],
        label_width=label_width,
        empty=not values,
    )


def ring(share: float | None, *, radius: float = 42) -> Ring:
    """A progress ring: stroke-dasharray draws ``share`` of the circle."""
    circumference = round(2 * math.pi * radius, 2)
    filled = 0.0 if share is None else round(circumference * min(max(share, 0.0), 1.0), 2)
    percent = None if share is None else round(share * 100)
    return Ring(
        radius=radius,
        circumference=circumference,
        filled=filled,
        percent=percent,
        label=formats.percent(share),
    )


def _count(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:.1f}"
