"""A client inherited through a real os.fork(): refused until restarted, then works."""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import Iterator

import pytest

from stigg_async import AsyncStigg, EntitlementCacheOptions, StiggClientStateError
from stigg_async.emulator import EmulatorProcess

KEY = "fork-test-key"
CUSTOMER = "customer-fork"


@pytest.fixture
def emulator_url() -> Iterator[str]:
    """An emulator in its own process, so it keeps serving while this one forks."""
    with EmulatorProcess(api_key=KEY, quiet=True) as emulator:
        yield emulator.url


def _child(client: AsyncStigg, write_fd: int) -> None:
    async def run() -> dict[str, object]:
        report: dict[str, object] = {}
        try:
            await client.get_entitlement(CUSTOMER, "feature-03-custom-domain")
            report["refused"] = False
        except StiggClientStateError as exc:
            report["refused"] = "fork" in str(exc)
        await client.restart_after_fork()
        cached = await client.get_entitlement(CUSTOMER, "feature-02-campaigns")
        report["cached_limit"] = cached.usage_limit
        ack = await client.report_usage(
            customer_id=CUSTOMER, feature_id="feature-02-campaigns", value=1
        )
        report["usage_after_report"] = ack.current_usage
        fresh = await client.refresh_entitlements(CUSTOMER)
        report["refreshed_usage"] = fresh["feature-02-campaigns"].current_usage
        await client.aclose()
        return report

    try:
        result = asyncio.new_event_loop().run_until_complete(run())
    except BaseException as exc:  # report, never let the child run pytest's teardown
        result = {"error": repr(exc)}
    os.write(write_fd, json.dumps(result).encode())
    os._exit(0)


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_forked_child_is_refused_then_restarts_and_works(emulator_url: str) -> None:
    """In the child: a clear error first, then restart_after_fork() gives a working client."""
    client = AsyncStigg(
        api_key=KEY, api_url=emulator_url, entitlements=EntitlementCacheOptions(poll=False)
    )
    loop = asyncio.new_event_loop()

    async def warm() -> None:
        await client.provision_customer(
            customer_id=CUSTOMER, subscription_params={"plan_id": "plan-revvenu-basic"}
        )
        await client.get_entitlement(CUSTOMER, "feature-02-campaigns")

    try:
        loop.run_until_complete(warm())
        read_fd, write_fd = os.pipe()
        pid = os.fork()
        if pid == 0:
            os.close(read_fd)
            _child(client, write_fd)
        os.close(write_fd)
        _, status = os.waitpid(pid, 0)
        with os.fdopen(read_fd) as pipe:
            report = json.loads(pipe.read())
        assert os.WIFEXITED(status)
        assert report == {
            "refused": True,
            "cached_limit": 4.0,
            "usage_after_report": 1.0,
            "refreshed_usage": 1.0,
        }
    finally:
        loop.run_until_complete(client.aclose())
        loop.close()
