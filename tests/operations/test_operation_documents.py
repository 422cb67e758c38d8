"""The operation documents: shape, variables, fragments, and validity against the schema."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import pytest
from graphql import (
    ArgumentNode,
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLSchema,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    VariableNode,
    build_schema,
    parse,
    validate,
    visit,
)
from graphql.language import Visitor

from stigg_async._operations import load_operations

REPO = Path(__file__).resolve().parents[2]
OPERATIONS = REPO / "operations"
FRAGMENTS = OPERATIONS / "fragments"
PRUNED_SCHEMA = OPERATIONS / "schema.graphql"
REFERENCE_SCHEMA = REPO.parent / "shared" / "reference" / "stigg-schema.graphql"

#: The required operations and the root field each one selects.
REQUIRED = {
    "ProvisionCustomer": "provisionCustomer",
    "UpdateCustomer": "updateOneCustomer",
    "GetCustomerByRefId": "getCustomerByRefId",
    "GetCustomers": "customers",
    "GetActiveSubscriptions": "getActiveSubscriptions",
    "GetSubscription": "getSubscription",
    "ProvisionSubscription": "provisionSubscriptionV2",
    "CreateSubscription": "createSubscription",
    "UpdateSubscription": "updateOneSubscription",
    "CancelSubscription": "cancelSubscription",
    "MigrateSubscriptionToLatest": "migrateSubscriptionToLatest",
    "EstimateSubscription": "estimateSubscription",
    "EstimateSubscriptionUpdate": "estimateSubscriptionUpdate",
    "GetCoupons": "coupons",
    "GrantPromotionalEntitlements": "grantPromotionalEntitlements",
    "RevokePromotionalEntitlement": "revokePromotionalEntitlement",
    "GetEntitlement": "entitlement",
    "GetEntitlements": "cachedEntitlements",
    "GetEntitlementsState": "entitlementsState",
    "ReportUsage": "reportUsage",
    "ReportUsageBulk": "reportUsageBulk",
    "ReportEvent": "reportEvent",
    "CreateUsageMeasurement": "createUsageMeasurement",
    "GetPaywall": "paywall",
    "GetMockPaywall": "mockPaywall",
    "GetProducts": "products",
    "GetSdkConfiguration": "sdkConfiguration",
    "GetSubscriptions": "subscriptions",
    "PreviewSubscription": "previewSubscription",
    "PreviewNextInvoice": "previewNextInvoice",
    "ApplySubscription": "applySubscription",
    "TransferSubscription": "transferSubscription",
    "TransferSubscriptionToResource": "transferSubscriptionToResource",
    "DelegateSubscriptionToCustomer": "delegateSubscriptionToCustomer",
    "CancelSchedule": "cancelSchedule",
    # customer administration, imports, promotion groups, coupons, usage history
    "ArchiveCustomer": "archiveCustomer",
    "UnarchiveCustomer": "unarchiveCustomer",
    "DetachCustomerPaymentMethod": "detachCustomerPaymentMethod",
    "GetCustomerPortal": "customerPortal",
    "ImportOneCustomer": "importOneCustomer",
    "ImportCustomersBulk": "importCustomersBulk",
    "ImportSubscriptionsBulk": "importSubscriptionsBulk",
    "GrantPromotionalEntitlementsGroup": "grantPromotionalEntitlementsGroup",
    "RevokePromotionalEntitlementsGroup": "revokePromotionalEntitlementsGroup",
    "UnlinkPromotionalEntitlementsGroup": "unlinkPromotionalEntitlementsGroup",
    "CreateCoupon": "createOneCoupon",
    "CreatePaymentSession": "createPaymentSession",
    "GetCheckoutState": "checkoutState",
    "GetUsageHistory": "usageHistory",
    "GetUsageHistoryV2": "usageHistoryV2",
    "ReportEntitlementCheckRequested": "reportEntitlementCheckRequested",
    "GetCreditBalanceSummary": "creditBalanceSummary",
    "GetCreditGrants": "creditGrants",
    "GetCreditsLedger": "creditsLedger",
    "GetCreditUsage": "creditUsage",
    "CreateCreditGrant": "createCreditGrant",
    "VoidCreditGrant": "voidCreditGrant",
    "ConsumeCredits": "consumeCredits",
    "ConsumeCreditsAsync": "consumeCreditsAsync",
    "GetAutoRechargeSettings": "getAutoRechargeSettings",
    "SaveAutoRechargeSettings": "saveAutoRechargeSettings",
    "EstimateUsageCost": "estimateUsageCost",
    "EstimateEventCost": "estimateEventCost",
    "GetEntitlementV2": "entitlementV2",
}

DOCUMENT_FILES = sorted(p for p in OPERATIONS.glob("*.graphql") if p.name != "schema.graphql")
FRAGMENT_FILES = sorted(FRAGMENTS.glob("*.graphql"))
_SPREAD = re.compile(r"\.\.\.\s*([_A-Za-z][_0-9A-Za-z]*)")


def _ids(paths: list[Path]) -> list[str]:
    return [p.stem for p in paths]


def fragment_sources() -> dict[str, str]:
    """Every fragment file's text, keyed by file name."""
    return {p.stem: p.read_text(encoding="utf-8") for p in FRAGMENT_FILES}


def with_fragments(source: str) -> str:
    """A document's text plus every fragment it needs, transitively (independent of the loader)."""
    fragments = fragment_sources()
    needed: list[str] = []
    pending = _SPREAD.findall(source)
    while pending:
        name = pending.pop()
        if name not in needed and name != "on":  # "... on Type" is an inline fragment
            needed.append(name)
            pending.extend(_SPREAD.findall(fragments[name]))
    return "\n".join([source, *(fragments[n] for n in sorted(needed))])


@cache
def _schema(path: Path) -> GraphQLSchema:
    return build_schema(path.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def pruned_schema() -> GraphQLSchema:
    return _schema(PRUNED_SCHEMA)


@pytest.fixture(scope="module")
def reference_schema() -> GraphQLSchema:
    if not REFERENCE_SCHEMA.is_file():
        pytest.skip(f"reference schema not found at {REFERENCE_SCHEMA}")
    return _schema(REFERENCE_SCHEMA)


def test_every_required_operation_has_a_document() -> None:
    """Each required operation has operations/<Name>.graphql."""
    assert set(REQUIRED) <= set(_ids(DOCUMENT_FILES))


@pytest.mark.parametrize("path", DOCUMENT_FILES, ids=_ids(DOCUMENT_FILES))
def test_document_holds_one_operation_named_like_its_file(path: Path) -> None:
    """A document parses to exactly one named operation, the file's name, and no fragments."""
    document = parse(path.read_text(encoding="utf-8"))
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    assert len(operations) == 1
    assert operations[0].name is not None
    assert operations[0].name.value == path.stem
    assert len(document.definitions) == 1, "fragments belong in operations/fragments/"


@pytest.mark.parametrize("path", DOCUMENT_FILES, ids=_ids(DOCUMENT_FILES))
def test_document_selects_its_required_root_field(path: Path) -> None:
    """A document selects exactly one root field, the one the operation stands for."""
    document = parse(path.read_text(encoding="utf-8"))
    operation = document.definitions[0]
    assert isinstance(operation, OperationDefinitionNode)
    roots = [s for s in operation.selection_set.selections if isinstance(s, FieldNode)]
    assert len(roots) == 1
    if path.stem in REQUIRED:
        assert roots[0].name.value == REQUIRED[path.stem]


@pytest.mark.parametrize("path", DOCUMENT_FILES, ids=_ids(DOCUMENT_FILES))
def test_document_passes_arguments_only_as_variables(path: Path) -> None:
    """Every argument (in the document and its fragments) is a variable, never a literal."""
    document = parse(with_fragments(path.read_text(encoding="utf-8")))
    literals: list[str] = []

    class _Arguments(Visitor):
        def enter_argument(self, node: ArgumentNode, *_: object) -> None:
            if not isinstance(node.value, VariableNode):
                literals.append(node.name.value)

    visit(document, _Arguments())
    assert literals == []


@pytest.mark.parametrize("path", DOCUMENT_FILES, ids=_ids(DOCUMENT_FILES))
def test_document_is_valid_against_the_pruned_schema(
    path: Path, pruned_schema: GraphQLSchema
) -> None:
    """With its fragments appended, a document validates against operations/schema.graphql."""
    errors = validate(pruned_schema, parse(with_fragments(path.read_text(encoding="utf-8"))))
    assert [e.message for e in errors] == []


@pytest.mark.parametrize("path", DOCUMENT_FILES, ids=_ids(DOCUMENT_FILES))
def test_document_is_valid_against_the_reference_schema(
    path: Path, reference_schema: GraphQLSchema
) -> None:
    """With its fragments appended, a document validates against the full reference schema."""
    errors = validate(reference_schema, parse(with_fragments(path.read_text(encoding="utf-8"))))
    assert [e.message for e in errors] == []


def test_invalid_document_is_reported_by_validation(pruned_schema: GraphQLSchema) -> None:
    """The validation the tests rely on does catch a field the schema lacks."""
    bad = "query Q($query: FetchEntitlementsQuery!) { cachedEntitlements(query: $query) { nope } }"
    assert validate(pruned_schema, parse(bad)) != []


@pytest.mark.parametrize("path", FRAGMENT_FILES, ids=_ids(FRAGMENT_FILES))
def test_fragment_file_holds_one_fragment_named_like_the_file(path: Path) -> None:
    """A fragment file defines exactly one fragment, named like the file."""
    document = parse(path.read_text(encoding="utf-8"))
    assert len(document.definitions) == 1
    fragment = document.definitions[0]
    assert isinstance(fragment, FragmentDefinitionNode)
    assert fragment.name.value == path.stem


def test_every_fragment_is_used_by_some_operation() -> None:
    """No fragment file is dead: each is reached (transitively) from an operation."""
    used: set[str] = set()
    for path in DOCUMENT_FILES:
        text = with_fragments(path.read_text(encoding="utf-8"))
        used.update(
            d.name.value for d in parse(text).definitions if isinstance(d, FragmentDefinitionNode)
        )
    assert set(_ids(FRAGMENT_FILES)) - used == set()


def test_loader_composes_the_same_documents() -> None:
    """The package loader finds every document and its fragments, each with one root field."""
    loaded = load_operations(OPERATIONS)
    assert set(loaded) == set(_ids(DOCUMENT_FILES))
    for name, root in REQUIRED.items():
        assert loaded[name].root_field == root


def _selected(document: DocumentNode, *path: str) -> set[str]:
    """Field names selected at ``path`` below the operation's root, fragments inlined."""
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    operation = next(d for d in document.definitions if isinstance(d, OperationDefinitionNode))

    def fields(selection_set: SelectionSetNode | None) -> list[FieldNode]:
        out: list[FieldNode] = []
        for selection in selection_set.selections if selection_set else ():
            if isinstance(selection, FieldNode):
                out.append(selection)
            elif isinstance(selection, FragmentSpreadNode):
                out.extend(fields(fragments[selection.name.value].selection_set))
            elif isinstance(selection, InlineFragmentNode):
                out.extend(fields(selection.selection_set))
        return out

    level = fields(operation.selection_set)
    for name in path:
        level = [sub for f in level if f.name.value == name for sub in fields(f.selection_set)]
    return {f.name.value for f in level}


def _document(name: str) -> DocumentNode:
    return parse(with_fragments((OPERATIONS / f"{name}.graphql").read_text(encoding="utf-8")))


def test_entitlement_fragment_selects_what_the_cache_needs() -> None:
    """EntitlementFragment selects the usage, period and feature fields local checks rely on."""
    document = _document("GetEntitlements")
    assert {
        "isGranted", "accessDeniedReason", "customerId", "resourceId", "usageLimit",
        "currentUsage", "requestedUsage", "hasUnlimitedUsage", "hasSoftLimit", "resetPeriod",
        "usagePeriodAnchor", "usagePeriodStart", "usagePeriodEnd", "nextResetDate",
        "entitlementUpdatedAt", "usageUpdatedAt", "validUntil", "feature",
    } <= _selected(document, "cachedEntitlements")  # fmt: skip
    assert {
        "id", "refId", "displayName", "featureType", "meterType", "featureUnits",
        "featureUnitsPlural", "featureStatus", "description",
    } <= _selected(document, "cachedEntitlements", "feature")  # fmt: skip


def test_usage_fragment_selects_usage_and_period() -> None:
    """UsageMeasurementFragment selects the current usage and the usage period."""
    assert {
        "id", "customerId", "featureId", "resourceId", "value", "currentUsage", "timestamp",
        "createdAt", "usagePeriodStart", "usagePeriodEnd", "nextResetDate",
    } <= _selected(_document("ReportUsage"), "reportUsage")  # fmt: skip


def test_provision_subscription_selects_the_payment_outcome() -> None:
    """ProvisionSubscription selects what tells success, checkout and payment trouble apart."""
    document = _document("ProvisionSubscription")
    root = "provisionSubscriptionV2"
    assert {"id", "status", "checkoutUrl", "checkoutBillingId", "isScheduled"} <= _selected(
        document, root
    )
    assert "paymentCollection" in _selected(document, root, "subscription")
    assert {
        "paymentUrl", "paymentSecret", "errorMessage", "requiresAction", "status", "billingId",
    } <= _selected(document, root, "subscription", "latestInvoice")  # fmt: skip


def test_customer_document_selects_subscriptions_promotions_and_coupon() -> None:
    """GetCustomerByRefId brings the customer's subscriptions, promotions and coupon."""
    selected = _selected(_document("GetCustomerByRefId"), "getCustomerByRefId")
    assert {"subscriptions", "promotionalEntitlements", "coupon", "refId", "customerId"} <= selected


def test_connections_select_edges_cursor_and_page_info() -> None:
    """The list documents select edges with cursors, pageInfo and totalCount."""
    for name, root in (("GetCustomers", "customers"), ("GetCoupons", "coupons")):
        document = _document(name)
        assert {"edges", "pageInfo", "totalCount"} <= _selected(document, root)
        assert {"cursor", "node"} <= _selected(document, root, "edges")
        assert {"hasNextPage", "endCursor"} <= _selected(document, root, "pageInfo")
