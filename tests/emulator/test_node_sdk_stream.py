"""Stigg's own Node SDK streams from the emulator (``realtimeUpdatesEnabled: true``)."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from stigg_async.emulator import Emulator
from tests.fidelity.test_node_sdk import node_sdk  # noqa: F401 - the shared install fixture

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = Path(__file__).resolve().parent / "node" / "stream_journey.js"
KEY = "node-stream-key"


async def test_node_sdk_sees_usage_and_grants_through_the_stream_without_requests(
    node_sdk: Path,  # noqa: F811 - installs the SDK once (or skips, saying why)
) -> None:
    """Usage reported and a promotion granted by another client reach the Node SDK's cache."""
    package = node_sdk / "node_modules" / "@stigg" / "node-server-sdk"
    async with Emulator(api_key=KEY) as emu:
        emu.state.provision_customer("c-1")
        emu.state.provision_subscription("c-1", "plan-revvenu-basic")
        process = await asyncio.create_subprocess_exec(
            "node", str(SCRIPT), str(package), emu.base_url, KEY,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
        out, err = await asyncio.wait_for(process.communicate(), 60)
        assert process.returncode == 0, err.decode()[-2000:]
    report = json.loads(out.decode().strip().splitlines()[-1])
    assert report["firstUsage"] == 0
    assert report["afterUsage"] == 2
    assert report["promoGranted"] is True
    assert report["requestsByNode"] == 0  # answered from its cache, kept current by pushes
    assert report["stream"]["connections"] == 1
    assert report["stream"]["messages"] >= 2
