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
#: Usage history and archive steps need part B's roots (usageHistoryV2, archiveCustomer);
#: set to True once they are merged.
WITH_PART_B = False

pytestmark = pytest.mark.asyncio


@pytest.fixture(scope="session")
def node_sdk() -> Path:
    """The directory holding node_modules/@stigg/node-server-sdk, installed once."""
    if shutil.which("node") is None or shutil.which("npm") is None:
        pytest.skip("node and npm are needed to run the official Node SDK")
    if not (CACHE / "node_modules" / PACKAGE).is_dir():
        CACHE.mkdir(parents=True, exist_ok=True)
        try:
            proc = subprocess.run(
                ["npm", "install", "--prefix", str(CACHE), PACKAGE, "--no-audit", "--no-fund"],
                capture_output=True,
                text=True,
                timeout=300,
                check=False,
            )
        except subprocess.TimeoutExpired:
            pytest.skip("npm could not reach the registry within 5 minutes")
        if proc.returncode != 0:
            lines = proc.stderr.strip().splitlines() or ["no output"]
            reason = next((line for line in lines if "notarget" in line or "ERR" in line), lines[0])
            pytest.skip(f"npm could not install {PACKAGE}: {reason}")
    return CACHE


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
    assert steps["previewSubscription"] == "ok"
