"""Models against documents and schema: every selected field is modelled, and parses."""

from __future__ import annotations

import types
import typing
from pathlib import Path
from typing import Any, Union

import pytest
from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLScalarType,
    GraphQLSchema,
    GraphQLType,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    build_schema,
    is_non_null_type,
)
from graphql.pyutils import Undefined
from pydantic import BaseModel

import stigg_async._models as models
from stigg_async._models import (
    AutoRechargeSettings,
    CheckoutState,
    Coupon,
    CouponPage,
    CreditBalanceSummary,
    CreditConsumption,
    CreditCostEstimation,
    CreditEntitlement,
    CreditGrant,
    CreditGrantPage,
    CreditLedgerPage,
    CreditUsage,
    Customer,
    CustomerPage,
    CustomerPortal,
    Entitlement,
    EntitlementsState,
    FeatureEntitlement,
    PaymentSession,
    PromotionalEntitlement,
    ProvisionedCustomer,
    ProvisionSubscriptionResult,
    StiggInput,
    Subscription,
    SubscriptionPreview,
    UsageHistory,
    UsageHistoryV2,
    UsageMeasurement,
    parse_result,
    parse_result_list,
)
from stigg_async._operations import load_operations

REPO = Path(__file__).resolve().parents[2]
OPERATIONS = REPO / "operations"

#: Operation -> (result model, whether the root field is a list).
RESULTS: dict[str, tuple[type[BaseModel], bool]] = {
    "ProvisionCustomer": (ProvisionedCustomer, False),
    "UpdateCustomer": (Customer, False),
    "GetCustomerByRefId": (Customer, False),
    "GetCustomers": (CustomerPage, False),
    "GetActiveSubscriptions": (Subscription, True),
    "GetSubscription": (Subscription, False),
    "ProvisionSubscription": (ProvisionSubscriptionResult, False),
    "CreateSubscription": (Subscription, False),
    "UpdateSubscription": (Subscription, False),
    "CancelSubscription": (Subscription, False),
    "MigrateSubscriptionToLatest": (Subscription, False),
    "EstimateSubscription": (SubscriptionPreview, False),
    "EstimateSubscriptionUpdate": (SubscriptionPreview, False),
    "GetCoupons": (CouponPage, False),
    "GrantPromotionalEntitlements": (PromotionalEntitlement, True),
    "RevokePromotionalEntitlement": (PromotionalEntitlement, False),
    "GetEntitlement": (Entitlement, False),
    "GetEntitlements": (Entitlement, True),
    "GetEntitlementsState": (EntitlementsState, False),
    "ReportUsage": (UsageMeasurement, False),
    "ReportUsageBulk": (UsageMeasurement, True),
    "CreateUsageMeasurement": (UsageMeasurement, False),
    "GetPaywall": (models.Paywall, False),
    "GetMockPaywall": (models.MockPaywall, False),
    "GetProducts": (models.ProductPage, False),
    "GetSdkConfiguration": (models.SdkConfiguration, False),
    "GetSubscriptions": (models.SubscriptionPage, False),
    "PreviewSubscription": (models.SubscriptionPreviewV2, False),
    "PreviewNextInvoice": (models.NextInvoicePreview, False),
    "ApplySubscription": (models.AppliedSubscription, False),
    "TransferSubscription": (Subscription, False),
    "TransferSubscriptionToResource": (Subscription, False),
    "DelegateSubscriptionToCustomer": (models.DelegatedSubscription, False),
    "ArchiveCustomer": (Customer, False),
    "UnarchiveCustomer": (Customer, False),
    "DetachCustomerPaymentMethod": (Customer, False),
    "ImportOneCustomer": (Customer, False),
    "GetCustomerPortal": (CustomerPortal, False),
    "GrantPromotionalEntitlementsGroup": (PromotionalEntitlement, True),
    "RevokePromotionalEntitlementsGroup": (PromotionalEntitlement, True),
    "UnlinkPromotionalEntitlementsGroup": (PromotionalEntitlement, True),
    "CreateCoupon": (Coupon, False),
    "CreatePaymentSession": (PaymentSession, False),
    "GetCheckoutState": (CheckoutState, False),
    "GetUsageHistory": (UsageHistory, False),
    "GetUsageHistoryV2": (UsageHistoryV2, False),
    "GetCreditBalanceSummary": (CreditBalanceSummary, False),
    "GetCreditGrants": (CreditGrantPage, False),
    "GetCreditsLedger": (CreditLedgerPage, False),
    "GetCreditUsage": (CreditUsage, False),
    "CreateCreditGrant": (CreditGrant, False),
    "VoidCreditGrant": (CreditGrant, False),
    "ConsumeCredits": (CreditConsumption, False),
    "GetAutoRechargeSettings": (AutoRechargeSettings, False),
    "SaveAutoRechargeSettings": (AutoRechargeSettings, False),
    "EstimateUsageCost": (CreditCostEstimation, False),
    "EstimateEventCost": (CreditCostEstimation, False),
}
#: Documents whose root field is a union: member type -> result model.
UNION_RESULTS: dict[str, dict[str, type[BaseModel]]] = {
    "GetEntitlementV2": {
        "CreditEntitlement": CreditEntitlement,
        "FeatureEntitlement": FeatureEntitlement,
    },
}


@pytest.fixture(scope="module")
def schema() -> GraphQLSchema:
    return build_schema((OPERATIONS / "schema.graphql").read_text(encoding="utf-8"))


def _documents() -> dict[str, DocumentNode]:
    return {name: op.document for name, op in load_operations(OPERATIONS).items()}


def _model_of(annotation: Any) -> type[BaseModel] | None:
    """The pydantic model inside an annotation (Optional, tuple, Annotated unwrapped)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _model_of(typing.get_args(annotation)[0])
    if origin in (Union, types.UnionType, tuple, list):
        for arg in typing.get_args(annotation):
            found = _model_of(arg)
            if found is not None:
                return found
    return None


class _Walker:
    """Walks a document's selection together with a model and the schema's types."""

    def __init__(self, document: DocumentNode, schema: GraphQLSchema) -> None:
        self.schema = schema
        self.fragments = {
            d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
        }
        self.operation = next(
            d for d in document.definitions if isinstance(d, OperationDefinitionNode)
        )

    def fields(self, selection_set: SelectionSetNode | None) -> list[FieldNode]:
        out: list[FieldNode] = []
        for selection in selection_set.selections if selection_set else ():
            if isinstance(selection, FieldNode):
                out.append(selection)
            elif isinstance(selection, FragmentSpreadNode):
                out.extend(self.fields(self.fragments[selection.name.value].selection_set))
            elif isinstance(selection, InlineFragmentNode):
                out.extend(self.fields(selection.selection_set))
        return out

    def root(self) -> tuple[FieldNode, GraphQLObjectType]:
        root_type = (
            self.schema.mutation_type
            if self.operation.operation.value == "mutation"
            else self.schema.query_type
        )
        assert root_type is not None
        (field,) = self.fields(self.operation.selection_set)
        return field, root_type

    def uncovered(self, node: FieldNode, model: type[BaseModel], where: str) -> list[str]:
        """Selected fields the model has no attribute for, and required ones not selected."""
        aliases = {info.alias or name: info for name, info in model.model_fields.items()}
        problems: list[str] = []
        selected: dict[str, list[FieldNode]] = {}
        for sub in self.fields(node.selection_set):
            selected.setdefault(sub.name.value, []).append(sub)
        for name, nodes in selected.items():
            if name not in aliases:
                problems.append(f"{where}.{name} is selected but {model.__name__} lacks it")
                continue
            nested = _model_of(aliases[name].annotation)
            if nested is not None:
                merged = FieldNode(
                    name=nodes[0].name,
                    selection_set=SelectionSetNode(
                        selections=tuple(
                            s for n in nodes if n.selection_set for s in n.selection_set.selections
                        )
                    ),
                )
                problems.extend(self.uncovered(merged, nested, f"{where}.{name}"))
        for alias, info in aliases.items():
            if info.is_required() and alias not in selected:
                problems.append(f"{where}.{alias} is required by {model.__name__} but not selected")
        return problems

    def sample(self, node: FieldNode, gql_type: GraphQLType, *, minimal: bool) -> Any:
        """Data shaped like the answer: every field set, or only non-null ones."""
        if isinstance(gql_type, GraphQLNonNull):
            return self.sample(node, gql_type.of_type, minimal=minimal)
        if isinstance(gql_type, GraphQLList):
            return [self.sample(node, gql_type.of_type, minimal=minimal)]
        if isinstance(gql_type, GraphQLEnumType):
            return next(iter(gql_type.values))
        if isinstance(gql_type, GraphQLScalarType):
            return {
                "String": "text",
                "ID": "id-1",
                "UUID": "0b7e7c6e-0000-4000-8000-000000000001",
                "Float": 1.5,
                "Int": 2,
                "Boolean": True,
                "DateTime": "2024-01-02T03:04:05.000Z",
                "JSON": {"key": "value"},
                "ConnectionCursor": "cursor-1",
            }[gql_type.name]
        assert isinstance(gql_type, GraphQLObjectType)
        out: dict[str, Any] = {}
        for sub in self.fields(node.selection_set):
            field_def = gql_type.fields[sub.name.value]
            key = sub.alias.value if sub.alias else sub.name.value
            if minimal and not is_non_null_type(field_def.type):
                out[key] = None
            elif key in out and isinstance(out[key], dict):
                out[key].update(self.sample(sub, field_def.type, minimal=minimal))
            else:
                out[key] = self.sample(sub, field_def.type, minimal=minimal)
        return out


@pytest.mark.parametrize("name", sorted(RESULTS))
def test_result_model_covers_the_document_selection(name: str, schema: GraphQLSchema) -> None:
    """Every field a document selects has a model attribute; every required one is selected."""
    walker = _Walker(_documents()[name], schema)
    root, _ = walker.root()
    model, _ = RESULTS[name]
    assert walker.uncovered(root, model, root.name.value) == []


@pytest.mark.parametrize("minimal", [False, True], ids=["all-fields", "nulls"])
@pytest.mark.parametrize("name", sorted(RESULTS))
def test_result_model_parses_an_answer_to_the_document(
    name: str, minimal: bool, schema: GraphQLSchema
) -> None:
    """A schema-shaped answer to the document parses (all fields set, or nullable ones null)."""
    walker = _Walker(_documents()[name], schema)
    root, root_type = walker.root()
    data = walker.sample(root, root_type.fields[root.name.value].type, minimal=minimal)
    model, is_list = RESULTS[name]
    parsed = (
        parse_result_list(model, data, operation=name)
        if is_list
        else parse_result(model, data, operation=name)
    )
    assert parsed


def test_every_document_with_an_object_result_has_a_model() -> None:
    """Only scalar-result documents lack a result model; union results have one per member."""
    assert set(load_operations(OPERATIONS)) - set(RESULTS) - set(UNION_RESULTS) == {
        "ReportEvent",
        "CancelSchedule",
        "ImportCustomersBulk",
        "ImportSubscriptionsBulk",
        "ReportEntitlementCheckRequested",
        "ConsumeCreditsAsync",
    }


def _member_selection(walker: _Walker, root: FieldNode, member: str) -> FieldNode:
    """The root field with only the selections that apply to one union member."""
    kept: list[Any] = []
    for selection in root.selection_set.selections if root.selection_set else ():
        if isinstance(selection, InlineFragmentNode):
            if selection.type_condition and selection.type_condition.name.value == member:
                kept.extend(selection.selection_set.selections)
        elif isinstance(selection, FieldNode) and selection.name.value != "__typename":
            kept.append(selection)
    return FieldNode(name=root.name, selection_set=SelectionSetNode(selections=tuple(kept)))


@pytest.mark.parametrize("minimal", [False, True], ids=["all-fields", "nulls"])
@pytest.mark.parametrize(
    ("name", "member"),
    [(name, member) for name, members in sorted(UNION_RESULTS.items()) for member in members],
)
def test_union_member_models_cover_and_parse_their_selection(
    name: str, member: str, minimal: bool, schema: GraphQLSchema
) -> None:
    """Each union member's model covers what the document selects on it and parses an answer."""
    walker = _Walker(_documents()[name], schema)
    root, _ = walker.root()
    node = _member_selection(walker, root, member)
    model = UNION_RESULTS[name][member]
    assert walker.uncovered(node, model, member) == []
    gql_type = schema.get_type(member)
    assert isinstance(gql_type, GraphQLObjectType)
    data = walker.sample(node, gql_type, minimal=minimal)
    assert parse_result(model, data, operation=name)


def _input_models() -> list[type[StiggInput]]:
    return sorted(
        (
            obj
            for obj in vars(models).values()
            if isinstance(obj, type) and issubclass(obj, StiggInput) and obj is not StiggInput
        ),
        key=lambda cls: cls.__name__,
    )


@pytest.mark.parametrize("model", _input_models(), ids=lambda m: m.__name__)
def test_input_model_mirrors_the_schema_input_type(
    model: type[StiggInput], schema: GraphQLSchema
) -> None:
    """Each input model's aliases are fields of the schema input of the same name,
    and every field the schema requires is required by the model."""
    gql = schema.get_type(model.__name__)
    assert isinstance(gql, GraphQLInputObjectType)
    aliases = {info.alias or name: info for name, info in model.model_fields.items()}
    assert set(aliases) - set(gql.fields) == set()
    schema_required = {
        name
        for name, f in gql.fields.items()
        if is_non_null_type(f.type) and f.default_value is Undefined
    }
    assert all(aliases[n].is_required() for n in schema_required if n in aliases)
    assert schema_required <= set(aliases)


#: Input model -> the operation that sends it as a top-level variable.
TOP_LEVEL_INPUTS = {
    "ProvisionCustomerInput": "ProvisionCustomer",
    "UpdateCustomerInput": "UpdateCustomer",
    "GetCustomerByRefIdInput": "GetCustomerByRefId",
    "CustomerFilter": "GetCustomers",
    "CursorPaging": "GetCustomers",
    "GetActiveSubscriptionsInput": "GetActiveSubscriptions",
    "GetSubscriptionInput": "GetSubscription",
    "ProvisionSubscriptionInput": "ProvisionSubscription",
    "SubscriptionInput": "CreateSubscription",
    "UpdateSubscriptionInput": "UpdateSubscription",
    "SubscriptionCancellationInput": "CancelSubscription",
    "SubscriptionMigrationInput": "MigrateSubscriptionToLatest",
    "EstimateSubscriptionInput": "EstimateSubscription",
    "EstimateSubscriptionUpdateInput": "EstimateSubscriptionUpdate",
    "CouponFilter": "GetCoupons",
    "GrantPromotionalEntitlementsInput": "GrantPromotionalEntitlements",
    "RevokePromotionalEntitlementInput": "RevokePromotionalEntitlement",
    "FetchEntitlementQuery": "GetEntitlement",
    "FetchEntitlementsQuery": "GetEntitlements",
    "ReportUsageInput": "ReportUsage",
    "ReportUsageBulkInput": "ReportUsageBulk",
    "UsageEventsReportInput": "ReportEvent",
    "UsageMeasurementCreateInput": "CreateUsageMeasurement",
    "ArchiveCustomerInput": "ArchiveCustomer",
    "UnarchiveCustomerInput": "UnarchiveCustomer",
    "DetachCustomerPaymentMethodInput": "DetachCustomerPaymentMethod",
    "CustomerPortalInput": "GetCustomerPortal",
    "ImportCustomerInput": "ImportOneCustomer",
    "ImportCustomerBulkInput": "ImportCustomersBulk",
    "ImportSubscriptionsBulkInput": "ImportSubscriptionsBulk",
    "GrantPromotionalEntitlementsGroupInput": "GrantPromotionalEntitlementsGroup",
    "RevokePromotionalEntitlementsGroupInput": "RevokePromotionalEntitlementsGroup",
    "UnlinkPromotionalEntitlementsGroupInput": "UnlinkPromotionalEntitlementsGroup",
    "CreateCouponInput": "CreateCoupon",
    "PaymentSessionInput": "CreatePaymentSession",
    "CheckoutStateInput": "GetCheckoutState",
    "UsageHistoryInput": "GetUsageHistory",
    "UsageHistoryV2Input": "GetUsageHistoryV2",
    "EntitlementCheckRequested": "ReportEntitlementCheckRequested",
    "CreditBalanceSummaryInput": "GetCreditBalanceSummary",
    "GetCreditGrantsInput": "GetCreditGrants",
    "CreditLedgerInput": "GetCreditsLedger",
    "CreditUsageInput": "GetCreditUsage",
    "CreditGrantInput": "CreateCreditGrant",
    "VoidCreditGrantInput": "VoidCreditGrant",
    "ConsumeCreditInput": "ConsumeCredits",
    "ConsumeCreditsAsyncInput": "ConsumeCreditsAsync",
    "GetAutoRechargeSettingsInput": "GetAutoRechargeSettings",
    "SaveAutoRechargeSettingsInput": "SaveAutoRechargeSettings",
    "EstimateUsageCostInput": "EstimateUsageCost",
    "EstimateEventCostInput": "EstimateEventCost",
    "GetEntitlementV2Input": "GetEntitlementV2",
}


@pytest.mark.parametrize("model_name", sorted(TOP_LEVEL_INPUTS))
def test_input_variable_name_matches_the_document(model_name: str) -> None:
    """``as_operation_variables()`` uses the variable the document declares for that type."""
    model: type[StiggInput] = getattr(models, model_name)
    operation = load_operations(OPERATIONS)[TOP_LEVEL_INPUTS[model_name]]
    op_node = next(
        d for d in operation.document.definitions if isinstance(d, OperationDefinitionNode)
    )
    declared = {
        v.variable.name.value: get_named_type_name(v.type)
        for v in op_node.variable_definitions or ()
    }
    assert declared.get(model.variable_name) == model_name


def get_named_type_name(type_node: Any) -> str:
    """The named type inside a variable's type node (``[X!]!`` gives ``X``)."""
    while not hasattr(type_node, "name"):
        type_node = type_node.type
    return str(type_node.name.value)
