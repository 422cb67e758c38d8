"""An emulator whose catalog adds a Danish price and a plan hidden from the paywall."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import pytest_asyncio

from stigg_async._clock import FakeClock
from stigg_async.emulator import Emulator
from stigg_async.emulator._catalog import default_catalog_path
from stigg_async.testing import STIGG_EMULATOR_API_KEY


def catalog() -> dict[str, Any]:
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


@pytest_asyncio.fixture
async def stigg_emulator(stigg_emulator_clock: FakeClock) -> AsyncIterator[Emulator]:
    async with Emulator(
        api_key=STIGG_EMULATOR_API_KEY, clock=stigg_emulator_clock, catalog=catalog()
    ) as emulator:
        yield emulator
