"""R3: bad input to every public method: a typed error, nothing sent, the poller unharmed."""

from __future__ import annotations

import asyncio
import inspect
import math
from collections.abc import AsyncIterator, Callable
from datetime import datetime, timezone
from typing import Any

import pytest

from stigg_async import (
    AsyncStigg,
    EntitlementCacheOptions,
    Fallback,
    RetryPolicy,
    StiggConfigurationError,
    UsagePipelineOptions,
)
from stigg_async._cache import CacheState
from stigg_async._clock import FakeClock
from stigg_async._errors import StiggError, StiggValidationError
from stigg_async.emulator import Emulator
from tests.reliability._support import SECRET_KEY, make_client, seed

C = "customer-000"
F = "feature-02-campaigns"
CUR = "currency-ai-credits"
HUGE = "x" * 1_000_000
NAIVE = datetime(2026, 1, 1)  # no timezone
UTC = timezone.utc

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
    ("consume/empty customer", lambda s: s.consume("", F)),
    ("consume/None feature", lambda s: s.consume(C, None)),
    ("consume/zero amount", lambda s: s.consume(C, F, 0)),
    ("consume/negative amount", lambda s: s.consume(C, F, -1)),
    ("consume/NaN amount", lambda s: s.consume(C, F, math.nan)),
    ("consume/huge amount", lambda s: s.consume(C, F, 10**400)),
    ("consume/bool amount", lambda s: s.consume(C, F, True)),
    ("consume/str amount", lambda s: s.consume(C, F, "1")),
    ("consume/blank resource", lambda s: s.consume(C, F, resource_id=" ")),
    ("get_credit_entitlement/empty customer", lambda s: s.get_credit_entitlement("", CUR)),
    ("get_credit_entitlement/None currency", lambda s: s.get_credit_entitlement(C, None)),
    ("get_credit_entitlement/int currency", lambda s: s.get_credit_entitlement(C, 7)),
    (
        "get_credit_entitlement/negative amount",
        lambda s: s.get_credit_entitlement(C, CUR, requested_amount=-1),
    ),
    (
        "get_credit_entitlement/NaN amount",
        lambda s: s.get_credit_entitlement(C, CUR, requested_amount=math.nan),
    ),
    (
        "get_credit_entitlement/huge amount",
        lambda s: s.get_credit_entitlement(C, CUR, requested_amount=10**400),
    ),
    (
        "get_credit_entitlement/blank resource",
        lambda s: s.get_credit_entitlement(C, CUR, resource_id=" "),
    ),
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
    ("track_credits/zero amount", lambda s: s.track_credits(C, CUR, 0)),
    ("track_credits/negative amount", lambda s: s.track_credits(C, CUR, -2)),
    ("track_credits/NaN amount", lambda s: s.track_credits(C, CUR, math.nan)),
    ("track_credits/bool amount", lambda s: s.track_credits(C, CUR, True)),
    ("track_credits/str amount", lambda s: s.track_credits(C, CUR, "3")),
    ("track_credits/10**400 amount", lambda s: s.track_credits(C, CUR, 10**400)),
    ("track_credits/None currency", lambda s: s.track_credits(C, None, 1)),
    ("track_credits/list dimensions", lambda s: s.track_credits(C, CUR, 1, dimensions=[1])),
    ("track_credits/naive created_at", lambda s: s.track_credits(C, CUR, 1, created_at=NAIVE)),
    ("track_credits_async/inf amount", lambda s: s.track_credits_async(C, CUR, math.inf)),
    ("track_credits_async/empty customer", lambda s: s.track_credits_async("", CUR, 1)),
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


# -- issue 11: one id rule, amounts in range, timeouts, options, for every method ------

#: Ids every method must refuse (the same rule everywhere).
BAD_IDS: list[tuple[str, Any]] = [
    ("NUL", "cust\x00omer"),
    ("lone surrogate", "cust\ud800omer"),
    ("zero-width space", "cust\u200bomer"),
    ("1 MB", HUGE),
    ("whitespace", " \t "),
    ("newline", "customer\n"),
]

#: Methods taking an id, as (name, call with that id in the id position).
ID_METHODS: list[tuple[str, Callable[[AsyncStigg, Any], Any]]] = [
    ("get_entitlement(customer)", lambda s, v: s.get_entitlement(v, F)),
    ("get_entitlement(feature)", lambda s, v: s.get_entitlement(C, v)),
    ("get_entitlement(resource)", lambda s, v: s.get_entitlement(C, F, resource_id=v)),
    ("peek_entitlement(customer)", lambda s, v: s.peek_entitlement(v, F)),
    ("peek_entitlement(feature)", lambda s, v: s.peek_entitlement(C, v)),
    ("get_entitlements", lambda s, v: s.get_entitlements(v)),
    ("refresh_entitlements", lambda s, v: s.refresh_entitlements(v)),
    ("prefetch", lambda s, v: s.prefetch([v])),
    ("track_usage", lambda s, v: s.track_usage(v, F, 1)),
    ("track_usage(key)", lambda s, v: s.track_usage(C, F, 1, idempotency_key=v)),
    ("track_event", lambda s, v: s.track_event(C, v)),
    ("track_credits(currency)", lambda s, v: s.track_credits(C, v, 1)),
    ("track_credits(key)", lambda s, v: s.track_credits(C, CUR, 1, idempotency_key=v)),
    ("report_usage", lambda s, v: s.report_usage(customer_id=v, feature_id=F, value=1)),
    (
        "report_usage_bulk",
        lambda s, v: s.report_usage_bulk([{"customer_id": C, "feature_id": v, "value": 1}]),
    ),
    ("report_events", lambda s, v: s.report_events([{"customer_id": v, "event_name": "e"}])),
    ("fetch_entitlement", lambda s, v: s.fetch_entitlement(v, F)),
    ("fetch_entitlements_state", lambda s, v: s.fetch_entitlements_state(v)),
    ("get_customer", lambda s, v: s.get_customer(v)),
    ("provision_customer", lambda s, v: s.provision_customer(customer_id=v)),
    ("update_customer", lambda s, v: s.update_customer(customer_id=v, name="x")),
    ("get_subscription", lambda s, v: s.get_subscription(v)),
    ("cancel_subscription", lambda s, v: s.cancel_subscription(v)),
    ("get_active_subscriptions", lambda s, v: s.get_active_subscriptions(v)),
    ("migrate_subscription_to_latest", lambda s, v: s.migrate_subscription_to_latest(v)),
    ("revoke_promotional_entitlement", lambda s, v: s.revoke_promotional_entitlement(C, v)),
    ("get_coupons(coupon_id)", lambda s, v: s.get_coupons(coupon_id=v)),
]


def _bound(call: Callable[[AsyncStigg, Any], Any], value: Any) -> Case:
    return lambda s: call(s, value)


CASES += [
    (f"{method}/{label} id", _bound(call, value))
    for method, call in ID_METHODS
    for label, value in BAD_IDS
]

BIG = 10**400
COLD = "customer-not-cached"
CASES += [
    # A customer not cached yet: the full check runs (the warm path's own range test
    # is pinned by tests/test_validation.py).
    ("get_entitlement/10**400 usage", lambda s: s.get_entitlement(COLD, F, requested_usage=BIG)),
    ("get_entitlement/1e300 usage", lambda s: s.get_entitlement(COLD, F, requested_usage=1e300)),
    ("peek_entitlement/10**400 usage", lambda s: s.peek_entitlement(C, F, requested_usage=BIG)),
    ("peek_entitlement/bool usage", lambda s: s.peek_entitlement(C, F, requested_usage=False)),
    ("track_usage/10**400 value", lambda s: s.track_usage(C, F, BIG)),
    ("track_usage/-10**400 value", lambda s: s.track_usage(C, F, -BIG)),
    ("track_usage/1e300 value", lambda s: s.track_usage(C, F, 1e300)),
    ("track_usage_async/10**400", lambda s: s.track_usage_async(C, F, BIG)),
    ("report_usage/10**400", lambda s: s.report_usage(customer_id=C, feature_id=F, value=BIG)),
    ("report_usage/bool value", lambda s: s.report_usage(customer_id=C, feature_id=F, value=True)),
    (
        "report_usage_bulk/10**400",
        lambda s: s.report_usage_bulk([{"customer_id": C, "feature_id": F, "value": BIG}]),
    ),
    (
        "create_usage_measurement/10**400",
        lambda s: s.create_usage_measurement(customer_id=C, feature_id=F, value=BIG),
    ),
    ("fetch_entitlement/10**400 usage", lambda s: s.fetch_entitlement(C, F, requested_usage=BIG)),
    (
        "provision_subscription/10**400 quantity",
        lambda s: s.provision_subscription(
            customer_id=C, plan_id="plan-revvenu-basic", unit_quantity=BIG
        ),
    ),
    ("flush/NaN timeout", lambda s: s.flush(timeout=math.nan)),
    ("flush/str timeout", lambda s: s.flush(timeout="x")),
    ("flush/negative timeout", lambda s: s.flush(timeout=-1)),
    ("flush/10**400 timeout", lambda s: s.flush(timeout=BIG)),
    ("aclose/NaN timeout", lambda s: s.aclose(timeout=math.nan)),
    ("aclose/str timeout", lambda s: s.aclose(timeout="5")),
    ("aclose/inf timeout", lambda s: s.aclose(timeout=math.inf)),
    ("wait_until_ready/NaN", lambda s: s.wait_until_ready(math.nan)),
    ("wait_until_ready/inf", lambda s: s.wait_until_ready(math.inf)),
    ("prefetch/int", lambda s: s.prefetch(5)),
    ("prefetch/None", lambda s: s.prefetch(None)),
    ("prefetch/mapping", lambda s: s.prefetch({C: None})),
    ("prefetch/bytes", lambda s: s.prefetch(b"customer")),
    ("execute/str variables", lambda s: s.execute("query Q { x }", "notadict")),
    ("execute/list variables", lambda s: s.execute("query Q { x }", [1])),
    ("execute/int keys", lambda s: s.execute("query Q { x }", {1: 2})),
    ("execute/empty name", lambda s: s.execute("query Q { x }", operation_name="")),
    ("execute/str retry", lambda s: s.execute("query Q { x }", retry="yes")),
    ("add_entitlement_listener/not callable", lambda s: s.add_entitlement_listener("print")),
    (
        "cancel_subscription/unknown time names the argument",
        lambda s: s.cancel_subscription("sub-1", cancellation_time="NEVER"),
    ),
    ("get_customers/huge first", lambda s: s.get_customers(first=BIG)),
    ("get_coupons/bool first", lambda s: s.get_coupons(first=True)),
]

# -- methods added with the catalog, subscription admin, paging, admin, usage history
#    and credits: wrong types, blank ids, bad amounts, bad page sizes ----------------
PLAN = "plan-revvenu-basic"
SUB = "subscription-1"
CASES += [
    # catalog
    ("get_paywall/int product", lambda s: s.get_paywall(product_id=5)),
    ("get_paywall/bad country", lambda s: s.get_paywall(billing_country_code="Denmark")),
    ("get_paywall/str flag", lambda s: s.get_paywall(include_hidden_plans="yes")),
    ("get_mock_paywall/blank product", lambda s: s.get_mock_paywall(product_id="  ")),
    ("get_mock_paywall/list input", lambda s: s.get_mock_paywall([PLAN])),
    ("get_products/zero first", lambda s: s.get_products(first=0)),
    ("get_products/filter not mapping", lambda s: s.get_products(filter="product-1")),
    ("iter_products/zero page size", lambda s: s.iter_products(page_size=0)),
    ("iter_products/huge page size", lambda s: s.iter_products(page_size=10**6)),
    ("iter_products/str page size", lambda s: s.iter_products(page_size="50")),
    # subscription administration
    ("get_subscriptions/negative first", lambda s: s.get_subscriptions(first=-1)),
    ("get_subscriptions/filter not mapping", lambda s: s.get_subscriptions(filter=[SUB])),
    ("iter_subscriptions/zero page size", lambda s: s.iter_subscriptions(page_size=0)),
    ("iter_subscriptions/bool page size", lambda s: s.iter_subscriptions(page_size=True)),
    ("preview_next_invoice/empty id", lambda s: s.preview_next_invoice("")),
    ("preview_next_invoice/int id", lambda s: s.preview_next_invoice(7)),
    ("preview_subscription/no plan", lambda s: s.preview_subscription(customer_id=C)),
    (
        "preview_subscription/NaN quantity",
        lambda s: s.preview_subscription(customer_id=C, plan_id=PLAN, unit_quantity=math.nan),
    ),
    (
        "preview_subscription/word start",
        lambda s: s.preview_subscription(customer_id=C, plan_id=PLAN, start_date="tomorrow"),
    ),
    ("apply_subscription/no plan", lambda s: s.apply_subscription(customer_id=C)),
    (
        "apply_subscription/unknown period",
        lambda s: s.apply_subscription(customer_id=C, plan_id=PLAN, billing_period="DAILY"),
    ),
    (
        "apply_subscription/str skip_trial",
        lambda s: s.apply_subscription(customer_id=C, plan_id=PLAN, skip_trial="no"),
    ),
    ("cancel_schedule/blank id", lambda s: s.cancel_schedule(" ")),
    ("cancel_schedule/unknown status", lambda s: s.cancel_schedule(SUB, status="SOMEDAY")),
    (
        "transfer_subscription/empty source",
        lambda s: s.transfer_subscription(C, source_resource_id="", destination_resource_id="r"),
    ),
    (
        "transfer_subscription/None customer",
        lambda s: s.transfer_subscription(
            None, source_resource_id="r-1", destination_resource_id="r-2"
        ),
    ),
    (
        "transfer_subscription_to_resource/int resource",
        lambda s: s.transfer_subscription_to_resource(SUB, destination_resource_id=2),
    ),
    (
        "transfer_subscription_to_resource/empty id",
        lambda s: s.transfer_subscription_to_resource("", destination_resource_id="r-2"),
    ),
    (
        "delegate_subscription_to_customer/blank destination",
        lambda s: s.delegate_subscription_to_customer(SUB, destination_customer_id="\t"),
    ),
    (
        "delegate_subscription_to_customer/list id",
        lambda s: s.delegate_subscription_to_customer([SUB], destination_customer_id=C),
    ),
    # paging iterators
    ("iter_customers/zero page size", lambda s: s.iter_customers(page_size=0)),
    ("iter_customers/float page size", lambda s: s.iter_customers(page_size=2.5)),
    ("iter_customers/huge page size", lambda s: s.iter_customers(page_size=BIG)),
    ("iter_coupons/negative page size", lambda s: s.iter_coupons(page_size=-1)),
    ("iter_coupons/None page size", lambda s: s.iter_coupons(page_size=None)),
    # customer and coupon administration
    ("archive_customer/empty id", lambda s: s.archive_customer("")),
    ("archive_customer/int id", lambda s: s.archive_customer(1)),
    ("unarchive_customer/None id", lambda s: s.unarchive_customer(None)),
    ("detach_customer_payment_method/blank id", lambda s: s.detach_customer_payment_method(" ")),
    ("get_customer_portal/empty id", lambda s: s.get_customer_portal("")),
    ("get_customer_portal/int product", lambda s: s.get_customer_portal(C, product_id=3)),
    ("import_one_customer/no id", lambda s: s.import_one_customer(name="Acme")),
    (
        "import_one_customer/word updated_at",
        lambda s: s.import_one_customer(customer_id="c-x", updated_at="recently"),
    ),
    ("import_customers_bulk/empty", lambda s: s.import_customers_bulk([])),
    ("import_customers_bulk/a string", lambda s: s.import_customers_bulk("c-1")),
    (
        "import_customers_bulk/bad item",
        lambda s: s.import_customers_bulk([{"customer_id": "", "email": "a@b"}]),
    ),
    ("import_subscriptions_bulk/empty", lambda s: s.import_subscriptions_bulk([])),
    (
        "import_subscriptions_bulk/no plan",
        lambda s: s.import_subscriptions_bulk([{"customer_id": C}]),
    ),
    (
        "import_subscriptions_bulk/int integration",
        lambda s: s.import_subscriptions_bulk(
            [{"customer_id": C, "plan_id": PLAN}], integration_id=5
        ),
    ),
    (
        "grant_promotional_entitlements_group/empty list",
        lambda s: s.grant_promotional_entitlements_group(C, "group-analytics", []),
    ),
    (
        "grant_promotional_entitlements_group/blank group",
        lambda s: s.grant_promotional_entitlements_group(
            C, " ", [{"feature_id": F, "period": "ONE_MONTH"}]
        ),
    ),
    (
        "grant_promotional_entitlements_group/bad period",
        lambda s: s.grant_promotional_entitlements_group(
            C, "group-analytics", [{"feature_id": F, "period": "SOMETIME"}]
        ),
    ),
    (
        "revoke_promotional_entitlements_group/empty group",
        lambda s: s.revoke_promotional_entitlements_group(C, ""),
    ),
    (
        "revoke_promotional_entitlements_group/None customer",
        lambda s: s.revoke_promotional_entitlements_group(None, "group-analytics"),
    ),
    (
        "unlink_promotional_entitlements_group/int group",
        lambda s: s.unlink_promotional_entitlements_group(C, 9),
    ),
    ("create_coupon/no id", lambda s: s.create_coupon(name="Ten off", percent_off=10)),
    (
        "create_coupon/NaN percent",
        lambda s: s.create_coupon(ref_id="coupon-x", name="x", percent_off=math.nan),
    ),
    (
        "create_coupon/unknown type",
        lambda s: s.create_coupon(ref_id="coupon-x", name="x", percent_off=5, type="HALF"),
    ),
    ("create_payment_session/empty plan", lambda s: s.create_payment_session(C, "")),
    (
        "create_payment_session/bad country",
        lambda s: s.create_payment_session(C, PLAN, billing_country_code="Neverland"),
    ),
    ("get_checkout_state/None plan", lambda s: s.get_checkout_state(C, None)),
    ("get_checkout_state/blank customer", lambda s: s.get_checkout_state(" ", PLAN)),
    # usage history and reported checks
    ("get_usage_history/None start", lambda s: s.get_usage_history(C, F, start_date=None)),
    ("get_usage_history/str start", lambda s: s.get_usage_history(C, F, start_date="last week")),
    (
        "get_usage_history/empty feature",
        lambda s: s.get_usage_history(C, "", start_date=datetime(2026, 1, 1, tzinfo=UTC)),
    ),
    (
        "get_usage_history_v2/zero first",
        lambda s: s.get_usage_history_v2(
            C, F, start_date=datetime(2026, 1, 1, tzinfo=UTC), first=0
        ),
    ),
    (
        "get_usage_history_v2/group_by string",
        lambda s: s.get_usage_history_v2(
            C, F, start_date=datetime(2026, 1, 1, tzinfo=UTC), group_by="region"
        ),
    ),
    (
        "report_entitlement_check/empty customer",
        lambda s: s.report_entitlement_check("", F, {"has_access": True}),
    ),
    (
        "report_entitlement_check/NaN usage",
        lambda s: s.report_entitlement_check(C, F, {"has_access": True}, requested_usage=math.nan),
    ),
    (
        "report_entitlement_check/str result",
        lambda s: s.report_entitlement_check(C, F, "granted"),
    ),
    # credits
    ("get_credit_balance_summary/empty customer", lambda s: s.get_credit_balance_summary("")),
    (
        "get_credit_balance_summary/int currency",
        lambda s: s.get_credit_balance_summary(C, currency_id=1),
    ),
    ("get_credit_usage/unknown range", lambda s: s.get_credit_usage(C, time_range="LAST_EON")),
    ("get_credit_usage/word start", lambda s: s.get_credit_usage(C, start_date="yesterday")),
    ("get_credit_grants/zero first", lambda s: s.get_credit_grants(C, first=0)),
    ("get_credit_grants/None customer", lambda s: s.get_credit_grants(None)),
    ("iter_credit_grants/zero page size", lambda s: s.iter_credit_grants(C, page_size=0)),
    ("iter_credit_grants/huge page size", lambda s: s.iter_credit_grants(C, page_size=10**6)),
    ("iter_credit_grants/blank customer", lambda s: s.iter_credit_grants(" ")),
    (
        "create_credit_grant/negative amount",
        lambda s: s.create_credit_grant(
            customer_id=C, currency_id=CUR, amount=-5, display_name="x", grant_type="PAID"
        ),
    ),
    (
        "create_credit_grant/NaN amount",
        lambda s: s.create_credit_grant(
            customer_id=C, currency_id=CUR, amount=math.nan, display_name="x", grant_type="PAID"
        ),
    ),
    (
        "create_credit_grant/10**400 amount",
        lambda s: s.create_credit_grant(
            customer_id=C, currency_id=CUR, amount=BIG, display_name="x", grant_type="PAID"
        ),
    ),
    (
        "create_credit_grant/unknown type",
        lambda s: s.create_credit_grant(
            customer_id=C, currency_id=CUR, amount=5, display_name="x", grant_type="FREE"
        ),
    ),
    (
        "create_credit_grant/word expiry",
        lambda s: s.create_credit_grant(
            customer_id=C,
            currency_id=CUR,
            amount=5,
            display_name="x",
            grant_type="PAID",
            expire_at="never",
        ),
    ),
    ("void_credit_grant/empty id", lambda s: s.void_credit_grant("")),
    ("void_credit_grant/int id", lambda s: s.void_credit_grant(12)),
    ("get_credits_ledger/negative first", lambda s: s.get_credits_ledger(C, first=-3)),
    (
        "get_credits_ledger/unknown event type",
        lambda s: s.get_credits_ledger(C, event_types=["CREDITS_STOLEN"]),
    ),
    ("iter_credits_ledger/zero page size", lambda s: s.iter_credits_ledger(C, page_size=0)),
    ("iter_credits_ledger/empty customer", lambda s: s.iter_credits_ledger("")),
    (
        "iter_credits_ledger/event types string",
        lambda s: s.iter_credits_ledger(C, event_types="CREDITS_GRANTED"),
    ),
    (
        "consume_credits/zero amount",
        lambda s: s.consume_credits(customer_id=C, currency_id=CUR, amount=0),
    ),
    (
        "consume_credits/negative amount",
        lambda s: s.consume_credits(customer_id=C, currency_id=CUR, amount=-1),
    ),
    (
        "consume_credits/inf amount",
        lambda s: s.consume_credits(customer_id=C, currency_id=CUR, amount=math.inf),
    ),
    (
        "consume_credits/str amount",
        lambda s: s.consume_credits(customer_id=C, currency_id=CUR, amount="3"),
    ),
    (
        "consume_credits/blank key",
        lambda s: s.consume_credits(customer_id=C, currency_id=CUR, amount=1, idempotency_key=" "),
    ),
    ("consume_credits/no currency", lambda s: s.consume_credits(customer_id=C, amount=1)),
    ("consume_credits_async/empty", lambda s: s.consume_credits_async([])),
    ("consume_credits_async/a dict", lambda s: s.consume_credits_async({"customer_id": C})),
    (
        "consume_credits_async/bad amount",
        lambda s: s.consume_credits_async(
            [{"customer_id": C, "currency_id": CUR, "amount": math.nan}]
        ),
    ),
    (
        "save_auto_recharge_settings/negative threshold",
        lambda s: s.save_auto_recharge_settings(
            customer_id=C,
            currency_id=CUR,
            is_enabled=True,
            threshold_value=-1,
            target_balance=100,
        ),
    ),
    (
        "save_auto_recharge_settings/str enabled",
        lambda s: s.save_auto_recharge_settings(customer_id=C, currency_id=CUR, is_enabled="on"),
    ),
    (
        "save_auto_recharge_settings/unknown threshold type",
        lambda s: s.save_auto_recharge_settings(
            customer_id=C, currency_id=CUR, is_enabled=True, threshold_type="Percent"
        ),
    ),
    ("get_auto_recharge_settings/empty currency", lambda s: s.get_auto_recharge_settings(C, "")),
    ("get_auto_recharge_settings/None customer", lambda s: s.get_auto_recharge_settings(None, CUR)),
    ("estimate_usage_cost/NaN value", lambda s: s.estimate_usage_cost(C, F, math.nan)),
    ("estimate_usage_cost/str value", lambda s: s.estimate_usage_cost(C, F, "10")),
    (
        "estimate_usage_cost/unknown behavior",
        lambda s: s.estimate_usage_cost(C, F, 1, update_behavior="ADD"),
    ),
    ("estimate_event_cost/empty event", lambda s: s.estimate_event_cost(C, "")),
    (
        "estimate_event_cost/nested dimensions",
        lambda s: s.estimate_event_cost(C, "image_rendered", dimensions={"a": {"b": 1}}),
    ),
    ("fetch_entitlement_v2/nothing asked", lambda s: s.fetch_entitlement_v2(C)),
    (
        "fetch_entitlement_v2/both asked",
        lambda s: s.fetch_entitlement_v2(C, feature_id=F, currency_id=CUR),
    ),
    (
        "fetch_entitlement_v2/negative usage",
        lambda s: s.fetch_entitlement_v2(C, currency_id=CUR, requested_usage=-2),
    ),
    ("fetch_entitlement_v2/blank customer", lambda s: s.fetch_entitlement_v2(" ", feature_id=F)),
]

#: Option classes and the constructor: a typed configuration error, nothing created.
CONFIG_CASES: list[tuple[str, Callable[[], Any]]] = [
    ("RetryPolicy/bool max_retries", lambda: RetryPolicy(max_retries=True)),
    ("RetryPolicy/str jitter", lambda: RetryPolicy(jitter="0.5")),
    ("RetryPolicy/10**400 backoff", lambda: RetryPolicy(initial_backoff=BIG)),
    ("RetryPolicy/NaN deadline", lambda: RetryPolicy(deadline=math.nan)),
    ("RetryPolicy/negative retries", lambda: RetryPolicy(max_retries=-1)),
    ("EntitlementCacheOptions/10**400 ttl", lambda: EntitlementCacheOptions(ttl=BIG)),
    ("EntitlementCacheOptions/bool ttl", lambda: EntitlementCacheOptions(ttl=True)),
    ("EntitlementCacheOptions/NaN poll", lambda: EntitlementCacheOptions(poll_interval=math.nan)),
    ("EntitlementCacheOptions/str poll", lambda: EntitlementCacheOptions(poll="yes")),
    ("EntitlementCacheOptions/float entries", lambda: EntitlementCacheOptions(max_entries=1.5)),
    (
        "EntitlementCacheOptions/fallback str",
        lambda: EntitlementCacheOptions(fallbacks={F: "granted"}),
    ),
    (
        "EntitlementCacheOptions/fallback bad id",
        lambda: EntitlementCacheOptions(fallbacks={"\x00": {"is_granted": True}}),
    ),
    ("Fallback/10**400 limit", lambda: Fallback(is_granted=True, usage_limit=BIG)),
    ("Fallback/bool limit", lambda: Fallback(is_granted=True, usage_limit=True)),
    ("Fallback/int granted", lambda: Fallback(is_granted=1)),
    ("UsagePipelineOptions/bool queue", lambda: UsagePipelineOptions(max_queue_size=True)),
    ("UsagePipelineOptions/10**400 interval", lambda: UsagePipelineOptions(flush_interval=BIG)),
    ("UsagePipelineOptions/NaN close", lambda: UsagePipelineOptions(close_timeout=math.nan)),
    ("UsagePipelineOptions/policy", lambda: UsagePipelineOptions(full_queue_policy="block")),
    ("UsagePipelineOptions/on_error str", lambda: UsagePipelineOptions(on_error="log")),
    ("UsagePipelineOptions/grace", lambda: UsagePipelineOptions(auth_grace_period=-5)),
    ("AsyncStigg/entitlements list", lambda: AsyncStigg(api_key="k", entitlements=["ttl"])),
    ("AsyncStigg/retry str", lambda: AsyncStigg(api_key="k", retry="fast")),
    ("AsyncStigg/usage unknown key", lambda: AsyncStigg(api_key="k", usage={"colour": 1})),
    (
        "AsyncStigg/entitlements bad value",
        lambda: AsyncStigg(api_key="k", entitlements={"ttl": BIG}),
    ),
    ("AsyncStigg/NaN timeout", lambda: AsyncStigg(api_key="k", timeout=math.nan)),
    ("AsyncStigg/str timeout", lambda: AsyncStigg(api_key="k", timeout="5")),
    ("AsyncStigg/bool connections", lambda: AsyncStigg(api_key="k", max_connections=True)),
    ("AsyncStigg/bool retries", lambda: AsyncStigg(api_key="k", max_retries=True)),
    ("AsyncStigg/int url", lambda: AsyncStigg(api_key="k", api_url=5)),
    ("AsyncStigg/insecure url", lambda: AsyncStigg(api_key="k", api_url="http://example.org/")),
    ("AsyncStigg/blank key", lambda: AsyncStigg(api_key="   ")),
]


@pytest.fixture
async def setup() -> AsyncIterator[tuple[AsyncStigg, Emulator]]:
    clock = FakeClock()
    async with Emulator(api_key=SECRET_KEY, clock=clock) as emu:
        seed(emu, 1)
        # No stream: its catch-up refresh after connecting would race the request count.
        stigg = make_client(emu.url, clock, entitlements={"poll": True, "streaming": False})
        async with stigg:
            await stigg.prefetch([C])
            # Let the poller's first cycle (a probe) finish: it sleeps on the fake clock.
            for _ in range(10_000):
                if clock.pending_sleepers:
                    break
                await asyncio.sleep(0)
            yield stigg, emu


def test_r3_corpus_is_large() -> None:
    """At least 150 bad inputs over every public method and option class, all distinct."""
    assert len(CASES) + len(CONFIG_CASES) >= 150
    names = [name for name, _ in CASES] + [name for name, _ in CONFIG_CASES]
    assert len(set(names)) == len(names)
    methods = {name.split("/")[0].split("(")[0] for name in names}
    public = {
        n for n in dir(AsyncStigg) if not n.startswith("_") and callable(getattr(AsyncStigg, n))
    }
    # Methods without arguments to get wrong: nothing to put in the corpus.
    untested = public - methods - {"open", "restart_after_fork", "get_sdk_configuration"}
    assert untested == set()
    for option_class in (
        "RetryPolicy",
        "EntitlementCacheOptions",
        "Fallback",
        "UsagePipelineOptions",
        "AsyncStigg",
    ):
        assert option_class in methods


def test_r3_option_classes_refuse_bad_values_with_configuration_errors(ledger) -> None:
    """Every option-class case raises StiggConfigurationError, never another exception."""
    wrong: list[str] = []
    for name, case in CONFIG_CASES:
        try:
            case()
        except StiggConfigurationError as exc:
            ledger.audit(exc)
        except Exception as exc:
            wrong.append(f"{name}: {type(exc).__name__}: {exc}")
        else:
            wrong.append(f"{name}: accepted")
    ledger.cases += len(CONFIG_CASES)
    ledger.lines.append(
        f"R3 bad options: {len(CONFIG_CASES)} cases, {len(wrong)} not refused with "
        "StiggConfigurationError"
    )
    assert not wrong, "\n".join(wrong)


async def test_r3_bad_inputs_raise_typed_errors_and_send_nothing(setup, ledger) -> None:
    """Every case raises StiggValidationError locally; the emulator sees no request."""
    stigg, emu = setup
    sent_before = emu.counters.total
    wrong: list[str] = []
    untyped = hangs = sent = 0
    for name, case in CASES:
        before = emu.counters.total
        try:
            outcome = case(stigg)
            if inspect.isawaitable(outcome):
                # Bounded: a bad input must never hang a call.
                await asyncio.wait_for(outcome, 5)
        except StiggValidationError as exc:
            ledger.audit(exc)
        except StiggError as exc:
            wrong.append(f"{name}: {type(exc).__name__}: {exc}")
        except asyncio.TimeoutError:
            hangs += 1
            wrong.append(f"{name}: hung")
        except Exception as exc:  # an untyped error is a bug in the SDK
            untyped += 1
            wrong.append(f"{name}: untyped {type(exc).__name__}: {exc}")
        else:
            wrong.append(f"{name}: accepted")
        if emu.counters.total != before:
            sent += 1
            wrong.append(f"{name}: sent {emu.counters.total - before} request(s)")
    ledger.cases += len(CASES)
    ledger.lines.append(
        f"R3 bad input: {len(CASES)} method cases: {len(wrong)} not rejected locally, "
        f"{untyped} non-StiggError exceptions, {sent} sent a request, {hangs} hangs"
    )
    assert emu.counters.total == sent_before
    assert stigg.usage_stats.enqueued == 0
    status = stigg.entitlement_status
    assert status.state is CacheState.VALID
    assert stigg._entitlements.is_polling
    assert not wrong, "\n".join(wrong)
