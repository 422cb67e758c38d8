"""Stigg's official Python client, unmodified, runs its calls against the emulator.

The client (``stigg-api-client-v2``) pins dependency versions this project does not
use, so it lives in its own virtual environment under ``.cache/`` (built once, then
reused, by ``tests/support/official_python.py``) and runs as a subprocess against an
emulator on 127.0.0.1. ``STIGG_OFFICIAL_PYTHON`` may name an interpreter that already has it.
Calls whose root fields the emulator does not serve yet are skipped, detected from
the running emulator's own schema.
"""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import pytest_asyncio

from stigg_async.emulator import Emulator, SystemClock
from tests.support.official_python import official_python as official_python_interpreter

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
JOURNEY = Path(__file__).with_name("official_python_journey.py")
API_KEY = "sk-official-client-test"
RUN_TIMEOUT = 120.0

#: Each call of the official client and the root fields it needs the emulator to serve.
CALLS: dict[str, tuple[str, ...]] = {
    "get_products": ("products",),
    "get_paywall": ("paywall",),
    "get_usage_history_v_2": ("usageHistoryV2",),
    "get_subscriptions": ("subscriptions",),
    "get_active_subscriptions_list": ("getActiveSubscriptions",),
    "get_sdk_configuration": ("sdkConfiguration",),
    "estimate_subscription_update": ("estimateSubscriptionUpdate",),
    "create_subscription": ("createSubscription",),
    "archive_customer": ("archiveCustomer",),
}


@pytest.fixture(scope="session")
def official_python() -> Path:
    """The interpreter that runs the official client."""
    return official_python_interpreter()


@pytest_asyncio.fixture
async def emulator() -> AsyncIterator[Emulator]:
    # The official client is a real program with real timeouts: real time here.
    async with Emulator(api_key=API_KEY, clock=SystemClock()) as emu:
        yield emu


async def _served_roots(emu: Emulator) -> set[str]:
    """The root fields the running emulator serves, from its introspection."""
    query = "{ __schema { queryType { fields { name } } mutationType { fields { name } } } }"
    async with (
        aiohttp.ClientSession() as session,
        session.post(emu.url, json={"query": query}, headers={"X-API-KEY": API_KEY}) as reply,
    ):
        schema = (await reply.json())["data"]["__schema"]
    return {
        field["name"]
        for root in (schema["queryType"], schema["mutationType"])
        for field in root["fields"]
    }


async def _run_journey(python: Path, emu: Emulator, *args: str) -> dict[str, dict[str, Any]]:
    proc = await asyncio.create_subprocess_exec(
        str(python),
        str(JOURNEY),
        emu.url,
        API_KEY,
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    out, err = await asyncio.wait_for(proc.communicate(), RUN_TIMEOUT)
    assert proc.returncode == 0, err.decode()[-2000:]
    lines = [json.loads(line) for line in out.decode().splitlines() if line.strip()]
    return {line["call"]: line for line in lines}


def _check(call: str, summary: Any, emu: Emulator, subscription_id: str) -> None:
    """What each call must have answered, and done to the emulator's state."""
    state = emu.state
    if call == "get_usage_history_v_2":
        assert summary[0][-1] == 4  # the usage reported before the call
    elif call == "get_active_subscriptions_list":
        assert summary == [subscription_id]
    elif call == "estimate_subscription_update":
        assert summary > 0
    elif call == "create_subscription":
        assert summary in {"ACTIVE", "IN_TRIAL"}
        plans = {s.plan.id for s in state.live_subscriptions("customer-official")}
        assert "plan-revvenu-growth" in plans
    elif call == "archive_customer":
        assert summary == "customer-official"
        assert state.customers["customer-official"].archived_at is not None
    elif call == "get_products":
        assert "product-revvenu" in summary
    elif call == "get_paywall":
        assert summary[:1] == ["plan-revvenu-basic"]
    elif call == "get_subscriptions":
        assert subscription_id in summary
    elif call == "get_sdk_configuration":
        assert summary is True


@pytest.mark.parametrize("call", list(CALLS))
async def test_official_python_client_call_succeeds_against_the_emulator(
    call: str, official_python: Path, emulator: Emulator
) -> None:
    """The unmodified official client's call gets a valid answer built from the state."""
    missing = set(CALLS[call]) - await _served_roots(emulator)
    if missing:
        pytest.skip(f"the emulator does not serve {sorted(missing)} yet (needed by {call})")
    from stigg_async.emulator._state import UsageReport

    state = emulator.state
    state.provision_customer("customer-official", payment_method_id="pm_card_visa")
    sub = state.provision_subscription(
        "customer-official", "plan-revvenu-essentials", unit_quantity=5, skip_trial=True
    )
    state.report_usage(UsageReport("customer-official", "feature-02-campaigns", 4))

    results = await _run_journey(
        official_python, emulator, "customer-official", sub.subscription_id, call
    )

    result = results[call]
    assert result["ok"], result
    _check(call, result["summary"], emulator, sub.subscription_id)


#: The official client's calls on the roots of customer administration, imports,
#: promotion groups, coupons, checkout and usage history, run in one journey.
MORE_CALLS = (
    "get_customer_statistics",
    "get_customer_portal_by_ref_id",
    "import_customer",
    "import_customer_bulk",
    "import_subscriptions_bulk",
    "promotion_groups",
    "create_coupon",
    "create_payment_session",
    "get_usage_history",
    "report_entitlement_check_requested",
    "detach_customer_payment_method",
    "unarchive_customer",
)


async def test_official_python_client_administration_calls(
    official_python: Path, emulator: Emulator
) -> None:
    """The official client's administration and history calls work and change the state."""
    from stigg_async.emulator._admin import entitlement_checks
    from stigg_async.emulator._state import UsageReport

    state = emulator.state
    state.provision_customer("customer-official", payment_method_id="pm_card_visa")
    sub = state.provision_subscription(
        "customer-official", "plan-revvenu-essentials", unit_quantity=5, skip_trial=True
    )
    state.report_usage(UsageReport("customer-official", "feature-02-campaigns", 4))

    results = await _run_journey(
        official_python, emulator, "customer-official", sub.subscription_id, *MORE_CALLS
    )

    failures = {call: r["error"] for call, r in results.items() if not r["ok"]}
    assert failures == {}
    summary = {call: r["summary"] for call, r in results.items()}
    assert summary["get_customer_statistics"] == [["PAID", 1.0]]
    assert summary["get_customer_portal_by_ref_id"] == ["plan-revvenu-essentials"]
    assert summary["import_customer"] == "customer-imported"
    assert {"customer-imported", "customer-bulk"} <= set(state.customers)
    assert summary["import_subscriptions_bulk"]
    assert [s.resource_id for s in state.live_subscriptions("customer-official")] == [
        "site-9",
        None,
    ]
    assert summary["promotion_groups"] == [1, 1]
    assert "coupon-official" in state.catalog.coupons
    assert summary["create_payment_session"]
    assert summary["get_usage_history"][-1] == 4
    assert summary["report_entitlement_check_requested"] is True
    assert len(entitlement_checks(state)) == 1
    assert state.customers["customer-official"].payment_method_id is None
    assert summary["unarchive_customer"] == "customer-official"
