"""The local decision (DESIGN section 4), as pure functions over built snapshots.

Rules, in order, for a check of ``feature_id`` with ``requested`` usage (default 0):

1. a customer-level denial (``CustomerNotFound``, ``NoActiveSubscription``...) denies;
2. a feature missing from the snapshot is denied, ``NoFeatureEntitlementInSubscription``;
3. a server-set ``accessDeniedReason`` on the entitlement denies with it (except
   ``RequestedUsageExceedingLimit`` on a metered entitlement, which rule 6 recomputes
   locally from the current usage);
4. ``BOOLEAN`` (and ``ENUM``) grant; ``NUMBER`` with meter ``None`` grants (its limit
   is a value, e.g. a maximum file size);
5. ``hasUnlimitedUsage`` or ``hasSoftLimit`` grant;
6. metered: once the usage period ended (``usagePeriodEnd`` / ``nextResetDate`` in the
   past) the server's usage counts as 0 until the next refresh; grant iff
   ``currentUsage + pending + requested <= usageLimit``, else
   ``RequestedUsageExceedingLimit``. ``pending`` is usage accepted here and not yet
   acknowledged (DESIGN section 9); it counts in every period.

The store's fast path (``_store.make_fast_path``) answers warm checks through
:func:`answer_fresh` and memoised answers; :func:`evaluate` is the reference it is
tested against, and it answers every other path.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from datetime import datetime

from stigg_async._cache._model import (
    CachedEntitlement,
    EntitlementResult,
    EntitlementSource,
    FeatureInfo,
    _Check,
    _Snapshot,
    _Stamp,
)
from stigg_async._cache._options import Fallback
from stigg_async._models._enums import AccessDeniedReason, FeatureType, MeterType

__all__ = [
    "MEMO_SIZE",
    "NO_MEMO",
    "answer_fresh",
    "build_snapshot",
    "compile_check",
    "evaluate",
    "evaluate_fallback",
    "fallback_entitlement",
]

#: Fresh answers kept per check, by requested usage (most services request a few
#: distinct amounts; arbitrary amounts must not grow memory).
MEMO_SIZE = 8

# Shared by every check until its first memoised answer (an empty dict per check
# would cost 64 bytes each); answer_fresh() swaps in a real dict, never mutates this.
NO_MEMO: dict[float, EntitlementResult] = {}

_EXCEEDED = AccessDeniedReason.REQUESTED_USAGE_EXCEEDING_LIMIT
_MISSING = AccessDeniedReason.NO_FEATURE_ENTITLEMENT_IN_SUBSCRIPTION
_UNKNOWN = AccessDeniedReason.UNKNOWN
_METERED = (MeterType.FLUCTUATING, MeterType.INCREMENTAL)
_FRESH = EntitlementSource.FRESH_CACHE
_new_tuple = tuple.__new__


def _reset_at(ent: CachedEntitlement, now_mono: float, now_wall: datetime) -> float:
    """The monotonic time at which the usage period ends (``inf``: never).

    Converted once here so the check path compares floats, never datetimes.
    """
    ends = [d for d in (ent.usage_period_end, ent.next_reset_date) if d is not None]
    if not ends:
        return math.inf
    return now_mono + (min(ends) - now_wall).total_seconds()


def compile_check(
    ent: CachedEntitlement, snapshot: _Snapshot, now_mono: float, now_wall: datetime
) -> _Check:
    """Precompute rules 3-6 for one entitlement, with its prebuilt no-usage answer."""
    check = _Check()
    check.ent = ent
    check.usage = ent.current_usage
    check.pending = 0.0
    check.total = ent.current_usage
    check.limit = math.inf
    check.reset_at = math.inf
    check.usage_written_at = -math.inf
    check.usage_written_ts = None
    check.metered = False
    check.memo = NO_MEMO
    check.snapshot = snapshot
    check.hits = 0
    feature = ent.feature
    check.tracks = feature is not None and feature.is_metered
    reason = ent.access_denied_reason
    metered = (
        feature is not None
        and feature.feature_type is FeatureType.NUMBER
        and feature.meter_type in _METERED
        and not ent.has_unlimited_usage
        and not ent.has_soft_limit
    )
    if reason is not None and not (metered and reason is _EXCEEDED):
        check.granted, check.reason = False, reason  # rule 3
    elif feature is None or feature.feature_type is None:
        # A type this SDK does not know: trust the server's own decision.
        check.granted = ent.is_granted
        check.reason = None if ent.is_granted else (reason or _UNKNOWN)
    elif not metered:
        check.granted, check.reason = True, None  # rules 4 and 5
    elif ent.usage_limit is None:
        # Metered without a limit is not a shape the API sends; trust the server.
        check.granted = ent.is_granted
        check.reason = None if ent.is_granted else (reason or _EXCEEDED)
    else:
        check.metered = True  # rule 6
        check.limit = ent.usage_limit
        check.reset_at = _reset_at(ent, now_mono, now_wall)
        usage = check.usage if now_mono < check.reset_at else 0.0
        check.granted = usage <= check.limit
        check.reason = None if check.granted else _EXCEEDED
    check.result = None  # built on first use (answer_fresh), reset on every change
    return check


def build_snapshot(
    key: tuple[str, str | None],
    denial: AccessDeniedReason | None,
    entitlements: Iterable[CachedEntitlement],
    *,
    now_mono: float,
    now_wall: datetime,
    ttl: float,
    stale_window: float,
    monotonic: Callable[[], float],
) -> _Snapshot:
    """A snapshot of one key's parsed data, fresh for ``ttl`` and servable for ``stale_window``.

    With a customer-level denial no checks are compiled: rule 1 answers every feature.
    """
    snap = _Snapshot(
        key[0],
        key[1],
        denial,
        now_mono,
        now_mono,
        now_mono + ttl,
        now_mono + stale_window,
        monotonic,
    )
    if denial is None:
        for ent in entitlements:
            snap.checks[ent.feature_id] = compile_check(ent, snap, now_mono, now_wall)
    return snap


def _absent(feature_id: str) -> CachedEntitlement:
    return CachedEntitlement(feature_id=feature_id)


def evaluate(
    snapshot: _Snapshot,
    feature_id: str,
    requested_usage: float | None,
    now_mono: float,
    source: EntitlementSource,
) -> EntitlementResult:
    """Decide one check from a snapshot (rules 1-6), labelled with ``source``.

    Example:
        >>> evaluate(snap, "feature-02-campaigns", 3, clock.monotonic(),  # doctest: +SKIP
        ...          EntitlementSource.FRESH_CACHE).is_granted
        True
    """
    if snapshot.denial is not None:  # rule 1
        return EntitlementResult(
            _absent(feature_id),
            False,
            snapshot.denial,
            requested_usage,
            0.0,
            source,
            snapshot,
            feature_id,
        )
    check = snapshot.checks.get(feature_id)
    if check is None:  # rule 2
        return EntitlementResult(
            _absent(feature_id), False, _MISSING, requested_usage, 0.0, source, snapshot, feature_id
        )
    if now_mono < check.reset_at:
        if requested_usage is None and source is _FRESH:
            result = check.result  # built once until the usage or pending amount changes
            return answer_fresh(check, None) if result is None else result
        usage = check.usage
    else:
        usage = 0.0
    pending = check.pending
    if not check.metered:
        granted, reason = check.granted, check.reason
    else:
        granted = usage + pending + (requested_usage or 0.0) <= check.limit
        reason = None if granted else _EXCEEDED
    return EntitlementResult(
        check.ent, granted, reason, requested_usage, usage, source, snapshot, feature_id, pending
    )


def fallback_entitlement(feature_id: str, fallback: Fallback | None) -> CachedEntitlement:
    """The entitlement a fallback stands for (built once per feature by the cache)."""
    if fallback is None:
        return CachedEntitlement(feature_id=feature_id, access_denied_reason=_UNKNOWN)
    return CachedEntitlement(
        feature_id=feature_id,
        feature=FeatureInfo(id=feature_id),
        is_granted=fallback.is_granted,
        access_denied_reason=None if fallback.is_granted else _UNKNOWN,
        usage_limit=None if fallback.usage_limit is None else float(fallback.usage_limit),
        has_unlimited_usage=fallback.has_unlimited_usage,
    )


def evaluate_fallback(
    ent: CachedEntitlement, requested_usage: float | None, stamp: _Stamp, pending: float = 0.0
) -> EntitlementResult:
    """Answer from a fallback entitlement: its grant, within its limit if it has one.

    ``pending`` (usage accepted here, unacknowledged) counts against that limit.
    """
    granted = ent.is_granted
    reason = ent.access_denied_reason
    if (
        granted
        and ent.usage_limit is not None
        and not ent.has_unlimited_usage
        and pending + (requested_usage or 0.0) > ent.usage_limit
    ):
        granted, reason = False, _EXCEEDED
    elif not granted and reason is None:
        reason = _UNKNOWN
    return EntitlementResult(
        ent,
        granted,
        reason,
        requested_usage,
        0.0,
        EntitlementSource.FALLBACK,
        stamp,
        ent.feature_id,
        pending,
    )


def answer_fresh(check: _Check, requested_usage: float | None) -> EntitlementResult:
    """Build (and memoise) the fresh answer of ``check`` for ``requested_usage``.

    The caller has checked that the snapshot is fresh, the usage period lasts and
    ``requested_usage`` is ``None`` or a finite number >= 0. The answer stays valid
    until the check's usage or pending amount changes; the store then drops it.
    """
    if check.metered:
        granted = check.total + (requested_usage or 0.0) <= check.limit
        reason = None if granted else _EXCEEDED
    else:
        granted, reason = check.granted, check.reason
    # tuple.__new__ directly: skips EntitlementResult.__new__'s Python frame (hot-ish).
    result: EntitlementResult = _new_tuple(
        EntitlementResult,
        (
            check.ent,
            granted,
            reason,
            requested_usage,
            check.usage,
            _FRESH,
            check.snapshot,
            check.ent.feature_id,
            check.pending,
            None,
        ),
    )
    if requested_usage is None:
        check.result = result
        return result
    memo = check.memo
    if memo is NO_MEMO:
        memo = check.memo = {}
    if len(memo) < MEMO_SIZE:
        memo[requested_usage] = result
    return result
