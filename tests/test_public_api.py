"""The public surface: ``stigg_async.__all__`` is pinned, importable and documented.

Changing the surface is a decision: update ``EXPECTED`` here in the same change.
"""

from __future__ import annotations

import asyncio
import inspect
import re
import sys
from pathlib import Path

import pytest

import stigg_async

PACKAGE = Path(stigg_async.__file__).parent

EXPECTED = [
    "AccessDeniedReason",
    "AddonNotFoundError",
    "AnalyticsStats",
    "AsyncStigg",
    "AutoRechargeSettings",
    "BillingPeriod",
    "BillingPeriodName",
    "CacheState",
    "CachedCreditEntitlement",
    "CachedEntitlement",
    "CancellationAction",
    "CancellationTime",
    "Clock",
    "ConsumeCreditInput",
    "Coupon",
    "CouponNotFoundError",
    "CouponPage",
    "CouponStatusName",
    "CreditBalanceSummary",
    "CreditConsumption",
    "CreditCostEstimation",
    "CreditEntitlement",
    "CreditEntitlementResult",
    "CreditGrant",
    "CreditGrantInput",
    "CreditGrantPage",
    "CreditLedgerEvent",
    "CreditLedgerPage",
    "Customer",
    "CustomerNotFoundError",
    "CustomerPage",
    "DuplicatedEntityNotAllowedError",
    "Entitlement",
    "EntitlementAnalyticsOptions",
    "EntitlementCacheOptions",
    "EntitlementCacheStats",
    "EntitlementCacheStatus",
    "EntitlementListener",
    "EntitlementResetPeriod",
    "EntitlementResult",
    "EntitlementSource",
    "EntitlementsChange",
    "EntitlementsResult",
    "EntitlementsState",
    "Fallback",
    "FeatureEntitlement",
    "FeatureInfo",
    "FeatureNotFoundError",
    "FeatureType",
    "FlushReport",
    "FullQueuePolicy",
    "GraphQLErrorDetail",
    "MeterType",
    "MigrationTime",
    "PaymentCollection",
    "PlanNotFoundError",
    "PrefetchSummary",
    "PromotionPeriod",
    "PromotionalEntitlement",
    "PromotionalEntitlementNotFoundError",
    "PromotionalEntitlementPeriod",
    "ProvisionCustomerInput",
    "ProvisionSubscriptionInput",
    "ProvisionSubscriptionResult",
    "ProvisionSubscriptionStatus",
    "ProvisionedCustomer",
    "ReportUsageInput",
    "RetryPolicy",
    "SharedCacheOptions",
    "SharedCacheRole",
    "SharedCacheStatus",
    "StiggAuthenticationError",
    "StiggClientStateError",
    "StiggConfigurationError",
    "StiggConnectionError",
    "StiggError",
    "StiggGraphQLError",
    "StiggHTTPError",
    "StiggQueueFullError",
    "StiggRateLimitError",
    "StiggResponseError",
    "StiggServerError",
    "StiggTimeoutError",
    "StiggValidationError",
    "Subscription",
    "SubscriptionCancellationTime",
    "SubscriptionNotFoundError",
    "SubscriptionPreview",
    "SubscriptionStatus",
    "SystemClock",
    "UpdateBehavior",
    "UsageCloseReport",
    "UsageEventReportInput",
    "UsageMeasurement",
    "UsagePipelineOptions",
    "UsageStats",
    "UsageUpdateBehavior",
    "__version__",
]


def test_all_is_pinned_and_sorted() -> None:
    """``__all__`` is exactly the expected list, in sorted order."""
    assert stigg_async.__all__ == EXPECTED
    assert sorted(stigg_async.__all__) == stigg_async.__all__


def _documented_alias(name: str) -> bool:
    """A type alias is documented by a ``#:`` comment right above its definition."""
    pattern = re.compile(rf"^{re.escape(name)}\s*[:=]", re.M)
    for path in PACKAGE.rglob("*.py"):
        lines = path.read_text(encoding="utf-8").splitlines()
        for index, text in enumerate(lines):
            if pattern.match(text) and index and lines[index - 1].startswith("#:"):
                return True
    return False


@pytest.mark.parametrize("name", EXPECTED)
def test_every_public_name_is_importable_and_documented(name: str) -> None:
    """``from stigg_async import <name>`` works and the object carries its own docs."""
    namespace: dict[str, object] = {}
    exec(f"from stigg_async import {name}", namespace)
    obj = namespace[name]
    if name == "__version__":
        assert isinstance(obj, str)
        assert re.fullmatch(r"\d+\.\d+\.\d+\S*", obj)
        return
    if inspect.isclass(obj) or inspect.isfunction(obj):
        own = obj.__dict__.get("__doc__") if inspect.isclass(obj) else obj.__doc__
        assert own, f"{name} has no docstring of its own"
        assert own.strip(), f"{name} has an empty docstring"
    else:
        assert _documented_alias(name), f"{name} needs a '#:' comment above its definition"


@pytest.mark.parametrize("module", ["fastapi", "aiohttp", "openfeature"])
def test_integration_surfaces_are_documented(module: str) -> None:
    """Each name an integration module exports is documented."""
    mod = __import__(f"stigg_async.integrations.{module}", fromlist=["__all__"])
    assert mod.__doc__
    for name in mod.__all__:
        obj = getattr(mod, name)
        if inspect.isclass(obj) or inspect.isfunction(obj):
            assert inspect.getdoc(obj), f"{module}.{name}"
        else:
            source = Path(mod.__file__).read_text(encoding="utf-8")
            assert re.search(rf"^#:.*\n{re.escape(name)}\b", source, re.M), f"{module}.{name}"


async def test_importing_installs_no_log_handler() -> None:
    """The library adds no logging handler (a NullHandler at most), on its logger or root."""
    code = (
        "import logging\n"
        "root_before = list(logging.getLogger().handlers)\n"
        "import stigg_async, stigg_async.emulator, stigg_async.testing\n"
        "import stigg_async.integrations.fastapi, stigg_async.integrations.aiohttp\n"
        "import stigg_async.integrations.openfeature\n"
        "assert logging.getLogger().handlers == root_before, logging.getLogger().handlers\n"
        "for name in logging.root.manager.loggerDict:\n"
        "    if name.startswith('stigg_async'):\n"
        "        logger = logging.getLogger(name)\n"
        "        bad = [h for h in logger.handlers if not isinstance(h, logging.NullHandler)]\n"
        "        assert not bad, (name, bad)\n"
        "print('ok')\n"
    )
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-c", code, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    out, err = await proc.communicate()
    assert proc.returncode == 0, err.decode()
    assert out.decode().strip() == "ok"


def test_library_logs_through_the_stigg_async_logger() -> None:
    """Every logger the package logs to is 'stigg_async' or a child of it.

    (Filters the transport adds to gql's loggers to scrub secrets are not loggers of ours.)
    """
    for path in PACKAGE.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        for match in re.finditer(r"=\s*logging\.getLogger\(([^)]*)\)", text):
            argument = match.group(1).strip()
            assert argument in ('"stigg_async"', "__name__") or argument.startswith(
                '"stigg_async.'
            ), f"{path.relative_to(PACKAGE)}: getLogger({argument})"
