"""Every example runs as a subprocess against an emulator on 127.0.0.1; its output is checked.

Each runs twice in a row against the same emulator: a user trying an example again
must not meet ``DuplicatedEntityNotAllowedError``.
"""

from __future__ import annotations

import asyncio
import os
import re
import signal
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
import pytest_asyncio

from stigg_async.emulator import Emulator, SystemClock, free_port

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
API_KEY = "sk-examples-secret-7c1e0b"
RUN_TIMEOUT = 120.0
START_TIMEOUT = 30.0

pytestmark = pytest.mark.slow


@pytest_asyncio.fixture
async def emulator() -> AsyncIterator[Emulator]:
    async with Emulator(api_key=API_KEY, clock=SystemClock()) as emu:
        yield emu


@pytest.fixture
def env(emulator: Emulator) -> dict[str, str]:
    """The environment a deployment would give the examples, pointing at the emulator."""
    return {
        **os.environ,
        "STIGG_API_URL": emulator.url,
        "STIGG_SERVER_API_KEY": API_KEY,
        "PYTHONUNBUFFERED": "1",
    }


async def run_example(name: str, env: dict[str, str]) -> list[str]:
    """Run ``examples/<name>`` to completion and return its stdout lines (exit 0 required)."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        str(EXAMPLES / name),
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(), RUN_TIMEOUT)
    stdout, stderr = out.decode(), err.decode()
    assert proc.returncode == 0, f"{name} failed:\n{stdout}\n{stderr}"
    assert API_KEY not in stdout + stderr
    return stdout.splitlines()


async def run_twice(name: str, env: dict[str, str]) -> list[list[str]]:
    """Run ``examples/<name>`` twice against the same emulator; both runs must succeed."""
    return [await run_example(name, env), await run_example(name, env)]


def line(lines: list[str], pattern: str) -> re.Match[str]:
    """The first line matching ``pattern`` (a regex searched in each line)."""
    for text in lines:
        found = re.search(pattern, text)
        if found:
            return found
    raise AssertionError(f"no line matches {pattern!r} in:\n" + "\n".join(lines))


async def test_quickstart(env: dict[str, str], emulator: Emulator) -> None:
    """The quickstart provisions, meters to the limit, upgrades and gets a checkout URL."""
    for lines in await run_twice("quickstart.py", env):
        check_quickstart(lines, emulator)


def check_quickstart(lines: list[str], emulator: Emulator) -> None:
    customer = line(lines, r"^1\. Provisioned (customer-\w+) on plan-revvenu-basic$").group(1)
    line(lines, r"feature-03-custom-domain|feature-02-campaigns\s+granted\s+usage 0/4")
    line(lines, r"campaign #4 sent, usage now 4$")
    line(lines, r"campaign #5 check\s+denied \(RequestedUsageExceedingLimit\)\s+usage 4/4")
    line(lines, r"^4\. Upgraded to plan-revvenu-essentials: SUCCESS$")
    line(lines, r"campaign check after upgrade\s+granted\s+usage 0/12")
    line(lines, r"^\s+http://127\.0\.0\.1:\d+/checkout/\S+$")
    assert emulator.state.usage_total(customer, "feature-02-campaigns") == 0  # new period plan
    assert [s.plan.id for s in emulator.state.live_subscriptions(customer)] == [
        "plan-revvenu-essentials"
    ]


async def test_usage_reporting(env: dict[str, str], emulator: Emulator) -> None:
    """Tracked usage and events are flushed and the server's totals match what was tracked."""
    for lines in await run_twice("usage_reporting.py", env):
        check_usage_reporting(lines, emulator)


def check_usage_reporting(lines: list[str], emulator: Emulator) -> None:
    customer = line(lines, r"^customer (customer-\w+) on plan-revvenu-basic$").group(1)
    assert "flush: delivered=8 failed=0 may_have_landed=0 pending=0" in lines
    assert "delivered all: True" in lines
    assert "stats: enqueued=8 sent=8 failed=0 may_have_landed=0 dropped=0 pending=0" in lines
    assert "feature-02-campaigns: tracked 3, server 3 -> match" in lines
    assert "feature-01-templates: tracked 2, server 2 -> match" in lines
    assert "feature-07-active-users: tracked 2, server 2 -> match" in lines
    # And the emulator itself agrees.
    assert emulator.state.usage_total(customer, "feature-02-campaigns") == 3
    assert emulator.state.usage_total(customer, "feature-01-templates") == 2
    assert emulator.state.usage_total(customer, "feature-07-active-users") == 2


async def test_checkout(env: dict[str, str], emulator: Emulator) -> None:
    """A paid plan without a payment method gives a checkout URL; paying creates the sub."""
    for lines in await run_twice("checkout.py", env):
        check_checkout(lines, emulator)


def check_checkout(lines: list[str], emulator: Emulator) -> None:
    customer = line(lines, r"^customer (prospect-\w+) has no payment method$").group(1)
    assert "provision plan-revvenu-essentials: PAYMENT_REQUIRED" in lines
    line(lines, rf"^checkout url: {re.escape(emulator.base_url)}/checkout/\S+$")
    assert "active subscriptions before checkout: 0" in lines
    assert "checkout page answered 200: complete" in lines
    assert "active subscriptions after checkout: ['plan-revvenu-essentials']" in lines
    assert "feature-04-analytics: granted" in lines
    assert [s.plan.id for s in emulator.state.live_subscriptions(customer)] == [
        "plan-revvenu-essentials"
    ]


async def test_credits(env: dict[str, str], emulator: Emulator) -> None:
    """Grant, check, consume, recharge and ledger; twice in a row against one emulator."""
    for _ in range(2):
        lines = await run_example("credits.py", env)
        customer = line(lines, r"^1\. Provisioned (customer-credits-\w+)$").group(1)
        assert "2. Granted 100 paid + 20 promotional: balance 120" in lines
        assert "3. 10 generations cost 20 credits: granted" in lines
        assert "4. Consumed 20 credits, balance 100" in lines
        assert "5. Consumed 60 more: recharged to 150 (spent $1.10 this month)" in lines
        assert "6. Consuming 1000 refused: EntitlementLimitExceededError" in lines
        assert "   sum 150 = balance 150" in lines
        assert emulator.state.credits.balance(customer, "currency-ai-credits") == 150


async def test_outage() -> None:
    """During an outage checks answer from stale data; after it the cache recovers."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("STIGG_")}
    for lines in await run_twice("outage.py", env):
        check_outage(lines)


def check_outage(lines: list[str]) -> None:
    line(lines, r"^1\. API up\s+granted\s+source=network\s+valid$")
    line(lines, r"^2\. API down, 100 checks\s+granted\s+source=stale_cache\s+interrupted$")
    line(lines, r"last error: StiggConnectionError")
    line(lines, r"data age: 600s$")
    line(lines, r"^3\. API back\s+granted\s+source=(fresh_cache|network)\s+valid$")


async def test_openfeature_app(env: dict[str, str], emulator: Emulator) -> None:
    """The OpenFeature example: async and sync flags, numbers, objects, track."""
    for lines in await run_twice("openfeature_app.py", env):
        customer = line(lines, r"^customer (of-customer-\w+) on plan-revvenu-basic$").group(1)
        assert "feature-02-campaigns: True (reason TARGETING_MATCH)" in lines
        assert "feature-02-campaigns again: True (reason CACHED)" in lines
        assert "feature-04-analytics: False (NoFeatureEntitlementInSubscription)" in lines
        assert "campaigns left: 4" in lines
        assert "campaigns left after 3: 1" in lines
        assert "room for 5 more: False" in lines
        assert "entitlement: limit 4.0, used 3.0" in lines
        assert emulator.state.usage_total(customer, "feature-02-campaigns") == 3


async def serve_example(name: str, env: dict[str, str]) -> tuple[asyncio.subprocess.Process, str]:
    """Start a web example on a free port; return it once /healthz answers."""
    port = free_port()
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        str(EXAMPLES / name),
        "--port",
        str(port),
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    assert proc.stdout is not None
    first = await asyncio.wait_for(proc.stdout.readline(), START_TIMEOUT)
    base = f"http://127.0.0.1:{port}"
    assert first.decode().strip().endswith(f"example on {base}")
    loop = asyncio.get_running_loop()
    deadline = loop.time() + START_TIMEOUT
    async with httpx.AsyncClient(base_url=base) as http:
        while True:  # poll for readiness; uvicorn/aiohttp need a moment to bind
            try:
                if (await http.get("/healthz")).status_code == 200:
                    return proc, base
            except httpx.TransportError:
                pass
            assert proc.returncode is None, "the example exited before serving"
            assert loop.time() < deadline, f"{name} did not start serving"
            await asyncio.sleep(0.05)


async def stop_example(proc: asyncio.subprocess.Process) -> tuple[str, str]:
    """Stop a web example the way a process manager would (SIGTERM); return its output."""
    proc.send_signal(signal.SIGTERM)
    out, err = await asyncio.wait_for(proc.communicate(), RUN_TIMEOUT)
    # uvicorn re-raises the signal after its graceful shutdown; aiohttp exits with 0.
    assert proc.returncode in (0, -signal.SIGTERM), err.decode()
    return out.decode(), err.decode()


async def exercise_web_example(
    name: str, env: dict[str, str], emulator: Emulator, customer: str
) -> None:
    proc, base = await serve_example(name, env)
    try:
        async with httpx.AsyncClient(base_url=base) as http:
            for _ in range(2):  # signing up again answers the same, never a 500
                signup = await http.post(f"/signup/{customer}")
                assert signup.json() == {"customer_id": customer, "plan": "plan-revvenu-basic"}

            denied = await http.get(f"/customers/{customer}/analytics")
            assert denied.status_code == 403
            body = denied.json()
            body = body.get("detail", body)  # FastAPI nests HTTPException bodies in "detail"
            assert body["error"] == "entitlement_denied"
            assert body["feature_id"] == "feature-04-analytics"
            assert body["access_denied_reason"] == "NoFeatureEntitlementInSubscription"

            for _ in range(4):  # the free plan's monthly campaign limit
                sent = await http.post(f"/customers/{customer}/campaigns")
                assert sent.status_code == 200
                assert sent.json()["sent"] is True
            # Usage is reported in the background after each response; wait until the
            # acknowledgements have reached the app's cache.
            loop = asyncio.get_running_loop()
            deadline = loop.time() + 30
            while (await http.get(f"/customers/{customer}/quota")).json()["used"] != 4:
                assert loop.time() < deadline, "usage never reached the app's cache"
                await asyncio.sleep(0.05)

            over = await http.post(f"/customers/{customer}/campaigns")
            assert over.status_code == 403
            body = over.json()
            body = body.get("detail", body)
            assert body["access_denied_reason"] == "RequestedUsageExceedingLimit"
            assert (body["current_usage"], body["usage_limit"]) == (4, 4)
    finally:
        stdout, stderr = await stop_example(proc)
    # The graceful shutdown ran the app's own shutdown code with the client still open.
    assert "shutting down; usage sent so far: 4" in stdout.splitlines()
    assert "Traceback" not in stderr
    assert API_KEY not in stderr
    assert emulator.state.usage_total(customer, "feature-02-campaigns") == 4


async def test_fastapi_app(env: dict[str, str], emulator: Emulator) -> None:
    """The FastAPI example under uvicorn: granted, denied 403 JSON, metered to the limit."""
    for run in ("first", "second"):
        await exercise_web_example("fastapi_app.py", env, emulator, f"web-customer-{run}")


async def test_aiohttp_app(env: dict[str, str], emulator: Emulator) -> None:
    """The aiohttp example: granted, denied 403 JSON, metered to the limit."""
    for run in ("first", "second"):
        await exercise_web_example("aiohttp_app.py", env, emulator, f"web-customer-{run}")
