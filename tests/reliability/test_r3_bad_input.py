"""R3: bad input to every public method: a typed error, nothing sent, the poller unharmed."""

from __future__ import annotations

import inspect
import math
from collections.abc import AsyncIterator, Callable
from datetime import datetime
from typing import Any

import pytest

from stigg_async import AsyncStigg
from stigg_async._cache import CacheState
from stigg_async._clock import FakeClock
from stigg_async._errors import StiggError, StiggValidationError
from stigg_async.emulator import Emulator
from tests.reliability._support import SECRET_KEY, make_client, seed

C = "customer-000"
F = "feature-02-campaigns"
HUGE = "x" * 1_000_000
NAIVE = datetime(2026, 1, 1)  # no timezone

Case = Callable[[AsyncStigg], Any]

# (id, call). Each must raise StiggValidationError before anything is sent.
CASES: list[tuple[str, Case]] = [
    # entitlement checks
    ("get_entitlement/empty customer", lambda s: s.get_entitlement("", F)),
    ("get_entitlement/blank customer", lambda s: s.get_entitlement("   ", F)),
    ("get_entitlement/None customer", lambda s: s.get_entitlement(None, F)),
    ("get_entitlement/int customer", lambda s: s.get_entitlement(42, F)),
    ("get_entitlement/list customer", lambda s: s.get_entitlement([C], F)),
    ("get_entitlement/empty feature", lambda s: s.get_entitlement(C, "")),
    ("get_entitlement/bytes feature", lambda s: s.get_entitlement(C, b"feature")),
    ("get_entitlement/NaN usage", lambda s: s.get_entitlement(C, F, requested_usage=math.nan)),
    ("get_entitlement/inf usage", lambda s: s.get_entitlement(C, F, requested_usage=math.inf)),
    ("get_entitlement/negative usage", lambda s: s.get_entitlement(C, F, requested_usage=-1)),
    ("get_entitlement/str usage", lambda s: s.get_entitlement(C, F, requested_usage="1")),
    ("get_entitlement/bool usage", lambda s: s.get_entitlement(C, F, requested_usage=True)),
    ("get_entitlement/empty resource", lambda s: s.get_entitlement(C, F, resource_id="")),
    ("peek_entitlement/empty customer", lambda s: s.peek_entitlement("", F)),
    ("peek_entitlement/NaN usage", lambda s: s.peek_entitlement(C, F, requested_usage=math.nan)),
    ("get_entitlements/None customer", lambda s: s.get_entitlements(None)),
    ("refresh_entitlements/dict customer", lambda s: s.refresh_entitlements({"id": C})),
    ("prefetch/one string", lambda s: s.prefetch(C)),
    ("prefetch/ints", lambda s: s.prefetch([1, 2])),
    ("prefetch/triples", lambda s: s.prefetch([(C, None, "x")])),
    ("wait_until_ready/negative", lambda s: s.wait_until_ready(-1)),
    ("wait_until_ready/str", lambda s: s.wait_until_ready("5")),
    # buffered usage
    ("track_usage/empty customer", lambda s: s.track_usage("", F, 1)),
    ("track_usage/None feature", lambda s: s.track_usage(C, None, 1)),
    ("track_usage/NaN value", lambda s: s.track_usage(C, F, math.nan)),
    ("track_usage/inf value", lambda s: s.track_usage(C, F, math.inf)),
    ("track_usage/str value", lambda s: s.track_usage(C, F, "1")),
    ("track_usage/bool value", lambda s: s.track_usage(C, F, True)),
    ("track_usage/unknown behavior", lambda s: s.track_usage(C, F, 1, update_behavior="ADD")),
    ("track_usage/negative SET", lambda s: s.track_usage(C, F, -1, update_behavior="SET")),
    ("track_usage/nested dimensions", lambda s: s.track_usage(C, F, 1, dimensions={"a": {}})),
    ("track_usage/naive created_at", lambda s: s.track_usage(C, F, 1, created_at=NAIVE)),
    ("track_usage/huge customer", lambda s: s.track_usage(HUGE, F, 1)),
    ("track_usage_async/NaN value", lambda s: s.track_usage_async(C, F, math.nan)),
    ("track_event/empty name", lambda s: s.track_event(C, "")),
    ("track_event/list dimensions", lambda s: s.track_event(C, "e", dimensions=[("a", 1)])),
    ("track_event/naive timestamp", lambda s: s.track_event(C, "e", timestamp=NAIVE)),
    ("track_event/int key", lambda s: s.track_event(C, "e", idempotency_key=5)),
    ("track_event_async/None customer", lambda s: s.track_event_async(None, "e")),
    # usage over the network
    ("report_usage/no arguments", lambda s: s.report_usage()),
    (
        "report_usage/NaN value",
        lambda s: s.report_usage(customer_id=C, feature_id=F, value=math.nan),
    ),
    (
        "report_usage/unknown enum",
        lambda s: s.report_usage(customer_id=C, feature_id=F, value=1, update_behavior="MAYBE"),
    ),
    ("report_usage/input and keywords", lambda s: s.report_usage({"customer_id": C}, value=1)),
    ("report_usage/list input", lambda s: s.report_usage([C, F, 1])),
    (
        "report_usage/unknown field",
        lambda s: s.report_usage({"customer_id": C, "feature_id": F, "value": 1, "colour": "red"}),
    ),
    ("report_usage_bulk/empty", lambda s: s.report_usage_bulk([])),
    ("report_usage_bulk/a dict", lambda s: s.report_usage_bulk({"customer_id": C})),
    (
        "report_usage_bulk/bad item",
        lambda s: s.report_usage_bulk([{"customer_id": C, "feature_id": F, "value": "lots"}]),
    ),
    ("report_events/a string", lambda s: s.report_events("user_login")),
    ("report_events/missing name", lambda s: s.report_events([{"customer_id": C}])),
    (
        "create_usage_measurement/inf",
        lambda s: s.create_usage_measurement(customer_id=C, feature_id=F, value=math.inf),
    ),
    ("fetch_entitlement/empty customer", lambda s: s.fetch_entitlement("", F)),
    ("fetch_entitlement/negative usage", lambda s: s.fetch_entitlement(C, F, requested_usage=-5)),
    ("fetch_entitlements_state/int", lambda s: s.fetch_entitlements_state(7)),
    # customers
    ("provision_customer/int id", lambda s: s.provision_customer(customer_id=123)),
    (
        "provision_customer/bad email type",
        lambda s: s.provision_customer(customer_id="c-x", email=["a@b"]),
    ),
    (
        "provision_customer/subscription params shape",
        lambda s: s.provision_customer(customer_id="c-x", subscription_params="plan-revvenu-basic"),
    ),
    ("update_customer/no id", lambda s: s.update_customer(name="Acme")),
    ("get_customer/empty", lambda s: s.get_customer("")),
    ("get_customers/negative first", lambda s: s.get_customers(first=-1)),
    ("get_customers/filter not mapping", lambda s: s.get_customers(filter=["email"])),
    # subscriptions
    ("provision_subscription/no plan", lambda s: s.provision_subscription(customer_id=C)),
    (
        "provision_subscription/unknown period",
        lambda s: s.provision_subscription(
            customer_id=C, plan_id="plan-revvenu-basic", billing_period="FORTNIGHTLY"
        ),
    ),
    (
        "provision_subscription/NaN quantity",
        lambda s: s.provision_subscription(
            customer_id=C, plan_id="plan-revvenu-basic", unit_quantity=math.nan
        ),
    ),
    (
        "provision_subscription/addons shape",
        lambda s: s.provision_subscription(
            customer_id=C, plan_id="plan-revvenu-basic", addons={"addon-10-campaigns": 1}
        ),
    ),
    (
        "initiate_checkout/no urls",
        lambda s: s.initiate_checkout(C, "plan-revvenu-growth", success_url="", cancel_url=""),
    ),
    (
        "create_subscription/None customer",
        lambda s: s.create_subscription(customer_id=None, plan_id="plan-revvenu-basic"),
    ),
    ("update_subscription/no id", lambda s: s.update_subscription(unit_quantity=2)),
    ("cancel_subscription/empty id", lambda s: s.cancel_subscription("")),
    (
        "cancel_subscription/unknown enum",
        lambda s: s.cancel_subscription("sub-1", cancellation_time="YESTERDAY"),
    ),
    ("migrate_subscription_to_latest/int", lambda s: s.migrate_subscription_to_latest(5)),
    ("get_subscription/None", lambda s: s.get_subscription(None)),
    ("get_active_subscriptions/empty", lambda s: s.get_active_subscriptions("")),
    ("estimate_subscription/no plan", lambda s: s.estimate_subscription(customer_id=C)),
    (
        "estimate_subscription_update/no id",
        lambda s: s.estimate_subscription_update(unit_quantity=1),
    ),
    # promotions and coupons
    ("grant_promotional_entitlements/empty", lambda s: s.grant_promotional_entitlements(C, [])),
    (
        "grant_promotional_entitlements/bad period",
        lambda s: s.grant_promotional_entitlements(C, [{"feature_id": F, "period": "FOREVER-ISH"}]),
    ),
    (
        "revoke_promotional_entitlement/empty feature",
        lambda s: s.revoke_promotional_entitlement(C, ""),
    ),
    ("get_coupons/unknown status", lambda s: s.get_coupons(status="SHINY")),
    ("get_coupons/empty id", lambda s: s.get_coupons(coupon_id="")),
    # escape hatch
    ("execute/empty document", lambda s: s.execute("")),
    ("execute/not a string", lambda s: s.execute(b"query { x }")),
]


@pytest.fixture
async def setup() -> AsyncIterator[tuple[AsyncStigg, Emulator]]:
    clock = FakeClock()
    async with Emulator(api_key=SECRET_KEY, clock=clock) as emu:
        seed(emu, 1)
        stigg = make_client(emu.url, clock, entitlements={"poll": True})
        async with stigg:
            await stigg.prefetch([C])
            yield stigg, emu


def test_r3_corpus_is_large() -> None:
    """At least 50 bad inputs, spread over every public method group."""
    assert len(CASES) >= 50
    assert len({name for name, _ in CASES}) == len(CASES)


async def test_r3_bad_inputs_raise_typed_errors_and_send_nothing(setup, ledger) -> None:
    """Every case raises StiggValidationError locally; the emulator sees no request."""
    stigg, emu = setup
    sent_before = emu.counters.total
    wrong: list[str] = []
    for name, case in CASES:
        before = emu.counters.total
        try:
            outcome = case(stigg)
            if inspect.isawaitable(outcome):
                await outcome
        except StiggValidationError as exc:
            ledger.audit(exc)
        except StiggError as exc:
            wrong.append(f"{name}: {type(exc).__name__}: {exc}")
        except Exception as exc:  # an untyped error is a bug in the SDK
            wrong.append(f"{name}: untyped {type(exc).__name__}: {exc}")
        else:
            wrong.append(f"{name}: accepted")
        if emu.counters.total != before:
            wrong.append(f"{name}: sent {emu.counters.total - before} request(s)")
    ledger.cases += len(CASES)
    ledger.lines.append(f"R3 bad input: {len(CASES)} cases, {len(wrong)} not rejected locally")
    assert emu.counters.total == sent_before
    assert stigg.usage_stats.enqueued == 0
    status = stigg.entitlement_status
    assert status.state is CacheState.VALID
    assert stigg._entitlements.is_polling
    assert not wrong, "\n".join(wrong)
