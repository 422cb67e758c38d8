"""No record the SDK logs, and no error or repr it makes, ever contains the API key."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

import stigg_async
from stigg_async import (
    AsyncStigg,
    RetryPolicy,
    StiggError,
    UsagePipelineOptions,
)
from stigg_async.emulator import Emulator, Fault, SystemClock

GOOD_KEY = "sk-live-logging-secret-5a8e21f0"
WRONG_KEY = "sk-live-wrong-secret-c93d7b44"


class Everything(logging.Handler):
    """Keeps every record, formatted the way a JSON or text log pipeline would see it."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.texts: list[str] = []
        self.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        self.texts.append(self.format(record))
        self.texts.append(repr(record.args))
        self.texts.append(repr(record.__dict__))


@pytest.fixture
def captured() -> Iterator[Everything]:
    handler = Everything()
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        yield handler
    finally:
        root.removeHandler(handler)
        root.setLevel(old_level)


async def test_the_api_key_never_appears_in_logs_errors_or_reprs(captured: Everything) -> None:
    """A session with retries, server errors, auth failures and an outage leaks no key."""
    seen: list[str] = []
    fast = RetryPolicy(max_retries=2, initial_backoff=0.001, max_backoff=0.002)
    async with Emulator(api_key=GOOD_KEY, clock=SystemClock()) as emulator:
        emulator.state.provision_customer("customer-1")
        emulator.state.provision_subscription("customer-1", "plan-revvenu-basic")
        # Failures the SDK retries, then gives up on.
        emulator.faults.add(Fault.http_error(503), operation="GetCustomerByRefId", times=2)
        emulator.faults.add(Fault.http_error(500), operation="GetSubscription")
        emulator.faults.add(
            Fault.graphql_error("ObjectAlreadyBeingUsedByAnotherRequestError"),
            operation="ReportUsage",
            times=1,
        )
        async with AsyncStigg(
            api_key=GOOD_KEY,
            api_url=emulator.url,
            retry=fast,
            usage=UsagePipelineOptions(flush_interval=0.01, max_attempts=2),
        ) as stigg:
            seen.append(repr(stigg))
            seen.append(repr(await stigg.get_customer("customer-1")))
            await stigg.report_usage(
                customer_id="customer-1", feature_id="feature-02-campaigns", value=1
            )
            for call in (
                stigg.get_subscription("no-such-subscription"),
                stigg.get_customer("no-such-customer"),
                stigg.execute("query { nope }"),
            ):
                try:
                    await call
                except StiggError as exc:
                    seen += [str(exc), repr(exc), repr(exc.__cause__)]
            stigg.track_usage("customer-1", "feature-02-campaigns", 1)
            stigg.track_usage("customer-1", "no-such-feature", 1)
            await stigg.flush(timeout=5)
            seen.append(repr(await stigg.get_entitlement("customer-1", "feature-02-campaigns")))
            # An outage: connection refused while the cache and the pipeline keep going.
            await emulator.pause()
            await stigg.refresh_entitlements("customer-1")
            stigg.track_usage("customer-1", "feature-02-campaigns", 1)
            await stigg.flush(timeout=1)
            seen.append(repr(stigg.entitlement_status))
            await emulator.resume()
        seen.append(repr(stigg.usage_stats))

        # A rejected key: the wrong key must not leak either.
        async with AsyncStigg(api_key=WRONG_KEY, api_url=emulator.url, retry=fast) as wrong:
            seen.append(repr(wrong))
            await wrong.get_entitlement("customer-1", "feature-02-campaigns")
            try:
                await wrong.get_customer("customer-1")
            except StiggError as exc:
                seen += [str(exc), repr(exc)]
            seen.append(repr(wrong.entitlement_status))

    everything = "\n".join(captured.texts + seen)
    assert "retry 1 of 2" in everything  # the session really did retry ...
    assert "401" in everything or "Unauthenticated" in everything  # ... and was refused
    assert GOOD_KEY not in everything
    assert WRONG_KEY not in everything


_PACKAGE = Path(stigg_async.__file__).parent
_LOG_CALL = re.compile(r"logger\.(?:debug|info|warning|error|exception|critical)\(\s*f?\"([^\"]*)")


def test_log_messages_do_not_repeat_the_logger_name() -> None:
    """Records already carry the logger's name: a message starting 'stigg_async:' doubles it."""
    offenders = []
    for path in sorted(_PACKAGE.rglob("*.py")):
        relative = path.relative_to(_PACKAGE).as_posix()
        for match in _LOG_CALL.finditer(path.read_text(encoding="utf-8")):
            if match.group(1).startswith("stigg_async"):
                offenders.append(f"{relative}: {match.group(1)}")
    assert offenders == []


def test_the_message_scan_finds_log_calls() -> None:
    """The scan above sees real logging calls (a broken pattern would pass vacuously)."""
    source = (_PACKAGE / "integrations" / "aiohttp.py").read_text(encoding="utf-8")
    assert [m.group(1) for m in _LOG_CALL.finditer(source)]
    assert _LOG_CALL.search('logger.warning(\n    "stigg_async: x"')
