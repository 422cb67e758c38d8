"""A fake GraphQL transport that answers the cache's batched entitlement queries."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable, Mapping
from typing import Any

from stigg_async._errors import StiggError

_ALIAS = re.compile(r"\bc(\d+): entitlementsState")


def feature(ref_id: str, feature_type: str = "BOOLEAN", meter_type: str = "None") -> dict[str, Any]:
    return {
        "id": f"uuid-{ref_id}",
        "refId": ref_id,
        "displayName": ref_id.title(),
        "featureType": feature_type,
        "meterType": meter_type,
        "featureUnits": None,
        "featureUnitsPlural": None,
        "featureStatus": "ACTIVE",
        "description": None,
    }


def entitlement(
    ref_id: str,
    *,
    feature_type: str = "BOOLEAN",
    meter_type: str = "None",
    usage_limit: float | None = None,
    current_usage: float = 0,
    has_unlimited_usage: bool = False,
    has_soft_limit: bool = False,
    access_denied_reason: str | None = None,
    is_granted: bool = True,
    usage_period_end: str | None = None,
    next_reset_date: str | None = None,
    reset_period: str | None = None,
    customer_id: str = "customer-1",
    resource_id: str | None = None,
) -> dict[str, Any]:
    return {
        "isGranted": is_granted,
        "accessDeniedReason": access_denied_reason,
        "customerId": customer_id,
        "resourceId": resource_id,
        "usageLimit": usage_limit,
        "currentUsage": current_usage,
        "requestedUsage": 0,
        "hasUnlimitedUsage": has_unlimited_usage,
        "hasSoftLimit": has_soft_limit,
        "resetPeriod": reset_period,
        "usagePeriodAnchor": None,
        "usagePeriodStart": None,
        "usagePeriodEnd": usage_period_end,
        "nextResetDate": next_reset_date,
        "entitlementUpdatedAt": None,
        "usageUpdatedAt": None,
        "validUntil": None,
        "feature": feature(ref_id, feature_type, meter_type),
    }


def metered(ref_id: str, limit: float, usage: float = 0, **kw: Any) -> dict[str, Any]:
    return entitlement(
        ref_id,
        feature_type="NUMBER",
        meter_type="Incremental",
        usage_limit=limit,
        current_usage=usage,
        **kw,
    )


def default_state(customer_id: str, resource_id: str | None) -> dict[str, Any]:
    return {
        "accessDeniedReason": None,
        "entitlements": [
            entitlement("feature-bool", customer_id=customer_id, resource_id=resource_id),
            metered("feature-metered", 10, 3, customer_id=customer_id, resource_id=resource_id),
        ],
    }


class FakeTransport:
    """Answers ``GetEntitlementsBatch`` from ``states`` (or ``default``); records requests.

    ``fail_with`` (an exception or a callable returning one or None per request) makes
    requests fail; ``gate`` (an Event) holds every request until set.
    """

    def __init__(
        self, default: Callable[[str, str | None], Mapping[str, Any]] | None = default_state
    ) -> None:
        self.states: dict[tuple[str, str | None], Mapping[str, Any]] = {}
        self.default = default
        self.requests: list[tuple[str, dict[str, Any]]] = []
        self.fail_with: StiggError | Callable[[int], StiggError | None] | None = None
        self.gate: asyncio.Event | None = None

    @property
    def count(self) -> int:
        return len(self.requests)

    def keys_requested(self) -> list[tuple[str, str | None]]:
        keys = []
        for _, variables in self.requests:
            for value in variables.values():
                keys.append((value["customerId"], value.get("resourceId")))
        return keys

    async def execute_text(
        self,
        text: str,
        variables: Mapping[str, Any] | None,
        operation_name: str,
        *,
        timeout: float | None = None,
    ) -> dict[str, Any]:
        variables = dict(variables or {})
        self.requests.append((text, variables))
        if self.gate is not None:
            await self.gate.wait()
        failure = self.fail_with
        if callable(failure) and not isinstance(failure, StiggError):
            failure = failure(len(variables))
        if failure is not None:
            raise failure
        data: dict[str, Any] = {}
        for index in _ALIAS.findall(text):
            query = variables[f"q{index}"]
            key = (query["customerId"], query.get("resourceId"))
            state = self.states.get(key)
            if state is None and self.default is not None:
                state = self.default(*key)
            data[f"c{index}"] = state
        return data
