"""Enums mirroring the schema's enum types (values are the API's spellings)."""

from __future__ import annotations

from enum import Enum

__all__ = [
    "AccessDeniedReason",
    "BillingCadence",
    "BillingModel",
    "BillingPeriod",
    "CouponSortFields",
    "CouponSource",
    "CouponStatus",
    "CouponType",
    "Currency",
    "CustomerSortFields",
    "DiscountDurationType",
    "DiscountType",
    "EntitlementResetPeriod",
    "EntitlementsStateAccessDeniedReason",
    "FeatureStatus",
    "FeatureType",
    "MeterType",
    "PackageStatus",
    "PaymentCollection",
    "PaymentCollectionMethod",
    "PaymentMethodType",
    "PricingType",
    "PromotionalEntitlementPeriod",
    "PromotionalEntitlementStatus",
    "ProvisionSubscriptionStatus",
    "ScheduleStrategy",
    "SortDirection",
    "SortNulls",
    "SubscriptionCancelReason",
    "SubscriptionCancellationAction",
    "SubscriptionCancellationTime",
    "SubscriptionDecisionStrategy",
    "SubscriptionInvoiceStatus",
    "SubscriptionMigrationTime",
    "SubscriptionStatus",
    "TiersMode",
    "UsageUpdateBehavior",
]


class _StrEnum(str, Enum):
    """A str enum that prints as its value (``f"{x}"`` gives ``"ACTIVE"``)."""

    def __str__(self) -> str:
        return str(self.value)

    def __format__(self, format_spec: str) -> str:
        return format(str(self.value), format_spec)


class FeatureType(_StrEnum):
    """Kind of feature: on/off, numeric limit, or one of a set of values."""

    BOOLEAN = "BOOLEAN"
    ENUM = "ENUM"
    NUMBER = "NUMBER"


class MeterType(_StrEnum):
    """How a numeric feature's usage is metered (``NONE`` means a plain limit value)."""

    FLUCTUATING = "Fluctuating"
    INCREMENTAL = "Incremental"
    NONE = "None"


class FeatureStatus(_StrEnum):
    """Values of the schema enum ``FeatureStatus``."""

    ACTIVE = "ACTIVE"
    NEW = "NEW"
    SUSPENDED = "SUSPENDED"


class AccessDeniedReason(_StrEnum):
    """Why an entitlement check denied access."""

    BUDGET_EXCEEDED = "BudgetExceeded"
    CUSTOMER_IS_ARCHIVED = "CustomerIsArchived"
    CUSTOMER_NOT_FOUND = "CustomerNotFound"
    CUSTOMER_RESOURCE_NOT_FOUND = "CustomerResourceNotFound"
    ENTITLEMENT_NOT_FOUND = "EntitlementNotFound"
    FEATURE_NOT_FOUND = "FeatureNotFound"
    FEATURE_TYPE_MISMATCH = "FeatureTypeMismatch"
    INSUFFICIENT_CREDITS = "InsufficientCredits"
    NO_ACTIVE_SUBSCRIPTION = "NoActiveSubscription"
    NO_FEATURE_ENTITLEMENT_IN_SUBSCRIPTION = "NoFeatureEntitlementInSubscription"
    REQUESTED_USAGE_EXCEEDING_LIMIT = "RequestedUsageExceedingLimit"
    REQUESTED_VALUES_MISMATCH = "RequestedValuesMismatch"
    REVOKED = "Revoked"
    UNKNOWN = "Unknown"


class EntitlementsStateAccessDeniedReason(_StrEnum):
    """Why every entitlement of a customer is denied."""

    CUSTOMER_IS_ARCHIVED = "CustomerIsArchived"
    CUSTOMER_NOT_FOUND = "CustomerNotFound"
    NO_ACTIVE_SUBSCRIPTION = "NoActiveSubscription"


class EntitlementResetPeriod(_StrEnum):
    """How often metered usage resets."""

    DAY = "DAY"
    HOUR = "HOUR"
    MONTH = "MONTH"
    WEEK = "WEEK"
    YEAR = "YEAR"


class SubscriptionStatus(_StrEnum):
    """Lifecycle state of a subscription."""

    ACTIVE = "ACTIVE"
    CANCELED = "CANCELED"
    EXPIRED = "EXPIRED"
    IN_TRIAL = "IN_TRIAL"
    NOT_STARTED = "NOT_STARTED"
    PAYMENT_PENDING = "PAYMENT_PENDING"


class PaymentCollection(_StrEnum):
    """State of the payment for a subscription's latest invoice."""

    ACTION_REQUIRED = "ACTION_REQUIRED"
    FAILED = "FAILED"
    NOT_REQUIRED = "NOT_REQUIRED"
    PROCESSING = "PROCESSING"


class PaymentCollectionMethod(_StrEnum):
    """Values of the schema enum ``PaymentCollectionMethod``."""

    CHARGE = "CHARGE"
    INVOICE = "INVOICE"
    NONE = "NONE"


class ProvisionSubscriptionStatus(_StrEnum):
    """Outcome of provisioning a subscription."""

    PAYMENT_REQUIRED = "PAYMENT_REQUIRED"
    SUCCESS = "SUCCESS"


class BillingPeriod(_StrEnum):
    """Values of the schema enum ``BillingPeriod``."""

    ANNUALLY = "ANNUALLY"
    MONTHLY = "MONTHLY"


class BillingModel(_StrEnum):
    """Values of the schema enum ``BillingModel``."""

    CREDIT_BASED = "CREDIT_BASED"
    FLAT_FEE = "FLAT_FEE"
    MINIMUM_SPEND = "MINIMUM_SPEND"
    PER_UNIT = "PER_UNIT"
    USAGE_BASED = "USAGE_BASED"


class BillingCadence(_StrEnum):
    """Values of the schema enum ``BillingCadence``."""

    ONE_OFF = "ONE_OFF"
    RECURRING = "RECURRING"


class TiersMode(_StrEnum):
    """Values of the schema enum ``TiersMode``."""

    GRADUATED = "GRADUATED"
    VOLUME = "VOLUME"


class PricingType(_StrEnum):
    """Values of the schema enum ``PricingType``."""

    CUSTOM = "CUSTOM"
    FREE = "FREE"
    PAID = "PAID"


class PackageStatus(_StrEnum):
    """Values of the schema enum ``PackageStatus``."""

    ARCHIVED = "ARCHIVED"
    DRAFT = "DRAFT"
    PUBLISHED = "PUBLISHED"


class SubscriptionCancellationTime(_StrEnum):
    """Values of the schema enum ``SubscriptionCancellationTime``."""

    END_OF_BILLING_PERIOD = "END_OF_BILLING_PERIOD"
    IMMEDIATE = "IMMEDIATE"
    SPECIFIC_DATE = "SPECIFIC_DATE"


class SubscriptionCancellationAction(_StrEnum):
    """Values of the schema enum ``SubscriptionCancellationAction``."""

    DEFAULT = "DEFAULT"
    REVOKE_ENTITLEMENTS = "REVOKE_ENTITLEMENTS"


class SubscriptionCancelReason(_StrEnum):
    """Values of the schema enum ``SubscriptionCancelReason``."""

    AUTO_CANCELLATION_RULE = "AutoCancellationRule"
    CANCELLED_BY_BILLING = "CancelledByBilling"
    CUSTOMER_ARCHIVED = "CustomerArchived"
    DETACH_BILLING = "DetachBilling"
    EXPIRED = "Expired"
    IMMEDIATE = "Immediate"
    PENDING_PAYMENT_EXPIRED = "PendingPaymentExpired"
    SCHEDULED_CANCELLATION = "ScheduledCancellation"
    TRIAL_CONVERTED = "TrialConverted"
    TRIAL_ENDED = "TrialEnded"
    UPGRADE_OR_DOWNGRADE = "UpgradeOrDowngrade"


class SubscriptionMigrationTime(_StrEnum):
    """Values of the schema enum ``SubscriptionMigrationTime``."""

    END_OF_BILLING_PERIOD = "END_OF_BILLING_PERIOD"
    IMMEDIATE = "IMMEDIATE"


class ScheduleStrategy(_StrEnum):
    """Values of the schema enum ``ScheduleStrategy``."""

    END_OF_BILLING_MONTH = "END_OF_BILLING_MONTH"
    END_OF_BILLING_PERIOD = "END_OF_BILLING_PERIOD"
    IMMEDIATE = "IMMEDIATE"


class UsageUpdateBehavior(_StrEnum):
    """Whether a usage report adds to (``DELTA``) or replaces (``SET``) the usage."""

    DELTA = "DELTA"
    SET = "SET"


class PromotionalEntitlementPeriod(_StrEnum):
    """Values of the schema enum ``PromotionalEntitlementPeriod``."""

    CUSTOM = "CUSTOM"
    LIFETIME = "LIFETIME"
    ONE_MONTH = "ONE_MONTH"
    ONE_WEEK = "ONE_WEEK"
    ONE_YEAR = "ONE_YEAR"
    SIX_MONTH = "SIX_MONTH"


class PromotionalEntitlementStatus(_StrEnum):
    """Values of the schema enum ``PromotionalEntitlementStatus``."""

    ACTIVE = "Active"
    EXPIRED = "Expired"
    PAUSED = "Paused"


class CouponStatus(_StrEnum):
    """Values of the schema enum ``CouponStatus``."""

    ACTIVE = "ACTIVE"
    ARCHIVED = "ARCHIVED"


class CouponType(_StrEnum):
    """Values of the schema enum ``CouponType``."""

    FIXED = "FIXED"
    PERCENTAGE = "PERCENTAGE"


class CouponSource(_StrEnum):
    """Values of the schema enum ``CouponSource``."""

    STIGG = "STIGG"
    STIGG_ADHOC = "STIGG_ADHOC"
    STRIPE = "STRIPE"


class DiscountType(_StrEnum):
    """Values of the schema enum ``DiscountType``."""

    FIXED = "FIXED"
    PERCENTAGE = "PERCENTAGE"


class DiscountDurationType(_StrEnum):
    """Values of the schema enum ``DiscountDurationType``."""

    FOREVER = "FOREVER"
    ONCE = "ONCE"
    REPEATING = "REPEATING"


class SubscriptionInvoiceStatus(_StrEnum):
    """Values of the schema enum ``SubscriptionInvoiceStatus``."""

    CANCELED = "CANCELED"
    OPEN = "OPEN"
    PAID = "PAID"


class SubscriptionDecisionStrategy(_StrEnum):
    """How provisioning a customer decided which subscription to create."""

    PREDEFINED_FREE_PLAN = "PREDEFINED_FREE_PLAN"
    PREDEFINED_TRIAL_PLAN = "PREDEFINED_TRIAL_PLAN"
    REQUESTED_PLAN = "REQUESTED_PLAN"
    SKIPPED_SUBSCRIPTION_CREATION = "SKIPPED_SUBSCRIPTION_CREATION"


class PaymentMethodType(_StrEnum):
    """Values of the schema enum ``PaymentMethodType``."""

    BANK = "BANK"
    CARD = "CARD"
    CASH_APP = "CASH_APP"


class SortDirection(_StrEnum):
    """Values of the schema enum ``SortDirection``."""

    ASC = "ASC"
    DESC = "DESC"


class SortNulls(_StrEnum):
    """Values of the schema enum ``SortNulls``."""

    NULLS_FIRST = "NULLS_FIRST"
    NULLS_LAST = "NULLS_LAST"


class CustomerSortFields(_StrEnum):
    """Values of the schema enum ``CustomerSortFields``."""

    AWS_MARKETPLACE_CUSTOMER_ID = "awsMarketplaceCustomerId"
    BILLING_ID = "billingId"
    CREATED_AT = "createdAt"
    CRM_HUBSPOT_COMPANY_ID = "crmHubspotCompanyId"
    CRM_HUBSPOT_COMPANY_URL = "crmHubspotCompanyUrl"
    CRM_ID = "crmId"
    CUSTOMER_ID = "customerId"
    DELETED_AT = "deletedAt"
    EMAIL = "email"
    ENVIRONMENT_ID = "environmentId"
    ID = "id"
    NAME = "name"
    REF_ID = "refId"
    SALESFORCE_ID = "salesforceId"
    SEARCH_QUERY = "searchQuery"
    UPDATED_AT = "updatedAt"


class CouponSortFields(_StrEnum):
    """Values of the schema enum ``CouponSortFields``."""

    BILLING_ID = "billingId"
    CREATED_AT = "createdAt"
    DESCRIPTION = "description"
    ENVIRONMENT_ID = "environmentId"
    ID = "id"
    NAME = "name"
    REF_ID = "refId"
    SOURCE = "source"
    STATUS = "status"
    TYPE = "type"
    UPDATED_AT = "updatedAt"


class Currency(_StrEnum):
    """ISO-4217 currency codes the API accepts."""

    AED = "AED"
    ALL = "ALL"
    AMD = "AMD"
    ANG = "ANG"
    AUD = "AUD"
    AWG = "AWG"
    AZN = "AZN"
    BAM = "BAM"
    BBD = "BBD"
    BDT = "BDT"
    BGN = "BGN"
    BIF = "BIF"
    BMD = "BMD"
    BND = "BND"
    BRL = "BRL"
    BSD = "BSD"
    BWP = "BWP"
    BYN = "BYN"
    BZD = "BZD"
    CAD = "CAD"
    CDF = "CDF"
    CHF = "CHF"
    CLP = "CLP"
    CNY = "CNY"
    CZK = "CZK"
    DJF = "DJF"
    DKK = "DKK"
    DOP = "DOP"
    DZD = "DZD"
    EGP = "EGP"
    ETB = "ETB"
    EUR = "EUR"
    FJD = "FJD"
    GBP = "GBP"
    GEL = "GEL"
    GIP = "GIP"
    GMD = "GMD"
    GNF = "GNF"
    GYD = "GYD"
    HKD = "HKD"
    HRK = "HRK"
    HTG = "HTG"
    IDR = "IDR"
    ILS = "ILS"
    INR = "INR"
    ISK = "ISK"
    JMD = "JMD"
    JPY = "JPY"
    KES = "KES"
    KGS = "KGS"
    KHR = "KHR"
    KMF = "KMF"
    KRW = "KRW"
    KYD = "KYD"
    KZT = "KZT"
    LBP = "LBP"
    LKR = "LKR"
    LRD = "LRD"
    LSL = "LSL"
    MAD = "MAD"
    MDL = "MDL"
    MGA = "MGA"
    MKD = "MKD"
    MMK = "MMK"
    MNT = "MNT"
    MOP = "MOP"
    MRO = "MRO"
    MVR = "MVR"
    MWK = "MWK"
    MXN = "MXN"
    MYR = "MYR"
    MZN = "MZN"
    NAD = "NAD"
    NGN = "NGN"
    NOK = "NOK"
    NPR = "NPR"
    NZD = "NZD"
    PGK = "PGK"
    PHP = "PHP"
    PKR = "PKR"
    PLN = "PLN"
    PYG = "PYG"
    QAR = "QAR"
    RON = "RON"
    RSD = "RSD"
    RUB = "RUB"
    RWF = "RWF"
    SAR = "SAR"
    SBD = "SBD"
    SCR = "SCR"
    SEK = "SEK"
    SGD = "SGD"
    SLE = "SLE"
    SLL = "SLL"
    SOS = "SOS"
    SZL = "SZL"
    THB = "THB"
    TJS = "TJS"
    TOP = "TOP"
    TRY = "TRY"
    TTD = "TTD"
    TZS = "TZS"
    UAH = "UAH"
    UGX = "UGX"
    USD = "USD"
    UZS = "UZS"
    VND = "VND"
    VUV = "VUV"
    WST = "WST"
    XAF = "XAF"
    XCD = "XCD"
    XOF = "XOF"
    XPF = "XPF"
    YER = "YER"
    ZAR = "ZAR"
    ZMW = "ZMW"
