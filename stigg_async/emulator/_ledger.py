"""The usage ledger: every applied change of a usage counter, kept for usage history.

The counters in :class:`~stigg_async.emulator._state.EmulatorState` only know the
current value; ``usageHistory`` needs how the value got there. Each applied
``reportUsage`` / ``reportEvent`` appends one entry with the change it made
(``delta``, after any period reset) and the usage period it landed in, so the level
at any instant is the sum of the deltas of that instant's period up to it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

__all__ = ["LedgerEntry", "Series", "UsageLedger", "buckets", "history"]

#: Finer points for short ranges, daily points otherwise; capped to keep answers small.
_HOUR = timedelta(hours=1)
_DAY = timedelta(days=1)
MAX_POINTS = 1000
#: Entries kept per counter; beyond it the older half is merged (see ``_compact``).
MAX_ENTRIES = 10_000


@dataclass(frozen=True)
class LedgerEntry:
    """One applied change of one counter."""

    customer_id: str
    resource_id: str | None
    feature_id: str
    at: datetime
    delta: float
    #: Start of the usage period the change counted in (``None``: never resets).
    period_start: datetime | None
    dimensions: Mapping[str, str] = field(default_factory=dict)


class UsageLedger:
    """Append-only list of usage changes, indexed by counter.

    Example:
        >>> from datetime import timezone
        >>> ledger = UsageLedger()
        >>> t = datetime(2026, 1, 1, tzinfo=timezone.utc)
        >>> ledger.add(("c-1", None, "f"), t, 3.0, period_start=None)
        >>> [e.delta for e in ledger.entries("c-1", None, "f")]
        [3.0]
    """

    def __init__(self) -> None:
        self._entries: dict[tuple[str, str | None, str], list[LedgerEntry]] = {}

    def add(
        self,
        key: tuple[str, str | None, str],
        at: datetime,
        delta: float,
        *,
        period_start: datetime | None,
        dimensions: Mapping[str, Any] | None = None,
    ) -> None:
        """Record one change of counter ``key`` = (customer, resource, feature).

        A zero change is not worth an entry.
        """
        if delta == 0:
            return
        dims = {str(k): str(v) for k, v in (dimensions or {}).items()}
        entries = self._entries.setdefault(key, [])
        entries.append(
            LedgerEntry(*key, at=at, delta=delta, period_start=period_start, dimensions=dims)
        )
        if len(entries) > MAX_ENTRIES:
            self._entries[key] = _compact(entries)

    def entries(
        self, customer_id: str, resource_id: str | None, feature_id: str
    ) -> Sequence[LedgerEntry]:
        """The changes of one counter, oldest first."""
        return tuple(self._entries.get((customer_id, resource_id, feature_id), ()))


def _compact(entries: list[LedgerEntry]) -> list[LedgerEntry]:
    """Merge the older half into one entry per (period, dimensions), dated at its end.

    Keeps memory bounded under heavy reporting (benchmarks): levels from the merge
    point on are unchanged; points inside the merged span read the span's end level.
    """
    entries = sorted(entries, key=lambda e: e.at)
    half = len(entries) // 2
    old, recent = entries[:half], entries[half:]
    merged: dict[tuple[datetime | None, tuple[tuple[str, str], ...]], float] = {}
    for entry in old:
        group = (entry.period_start, tuple(sorted(entry.dimensions.items())))
        merged[group] = merged.get(group, 0.0) + entry.delta
    at = old[-1].at
    first = old[0]
    summary = [
        LedgerEntry(
            first.customer_id,
            first.resource_id,
            first.feature_id,
            at=at,
            delta=delta,
            period_start=period,
            dimensions=dict(dims),
        )
        for (period, dims), delta in merged.items()
        if delta != 0
    ]
    return summary + recent


def buckets(start: datetime, end: datetime) -> list[datetime]:
    """Point times from ``start`` to ``end``: hourly up to two days, else daily.

    Raises ``ValueError`` when the range is empty or needs more than ``MAX_POINTS``.
    """
    if end <= start:
        raise ValueError("endDate must be after startDate")
    step = _HOUR if end - start <= 2 * _DAY else _DAY
    count = int((end - start) / step) + 1
    if count > MAX_POINTS:
        raise ValueError(f"the range needs {count} points; at most {MAX_POINTS} are served")
    return [start + step * i for i in range(count)]


@dataclass(frozen=True)
class Series:
    """The usage level of one group (``tags``) at each point, with reset flags."""

    tags: tuple[tuple[str, str], ...]
    points: tuple[tuple[datetime, float, bool], ...]


def history(
    entries: Iterable[LedgerEntry],
    points: Sequence[datetime],
    period_of: Callable[[datetime], datetime | None] | None,
    group_by: Sequence[str] = (),
) -> list[Series]:
    """The usage level at each point, overall or per group of dimension values.

    ``period_of(t)`` is the start of the usage period containing ``t`` (``None``
    when usage never resets); without it, each point uses the period of the last
    change before it. A point is a reset point when a new period began since the
    previous point.
    """
    entries = sorted(entries, key=lambda e: e.at)
    groups: dict[tuple[tuple[str, str], ...], list[LedgerEntry]] = {}
    for entry in entries:
        tags = tuple((key, entry.dimensions.get(key, "")) for key in group_by)
        groups.setdefault(tags, []).append(entry)
    if not group_by:
        groups = {(): entries}
    result = []
    for tags, members in sorted(groups.items()):
        series_points = []
        previous_period: datetime | None = None
        for index, at in enumerate(points):
            seen = [e for e in members if e.at <= at]
            if period_of is not None:
                period = period_of(at)
            else:
                period = seen[-1].period_start if seen else None
            level = sum(e.delta for e in seen if e.period_start == period)
            is_reset = index > 0 and period is not None and period != previous_period
            series_points.append((at, max(0.0, level), is_reset))
            previous_period = period
        result.append(Series(tags, tuple(series_points)))
    return result
