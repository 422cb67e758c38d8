"""Real worker processes, each an AsyncStigg against the emulator and a real Redis."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from typing import Any

import aiohttp
import pytest
import redis.asyncio as redis

from stigg_async import AsyncStigg
from stigg_async.emulator import EmulatorProcess
from stigg_async.testing import RedisServerProcess

pytestmark = pytest.mark.slow

KEY = "fleet-test-key"
CAMPAIGNS = "feature-02-campaigns"
ROOT = __file__.rsplit("/tests/", 1)[0]


@pytest.fixture(scope="module")
def emulator() -> Iterator[EmulatorProcess]:
    with EmulatorProcess(api_key=KEY, quiet=True) as emulator:
        yield emulator


@pytest.fixture
def server() -> Iterator[RedisServerProcess]:
    """A Redis of this test's own (some tests kill it)."""
    with RedisServerProcess() as server:
        yield server


async def _customers(emulator: EmulatorProcess, count: int) -> list[str]:
    ids = [f"fleet-{uuid.uuid4().hex[:8]}" for _ in range(count)]
    async with AsyncStigg(api_key=KEY, api_url=emulator.url) as admin:
        for customer in ids:
            await admin.provision_customer(
                customer_id=customer, subscription_params={"planId": "plan-revvenu-basic"}
            )
    return ids


class Fleet:
    """Worker processes started together, released by one ``go`` key in Redis."""

    def __init__(self, server: RedisServerProcess, emulator: EmulatorProcess, **cfg: Any) -> None:
        self.env = uuid.uuid4().hex[:8]
        self.server = server
        self.cfg = {
            "env": self.env, "api_key": KEY, "api_url": emulator.url,
            "redis_url": server.url, **cfg,
        }  # fmt: skip
        self.procs: list[subprocess.Popen[str]] = []
        self.roles: list[str] = []

    def start(self, workers: int) -> Fleet:
        for _ in range(workers):
            args = [sys.executable, "-m", "tests.redis_tier.fleet_worker", json.dumps(self.cfg)]
            self.procs.append(subprocess.Popen(args, cwd=ROOT, stdout=subprocess.PIPE, text=True))
        for proc in self.procs:
            assert proc.stdout is not None
            line = proc.stdout.readline().split()
            assert line[:1] == ["ready"], line
            self.roles.append(line[1])
        return self

    async def go(self) -> None:
        client = redis.Redis.from_url(self.server.url)
        await client.set(f"{self.env}:go", "1")
        await client.aclose()

    def results(self) -> list[dict[str, Any] | None]:
        out: list[dict[str, Any] | None] = []
        for proc in self.procs:
            stdout, _ = proc.communicate(timeout=60)
            lines = stdout.strip().splitlines()
            out.append(json.loads(lines[-1]) if proc.returncode == 0 and lines else None)
        return out

    def kill_all(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                proc.kill()
            proc.communicate()


async def test_consume_holds_a_limit_exactly_across_processes(
    emulator: EmulatorProcess, server: RedisServerProcess
) -> None:
    """4 processes x 10 concurrent consumes against a limit of 4 grant exactly 4; Stigg gets 4."""
    (customer,) = await _customers(emulator, 1)
    fleet = Fleet(server, emulator, mode="consume", calls=10, customers=[customer]).start(4)
    try:
        assert sorted(fleet.roles) == ["follower"] * 3 + ["leader"]
        await fleet.go()
        results = fleet.results()
    finally:
        fleet.kill_all()
    assert sum(r["granted"] for r in results if r) == 4
    async with aiohttp.ClientSession() as http:
        url = emulator.url.replace("/graphql", "/_emulator/usage")
        params = {"customerId": customer, "featureId": CAMPAIGNS}
        async with http.get(url, params=params, headers={"X-API-KEY": KEY}) as response:
            assert (await response.json())["currentUsage"] == 4


async def test_only_the_refresher_polls_the_api(
    emulator: EmulatorProcess, server: RedisServerProcess
) -> None:
    """In steady state the followers send no request; the leader refreshes for all."""
    customers = await _customers(emulator, 10)
    fleet = Fleet(server, emulator, mode="checks", duration=2.0, customers=customers).start(4)
    try:
        await fleet.go()
        results = fleet.results()
    finally:
        fleet.kill_all()
    assert all(r is not None and not r["errors"] for r in results), results
    by_role = {role: [r for r, x in zip(results, fleet.roles, strict=True) if x == role]
               for role in ("leader", "follower")}  # fmt: skip
    assert [r["requests"] for r in by_role["follower"] if r] == [0, 0, 0]
    assert all(r["requests"] >= 1 for r in by_role["leader"] if r)


async def test_killing_redis_mid_run_keeps_every_check_answering(
    emulator: EmulatorProcess, server: RedisServerProcess
) -> None:
    """Redis dies while 3 processes check and consume: no exception, all turn standalone."""
    customers = await _customers(emulator, 5)
    fleet = Fleet(
        server, emulator, mode="checks", duration=2.5, settle=0.2, customers=customers,
        operation_timeout=0.2,
    ).start(3)  # fmt: skip
    try:
        await fleet.go()
        await asyncio.sleep(1.0)  # the run is under way
        server.kill()
        results = fleet.results()
    finally:
        fleet.kill_all()
    assert all(r is not None for r in results)
    assert [r["errors"] for r in results if r] == [[], [], []]
    assert all(r["answers"] > 0 and r["roles"][-1] == "standalone" for r in results if r)


async def test_a_killed_refresher_is_replaced_within_the_lease_time(
    emulator: EmulatorProcess, server: RedisServerProcess
) -> None:
    """SIGKILL the leader: a follower takes the lease with the next fencing number."""
    customers = await _customers(emulator, 3)
    fleet = Fleet(
        server, emulator, mode="checks", duration=4.0, settle=0.2, customers=customers,
        lease_ttl=1.0,
    ).start(3)  # fmt: skip
    control = redis.Redis.from_url(server.url)
    try:
        await fleet.go()
        leader = fleet.procs[fleet.roles.index("leader")]
        fence_key = f"stigg:{fleet.env}:fence"
        assert int(await control.get(fence_key)) == 1
        leader.kill()
        leader.communicate()  # reaps it and closes its pipe
        deadline = time.monotonic() + 10
        while int(await control.get(fence_key)) < 2:
            assert time.monotonic() < deadline, "no takeover"
            await asyncio.sleep(0.05)
        survivors = [p for p in fleet.procs if p is not leader]
        fleet.procs = survivors
        results = fleet.results()
    finally:
        await control.aclose()
        fleet.kill_all()
    assert all(r is not None and not r["errors"] for r in results), results
    assert sorted(r["roles"][-1] for r in results if r) == ["follower", "leader"]
