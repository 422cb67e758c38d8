"""The cache's immutable data: features, entitlements, check results, snapshots.

Everything here is built once when data arrives (validated and parsed then) and only
read afterwards, so the check path never parses, validates or copies.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from enum import Enum
from operator import itemgetter
from types import MappingProxyType
from typing import Any, TypeVar

from stigg_async._errors import StiggResponseError
from stigg_async._models._enums import (
    AccessDeniedReason,
    EntitlementResetPeriod,
    FeatureStatus,
    FeatureType,
    MeterType,
)

__all__ = [
    "CachedEntitlement",
    "EntitlementResult",
    "EntitlementSource",
    "EntitlementsChange",
    "EntitlementsResult",
    "FeatureInfo",
]

_E = TypeVar("_E", bound=Enum)
Key = tuple[str, "str | None"]


class EntitlementSource(str, Enum):
    """Where a check's answer came from.

    * ``FRESH_CACHE``: a cached snapshot younger than ``ttl``;
    * ``STALE_CACHE``: an older snapshot, served because the API failed to refresh it;
    * ``NETWORK``: fetched from the API while the check waited;
    * ``FALLBACK``: nothing usable was known; the configured fallback or a denial.
    """

    FRESH_CACHE = "fresh_cache"
    STALE_CACHE = "stale_cache"
    NETWORK = "network"
    FALLBACK = "fallback"

    def __str__(self) -> str:
        return str(self.value)


@dataclass(frozen=True, slots=True)
class FeatureInfo:
    """The feature an entitlement is for.

    Attributes:
        id: the feature's id as used in checks (its ``refId``, e.g. ``"feature-01-templates"``).
        uuid: the API's internal id of the feature.
        display_name, description, units, units_plural: for display.
        feature_type: ``BOOLEAN``, ``NUMBER`` or ``ENUM`` (``None`` if the API sent a
            type this SDK does not know).
        meter_type: ``Fluctuating``, ``Incremental`` or ``None`` (a plain value).
        status: ``ACTIVE``, ``NEW`` or ``SUSPENDED``.
    """

    id: str
    uuid: str | None = None
    display_name: str | None = None
    feature_type: FeatureType | None = None
    meter_type: MeterType | None = None
    units: str | None = None
    units_plural: str | None = None
    status: FeatureStatus | None = None
    description: str | None = None

    @property
    def is_metered(self) -> bool:
        """True for numeric features whose usage is counted against a limit."""
        return self.feature_type is FeatureType.NUMBER and self.meter_type in (
            MeterType.FLUCTUATING,
            MeterType.INCREMENTAL,
        )


@dataclass(frozen=True, slots=True)
class CachedEntitlement:
    """One entitlement as the API last described it (plus write-through usage).

    The values are the server's; the local decision for a given requested usage is in
    :class:`EntitlementResult`.
    """

    feature_id: str
    feature: FeatureInfo | None = None
    customer_id: str | None = None
    resource_id: str | None = None
    is_granted: bool = False
    access_denied_reason: AccessDeniedReason | None = None
    usage_limit: float | None = None
    current_usage: float = 0.0
    has_unlimited_usage: bool = False
    has_soft_limit: bool = False
    reset_period: EntitlementResetPeriod | None = None
    usage_period_anchor: datetime | None = None
    usage_period_start: datetime | None = None
    usage_period_end: datetime | None = None
    next_reset_date: datetime | None = None
    entitlement_updated_at: datetime | None = None
    usage_updated_at: datetime | None = None
    valid_until: float | None = None


class _Stamp:
    """When an answer's data was obtained, on the cache's monotonic clock."""

    __slots__ = ("_monotonic", "fetched_at")

    def __init__(self, fetched_at: float, monotonic: Callable[[], float]) -> None:
        self.fetched_at = fetched_at
        self._monotonic = monotonic

    @property
    def age(self) -> float:
        return self._monotonic() - self.fetched_at


_new_tuple = tuple.__new__


class EntitlementResult(tuple):  # type: ignore[type-arg]
    """The answer to one entitlement check. Immutable.

    Attributes:
        is_granted: the decision.
        access_denied_reason: why it was denied (an ``AccessDeniedReason``), or ``None``.
        feature_id: the feature checked.
        requested_usage: the usage the check asked for (``None`` if it asked for none).
        current_usage: the server's usage, counted against the limit (0 after the
            usage period ended, until the next refresh).
        pending_usage: usage accepted by this process and not yet acknowledged by
            the server (tracked, or sent and awaiting an answer); it counts against
            the limit too: a metered check is granted iff
            ``current_usage + pending_usage + requested_usage <= usage_limit``.
        idempotency_key: for :meth:`AsyncStigg.consume`, the key of the usage item
            tracked with a granted answer; ``None`` otherwise.
        usage_limit, has_unlimited_usage, has_soft_limit, reset_period,
        usage_period_start, usage_period_end, next_reset_date: from the entitlement.
        feature: the :class:`FeatureInfo` (``None`` for fallbacks and missing features).
        source: an :class:`EntitlementSource`.
        age: seconds since the data behind the answer was fetched.
        entitlement: the :class:`CachedEntitlement` behind the answer.

    Truth-testing a result raises ``TypeError`` on purpose: write
    ``if result.is_granted:``, never ``if result:``.

    Example:
        >>> result = await stigg.get_entitlement(  # doctest: +SKIP
        ...     "customer-1", "feature-02-campaigns", requested_usage=1
        ... )
        >>> result.is_granted, result.source  # doctest: +SKIP
        (True, <EntitlementSource.FRESH_CACHE: 'fresh_cache'>)
    """

    # A tuple subclass because tuple.__new__ is the cheapest immutable allocation in
    # CPython: the warm check builds one of these per call and has a sub-µs budget.
    __slots__ = ()

    entitlement: CachedEntitlement = property(itemgetter(0))  # type: ignore[assignment]
    is_granted: bool = property(itemgetter(1))  # type: ignore[assignment]
    access_denied_reason: AccessDeniedReason | None = property(itemgetter(2))  # type: ignore[assignment]
    requested_usage: float | None = property(itemgetter(3))  # type: ignore[assignment]
    current_usage: float = property(itemgetter(4))  # type: ignore[assignment]
    source: EntitlementSource = property(itemgetter(5))  # type: ignore[assignment]
    feature_id: str = property(itemgetter(7))  # type: ignore[assignment]
    pending_usage: float = property(itemgetter(8))  # type: ignore[assignment]
    idempotency_key: str | None = property(itemgetter(9))  # type: ignore[assignment]

    def __new__(  # noqa: PLR0917 - positional on purpose: built on the hot path
        cls,
        entitlement: CachedEntitlement,
        is_granted: bool,
        access_denied_reason: AccessDeniedReason | None,
        requested_usage: float | None,
        current_usage: float,
        source: EntitlementSource,
        stamp: _Stamp,
        feature_id: str,
        pending_usage: float = 0.0,
        idempotency_key: str | None = None,
    ) -> EntitlementResult:
        return _new_tuple(
            cls,
            (
                entitlement,
                is_granted,
                access_denied_reason,
                requested_usage,
                current_usage,
                source,
                stamp,
                feature_id,
                pending_usage,
                idempotency_key,
            ),
        )

    def with_idempotency_key(self, key: str) -> EntitlementResult:
        """This answer, carrying the key of the usage item tracked with it."""
        return _new_tuple(EntitlementResult, (*self[:9], key))

    @property
    def age(self) -> float:
        """Seconds since the data behind this answer was fetched (computed on access)."""
        stamp: _Stamp = self[6]
        return stamp.age

    @property
    def usage_limit(self) -> float | None:
        """The usage limit, ``None`` when there is none."""
        return self[0].usage_limit  # type: ignore[no-any-return]

    @property
    def has_unlimited_usage(self) -> bool:
        """True when usage is not limited."""
        return self[0].has_unlimited_usage  # type: ignore[no-any-return]

    @property
    def has_soft_limit(self) -> bool:
        """True when the limit is soft (usage past it is still granted)."""
        return self[0].has_soft_limit  # type: ignore[no-any-return]

    @property
    def reset_period(self) -> EntitlementResetPeriod | None:
        """How often usage resets (``MONTH``...), if it does."""
        return self[0].reset_period  # type: ignore[no-any-return]

    @property
    def usage_period_start(self) -> datetime | None:
        """Start of the current usage period, if metered with resets."""
        return self[0].usage_period_start  # type: ignore[no-any-return]

    @property
    def usage_period_end(self) -> datetime | None:
        """End of the current usage period, if metered with resets."""
        return self[0].usage_period_end  # type: ignore[no-any-return]

    @property
    def next_reset_date(self) -> datetime | None:
        """When usage next resets, if it does."""
        return self[0].next_reset_date  # type: ignore[no-any-return]

    @property
    def feature(self) -> FeatureInfo | None:
        """The feature, when the API described it."""
        return self[0].feature  # type: ignore[no-any-return]

    @property
    def remaining_usage(self) -> float | None:
        """``usage_limit - current_usage - pending_usage``, at least 0; ``None``: unlimited."""
        ent: CachedEntitlement = self[0]
        if ent.usage_limit is None or ent.has_unlimited_usage:
            return None
        return max(0.0, ent.usage_limit - float(self[4]) - float(self[8]))

    def __bool__(self) -> bool:
        raise TypeError("use result.is_granted, not the truth value of an EntitlementResult")

    def __repr__(self) -> str:
        reason = self[2]
        return (
            f"EntitlementResult(feature_id={self[7]!r}, is_granted={self[1]}, "
            f"access_denied_reason={None if reason is None else str(reason)!r}, "
            f"current_usage={self[4]}, pending_usage={self[8]}, "
            f"usage_limit={self[0].usage_limit}, "
            f"requested_usage={self[3]}, source={str(self[5])!r}, age={self.age:.3f})"
        )


class EntitlementsResult:
    """Every entitlement of one customer (and resource), evaluated with no requested usage.

    Attributes:
        customer_id, resource_id: the key asked for.
        access_denied_reason: the customer-level denial (``CustomerNotFound``,
            ``NoActiveSubscription``...), or ``None``.
        entitlements: feature id -> :class:`EntitlementResult`.
        source, age: as on :class:`EntitlementResult`.

    Example:
        >>> everything = await stigg.get_entitlements("customer-1")  # doctest: +SKIP
        >>> [r.feature_id for r in everything if r.is_granted]  # doctest: +SKIP
        ['feature-01-templates', 'feature-03-custom-domain']
    """

    __slots__ = (
        "_stamp",
        "access_denied_reason",
        "customer_id",
        "entitlements",
        "resource_id",
        "source",
    )

    def __init__(  # noqa: PLR0917 - internal, built in one place
        self,
        customer_id: str,
        resource_id: str | None,
        access_denied_reason: AccessDeniedReason | None,
        entitlements: Mapping[str, EntitlementResult],
        source: EntitlementSource,
        stamp: _Stamp,
    ) -> None:
        self.customer_id = customer_id
        self.resource_id = resource_id
        self.access_denied_reason = access_denied_reason
        self.entitlements: Mapping[str, EntitlementResult] = MappingProxyType(dict(entitlements))
        self.source = source
        self._stamp = stamp

    @property
    def age(self) -> float:
        """Seconds since the data behind this answer was fetched."""
        return self._stamp.age

    def __getitem__(self, feature_id: str) -> EntitlementResult:
        return self.entitlements[feature_id]

    def get(self, feature_id: str) -> EntitlementResult | None:
        """The result for ``feature_id``, or ``None`` when the customer has no such entitlement."""
        return self.entitlements.get(feature_id)

    def __contains__(self, feature_id: object) -> bool:
        return feature_id in self.entitlements

    def __iter__(self) -> Iterator[EntitlementResult]:
        return iter(self.entitlements.values())

    def __len__(self) -> int:
        return len(self.entitlements)

    def __repr__(self) -> str:
        reason = self.access_denied_reason
        return (
            f"EntitlementsResult(customer_id={self.customer_id!r}, "
            f"resource_id={self.resource_id!r}, "
            f"access_denied_reason={None if reason is None else str(reason)!r}, "
            f"features={sorted(self.entitlements)!r}, source={str(self.source)!r})"
        )


@dataclass(frozen=True, slots=True)
class EntitlementsChange:
    """What a listener is told: one key's entitlements changed.

    Attributes:
        customer_id, resource_id: the key.
        feature_ids: the features whose cached data changed (added, removed or updated).
        access_denied_reason: the customer-level denial after the change, if any.
        cause: ``"refresh"`` (new data from the API) or ``"usage"`` (a usage report's
            answer was written through).
    """

    customer_id: str
    resource_id: str | None
    feature_ids: frozenset[str]
    access_denied_reason: AccessDeniedReason | None
    cause: str


class _Check:
    """One feature of a snapshot, precompiled for the check path.

    ``metered`` checks compare ``usage + requested <= limit`` (usage counts as 0 from
    ``reset_at`` on); the others answer ``granted``/``reason`` whatever is requested.
    ``result`` is the fresh answer for a check with no requested usage (``None``
    until built); ``memo`` holds fresh answers for requested usages seen so far
    (bounded). Both are valid for the current ``usage`` and ``pending``: whoever
    changes either resets them (see ``_store``).
    """

    __slots__ = (
        "ent",
        "granted",
        "hits",
        "limit",
        "memo",
        "metered",
        "pending",
        "reason",
        "reset_at",
        "result",
        "snapshot",
        "total",
        "tracks",
        "usage",
        "usage_written_at",
        "usage_written_ts",
    )

    ent: CachedEntitlement
    granted: bool
    # Checks answered from this entitlement by the fast paths: the stats' fast_hits
    # and the idle sweep's "read lately" (one increment, no clock read).
    hits: int
    limit: float
    metered: bool
    reason: AccessDeniedReason | None
    reset_at: float
    result: EntitlementResult | None
    # Fresh answers by requested usage: a check is immutable (a write-through
    # replaces it), so an answer once built stays right while the snapshot is fresh
    # and the usage period lasts. Spares the warm path its only allocation.
    memo: dict[float, EntitlementResult]
    snapshot: _Snapshot
    usage: float  # the server's base
    pending: float  # accepted here, not yet acknowledged (DESIGN section 9)
    total: float  # usage + pending, kept in step by the store
    tracks: bool  # a metered feature: a granted consume tracks usage
    usage_written_at: float  # monotonic time of the last write-through (-inf: none)
    usage_written_ts: datetime | None  # the report's timestamp of that write-through


class _Snapshot(_Stamp):
    """Everything cached for one ``(customer_id, resource_id)``."""

    __slots__ = (
        "all_result",
        "checks",
        "credits",
        "customer_id",
        "denial",
        "expiry",
        "fetch_started",
        "fresh_until",
        "resource_id",
        "seen_hits",
        "stale_until",
        "used",
    )

    def __init__(  # noqa: PLR0917 - internal, built in one place
        self,
        customer_id: str,
        resource_id: str | None,
        denial: AccessDeniedReason | None,
        fetched_at: float,
        fetch_started: float,
        fresh_until: float,
        stale_until: float,
        monotonic: Callable[[], float],
    ) -> None:
        super().__init__(fetched_at, monotonic)
        self.customer_id = customer_id
        self.resource_id = resource_id
        self.denial = denial
        self.fetch_started = fetch_started
        self.fresh_until = fresh_until
        self.stale_until = stale_until
        self.checks: dict[str, _Check] = {}
        # Credit entitlements by currency id (``CachedCreditEntitlement``).
        self.credits: dict[str, Any] = {}
        # Set by reads, cleared by the poller: "someone used this key lately".
        self.used = True
        # The checks' hits the last sweep saw (more since: read lately).
        self.seen_hits = 0
        # The timer that takes this snapshot out of the store's live index (or None).
        self.expiry: Any = None
        self.all_result: EntitlementsResult | None = None


# -- parsing (once, when data arrives) ---------------------------------------------


def _enum(cls: type[_E], value: Any, default: _E | None = None) -> _E | None:
    if value is None:
        return None
    try:
        return cls(value)
    except ValueError:
        return default


def _opt_str(value: Any, name: str) -> str | None:
    if value is None or isinstance(value, str):
        return value
    raise StiggResponseError(f"entitlement field {name} is not a string")


def _opt_float(value: Any, name: str) -> float | None:
    if value is None:
        return None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    raise StiggResponseError(f"entitlement field {name} is not a number")


def parse_datetime(value: Any) -> datetime | None:
    """An API ``DateTime`` (ISO 8601, ``Z`` allowed) as an aware UTC datetime."""
    if value is None:
        return None
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            raise StiggResponseError(f"not an ISO 8601 date-time: {value[:40]!r}") from None
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        # Epoch milliseconds, as some API fields use.
        parsed = datetime.fromtimestamp(value / 1000.0, tz=timezone.utc)
    else:
        raise StiggResponseError("a date-time field is neither a string nor a number")
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=timezone.utc)


_FEATURES: dict[FeatureInfo, FeatureInfo] = {}
_MAX_FEATURES = 10_000


def parse_feature(raw: Any) -> FeatureInfo | None:
    """A :class:`FeatureInfo` from the API's ``EntitlementFeature`` object."""
    if raw is None:
        return None
    if not isinstance(raw, Mapping):
        raise StiggResponseError("entitlement feature is not an object")
    ref_id = raw.get("refId")
    if not isinstance(ref_id, str) or not ref_id:
        raise StiggResponseError("entitlement feature has no refId")
    info = FeatureInfo(
        id=ref_id,
        uuid=_opt_str(raw.get("id"), "feature.id"),
        display_name=_opt_str(raw.get("displayName"), "feature.displayName"),
        feature_type=_enum(FeatureType, raw.get("featureType")),
        meter_type=_enum(MeterType, raw.get("meterType")),
        units=_opt_str(raw.get("featureUnits"), "feature.featureUnits"),
        units_plural=_opt_str(raw.get("featureUnitsPlural"), "feature.featureUnitsPlural"),
        status=_enum(FeatureStatus, raw.get("featureStatus")),
        description=_opt_str(raw.get("description"), "feature.description"),
    )
    # Every customer on a plan shares the same features: keep one object per
    # distinct feature instead of one per cached entitlement (memory, DESIGN 4).
    shared = _FEATURES.get(info)
    if shared is not None:
        return shared
    if len(_FEATURES) >= _MAX_FEATURES:
        _FEATURES.clear()
    _FEATURES[info] = info
    return info


def _shared(value: str | None, key: tuple[str, str | None] | None) -> str | None:
    """``value``, as the key's own string object when equal (one copy per customer)."""
    if key is not None and value is not None:
        if value == key[0]:
            return key[0]
        if value == key[1]:
            return key[1]
    return value


def parse_entitlement(raw: Any, key: tuple[str, str | None] | None = None) -> CachedEntitlement:
    """A :class:`CachedEntitlement` from one ``EntitlementFragment`` object."""
    if not isinstance(raw, Mapping):
        raise StiggResponseError("entitlement is not an object")
    feature = parse_feature(raw.get("feature"))
    if feature is None:
        raise StiggResponseError("entitlement has no feature")
    limit = _opt_float(raw.get("usageLimit"), "usageLimit")
    usage = _opt_float(raw.get("currentUsage"), "currentUsage")
    if limit is not None and not math.isfinite(limit):
        limit = None
    return CachedEntitlement(
        feature_id=feature.id,
        feature=feature,
        customer_id=_shared(_opt_str(raw.get("customerId"), "customerId"), key),
        resource_id=_shared(_opt_str(raw.get("resourceId"), "resourceId"), key),
        is_granted=raw.get("isGranted") is True,
        access_denied_reason=_enum(
            AccessDeniedReason, raw.get("accessDeniedReason"), AccessDeniedReason.UNKNOWN
        ),
        usage_limit=limit,
        current_usage=usage if usage is not None and math.isfinite(usage) else 0.0,
        has_unlimited_usage=raw.get("hasUnlimitedUsage") is True,
        has_soft_limit=raw.get("hasSoftLimit") is True,
        reset_period=_enum(EntitlementResetPeriod, raw.get("resetPeriod")),
        usage_period_anchor=parse_datetime(raw.get("usagePeriodAnchor")),
        usage_period_start=parse_datetime(raw.get("usagePeriodStart")),
        usage_period_end=parse_datetime(raw.get("usagePeriodEnd")),
        next_reset_date=parse_datetime(raw.get("nextResetDate")),
        entitlement_updated_at=parse_datetime(raw.get("entitlementUpdatedAt")),
        usage_updated_at=parse_datetime(raw.get("usageUpdatedAt")),
        valid_until=_opt_float(raw.get("validUntil"), "validUntil"),
    )


def parse_state(
    raw: Any, key: tuple[str, str | None] | None = None
) -> tuple[AccessDeniedReason | None, tuple[CachedEntitlement, ...]]:
    """The customer-level denial and the entitlements of one ``entitlementsState`` answer."""
    if not isinstance(raw, Mapping):
        raise StiggResponseError("entitlementsState is not an object")
    denial = _enum(AccessDeniedReason, raw.get("accessDeniedReason"), AccessDeniedReason.UNKNOWN)
    items = raw.get("entitlements")
    if items is None:
        items = []
    if not isinstance(items, list):
        raise StiggResponseError("entitlementsState.entitlements is not a list")
    return denial, tuple(parse_entitlement(item, key) for item in items)
