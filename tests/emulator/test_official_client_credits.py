"""The official Python client's credit calls succeed against the emulator.

The official client (``stigg-api-client-v2``) cannot share a virtualenv with gql
(``tenacity<9`` against ``>=9.1.2``): this test installs it on demand into a cached
virtualenv under ``.cache/`` (``tests/support/official_python.py``, shared with
``tests/fidelity/``) and runs ``scripts/official_client_credits.py`` with it. When pip
cannot install it, the test is skipped, saying why.
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import pytest

from stigg_async.emulator import Emulator, SystemClock
from tests.support.official_python import official_python

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "official_client_credits.py"
KEY = "sk-official-client-5e2d"
CALLS = [
    "createCreditGrant",
    "consumeCredits",
    "consumeCreditsAsync",
    "voidCreditGrant",
    "creditBalanceSummary",
    "creditGrants",
    "creditsLedger",
    "creditUsage",
    "saveAutoRechargeSettings",
    "getAutoRechargeSettings",
    "estimateUsageCost",
    "estimateEventCost",
    "entitlementV2",
    "entitlementsState",
]


@pytest.fixture(scope="session")
def python() -> Path:
    """The interpreter that runs the official client."""
    return official_python()


async def test_official_client_credit_calls_succeed_against_the_emulator(python: Path) -> None:
    """Every credit call of stigg-api-client-v2 parses the emulator's answers."""
    async with Emulator(api_key=KEY, clock=SystemClock()) as emu:
        emu.state.provision_customer("customer-official")
        emu.state.provision_subscription("customer-official", "plan-revvenu-basic")
        env = {**os.environ, "STIGG_API_URL": emu.url, "STIGG_SERVER_API_KEY": KEY}
        proc = await asyncio.create_subprocess_exec(
            str(python),
            str(SCRIPT),
            "customer-official",
            env=env,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        out, err = await asyncio.wait_for(proc.communicate(), 120)
        balance = emu.state.credits.balance("customer-official", "currency-ai-credits")
    lines = out.decode().splitlines()
    assert proc.returncode == 0, out.decode() + err.decode()
    assert [line.split()[1] for line in lines if line.startswith("ok ")] == [
        CALLS[0],
        *CALLS,
    ]
    assert "ok creditBalanceSummary 100.0" in lines
    assert "ok entitlementsState CreditEntitlement,FeatureEntitlement" in lines
    assert balance == 100.0
