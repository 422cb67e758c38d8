"""A catalog for the breadth tests: the default one plus a Danish price and a hidden plan."""

from __future__ import annotations

import json
from typing import Any

from stigg_async.emulator._catalog import default_catalog_path


def breadth_catalog() -> dict[str, Any]:
    """The default catalog with a DK price for essentials and a plan hidden from the paywall."""
    data: dict[str, Any] = json.loads(default_catalog_path().read_text(encoding="utf-8"))
    essentials = next(p for p in data["plans"] if p["id"] == "plan-revvenu-essentials")
    essentials["prices"].append(
        {
            "billingModel": "PER_UNIT",
            "billingPeriod": "MONTHLY",
            "amount": 45,
            "currency": "DKK",
            "feature": "feature-01-templates",
            "minUnitQuantity": 5,
            "billingCountryCode": "DK",
        }
    )
    data["plans"].append(
        {
            "id": "plan-revvenu-internal",
            "displayName": "Internal",
            "pricingType": "FREE",
            "hiddenFromWidgets": ["PAYWALL"],
            "entitlements": [{"feature": "feature-04-analytics"}],
        }
    )
    return data
