"""What the shared tier writes to Redis: compact snapshots, meters and change messages.

A snapshot is the raw ``entitlementsState`` dict the store ingests (see
``stigg_async._cache._source``), written as JSON without ``null`` fields and with
no spaces, zlib-compressed when that is smaller. Beside it, per feature, a *meter*
string the Lua scripts read to decide a ``consume`` without parsing JSON::

    kind|limit|usage|reset_ms|usage_ms|reason

``kind`` is ``M`` (metered with a limit), ``U`` (metered, unlimited or soft: always
granted, usage still counted), ``G`` (granted, nothing metered) or ``D`` (denied with
``reason``). ``reset_ms`` is when the usage period ends (epoch ms, 0: never);
``usage_ms`` when ``usage`` was measured. The rules mirror the local evaluator
(DESIGN section 4).
"""

from __future__ import annotations

import json
import math
import zlib
from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any

from stigg_async._errors import StiggResponseError

__all__ = [
    "DENIED",
    "GRANTED",
    "METERED",
    "UNMETERED_COUNTED",
    "decode_state",
    "encode_state",
    "epoch_ms",
    "meters",
]

METERED, UNMETERED_COUNTED, GRANTED, DENIED = "M", "U", "G", "D"

_EXCEEDED = "RequestedUsageExceedingLimit"
_UNKNOWN = "Unknown"
_KNOWN_REASONS = frozenset(
    {
        "BudgetExceeded",
        "CustomerIsArchived",
        "CustomerNotFound",
        "CustomerResourceNotFound",
        "EntitlementNotFound",
        "FeatureNotFound",
        "FeatureTypeMismatch",
        "InsufficientCredits",
        "NoActiveSubscription",
        "NoFeatureEntitlementInSubscription",
        _EXCEEDED,
        "RequestedValuesMismatch",
        "Revoked",
        _UNKNOWN,
    }
)
_FEATURE_TYPES = frozenset({"BOOLEAN", "ENUM", "NUMBER"})
_METER_TYPES = frozenset({"Fluctuating", "Incremental"})
_COMPRESS_OVER = 512  # bytes: below this zlib's header costs more than it saves
_PLAIN, _ZLIB = b"j", b"z"


def _drop_nulls(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {k: _drop_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_drop_nulls(v) for v in value]
    return value


def encode_state(raw: Mapping[str, Any]) -> bytes:
    """The compact bytes of one ``entitlementsState`` dict.

    ``null`` fields are dropped: the store reads every field with ``.get``, so a
    missing field and a ``null`` one mean the same.

    Example:
        >>> blob = encode_state({"accessDeniedReason": None, "entitlements": []})
        >>> blob, decode_state(blob)
        (b'j{"entitlements":[]}', {'entitlements': []})
    """
    text = json.dumps(_drop_nulls(raw), separators=(",", ":"), ensure_ascii=False).encode()
    if len(text) > _COMPRESS_OVER:
        packed = zlib.compress(text, 6)
        if len(packed) < len(text):
            return _ZLIB + packed
    return _PLAIN + text


def decode_state(blob: bytes) -> dict[str, Any]:
    """The dict :func:`encode_state` encoded.

    Raises:
        StiggResponseError: the bytes are not a snapshot this SDK wrote.
    """
    try:
        head, body = blob[:1], blob[1:]
        if head == _ZLIB:
            body = zlib.decompress(body)
        elif head != _PLAIN:
            raise ValueError("unknown snapshot format")
        value = json.loads(body)
    except (ValueError, zlib.error) as exc:
        raise StiggResponseError(f"a shared snapshot is unreadable: {exc}") from None
    if not isinstance(value, dict):
        raise StiggResponseError("a shared snapshot is not an object")
    return value


def epoch_ms(value: Any) -> int:
    """An API ``DateTime`` (ISO 8601 or epoch ms) or a datetime as epoch ms (0: none)."""
    if value is None:
        return 0
    if isinstance(value, datetime):
        when = value
    elif isinstance(value, str):
        try:
            when = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return 0
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        return int(value)
    else:
        return 0
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return int(when.timestamp() * 1000)


def _number(value: Any) -> float | None:
    if isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value):
        return float(value)
    return None


def _reason(value: Any) -> str | None:
    if value is None:
        return None
    return value if value in _KNOWN_REASONS else _UNKNOWN


def _meter(ent: Mapping[str, Any], usage_ms: int) -> tuple[str, str] | None:
    feature = ent.get("feature")
    if not isinstance(feature, Mapping):
        return None
    feature_id = feature.get("refId")
    if not isinstance(feature_id, str) or not feature_id:
        return None
    ftype, mtype = feature.get("featureType"), feature.get("meterType")
    unlimited = ent.get("hasUnlimitedUsage") is True or ent.get("hasSoftLimit") is True
    counted = ftype == "NUMBER" and mtype in _METER_TYPES
    metered = counted and not unlimited
    reason = _reason(ent.get("accessDeniedReason"))
    granted = ent.get("isGranted") is True
    limit = _number(ent.get("usageLimit"))
    usage = _number(ent.get("currentUsage")) or 0.0
    ends = [epoch_ms(ent.get("usagePeriodEnd")), epoch_ms(ent.get("nextResetDate"))]
    reset_ms = min((e for e in ends if e > 0), default=0)
    kind = GRANTED
    if reason is not None and not (metered and reason == _EXCEEDED):
        kind = DENIED
    elif ftype not in _FEATURE_TYPES:
        # A type this SDK does not know: trust the server's own decision.
        kind, reason = (GRANTED, None) if granted else (DENIED, reason or _UNKNOWN)
    elif not metered:
        kind, reason = (UNMETERED_COUNTED if counted else GRANTED), None
    elif limit is None:
        kind, reason = (UNMETERED_COUNTED, None) if granted else (DENIED, reason or _EXCEEDED)
    else:
        kind, reason = METERED, None
    fields = (kind, repr(limit or 0.0), repr(usage), str(reset_ms), str(usage_ms), reason or "")
    return feature_id, "|".join(fields)


def meters(raw: Mapping[str, Any], usage_ms: int) -> tuple[str | None, dict[str, str]]:
    """The customer-level denial and the meter string of every feature of ``raw``.

    ``usage_ms`` is when the state was fetched: the time its usage was measured.

    Example:
        >>> raw = {"entitlements": [{"isGranted": True, "usageLimit": 5, "currentUsage": 2,
        ...     "feature": {"refId": "f", "featureType": "NUMBER", "meterType": "Incremental"}}]}
        >>> meters(raw, 7)
        (None, {'f': 'M|5.0|2.0|0|7|'})
    """
    denial = _reason(raw.get("accessDeniedReason"))
    out: dict[str, str] = {}
    items = raw.get("entitlements")
    if denial is None and isinstance(items, list):
        for ent in items:
            if isinstance(ent, Mapping):
                meter = _meter(ent, usage_ms)
                if meter is not None:
                    out[meter[0]] = meter[1]
    return denial, out
