"""A client with a shared Redis cache is not moved across fork: the child is told to build one."""

from __future__ import annotations

import asyncio
import json
import os

import pytest

from stigg_async import AsyncStigg, EntitlementCacheOptions, StiggClientStateError
from stigg_async.emulator import EmulatorProcess
from stigg_async.testing import RedisServerProcess

KEY = "fork-redis-key"


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_restart_after_fork_is_refused_with_a_shared_cache(
    stigg_redis_server: RedisServerProcess,
) -> None:
    """restart_after_fork() in the child raises StiggClientStateError naming the fix."""
    with EmulatorProcess(api_key=KEY, quiet=True) as emulator:
        client = AsyncStigg(
            api_key=KEY,
            api_url=emulator.url,
            redis_url=stigg_redis_server.url,
            entitlements=EntitlementCacheOptions(poll=False),
        )
        loop = asyncio.new_event_loop()
        try:
            loop.run_until_complete(client.open())
            read_fd, write_fd = os.pipe()
            pid = os.fork()
            if pid == 0:  # the child: report, never run pytest's teardown
                os.close(read_fd)
                try:
                    asyncio.new_event_loop().run_until_complete(client.restart_after_fork())
                    report = "restarted"
                except StiggClientStateError as exc:
                    report = str(exc)
                except BaseException as exc:
                    report = repr(exc)
                os.write(write_fd, json.dumps(report).encode())
                os._exit(0)
            os.close(write_fd)
            os.waitpid(pid, 0)
            with os.fdopen(read_fd) as pipe:
                report = json.loads(pipe.read())
            assert "create a new AsyncStigg in the child" in report
        finally:
            loop.run_until_complete(client.aclose())
            loop.close()
