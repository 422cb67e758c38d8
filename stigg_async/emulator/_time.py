"""Date arithmetic and the ISO-8601 wire format for the ``DateTime`` scalar."""

from __future__ import annotations

import calendar
from datetime import datetime, timedelta, timezone
from typing import Any

__all__ = [
    "add_months",
    "format_datetime",
    "parse_datetime",
    "period_bounds",
    "period_delta",
]

_PERIOD_MONTHS = {"MONTH": 1, "YEAR": 12}
_PERIOD_DELTAS = {"HOUR": timedelta(hours=1), "DAY": timedelta(days=1), "WEEK": timedelta(weeks=1)}


def format_datetime(value: datetime) -> str:
    """Render ``value`` as the API does: UTC, milliseconds, a ``Z`` suffix.

    Example:
        >>> format_datetime(datetime(2022, 9, 22, 8, 0, 28, 965000, tzinfo=timezone.utc))
        '2022-09-22T08:00:28.965Z'
    """
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    value = value.astimezone(timezone.utc)
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"


def parse_datetime(value: Any) -> datetime:
    """Parse an ISO-8601 string or epoch number (seconds, or milliseconds when huge).

    Example:
        >>> parse_datetime("2022-09-22T08:00:28.965Z").year
        2022
    """
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=timezone.utc)
    if isinstance(value, bool):
        raise ValueError("a boolean is not a DateTime")
    if isinstance(value, (int, float)):
        seconds = value / 1000 if abs(value) > 1e11 else value
        return datetime.fromtimestamp(seconds, tz=timezone.utc)
    if isinstance(value, str):
        text = value.strip()
        if text.endswith(("Z", "z")):
            text = text[:-1] + "+00:00"
        parsed = datetime.fromisoformat(text)
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)
    raise ValueError(f"cannot parse {type(value).__name__} as a DateTime")


def add_months(anchor: datetime, months: int) -> datetime:
    """``anchor`` moved by whole months, clamping the day (Jan 31 + 1 month = Feb 28/29)."""
    index = anchor.month - 1 + months
    year, month = anchor.year + index // 12, index % 12 + 1
    day = min(anchor.day, calendar.monthrange(year, month)[1])
    return anchor.replace(year=year, month=month, day=day)


def period_delta(anchor: datetime, period: str, count: int) -> datetime:
    """The start of the ``count``-th period of kind ``period`` counted from ``anchor``."""
    if period in _PERIOD_MONTHS:
        return add_months(anchor, _PERIOD_MONTHS[period] * count)
    return anchor + _PERIOD_DELTAS[period] * count


def period_bounds(anchor: datetime, period: str, now: datetime) -> tuple[datetime, datetime]:
    """The ``[start, end)`` of the period containing ``now``, periods anchored at ``anchor``.

    Always counted from the anchor (never from the previous boundary) so clamped
    month ends do not drift.

    Example:
        >>> a = datetime(2026, 1, 31, tzinfo=timezone.utc)
        >>> [d.day for d in period_bounds(a, "MONTH", datetime(2026, 3, 1, tzinfo=timezone.utc))]
        [28, 31]
    """
    if now < anchor:
        return anchor, period_delta(anchor, period, 1)
    if period in _PERIOD_MONTHS:
        step = _PERIOD_MONTHS[period]
        months = (now.year - anchor.year) * 12 + now.month - anchor.month
        count = max(0, months // step - 1)
    else:
        count = int((now - anchor) / _PERIOD_DELTAS[period])
        count = max(0, count - 1)
    start = period_delta(anchor, period, count)
    end = period_delta(anchor, period, count + 1)
    while end <= now:
        count += 1
        start, end = end, period_delta(anchor, period, count + 1)
    return start, end
