"""One refresher per fleet: the lease, its fencing number, takeover and fenced writes."""

from __future__ import annotations

from stigg_async._redis._messages import Role
from stigg_async._redis._tier import WriteResult
from tests.redis_tier.conftest import MakeTier
from tests.redis_tier.support import metered_state

KEY = ("customer-1", None)


async def test_first_process_leads_and_the_others_follow(make_tier: MakeTier) -> None:
    """The first tier takes the lease with fence 1; the next ones follow."""
    leader = await make_tier()
    followers = [await make_tier() for _ in range(3)]
    assert leader.role is Role.LEADER
    assert leader.fence == 1
    assert [f.role for f in followers] == [Role.FOLLOWER] * 3
    assert leader.status().role is Role.LEADER


async def test_leader_keeps_the_lease_by_renewing(make_tier: MakeTier) -> None:
    """A renewing leader stays leader; a follower's attempt does not take over."""
    leader = await make_tier()
    follower = await make_tier()
    for _ in range(3):
        assert await leader.tick() is Role.LEADER
        assert await follower.tick() is Role.FOLLOWER
    assert leader.fence == 1


async def test_takeover_after_the_lease_lapses_increments_the_fence(make_tier: MakeTier) -> None:
    """When the holder's lease is gone (it died or stalled), a follower leads with fence 2."""
    leader = await make_tier()
    follower = await make_tier()
    await follower.client.delete(follower.ns.lease)  # what expiry does to a stalled holder
    assert await follower.tick() is Role.LEADER
    assert follower.fence == 2
    assert await leader.tick() is Role.FOLLOWER  # its renewal finds another token
    assert leader.fence == 0


async def test_closing_leader_hands_the_lease_over_at_once(make_tier: MakeTier) -> None:
    """aclose() releases the lease: the next tick of a follower takes over."""
    leader = await make_tier()
    follower = await make_tier()
    await leader.aclose()
    assert leader.role is Role.OFF
    assert await follower.tick() is Role.LEADER


async def test_stalled_leader_cannot_overwrite_the_new_leaders_data(make_tier: MakeTier) -> None:
    """A paused holder's write after a takeover is refused by the fence and it steps down."""
    old = await make_tier()
    new = await make_tier()
    await new.client.delete(new.ns.lease)
    await new.tick()
    fresh = metered_state("customer-1", limit=10, usage=7)
    assert await new.write_state(KEY, fresh, started=new._clock.monotonic()) == 1
    # The old holder wakes up still believing it leads, with an older answer.
    assert old.role is Role.LEADER
    stale = metered_state("customer-1", limit=10, usage=1)
    assert await old.write_state(KEY, stale, started=old._clock.monotonic()) == (
        WriteResult.OLDER_FENCE
    )
    assert old.role is Role.FOLLOWER
    stored = (await new.read_states([KEY]))[KEY]
    assert stored.raw["entitlements"][0]["currentUsage"] == 7
    assert stored.fence == 2


async def test_older_fetch_of_the_same_leader_does_not_replace_a_newer_one(
    make_tier: MakeTier, clock
) -> None:
    """Two fetches in flight: the one that started first cannot land over the later one."""
    leader = await make_tier()
    early = clock.monotonic()
    clock.advance(1)
    later = clock.monotonic()
    assert await leader.write_state(KEY, metered_state("c", limit=5, usage=3), started=later) == 1
    result = await leader.write_state(KEY, metered_state("c", limit=5, usage=1), started=early)
    assert result == WriteResult.OLDER_FETCH
    assert (await leader.read_states([KEY]))[KEY].raw["entitlements"][0]["currentUsage"] == 3


async def test_follower_only_fills_a_key_redis_lacks(make_tier: MakeTier, clock) -> None:
    """A follower's write is a fill: it lands on a miss, never over a refresher's data."""
    leader = await make_tier()
    follower = await make_tier()
    now = clock.monotonic()
    assert await follower.write_state(KEY, metered_state("c", limit=5, usage=2), started=now) == 1
    clock.advance(1)
    later = clock.monotonic()
    assert await leader.write_state(KEY, metered_state("c", limit=5, usage=4), started=later) == 1
    assert await follower.write_state(KEY, metered_state("c", limit=5, usage=0), started=later) == (
        WriteResult.PRESENT
    )
    assert (await leader.read_states([KEY]))[KEY].raw["entitlements"][0]["currentUsage"] == 4
