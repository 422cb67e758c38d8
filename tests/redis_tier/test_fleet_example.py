"""examples/fleet.py runs against the emulator and a real Redis: the limit holds."""

from __future__ import annotations

import asyncio
import os
import re
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio

from stigg_async.emulator import Emulator, SystemClock
from stigg_async.testing import RedisServerProcess

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "fleet.py"
API_KEY = "sk-fleet-example-5d1f"

pytestmark = pytest.mark.slow


@pytest_asyncio.fixture
async def emulator() -> AsyncIterator[Emulator]:
    async with Emulator(api_key=API_KEY, clock=SystemClock()) as emu:
        yield emu


async def test_fleet_example_grants_exactly_the_limit(
    emulator: Emulator, stigg_redis_server: RedisServerProcess
) -> None:
    """Four worker processes consume 20 times against a limit of 4: 4 granted, one leader."""
    env = {
        **os.environ,
        "STIGG_API_URL": emulator.url,
        "STIGG_SERVER_API_KEY": API_KEY,
        "STIGG_REDIS_URL": stigg_redis_server.url,
        "PYTHONUNBUFFERED": "1",
    }
    proc = await asyncio.create_subprocess_exec(
        sys.executable, str(EXAMPLE), env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await asyncio.wait_for(proc.communicate(), 120)
    stdout = out.decode()
    assert proc.returncode == 0, stdout + err.decode()
    assert API_KEY not in stdout + err.decode()
    assert re.search(r"fleet granted 4 of 20 requests; limit 4", stdout), stdout
    roles = re.findall(r"worker \d: (\w+),", stdout)
    assert sorted(roles) == ["follower"] * 3 + ["leader"]
