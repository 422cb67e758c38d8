"""R7: malformed answers: typed errors, no crash, and the cache keeps its last good data."""

from __future__ import annotations

import asyncio
import json

import pytest

from stigg_async._cache import CacheState, EntitlementSource
from stigg_async._cache._fetcher import BATCH_OPERATION
from stigg_async._clock import FakeClock
from stigg_async._errors import StiggError
from stigg_async.emulator import Emulator, Fault
from tests.reliability._support import SECRET_KEY, drive, make_client, seed

MB = 1024 * 1024
FEATURE = "feature-07-active-users"  # metered, limit 100,000 on growth


def _json(payload: object, status: int = 200) -> Fault:
    return Fault.raw(json.dumps(payload), status=status, content_type="application/json")


#: (id, fault). Each replaces or spoils the answer to one request.
MALFORMED: list[tuple[str, Fault]] = [
    ("truncated JSON", Fault.truncated()),
    ("truncated JSON, 500", Fault.truncated(status=500)),
    ("HTML page 200", Fault.raw("<html><body>Welcome</body></html>")),
    ("HTML page 502", Fault.raw("<html><h1>502 Bad Gateway</h1></html>", status=502)),
    ("HTML error page, several MB", Fault.raw("<html>" + "x" * (4 * MB) + "</html>", status=503)),
    ("empty body", Fault.raw("", content_type="application/json")),
    ("JSON null", _json(None)),
    ("JSON array", _json([1, 2, 3])),
    ("JSON string", _json("ok")),
    ("no data, no errors", _json({"extensions": {}})),
    ("data null", _json({"data": None})),
    ("data is a list", _json({"data": [1]})),
    ("root field missing", _json({"data": {}})),
    ("root field wrong type", _json({"data": {"entitlement": "granted", "c0": "granted"}})),
    (
        "wrong field types",
        _json(
            {
                "data": {
                    "entitlement": {"isGranted": "maybe", "usageLimit": "lots"},
                    "c0": {"accessDeniedReason": 7, "entitlements": "none"},
                }
            }
        ),
    ),
    (
        "missing fields",
        _json({"data": {"entitlement": {}, "c0": {"entitlements": [{"isGranted": True}]}}}),
    ),
    (
        "unknown enum",
        _json({"data": {"c0": {"accessDeniedReason": "Gremlins", "entitlements": []}}}),
    ),
    ("errors not a list", _json({"errors": "boom"})),
    ("errors of wrong shape", _json({"errors": [5, {"message": 7}]})),
    ("huge valid body, several MB", Fault.huge(6 * MB)),
]


@pytest.fixture
async def env():
    clock = FakeClock()
    async with Emulator(api_key=SECRET_KEY, clock=clock) as emu:
        customers = seed(emu, 2)
        stigg = make_client(
            emu.url,
            clock,
            max_retries=1,
            entitlements={"poll": True, "ttl": 60, "poll_interval": 30},
        )
        async with stigg:
            await stigg.prefetch(customers)
            yield stigg, emu, clock, customers


async def _outcome(clock: FakeClock, coro) -> object:
    task = asyncio.ensure_future(coro)
    await drive(clock, task.done)
    try:
        return task.result()
    except Exception as exc:
        return exc


async def test_r7_calls_raise_typed_errors(env, ledger) -> None:
    """Each malformed answer to a direct call gives a StiggError (or a valid result)."""
    stigg, emu, clock, customers = env
    untyped: list[str] = []
    for name, fault in MALFORMED:
        ledger.faults += sum(r.hits for r in emu.faults.rules)
        emu.faults.clear()
        emu.faults.add(fault)  # every attempt, retries included
        for call in (
            lambda: stigg.fetch_entitlement(customers[0], FEATURE, requested_usage=1),
            lambda: stigg.get_customer(customers[0]),
        ):
            result = await _outcome(clock, call())
            if isinstance(result, StiggError):
                ledger.audit(result)
            elif isinstance(result, BaseException):
                untyped.append(f"{name}: {type(result).__name__}: {str(result)[:200]}")
            elif fault.kind != "huge":
                untyped.append(f"{name}: accepted as {type(result).__name__}")
        ledger.cases += 2
    ledger.faults += sum(r.hits for r in emu.faults.rules)
    emu.faults.clear()
    assert not untyped, "\n".join(untyped)
    # Still healthy afterwards.
    ent = await stigg.fetch_entitlement(customers[0], FEATURE, requested_usage=1)
    assert ent.is_granted


async def test_r7_cache_keeps_last_good_snapshot(env, ledger) -> None:
    """A malformed refresh (explicit or by the poller) leaves the previous answers in place."""
    stigg, emu, clock, customers = env
    good = {c: await stigg.get_entitlement(c, FEATURE, requested_usage=1) for c in customers}
    for name, fault in MALFORMED:
        if fault.kind == "huge" or name == "unknown enum":
            # Valid data: a refresh rightly succeeds. An unknown denial reason is
            # taken as a denial (reason Unknown) on purpose: new server enum values
            # must not break old SDKs.
            continue
        ledger.faults += sum(r.hits for r in emu.faults.rules)
        emu.faults.clear()
        emu.faults.add(fault, operation=BATCH_OPERATION)
        refreshed = await _outcome(clock, stigg.refresh_entitlements(customers[0]))
        assert not isinstance(refreshed, BaseException), f"{name}: {refreshed!r}"
        assert refreshed.source is not EntitlementSource.NETWORK, name
        for _ in range(8):  # past one poll interval: the poller tries (and fails) too
            clock.advance(5.0)
            for _ in range(20):
                await asyncio.sleep(0)
        for customer in customers:
            check = await _outcome(
                clock, stigg.get_entitlement(customer, FEATURE, requested_usage=1)
            )
            assert not isinstance(check, BaseException), f"{name}: {check!r}"
            before = good[customer]
            assert check.source in (EntitlementSource.FRESH_CACHE, EntitlementSource.STALE_CACHE), (
                name,
                check.source,
            )
            assert (check.is_granted, check.usage_limit, check.current_usage) == (
                before.is_granted,
                before.usage_limit,
                before.current_usage,
            ), name
        assert stigg._entitlements.is_polling, name
        ledger.cases += 1 + len(customers)
    ledger.faults += sum(r.hits for r in emu.faults.rules)
    emu.faults.clear()
    # The API answers properly again: the poller recovers.
    await drive(clock, lambda: stigg.entitlement_status.state is CacheState.VALID, step=1.0)
    ledger.lines.append(
        "R7 malformed: cache kept its last good data through every malformed refresh"
    )
    ledger.audit(stigg.entitlement_status)
