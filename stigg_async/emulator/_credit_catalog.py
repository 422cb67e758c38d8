"""The credit part of the emulator's catalog: custom currencies and credit costs.

A catalog file may list ``currencies`` and give features a ``creditCost``::

    "currencies": [{"id": "currency-ai-credits", "displayName": "AI credits",
                    "unitSingular": "credit", "unitPlural": "credits",
                    "unitPrice": 0.01, "allowOverdraft": false}],
    "features": [{"id": "feature-08-ai-generations", ...,
                  "creditCost": {"currency": "currency-ai-credits", "amount": 2}}]

``unitPrice`` is what one credit costs in the catalog's billing currency (paid grants
and automatic recharges are priced with it). ``allowOverdraft`` chooses what a
consumption beyond the balance does: refused (``false``, the default) or drawn into
an overdraft grant, as Stigg does (``true``).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = ["CreditCatalog", "CreditCost", "CurrencyDef"]


class CreditCatalogError(ValueError):
    """A currency or credit cost in the catalog is malformed."""


@dataclass(frozen=True)
class CurrencyDef:
    """A custom credit currency (``currency-ai-credits``)."""

    id: str
    display_name: str
    description: str | None = None
    symbol: str | None = None
    unit_singular: str | None = None
    unit_plural: str | None = None
    unit_price: float = 1.0
    allow_overdraft: bool = False
    metadata: Mapping[str, Any] | None = None


@dataclass(frozen=True)
class CreditCost:
    """What one unit of a feature costs, in credits of one currency."""

    feature_id: str
    currency_id: str
    amount: float


@dataclass(frozen=True)
class CreditCatalog:
    """The catalog's currencies and the credit cost of each credit-based feature.

    Example:
        >>> c = CreditCatalog.from_dict(
        ...     {"currencies": [{"id": "cur", "displayName": "Credits"}],
        ...      "features": [{"id": "f", "creditCost": {"currency": "cur", "amount": 2}}]},
        ...     {"f"},
        ... )
        >>> (c.currencies["cur"].display_name, c.costs["f"].amount)
        ('Credits', 2.0)
    """

    currencies: dict[str, CurrencyDef] = field(default_factory=dict)
    costs: dict[str, CreditCost] = field(default_factory=dict)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], features: Collection[str]) -> CreditCatalog:
        """Read ``currencies`` and the features' ``creditCost`` from a catalog mapping."""
        catalog = cls()
        for item in data.get("currencies") or ():
            if not isinstance(item, Mapping) or not item.get("id"):
                raise CreditCatalogError("every currency needs an 'id'")
            cid = str(item["id"])
            price = float(item.get("unitPrice", 1.0))
            if price < 0:
                raise CreditCatalogError(f"currency {cid}: unitPrice must be >= 0")
            catalog.currencies[cid] = CurrencyDef(
                id=cid,
                display_name=str(item.get("displayName", cid)),
                description=item.get("description"),
                symbol=item.get("symbol"),
                unit_singular=item.get("unitSingular"),
                unit_plural=item.get("unitPlural"),
                unit_price=price,
                allow_overdraft=bool(item.get("allowOverdraft", False)),
                metadata=item.get("additionalMetaData"),
            )
        for item in data.get("features") or ():
            cost = item.get("creditCost") if isinstance(item, Mapping) else None
            if cost is None:
                continue
            fid = str(item.get("id"))
            currency = str(cost.get("currency", ""))
            if currency not in catalog.currencies:
                raise CreditCatalogError(f"feature {fid}: unknown credit currency {currency!r}")
            amount = float(cost.get("amount", 0))
            if amount < 0 or fid not in features:
                raise CreditCatalogError(f"feature {fid}: bad creditCost")
            catalog.costs[fid] = CreditCost(feature_id=fid, currency_id=currency, amount=amount)
        return catalog
