"""Credit entitlements in the cache: the frozen record, its parser, and the local decision.

Pure and self-contained (no I/O, no store): the store keeps one
:class:`CachedCreditEntitlement` per ``(customer, resource, currency)`` and a pending
amount beside it, exactly as for metered features, and asks :func:`decide_credit`.
The object parsed is a ``CreditEntitlement`` as selected by
``operations/fragments/CreditEntitlementFragment.graphql`` (in ``entitlementV2`` and in
``entitlementsState.entitlementsV2``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from stigg_async._cache._model import parse_datetime
from stigg_async._errors import StiggResponseError
from stigg_async._models._enums import AccessDeniedReason
from stigg_async._usage._items import CREDIT_PREFIX

__all__ = [
    "CREDIT_PREFIX",
    "CachedCreditEntitlement",
    "CreditDecision",
    "CreditEntitlementResult",
    "decide_credit",
    "parse_credit_entitlement",
]


@dataclass(frozen=True, slots=True)
class CachedCreditEntitlement:
    """A customer's entitlement to spend one currency, as the API last described it.

    ``usage_limit`` is the credits granted (active grants) and ``current_usage`` what
    was consumed of them, so the balance is their difference.
    """

    currency_id: str
    currency_display_name: str | None = None
    currency_description: str | None = None
    unit_singular: str | None = None
    unit_plural: str | None = None
    is_granted: bool = False
    access_denied_reason: AccessDeniedReason | None = None
    usage_limit: float | None = None
    current_usage: float = 0.0
    has_soft_limit: bool = False
    usage_period_end: datetime | None = None
    valid_until: datetime | None = None
    usage_updated_at: datetime | None = None
    entitlement_updated_at: datetime | None = None

    @property
    def balance(self) -> float:
        """Credits left as last reported (``usage_limit - current_usage``)."""
        return (self.usage_limit or 0.0) - self.current_usage


@dataclass(frozen=True, slots=True)
class CreditDecision:
    """The local answer to "may this customer spend ``requested`` credits now?".

    ``balance`` is what is left after pending consumption (before ``requested``).
    """

    is_granted: bool
    access_denied_reason: AccessDeniedReason | None
    balance: float


@dataclass(frozen=True, slots=True)
class CreditEntitlementResult:
    """The answer to a local credit check (``AsyncStigg.get_credit_entitlement``).

    Attributes:
        customer_id, resource_id, currency_id: what was checked.
        is_granted: whether ``requested_amount`` may be spent now.
        access_denied_reason: why not, or ``None``.
        requested_amount: the amount asked about (0 when none).
        current_usage: credits consumed as the server last reported.
        pending_usage: credits this process consumed and the server has not
            acknowledged yet (counted against the balance).
        usage_limit: credits granted.
        balance: what is left after pending consumption (``usage_limit -
            current_usage - pending_usage``), or ``None`` when nothing is known.
        source: where the data came from (an ``EntitlementSource``).
        entitlement: the :class:`CachedCreditEntitlement`, or ``None`` when the
            customer has no entitlement to this currency (or nothing is known).

    Example:
        >>> result = await stigg.get_credit_entitlement(  # doctest: +SKIP
        ...     "customer-1", "currency-ai-credits", requested_amount=5
        ... )
        >>> result.is_granted, result.balance  # doctest: +SKIP
        (True, 65.0)
    """

    customer_id: str
    resource_id: str | None
    currency_id: str
    is_granted: bool
    access_denied_reason: AccessDeniedReason | None
    requested_amount: float
    current_usage: float
    pending_usage: float
    usage_limit: float | None
    balance: float | None
    source: Any
    entitlement: CachedCreditEntitlement | None


def _str(value: Any, name: str) -> str | None:
    if value is None or isinstance(value, str):
        return value
    raise StiggResponseError(f"credit entitlement field {name} is not a string")


def _num(value: Any, name: str) -> float | None:
    if value is None:
        return None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        number = float(value)
        return number if math.isfinite(number) else None
    raise StiggResponseError(f"credit entitlement field {name} is not a number")


def _when(value: Any, name: str) -> datetime | None:
    # The entitlement cache's date rule (ISO 8601 or epoch ms, naive read as UTC),
    # with an error that names the credit field.
    try:
        return parse_datetime(value)
    except StiggResponseError:
        raise StiggResponseError(f"credit entitlement field {name} is not a date") from None


def _reason(value: Any) -> AccessDeniedReason | None:
    if value is None:
        return None
    try:
        return AccessDeniedReason(value)
    except ValueError:
        # A reason this SDK does not know yet still denies.
        return AccessDeniedReason.UNKNOWN


def parse_credit_entitlement(raw: Any) -> CachedCreditEntitlement:
    """A :class:`CachedCreditEntitlement` from one ``CreditEntitlementFragment`` object.

    Raises:
        StiggResponseError: the object does not have the fragment's shape.

    Example:
        >>> ent = parse_credit_entitlement({
        ...     "isGranted": True, "usageLimit": 100, "currentUsage": 30,
        ...     "currency": {"currencyId": "currency-ai-credits", "displayName": "AI credits"},
        ... })
        >>> (ent.currency_id, ent.balance)
        ('currency-ai-credits', 70.0)
    """
    if not isinstance(raw, Mapping):
        raise StiggResponseError("credit entitlement is not an object")
    currency = raw.get("currency")
    if not isinstance(currency, Mapping):
        raise StiggResponseError("credit entitlement has no currency")
    currency_id = currency.get("currencyId")
    if not isinstance(currency_id, str) or not currency_id:
        raise StiggResponseError("credit entitlement currency has no currencyId")
    usage = _num(raw.get("currentUsage"), "currentUsage")
    return CachedCreditEntitlement(
        currency_id=currency_id,
        currency_display_name=_str(currency.get("displayName"), "currency.displayName"),
        currency_description=_str(currency.get("description"), "currency.description"),
        unit_singular=_str(currency.get("unitSingular"), "currency.unitSingular"),
        unit_plural=_str(currency.get("unitPlural"), "currency.unitPlural"),
        is_granted=raw.get("isGranted") is True,
        access_denied_reason=_reason(raw.get("accessDeniedReason")),
        usage_limit=_num(raw.get("usageLimit"), "usageLimit"),
        current_usage=usage if usage is not None else 0.0,
        has_soft_limit=raw.get("hasSoftLimit") is True,
        usage_period_end=_when(raw.get("usagePeriodEnd"), "usagePeriodEnd"),
        valid_until=_when(raw.get("validUntil"), "validUntil"),
        usage_updated_at=_when(raw.get("usageUpdatedAt"), "usageUpdatedAt"),
        entitlement_updated_at=_when(raw.get("entitlementUpdatedAt"), "entitlementUpdatedAt"),
    )


# The API judges the requested amount: a denial it computed for *its* requested usage
# (RequestedUsageExceedingLimit) is not a standing denial of the currency.
_JUDGED = AccessDeniedReason.REQUESTED_USAGE_EXCEEDING_LIMIT


def decide_credit(
    ent: CachedCreditEntitlement, pending: float, requested: float, now: datetime
) -> CreditDecision:
    """Whether ``requested`` credits may be spent, given ``pending`` unacknowledged ones.

    The rule, in order:

    1. a standing denial reason on the entitlement denies with it;
    2. a soft limit grants (spending may run past the balance);
    3. otherwise grant iff ``current_usage + pending + requested <= usage_limit``, else
       deny with ``RequestedUsageExceedingLimit``. Past ``usage_period_end`` the usage
       counts as 0 (a new period started). ``valid_until`` is when the first credits
       left expire: past it the balance is not known exactly any more, so the answer
       turns conservative (nothing left to spend) until the next refresh; it never
       grants what the server would refuse.

    Example:
        >>> from datetime import datetime, timezone
        >>> now = datetime(2026, 1, 1, tzinfo=timezone.utc)
        >>> ent = CachedCreditEntitlement("cur", is_granted=True, usage_limit=10, current_usage=6)
        >>> decide_credit(ent, pending=2, requested=2, now=now).is_granted
        True
        >>> decide_credit(ent, pending=2, requested=3, now=now).access_denied_reason
        <AccessDeniedReason.REQUESTED_USAGE_EXCEEDING_LIMIT: 'RequestedUsageExceedingLimit'>
    """
    used = ent.current_usage
    if ent.usage_period_end is not None and ent.usage_period_end <= now:
        used = 0.0
    left = (ent.usage_limit or 0.0) - used
    if ent.valid_until is not None and ent.valid_until <= now:
        left = min(left, 0.0)
    balance = left - pending
    reason = ent.access_denied_reason
    if reason is not None and reason is not _JUDGED:
        return CreditDecision(False, reason, balance)
    if ent.has_soft_limit:
        return CreditDecision(True, None, balance)
    if requested <= balance + 1e-9:
        return CreditDecision(True, None, balance)
    return CreditDecision(False, _JUDGED, balance)
