"""The usage ledger on its own: levels per point, periods, groups, bounded memory."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from stigg_async.emulator import _ledger
from stigg_async.emulator._ledger import UsageLedger, buckets, history

T0 = datetime(2026, 1, 1, tzinfo=timezone.utc)
KEY = ("c-1", None, "f")


def test_levels_sum_the_changes_of_the_period_up_to_each_point() -> None:
    """Each point reads the sum of deltas of its period so far; a new period restarts."""
    ledger = UsageLedger()
    ledger.add(KEY, T0 + timedelta(minutes=10), 2, period_start=T0)
    ledger.add(KEY, T0 + timedelta(minutes=70), 3, period_start=T0)
    second = T0 + timedelta(hours=2)
    ledger.add(KEY, second + timedelta(minutes=5), 1, period_start=second)
    points = [T0 + timedelta(hours=h) for h in range(4)]

    def period_of(at: datetime) -> datetime:
        return T0 if at < second else second

    (series,) = history(ledger.entries(*KEY), points, period_of)
    assert [(v, r) for _, v, r in series.points] == [
        (0, False),
        (2, False),
        (0, True),
        (1, False),
    ]


def test_groups_split_by_dimension_values() -> None:
    """group_by keys make one series per value combination, sorted by tags."""
    ledger = UsageLedger()
    ledger.add(KEY, T0, 1, period_start=None, dimensions={"region": "us"})
    ledger.add(KEY, T0, 2, period_start=None, dimensions={"region": "eu"})
    ledger.add(KEY, T0, 4, period_start=None, dimensions={"region": "eu"})
    result = history(ledger.entries(*KEY), [T0], None, ["region"])
    assert [(s.tags, s.points[0][1]) for s in result] == [
        ((("region", "eu"),), 6),
        ((("region", "us"),), 1),
    ]


def test_compaction_bounds_memory_and_keeps_the_latest_level(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Past the cap the older half is merged; the level after it is unchanged."""
    monkeypatch.setattr(_ledger, "MAX_ENTRIES", 10)
    ledger = UsageLedger()
    for i in range(25):
        ledger.add(KEY, T0 + timedelta(seconds=i), 1, period_start=None)
    entries = ledger.entries(*KEY)
    assert len(entries) <= 10
    (series,) = history(entries, [T0 + timedelta(minutes=1)], None)
    assert series.points[0][1] == 25


def test_buckets_are_hourly_then_daily_and_capped() -> None:
    """Two days or less: hourly points; more: daily; too many: refused."""
    assert len(buckets(T0, T0 + timedelta(hours=3))) == 4
    assert len(buckets(T0, T0 + timedelta(days=10))) == 11
    with pytest.raises(ValueError, match="points"):
        buckets(T0, T0 + timedelta(days=5000))
    with pytest.raises(ValueError, match="after"):
        buckets(T0, T0)
