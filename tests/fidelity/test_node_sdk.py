"""Stigg's official Node server SDK (unmodified, from npm) runs its journey against the emulator.

The SDK is installed by this fixture into a cache directory (``.cache/node-sdk``),
never by hand; the test skips, saying why, where node/npm are missing or npm cannot
install the package (no registry, or a registry without its dependencies).
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from stigg_async.emulator import Emulator
from stigg_async.testing import STIGG_EMULATOR_API_KEY

ROOT = Path(__file__).resolve().parents[2]
JOURNEY = Path(__file__).with_name("node_journey.js")
CACHE = ROOT / ".cache" / "node-sdk"
PACKAGE = "@stigg/node-server-sdk"
#: Versions tried in order: the newest, then the newest 3.x, for registries (mirrors)
#: that lack the newest one's dependencies. Both are the unmodified npm package.
VERSIONS = ("latest", "3")
#: The usage history and archive steps (part B's roots: usageHistoryV2, archiveCustomer).
WITH_PART_B = True

pytestmark = pytest.mark.asyncio


@pytest.fixture(scope="session")
def node_sdk() -> Path:
    """The directory holding node_modules/@stigg/node-server-sdk, installed once."""
    if shutil.which("node") is None or shutil.which("npm") is None:
        pytest.skip("node and npm are needed to run the official Node SDK")
    if not (CACHE / "node_modules" / PACKAGE).is_dir():
        CACHE.mkdir(parents=True, exist_ok=True)
        reasons = [_npm_install(f"{PACKAGE}@{version}") for version in VERSIONS]
        if not (CACHE / "node_modules" / PACKAGE).is_dir():
            pytest.skip(f"npm could not install {PACKAGE}: {'; '.join(r for r in reasons if r)}")
    return CACHE


def _npm_install(spec: str) -> str | None:
    """Install ``spec`` into the cache; ``None`` on success, else why it failed."""
    if (CACHE / "node_modules" / PACKAGE).is_dir():
        return None
    try:
        proc = subprocess.run(
            [
                "npm",
                "install",
                "--prefix",
                str(CACHE),
                spec,
                "--no-audit",
                "--no-fund",
                # Fail fast where there is no registry, instead of minutes of retries.
                "--fetch-retries=1",
                "--fetch-timeout=30000",
            ],
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return f"{spec}: npm did not finish within 5 minutes (registry unreachable?)"
    if proc.returncode == 0:
        return None
    lines = proc.stderr.strip().splitlines() or ["no output"]
    return f"{spec}: " + next(
        (line for line in lines if "notarget" in line or "ERR" in line), lines[0]
    )


async def test_node_sdk_journey_succeeds_against_the_emulator(
    node_sdk: Path, stigg_emulator: Emulator
) -> None:
    """Start-up (sdkConfiguration), getProducts, getPaywall, getSubscriptions, preview."""
    stigg_emulator.state.provision_customer("node-customer")
    stigg_emulator.state.provision_subscription("node-customer", "plan-revvenu-basic")
    proc = await asyncio.create_subprocess_exec(
        "node",
        str(JOURNEY),
        stigg_emulator.url.removesuffix("/graphql"),
        STIGG_EMULATOR_API_KEY,
        "1" if WITH_PART_B else "0",
        stigg_emulator.state.now().isoformat(),
        cwd=str(node_sdk),
        env={"NODE_PATH": str(node_sdk / "node_modules"), "PATH": os.environ.get("PATH", "")},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(), timeout=120)
    assert proc.returncode == 0, err.decode()[-2000:]
    steps = json.loads(out.decode().strip().splitlines()[-1])
    assert steps["getProducts"] == 1
    assert steps["getPaywall"][:3] == [
        "plan-revvenu-basic",
        "plan-revvenu-essentials",
        "plan-revvenu-growth",
    ]
    assert steps["getSubscriptions"] >= 1
    preview = steps["previewSubscription"]
    assert preview["recurringInvoice"]["total"] == {"amount": 30, "currency": "USD"}
    if WITH_PART_B:
        assert (steps["getUsageHistoryV2"], steps["archiveCustomer"]) == ("ok", "ok")
        customer = stigg_emulator.state.get_customer("node-customer")
        assert customer is not None
        assert customer.archived_at is not None
    # The SDK's own documents reached the emulator, its start-up query first.
    assert set(stigg_emulator.counters.by_operation) >= {
        "GetSdkConfiguration",
        "GetProducts",
        "GetPaywall",
        "GetSubscriptions",
        "PreviewSubscription",
    }
