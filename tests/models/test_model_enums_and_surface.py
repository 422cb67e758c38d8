"""Enums mirror the schema; the models package exports a pinned, documented surface."""

from __future__ import annotations

import inspect
from enum import Enum
from pathlib import Path

import pytest
from graphql import GraphQLEnumType, GraphQLSchema, build_schema
from pydantic import BaseModel

import stigg_async._models as models
from stigg_async._models import _enums

REPO = Path(__file__).resolve().parents[2]

ENUMS = [getattr(_enums, name) for name in _enums.__all__]


@pytest.fixture(scope="module")
def schema() -> GraphQLSchema:
    return build_schema((REPO / "operations" / "schema.graphql").read_text(encoding="utf-8"))


@pytest.mark.parametrize("enum_cls", ENUMS, ids=lambda e: e.__name__)
def test_enum_values_mirror_the_schema(enum_cls: type[Enum], schema: GraphQLSchema) -> None:
    """Each Python enum has exactly the values of the schema enum of the same name."""
    gql = schema.get_type(enum_cls.__name__)
    assert isinstance(gql, GraphQLEnumType)
    assert {m.value for m in enum_cls} == set(gql.values)


def test_enums_are_strings_that_print_as_their_value() -> None:
    """Members are str, compare equal to their value and format as it."""
    member = _enums.MeterType.NONE
    assert isinstance(member, str)
    assert member == "None"
    assert str(member) == "None"
    assert f"{_enums.AccessDeniedReason.CUSTOMER_NOT_FOUND}" == "CustomerNotFound"


def test_brief_enums_are_all_present() -> None:
    """The enums the SDK's users need are all exported."""
    required = {
        "FeatureType", "MeterType", "AccessDeniedReason", "EntitlementsStateAccessDeniedReason",
        "EntitlementResetPeriod", "SubscriptionStatus", "PaymentCollection",
        "ProvisionSubscriptionStatus", "BillingPeriod", "PricingType",
        "SubscriptionCancellationTime", "SubscriptionCancellationAction", "UsageUpdateBehavior",
        "PromotionalEntitlementPeriod", "PromotionalEntitlementStatus", "CouponStatus",
        "CouponType", "Currency", "SubscriptionDecisionStrategy",
    }  # fmt: skip
    assert required <= set(models.__all__)


def test_all_lists_exactly_the_public_names() -> None:
    """``__all__`` is sorted, unique, and every name in it exists."""
    assert models.__all__ == sorted(set(models.__all__))
    missing = [name for name in models.__all__ if not hasattr(models, name)]
    assert missing == []


@pytest.mark.parametrize(
    "name",
    [n for n in models.__all__ if inspect.isclass(getattr(models, n))],
)
def test_public_classes_have_docstrings(name: str) -> None:
    """Every exported class says what it is."""
    assert inspect.getdoc(getattr(models, name))


@pytest.mark.parametrize(
    "name",
    [
        "Customer",
        "ProvisionedCustomer",
        "CustomerPage",
        "Subscription",
        "ProvisionSubscriptionResult",
        "Entitlement",
        "EntitlementsState",
        "UsageMeasurement",
        "PromotionalEntitlement",
        "SubscriptionPreview",
        "Coupon",
        "CouponPage",
        "ReportUsageInput",
        "FetchEntitlementQuery",
        "ProvisionCustomerInput",
        "ProvisionSubscriptionInput",
    ],
)
def test_main_models_have_docstring_examples(name: str) -> None:
    """The main models show a short example in their docstring."""
    cls = getattr(models, name)
    assert issubclass(cls, BaseModel)
    assert ">>>" in (cls.__doc__ or "")
