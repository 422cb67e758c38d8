"""Docstring examples that need a live client (``# doctest: +SKIP``) run against the emulator.

pytest's ``--doctest-modules`` (in ``make test``) runs the examples that need nothing;
the ones marked ``+SKIP`` use top-level ``await`` and an open client, which doctest
cannot give them. Here each such docstring's examples run as one snippet, with the
module's globals, ``stigg`` (an open ``AsyncStigg``) and ``emulator`` in scope, against
a fresh emulator seeded as for the docs (see ``snippets.py``). Output lines are
illustrative and not compared; an example fails when it raises or makes the SDK log
an error. A docstring whose examples are fragments says why in ``FRAGMENTS``.
"""

from __future__ import annotations

import doctest
import importlib
import pkgutil
from dataclasses import dataclass
from typing import Any

import pytest

import stigg_async
from tests.docs.snippets import run_snippet

#: Docstrings whose examples are not programs, with the reason.
FRAGMENTS = {
    "stigg_async._cache._core.EntitlementCache.restart_after_fork": "needs a forked child",
    "stigg_async._client.AsyncStigg.restart_after_fork": "needs a forked child",
    "stigg_async._cache._stream.StreamSource.forget_after_fork": "needs a forked child",
    "stigg_async._redis._messages.SharedTierStatus": "needs a client sharing Redis",
    "stigg_async._redis._observer.RedisUsageObserver": "internal; needs a Redis tier",
    "stigg_async._redis._source.RedisSource": "internal; needs a Redis tier",
    "stigg_async._redis._tier.RedisTier": "internal; needs a Redis server",
    "stigg_async._client.AsyncStigg.shared_cache_status": (
        "needs a client configured with redis_url (docs/redis.md runs one)"
    ),
    "stigg_async.emulator._pubsub.PubSub": (
        "the emulator's internal hub, shown as a function taking the emulator"
    ),
    "stigg_async.emulator._pubsub.PubSub.publish_credit_balance": (
        "the emulator's internal hub; a one-line call on it"
    ),
    "stigg_async._cache._evaluator.evaluate": "internal; needs a snapshot built by the cache",
    "stigg_async._facade_entitlements._EntitlementMethods.get_entitlement": (
        "calls the reader's own send_campaign()"
    ),
    "stigg_async.integrations.fastapi": "declares routes of an app defined elsewhere",
    "stigg_async.integrations.fastapi.StiggUsageMiddleware": "uses the reader's app",
    "stigg_async.integrations.fastapi.get_stigg": "uses the reader's app",
    "stigg_async.integrations.fastapi.stigg_lifespan": "declares an app",
    "stigg_async.integrations.fastapi.from_header": "declares a route dependency",
    "stigg_async.integrations.fastapi.require_entitlement": "declares a route dependency",
    "stigg_async.integrations.fastapi.track_usage_after": "declares a route dependency",
    "stigg_async.integrations.openfeature.StiggProvider.track": (
        "uses the OpenFeature client of the module example"
    ),
}

#: What an example takes as given (a grant to void, a schedule to cancel), set up
#: through the SDK before it runs, so the example shows only the call it documents.
SETUP = {
    "stigg_async._facade_admin._AdminMethods.detach_customer_payment_method": (
        'emulator.state.set_payment_method("customer-1")\n'
    ),
    "stigg_async._facade_admin._AdminMethods.import_subscriptions_bulk": (
        'await stigg.provision_customer(customer_id="c-1")\n'
    ),
    "stigg_async._facade_admin._AdminMethods.revoke_promotional_entitlements_group": (
        "await stigg.grant_promotional_entitlements_group(\n"
        '    "customer-1", "group-analytics",\n'
        '    [{"feature_id": "feature-04-analytics", "period": "ONE_MONTH"}],\n'
        ")\n"
    ),
    "stigg_async._facade_admin._AdminMethods.unlink_promotional_entitlements_group": (
        "await stigg.grant_promotional_entitlements_group(\n"
        '    "customer-1", "group-analytics",\n'
        '    [{"feature_id": "feature-04-analytics", "period": "ONE_MONTH"}],\n'
        ")\n"
    ),
    "stigg_async._facade_credits._CreditMethods.consume_credits": (
        "await stigg.create_credit_grant(\n"
        '    customer_id="customer-1", currency_id="currency-ai-credits", amount=100,\n'
        '    display_name="Starter pack", grant_type="PAID",\n'
        ")\n"
    ),
    "stigg_async._facade_credits._CreditMethods.void_credit_grant": (
        "grant = await stigg.create_credit_grant(\n"
        '    customer_id="customer-1", currency_id="currency-ai-credits", amount=100,\n'
        '    display_name="Starter pack", grant_type="PAID",\n'
        ")\n"
    ),
    "stigg_async._facade_subscriptions_admin._SubscriptionAdminMethods.cancel_schedule": (
        "await stigg.update_subscription(\n"
        '    {"subscription_id": "subscription-1", "unit_quantity": 8,\n'
        '     "schedule_strategy": "END_OF_BILLING_PERIOD"}\n'
        ")\n"
    ),
    "stigg_async._facade_subscriptions_admin._SubscriptionAdminMethods"
    ".delegate_subscription_to_customer": (
        'await stigg.provision_customer(customer_id="team-member")\n'
    ),
    "stigg_async._facade_subscriptions_admin._SubscriptionAdminMethods.transfer_subscription": (
        "await stigg.provision_subscription(\n"
        '    customer_id="customer-1", plan_id="plan-revvenu-basic", resource_id="site-1"\n'
        ")\n"
    ),
}


@dataclass(frozen=True)
class Example:
    name: str
    code: str
    globs: dict[str, Any]


def skipped_examples() -> list[Example]:
    """Every docstring in the package with a ``+SKIP`` example, its examples as one program."""
    finder = doctest.DocTestFinder()
    modules = [stigg_async]
    for info in pkgutil.walk_packages(stigg_async.__path__, "stigg_async."):
        if not info.name.endswith("__main__"):
            modules.append(importlib.import_module(info.name))
    found: dict[str, Example] = {}
    for module in modules:
        for test in finder.find(module):
            if test.name in found or not any(e.options.get(doctest.SKIP) for e in test.examples):
                continue
            code = "".join(example.source for example in test.examples)
            found[test.name] = Example(test.name, code, dict(test.globs))
    return sorted(found.values(), key=lambda e: e.name)


EXAMPLES = skipped_examples()


def test_the_collector_finds_the_client_examples() -> None:
    """The examples of the facade's methods are found (a broken finder would test nothing)."""
    names = {e.name for e in EXAMPLES}
    assert "stigg_async._facade_customers._CustomerMethods.provision_customer" in names
    assert len(EXAMPLES) > 40
    assert set(FRAGMENTS) <= names, set(FRAGMENTS) - names
    assert set(SETUP) <= names - set(FRAGMENTS), set(SETUP) - names


@pytest.mark.parametrize("example", EXAMPLES, ids=[e.name for e in EXAMPLES])
async def test_docstring_example_runs_against_the_emulator(example: Example) -> None:
    """The docstring's examples run without error (or it says why they cannot)."""
    if example.name in FRAGMENTS:
        pytest.skip(f"fragment: {FRAGMENTS[example.name]}")
    code = SETUP.get(example.name, "") + example.code
    await run_snippet(code, label=example.name, scope=example.globs)
