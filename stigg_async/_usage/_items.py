"""The queued item types and their enqueue-time validation.

The enqueue path has a budget of about 2 µs per item, so items are not pydantic
models: hand-written checks (which agree with the pydantic input models, see the
tests) reject bad input with :class:`StiggValidationError` before anything is
queued, and each item is stored as a plain tuple. Dicts in the API's camelCase
are built only when a batch is sent.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import datetime, timedelta, timezone
from typing import Any, NamedTuple

from stigg_async._errors import StiggValidationError
from stigg_async._usage._keys import new_key
from stigg_async._validation import MAX_AMOUNT, check_amount, check_id

__all__ = [
    "CREDIT_PREFIX",
    "CreditRecord",
    "DimensionValue",
    "EventRecord",
    "UsageRecord",
    "make_credit",
    "make_event",
    "make_usage",
]

#: Pending credit consumption shares the entitlement store's usage ledgers under this
#: prefix, so a currency id can never collide with a feature id.
CREDIT_PREFIX = "credits:"

#: What a dimension value may be (a flat mapping; no nesting).
DimensionValue = str | int | float | bool

# Ids repeat (a service has few features and a working set of customers), so a
# string that passed the id checks once is remembered; bounded so it cannot grow
# without limit on a service with millions of customers.
_KNOWN_GOOD: set[str] = set()
_KNOWN_GOOD_LIMIT = 50_000


class UsageRecord(NamedTuple):
    """One buffered calculated-usage report, as queued and as given to ``on_error``.

    ``idempotency_key`` is the key sent on every attempt; re-sending the record later
    with the same key (for example through ``report_usage``) cannot count it twice.

    Example:
        >>> r = make_usage("customer-1", "feature-02-campaigns", 3)
        >>> (r.customer_id, r.value, r.update_behavior, len(r.idempotency_key))
        ('customer-1', 3, 'DELTA', 32)
    """

    customer_id: str
    feature_id: str
    value: float
    update_behavior: str
    resource_id: str | None
    dimensions: Mapping[str, DimensionValue] | None
    created_at: datetime | None
    idempotency_key: str
    #: ``Clock.monotonic()`` when the item was tracked (ages, timestamps).
    tracked_at: float

    def to_input(self, stamp: datetime | None = None) -> dict[str, Any]:
        """The ``ReportUsageBaseInput`` dict sent to the API."""
        out: dict[str, Any] = {
            "customerId": self.customer_id,
            "featureId": self.feature_id,
            "value": self.value,
            "updateBehavior": self.update_behavior,
            "idempotencyKey": self.idempotency_key,
        }
        return _with_context(
            out, self.resource_id, self.dimensions, self.created_at or stamp, "createdAt"
        )


class EventRecord(NamedTuple):
    """One buffered raw event, as queued and as given to ``on_error``.

    Example:
        >>> e = make_event("customer-1", "user_login", dimensions={"user_id": "u-1"})
        >>> (e.event_name, dict(e.dimensions or {}))
        ('user_login', {'user_id': 'u-1'})
    """

    customer_id: str
    event_name: str
    resource_id: str | None
    dimensions: Mapping[str, DimensionValue] | None
    timestamp: datetime | None
    idempotency_key: str
    #: ``Clock.monotonic()`` when the event was tracked.
    tracked_at: float

    def to_input(self, stamp: datetime | None = None) -> dict[str, Any]:
        """The ``UsageEventReportInput`` dict sent to the API."""
        out: dict[str, Any] = {
            "customerId": self.customer_id,
            "eventName": self.event_name,
            "idempotencyKey": self.idempotency_key,
        }
        return _with_context(
            out, self.resource_id, self.dimensions, self.timestamp or stamp, "timestamp"
        )


class CreditRecord(NamedTuple):
    """One buffered credit consumption, as queued and as given to ``on_error``.

    Sent in a batch through ``consumeCreditsAsync``; ``idempotency_key`` is sent on
    every attempt, so a retried (or later re-sent) consumption is applied once.

    Example:
        >>> c = make_credit("customer-1", "currency-ai-credits", 2.5)
        >>> (c.currency_id, c.amount, len(c.idempotency_key))
        ('currency-ai-credits', 2.5, 32)
        >>> c.as_usage().feature_id
        'credits:currency-ai-credits'
    """

    customer_id: str
    currency_id: str
    amount: float
    resource_id: str | None
    dimensions: Mapping[str, DimensionValue] | None
    created_at: datetime | None
    idempotency_key: str
    #: ``Clock.monotonic()`` when the item was tracked.
    tracked_at: float

    def to_input(self, stamp: datetime | None = None) -> dict[str, Any]:
        """The ``ConsumeCreditInput`` dict sent to the API."""
        out: dict[str, Any] = {
            "customerId": self.customer_id,
            "currencyId": self.currency_id,
            "amount": self.amount,
            "idempotencyKey": self.idempotency_key,
        }
        return _with_context(
            out, self.resource_id, self.dimensions, self.created_at or stamp, "createdAt"
        )

    def as_usage(self) -> UsageRecord:
        """The pending-usage view of this consumption (what local credit checks count)."""
        return _new(
            UsageRecord,
            (
                self.customer_id,
                CREDIT_PREFIX + self.currency_id,
                self.amount,
                "DELTA",
                self.resource_id,
                None,
                None,
                self.idempotency_key,
                self.tracked_at,
            ),
        )


def _with_context(
    out: dict[str, Any],
    resource_id: str | None,
    dimensions: Mapping[str, DimensionValue] | None,
    when: datetime | None,
    time_field: str,
) -> dict[str, Any]:
    """``out`` plus the optional fields all three inputs share, spelled one way."""
    if resource_id is not None:
        out["resourceId"] = resource_id
    if dimensions is not None:
        out["dimensions"] = dict(dimensions)
    if when is not None:
        out[time_field] = format_datetime(when)
    return out


def format_datetime(value: datetime) -> str:
    """ISO 8601 in UTC with milliseconds, as the API's ``DateTime`` expects."""
    text = value.astimezone(timezone.utc).isoformat(timespec="milliseconds")
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def wall_time(anchor_wall: datetime, anchor_monotonic: float, tracked_at: float) -> datetime:
    """The wall time of a monotonic reading, relative to an anchor pair."""
    return anchor_wall + timedelta(seconds=tracked_at - anchor_monotonic)


# -- validation -------------------------------------------------------------------

_new = tuple.__new__


def make_usage(  # noqa: PLR0917 - positional: the hot path's cheapest call
    customer_id: Any,
    feature_id: Any,
    value: Any,
    update_behavior: Any = "DELTA",
    resource_id: Any = None,
    dimensions: Any = None,
    idempotency_key: Any = None,
    created_at: Any = None,
    tracked_at: float = 0.0,
) -> UsageRecord:
    """Validate one usage report and build its record (minting a key if none is given).

    Raises:
        StiggValidationError: naming the offending ``field``.
    """
    if customer_id.__class__ is not str or customer_id not in _KNOWN_GOOD:
        _check_id(customer_id, "customer_id")
    if feature_id.__class__ is not str or feature_id not in _KNOWN_GOOD:
        _check_id(feature_id, "feature_id")
    cls = value.__class__
    # One chained compare covers NaN, infinities and numbers past the API's range.
    if (cls is not float and cls is not int) or not -MAX_AMOUNT <= value <= MAX_AMOUNT:
        value = _check_number(value)
    if update_behavior == "DELTA":
        update_behavior = "DELTA"  # a str enum member becomes its plain value
    elif update_behavior == "SET":
        update_behavior = "SET"
        if value < 0:
            raise StiggValidationError("a SET value must be >= 0", field="value")
    else:
        update_behavior = _check_behavior(update_behavior, value)
    if resource_id is not None and (
        resource_id.__class__ is not str or resource_id not in _KNOWN_GOOD
    ):
        _check_id(resource_id, "resource_id")
    if dimensions is not None:
        dimensions = _check_dimensions(dimensions)
    if idempotency_key is None:
        idempotency_key = new_key()
    else:
        _check_id(idempotency_key, "idempotency_key")
    if created_at is not None:
        _check_datetime(created_at, "created_at")
    return _new(
        UsageRecord,
        (
            customer_id,
            feature_id,
            value,
            update_behavior,
            resource_id,
            dimensions,
            created_at,
            idempotency_key,
            tracked_at,
        ),
    )


def make_event(  # noqa: PLR0917 - positional: the hot path's cheapest call
    customer_id: Any,
    event_name: Any,
    resource_id: Any = None,
    dimensions: Any = None,
    idempotency_key: Any = None,
    timestamp: Any = None,
    tracked_at: float = 0.0,
) -> EventRecord:
    """Validate one raw event and build its record (minting a key if none is given).

    Raises:
        StiggValidationError: naming the offending ``field``.
    """
    if customer_id.__class__ is not str or customer_id not in _KNOWN_GOOD:
        _check_id(customer_id, "customer_id")
    if event_name.__class__ is not str or event_name not in _KNOWN_GOOD:
        _check_id(event_name, "event_name")
    if resource_id is not None and (
        resource_id.__class__ is not str or resource_id not in _KNOWN_GOOD
    ):
        _check_id(resource_id, "resource_id")
    if dimensions is not None:
        dimensions = _check_dimensions(dimensions)
    if idempotency_key is None:
        idempotency_key = new_key()
    else:
        _check_id(idempotency_key, "idempotency_key")
    if timestamp is not None:
        _check_datetime(timestamp, "timestamp")
    return _new(
        EventRecord,
        (customer_id, event_name, resource_id, dimensions, timestamp, idempotency_key, tracked_at),
    )


def make_credit(  # noqa: PLR0917 - positional: the hot path's cheapest call
    customer_id: Any,
    currency_id: Any,
    amount: Any,
    resource_id: Any = None,
    dimensions: Any = None,
    idempotency_key: Any = None,
    created_at: Any = None,
    tracked_at: float = 0.0,
) -> CreditRecord:
    """Validate one credit consumption and build its record (minting a key if none).

    ``amount`` must be a finite number above 0 (the API refuses the rest).

    Raises:
        StiggValidationError: naming the offending ``field``.
    """
    if customer_id.__class__ is not str or customer_id not in _KNOWN_GOOD:
        _check_id(customer_id, "customer_id")
    if currency_id.__class__ is not str or currency_id not in _KNOWN_GOOD:
        _check_id(currency_id, "currency_id")
    cls = amount.__class__
    if (cls is not float and cls is not int) or not 0 < amount <= MAX_AMOUNT:
        amount = _check_credits(amount)
    if resource_id is not None and (
        resource_id.__class__ is not str or resource_id not in _KNOWN_GOOD
    ):
        _check_id(resource_id, "resource_id")
    if dimensions is not None:
        dimensions = _check_dimensions(dimensions)
    if idempotency_key is None:
        idempotency_key = new_key()
    else:
        _check_id(idempotency_key, "idempotency_key")
    if created_at is not None:
        _check_datetime(created_at, "created_at")
    return _new(
        CreditRecord,
        (
            customer_id,
            currency_id,
            amount,
            resource_id,
            dimensions,
            created_at,
            idempotency_key,
            tracked_at,
        ),
    )


def _check_id(value: Any, field: str) -> None:
    check_id(value, field)  # the SDK's one id rule
    if field != "idempotency_key":
        if len(_KNOWN_GOOD) >= _KNOWN_GOOD_LIMIT:
            _KNOWN_GOOD.clear()
        _KNOWN_GOOD.add(str(value))


def _check_number(value: Any) -> float | int:
    number = check_amount(value, "value")
    assert number is not None
    # int and float subclasses (IntEnum, numpy scalars...) become plain numbers.
    return int(number) if isinstance(number, int) else float(number)


def _check_credits(amount: Any) -> float | int:
    number = check_amount(amount, "amount")
    assert number is not None
    if number <= 0:
        raise StiggValidationError("amount must be above 0", field="amount")
    return int(number) if isinstance(number, int) else float(number)


def _check_behavior(update_behavior: Any, value: float) -> str:
    raw = getattr(update_behavior, "value", update_behavior)
    if raw not in ("DELTA", "SET"):
        raise StiggValidationError(
            "update_behavior must be 'DELTA' or 'SET'", field="update_behavior"
        )
    if raw == "SET" and value < 0:
        raise StiggValidationError("a SET value must be >= 0", field="value")
    return "DELTA" if raw == "DELTA" else "SET"


def _check_dimensions(dimensions: Any) -> dict[str, DimensionValue]:
    if not isinstance(dimensions, Mapping):
        raise StiggValidationError(
            f"dimensions must be a mapping of str to str/int/float/bool, "
            f"not {type(dimensions).__name__}",
            field="dimensions",
        )
    # A copy: the caller may reuse and mutate its dict after tracking.
    out: dict[str, DimensionValue] = {}
    for key, item in dimensions.items():
        if not isinstance(key, str):
            raise StiggValidationError("dimension names must be strings", field="dimensions")
        if isinstance(item, float):
            if not math.isfinite(item):
                raise StiggValidationError(
                    f"dimension {key!r} must be a finite number", field="dimensions"
                )
        elif not isinstance(item, (str, int)):  # bool is an int
            raise StiggValidationError(
                f"dimension {key!r} must be a str, int, float or bool, not {type(item).__name__}",
                field="dimensions",
            )
        out[key] = item
    return out


def _check_datetime(value: Any, field: str) -> None:
    if not isinstance(value, datetime):
        raise StiggValidationError(f"{field} must be a datetime", field=field)
    if value.tzinfo is None or value.utcoffset() is None:
        raise StiggValidationError(
            f"{field} must be timezone-aware (e.g. datetime.now(timezone.utc))", field=field
        )
