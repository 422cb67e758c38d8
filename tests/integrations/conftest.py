"""Fixtures for the web-framework integration tests: a real-time emulator on 127.0.0.1."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import pytest_asyncio

from stigg_async.emulator import Emulator, SystemClock

API_KEY = "sk-integration-secret-4f9d2c"


@pytest_asyncio.fixture
async def emulator() -> AsyncIterator[Emulator]:
    """An emulator on the real clock (the web apps' clients use the real clock too)."""
    async with Emulator(api_key=API_KEY, clock=SystemClock()) as emu:
        emu.state.provision_customer("customer-basic")
        emu.state.provision_subscription("customer-basic", "plan-revvenu-basic")
        yield emu


@pytest.fixture
def client_kwargs(emulator: Emulator) -> dict[str, object]:
    """AsyncStigg keyword arguments pointing at the emulator."""
    return {"api_key": API_KEY, "api_url": emulator.url}
