"""Usage history end to end: the ledger of reported usage, by period and by group."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from stigg_async import AsyncStigg, StiggGraphQLError, StiggValidationError
from stigg_async._models import UsageMarkerType
from stigg_async.emulator import Emulator
from stigg_async.emulator._state import UsageReport

HOUR = 3600
DAY = 24 * HOUR


def _report(emu: Emulator, feature: str, value: float, **kw: object) -> None:
    emu.state.report_usage(UsageReport("c-1", feature, value, **kw))  # type: ignore[arg-type]


async def test_points_follow_reported_usage_hour_by_hour(
    stigg_client: AsyncStigg, stigg_emulator: Emulator
) -> None:
    """Each hourly point is the level reached by then; SET replaces, DELTA adds."""
    emu = stigg_emulator
    emu.state.provision_customer("c-1")
    emu.state.provision_subscription("c-1", "plan-revvenu-basic")
    start = emu.state.now()
    emu.advance_time(HOUR // 2)
    _report(emu, "feature-02-campaigns", 2)
    emu.advance_time(HOUR)
    _report(emu, "feature-02-campaigns", 1)
    emu.advance_time(HOUR)
    _report(emu, "feature-01-templates", 3, update_behavior="SET")
    emu.advance_time(HOUR)
    history = await stigg_client.get_usage_history(
        "c-1", "feature-02-campaigns", start_date=start, end_date=start + timedelta(hours=3)
    )
    assert [p.value for p in history.usage_measurements] == [0, 2, 3, 3]
    assert [p.date - start for p in history.usage_measurements] == [
        timedelta(hours=h) for h in range(4)
    ]
    assert history.groups == ()
    templates = await stigg_client.get_usage_history_v2(
        "c-1", "feature-01-templates", start_date=start, end_date=start + timedelta(hours=3)
    )
    assert [p.value for p in templates.series[0].points] == [0, 0, 0, 3]


async def test_monthly_reset_marks_the_boundary_and_restarts_from_zero(
    stigg_client: AsyncStigg, stigg_emulator: Emulator
) -> None:
    """Across a monthly reset the level drops to zero, flagged and marked."""
    emu = stigg_emulator
    emu.state.provision_customer("c-1")
    sub = emu.state.provision_subscription("c-1", "plan-revvenu-basic")
    start = sub.start_date
    emu.advance_time(DAY)
    _report(emu, "feature-02-campaigns", 3)
    emu.advance_time(40 * DAY)
    _report(emu, "feature-02-campaigns", 1)
    history = await stigg_client.get_usage_history_v2(
        "c-1", "feature-02-campaigns", start_date=start, end_date=start + timedelta(days=42)
    )
    (series,) = history.series
    by_day = {(p.timestamp - start).days: p for p in series.points}
    assert by_day[2].value == 3
    assert by_day[30].value == 3  # the month since the subscription's start has not ended
    reset_days = [d for d, p in by_day.items() if p.is_reset_point]
    assert len(reset_days) == 1
    assert by_day[reset_days[0]].value == 0
    assert by_day[41].value == 1
    (marker,) = history.markers
    assert marker.type == UsageMarkerType.PERIODIC_RESET
    assert marker.timestamp.day == start.day


async def test_event_usage_grouped_by_dimension(
    stigg_client: AsyncStigg, stigg_emulator: Emulator
) -> None:
    """Raw events' dimensions make groups (v1) and tagged, paged series (v2)."""
    emu = stigg_emulator
    emu.state.provision_customer("c-1")
    emu.state.provision_subscription("c-1", "plan-revvenu-basic")
    start = emu.state.now()
    events = [("u1", "eu"), ("u2", "eu"), ("u3", "us"), ("u1", "eu")]
    for index, (user, region) in enumerate(events):
        emu.advance_time(60)
        emu.state.report_events(
            [
                {
                    "customerId": "c-1",
                    "eventName": "user_login",
                    "idempotencyKey": f"k{index}",
                    "dimensions": {"user_id": user, "region": region},
                }
            ]
        )
    end = start + timedelta(hours=1)
    grouped = await stigg_client.get_usage_history(
        "c-1", "feature-07-active-users", start_date=start, end_date=end, group_by=["region"]
    )
    totals = {g.group_info[0].value: g.usage_measurements[-1].value for g in grouped.groups}
    assert totals == {"eu": 2, "us": 1}
    page = await stigg_client.get_usage_history_v2(
        "c-1",
        "feature-07-active-users",
        start_date=start,
        end_date=end,
        group_by=["region"],
        first=1,
    )
    assert [s.tag_values for s in page.series] == [{"region": "eu"}]
    assert page.has_next_page
    rest = await stigg_client.get_usage_history_v2(
        "c-1",
        "feature-07-active-users",
        start_date=start,
        end_date=end,
        group_by=["region"],
        after=page.end_cursor,
    )
    assert [s.tag_values for s in rest.series] == [{"region": "us"}]
    assert not rest.has_next_page


async def test_usage_history_refuses_unknown_feature_and_huge_ranges(
    stigg_client: AsyncStigg, stigg_emulator: Emulator
) -> None:
    """Unknown features are FeatureNotFound; more than 1000 points is BadUserInput."""
    stigg_emulator.state.provision_customer("c-1")
    start = datetime(2020, 1, 1, tzinfo=timezone.utc)
    with pytest.raises(StiggGraphQLError) as err:
        await stigg_client.get_usage_history("c-1", "feature-nope", start_date=start)
    assert err.value.code == "FeatureNotFound"
    with pytest.raises(StiggGraphQLError) as err:
        await stigg_client.get_usage_history_v2("c-1", "feature-02-campaigns", start_date=start)
    assert err.value.code == "BadUserInput"


async def test_usage_history_validates_the_range_before_sending(
    stigg_client: AsyncStigg,
) -> None:
    """An end before the start, or a group_by given as text, never reaches the API."""
    start = datetime(2026, 1, 2, tzinfo=timezone.utc)
    with pytest.raises(StiggValidationError, match="end_date"):
        await stigg_client.get_usage_history(
            "c-1", "f", start_date=start, end_date=start - timedelta(days=1)
        )
    with pytest.raises(StiggValidationError, match="group_by"):
        await stigg_client.get_usage_history_v2("c-1", "f", start_date=start, group_by="region")
