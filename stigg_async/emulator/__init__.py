"""A local Stigg-compatible GraphQL server for tests, examples and demos.

Like stripe-mock for Stripe: it serves ``POST /graphql`` on 127.0.0.1 with
in-memory customers, subscriptions, entitlements and usage, plus hooks for
resetting state, moving time, counting requests and injecting faults.

Example:
    >>> import asyncio
    >>> from stigg_async.emulator import Emulator, FakeClock
    >>> async def main() -> str:
    ...     async with Emulator(api_key="test-key", clock=FakeClock()) as emu:
    ...         emu.state.provision_customer("customer-1")
    ...         return emu.url.split(":")[0]
    >>> asyncio.run(main())
    'http'
"""

from stigg_async._clock import FakeClock, SystemClock
from stigg_async.emulator._catalog import Catalog, CatalogError, default_catalog_path
from stigg_async.emulator._counters import Counters
from stigg_async.emulator._emulator import Emulator
from stigg_async.emulator._errors import EmulatorError, ErrorCode
from stigg_async.emulator._faults import Fault, FaultInjector, FaultRule
from stigg_async.emulator._process import EmulatorProcess, free_port
from stigg_async.emulator._server import HOOK_PREFIX
from stigg_async.emulator._state import EmulatorState, PaymentOutcome, UsageReport

__all__ = [
    "HOOK_PREFIX",
    "Catalog",
    "CatalogError",
    "Counters",
    "Emulator",
    "EmulatorError",
    "EmulatorProcess",
    "EmulatorState",
    "ErrorCode",
    "FakeClock",
    "Fault",
    "FaultInjector",
    "FaultRule",
    "PaymentOutcome",
    "SystemClock",
    "UsageReport",
    "default_catalog_path",
    "free_port",
]
