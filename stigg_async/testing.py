"""pytest helpers for code that uses stigg_async: an in-process emulator per test.

Enable them in a ``conftest.py``::

    pytest_plugins = ["stigg_async.testing"]

Then ask for the fixtures::

    async def test_basic_plan_limits(stigg_emulator):
        stigg_emulator.state.provision_customer("customer-1")
        stigg_emulator.state.provision_subscription("customer-1", "plan-revvenu-basic")
        ...  # point your client at stigg_emulator.url with STIGG_EMULATOR_API_KEY

The emulator runs on 127.0.0.1 on a free port with a :class:`FakeClock`, so tests
move time (``stigg_emulator.advance_time(...)``) instead of sleeping. Async
fixtures need pytest-asyncio (``asyncio_mode = "auto"`` or ``@pytest.mark.asyncio``).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest

# pytest-asyncio's decorator makes the async fixture work in its strict mode too.
import pytest_asyncio

from stigg_async._aioresponses_compat import patch_aioresponses
from stigg_async._client import AsyncStigg
from stigg_async._clock import FakeClock
from stigg_async._redis._server import RedisServerProcess
from stigg_async.emulator import Emulator, Fault

__all__ = [
    "STIGG_EMULATOR_API_KEY",
    "Emulator",
    "FakeClock",
    "Fault",
    "RedisServerProcess",
    "patch_aioresponses",
    "stigg_client",
    "stigg_emulator",
    "stigg_emulator_clock",
    "stigg_redis_server",
]

#: The API key the ``stigg_emulator`` fixture accepts.
STIGG_EMULATOR_API_KEY = "test-key"


@pytest.fixture
def stigg_emulator_clock() -> FakeClock:
    """The emulator's clock (override this fixture to start at another time).

    Example:
        >>> clock = FakeClock()
        >>> clock.now().year
        2026
    """
    return FakeClock()


@pytest_asyncio.fixture
async def stigg_emulator(stigg_emulator_clock: FakeClock) -> AsyncIterator[Emulator]:
    """A fresh emulator on 127.0.0.1 for one test, with the default catalog.

    Example:
        >>> async def test_it(stigg_emulator):  # doctest: +SKIP
        ...     assert stigg_emulator.url.startswith("http://127.0.0.1:")
    """
    async with Emulator(api_key=STIGG_EMULATOR_API_KEY, clock=stigg_emulator_clock) as emulator:
        yield emulator


@pytest_asyncio.fixture
async def stigg_client(
    stigg_emulator: Emulator, stigg_emulator_clock: FakeClock
) -> AsyncIterator[AsyncStigg]:
    """An open :class:`AsyncStigg` bound to ``stigg_emulator``, closed after the test.

    It shares the emulator's fake clock, so cached data stays fresh and the poller
    waits until the test moves time (``stigg_emulator_clock.advance(...)``).

    Example:
        >>> async def test_upgrade(stigg_client, stigg_emulator):  # doctest: +SKIP
        ...     stigg_emulator.state.provision_customer("c-1")
        ...     stigg_emulator.state.provision_subscription("c-1", "plan-revvenu-basic")
        ...     result = await stigg_client.get_entitlement("c-1", "feature-02-campaigns")
        ...     assert result.is_granted
    """
    async with AsyncStigg(
        api_key=STIGG_EMULATOR_API_KEY, api_url=stigg_emulator.url, clock=stigg_emulator_clock
    ) as client:
        yield client


@pytest.fixture(scope="session")
def stigg_redis_server() -> Iterator[RedisServerProcess]:
    """A real ``redis-server`` on 127.0.0.1 for the test session, stopped by pid after.

    Found on the ``PATH`` or bundled by the ``dev`` extra (see
    :func:`stigg_async._redis._server.find_redis_server`). Use a distinct
    ``SharedCacheOptions(environment=...)`` per test to keep tests apart.

    Example:
        >>> async def test_shared(stigg_redis_server):  # doctest: +SKIP
        ...     options = SharedCacheOptions(redis_url=stigg_redis_server.url)
    """
    with RedisServerProcess() as server:
        yield server
