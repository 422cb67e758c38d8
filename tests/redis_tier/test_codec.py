"""Compact snapshots and the meters the Lua scripts decide from."""

from __future__ import annotations

import pytest

from stigg_async._errors import StiggResponseError
from stigg_async._redis._codec import decode_state, encode_state, meters
from tests.cache.fakes import entitlement
from tests.redis_tier.support import metered_state


def test_snapshots_round_trip_without_nulls_and_compress() -> None:
    """A state with many entitlements comes back equal (minus nulls) and smaller than JSON."""
    raw = {
        "accessDeniedReason": None,
        "entitlements": [
            entitlement(
                f"feature-{i}",
                feature_type="NUMBER",
                meter_type="Incremental",
                usage_limit=10,
                current_usage=i,
            )
            for i in range(20)
        ],
    }
    blob = encode_state(raw)
    assert blob[:1] == b"z"
    back = decode_state(blob)
    assert "accessDeniedReason" not in back
    assert back["entitlements"][3]["currentUsage"] == 3
    assert "usagePeriodEnd" not in back["entitlements"][3]
    import json

    assert len(blob) < len(json.dumps(raw)) / 3


def test_unreadable_snapshot_is_a_response_error() -> None:
    """Bytes this SDK did not write raise StiggResponseError (read as a miss)."""
    with pytest.raises(StiggResponseError):
        decode_state(b"xnot-ours")


@pytest.mark.parametrize(
    ("ent", "kind", "reason"),
    [
        (entitlement("f", feature_type="NUMBER", meter_type="Incremental", usage_limit=5), "M", ""),
        (
            entitlement(
                "f",
                feature_type="NUMBER",
                meter_type="Fluctuating",
                usage_limit=5,
                has_soft_limit=True,
            ),
            "U",
            "",
        ),
        (entitlement("f", feature_type="NUMBER", meter_type="None", usage_limit=5), "G", ""),
        (entitlement("f"), "G", ""),
        (entitlement("f", access_denied_reason="Revoked", is_granted=False), "D", "Revoked"),
        (
            entitlement(
                "f",
                feature_type="NUMBER",
                meter_type="Incremental",
                usage_limit=5,
                access_denied_reason="RequestedUsageExceedingLimit",
            ),
            "M",
            "",
        ),
        (entitlement("f", access_denied_reason="SomethingNew", is_granted=False), "D", "Unknown"),
    ],
)
def test_meters_follow_the_local_decision_rules(ent: dict, kind: str, reason: str) -> None:
    """Rules 3-6 of DESIGN section 4, as the Lua script reads them."""
    _, found = meters({"entitlements": [ent]}, 0)
    fields = found["f"].split("|")
    assert (fields[0], fields[5]) == (kind, reason)


def test_customer_denial_has_no_meters() -> None:
    """A customer-level denial answers every feature (rule 1)."""
    raw = metered_state("c", limit=1) | {"accessDeniedReason": "NoActiveSubscription"}
    assert meters(raw, 0) == ("NoActiveSubscription", {})
